// Talks to the daemon's /v1 API with the bearer token kept in localStorage; live events over fetch() streams.
const KEY = 'train-profiler.token';

export class Unauthorized extends Error {}

export const savedToken = () => localStorage.getItem(KEY);

function headers(extra = {}) {
  const t = savedToken();
  return t ? { ...extra, authorization: `Bearer ${t}` } : extra;
}

let asking = null;

/** Shows the token form once (concurrent callers share it); resolves after a token was entered. */
export function askToken(refused) {
  if (asking) return asking;
  const overlay = document.getElementById('token-overlay');
  const form = document.getElementById('token-form');
  const input = document.getElementById('token-input');
  document.getElementById('token-error').hidden = !refused;
  overlay.hidden = false;
  input.focus();
  asking = new Promise((resolve) => {
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      localStorage.setItem(KEY, input.value.trim());
      input.value = '';
      overlay.hidden = true;
      asking = null;
      resolve();
    }, { once: true });
  });
  return asking;
}

/** Runs fn, asking for the token (again) while the daemon answers 401. */
async function authorized(fn) {
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (!(err instanceof Unauthorized)) throw err;
      const had = savedToken() !== null;
      localStorage.removeItem(KEY);
      await askToken(had);
    }
  }
}

/** GET a JSON document under /v1; an error answer throws with the daemon's message. */
export function getJson(path) {
  return authorized(async () => {
    const res = await fetch(path, { headers: headers({ accept: 'application/json' }) });
    if (res.status === 401) throw new Unauthorized();
    const body = await res.json().catch(() => null);
    if (!res.ok) throw new Error(body?.error?.message ?? `HTTP ${res.status} from ${path}`);
    return body;
  });
}

/** Splits an SSE byte stream into events: { event, data, id } per blank-line-terminated block. */
export function sseParser(onEvent) {
  let buf = '';
  return (text) => {
    buf += text.replace(/\r\n?/g, '\n');
    let cut;
    while ((cut = buf.indexOf('\n\n')) >= 0) {
      const block = buf.slice(0, cut);
      buf = buf.slice(cut + 2);
      const ev = { event: 'message', data: '', id: null };
      const data = [];
      for (const line of block.split('\n')) {
        if (line === '' || line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'event') ev.event = value;
        else if (field === 'data') data.push(value);
        else if (field === 'id') ev.id = value;
      }
      if (data.length > 0) onEvent({ ...ev, data: data.join('\n') });
    }
  };
}

/**
 * Follows a run's event stream until its final status: fetch() so the token travels in a header (EventSource cannot
 * send one); reconnects after a dropped connection with the last event id, so nothing is lost or repeated.
 */
export async function follow(runId, onEvent, { signal, retryMs = 3000 } = {}) {
  let last = null;
  let ended = false;
  while (!ended && !signal?.aborted) {
    try {
      await authorized(async () => {
        const q = last === null ? '' : `?lastEventId=${encodeURIComponent(last)}`;
        const res = await fetch(`/v1/runs/${encodeURIComponent(runId)}/events${q}`,
          { headers: headers({ accept: 'text/event-stream' }), signal });
        if (res.status === 401) throw new Unauthorized();
        if (!res.ok || !res.body) throw new Error(`HTTP ${res.status} from the event stream`);
        const feed = sseParser((ev) => {
          if (ev.id !== null) last = ev.id;
          let data;
          try {
            data = JSON.parse(ev.data);
          } catch {
            return;
          }
          if (ev.event === 'status' && data.status !== 'running') ended = true;
          onEvent(ev.event, data);
        });
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          feed(value);
        }
      });
    } catch (err) {
      if (signal?.aborted) return;
      if (err instanceof Error && /HTTP 404/.test(err.message)) return;
    }
    if (!ended && !signal?.aborted) await new Promise((r) => setTimeout(r, retryMs));
  }
}
