import { request, type IncomingMessage } from 'node:http';
import { parseArgs } from 'node:util';
import type { Config } from '../../config/schema.js';
import { daemonUnreachable, hasCode, invalid, usage } from '../../errors.js';
import type { RunJson } from '../../runs/report.js';
import { Client } from '../client.js';
import { formatSummary } from '../format.js';
import { block, plainLine, redraw, watchState, type GpuPower } from './watch-view.js';
import { sseBlocks } from '../sse.js';

export { sseBlocks } from '../sse.js';

const USAGE = 'usage: profiler watch [RUN] [--json] [--interval SECONDS]   (RUN: an id, a prefix or "last"; default: the running run, else the last)';

export const WATCH_HELP = `Usage: profiler watch [RUN] [--json] [--interval SECONDS]

Follows a run live from the daemon's event stream: power per GPU, epochs done/expected, energy so far, the
projection with its 95 % band, the time left and the budget; redrawn in place on a terminal, one line per update
when piped. Ends with the run (exit 0) and prints its summary. RUN: an id, a unique prefix or "last"; default: the
running run, else the last.

Options:
  --json                  one JSON object per update (the last has "final": true)
  --interval SECONDS      seconds between updates (default 1)
  -h, --help              this help

Example:
  profiler watch            # in a second terminal while profiler run trains`;

/** Gives up when the daemon stays away this long (a restart takes a second or two). */
const RECONNECT_FOR_MS = 30_000;

const field = (o: unknown, k: string): unknown => (typeof o === 'object' && o !== null ? Object.getOwnPropertyDescriptor(o, k)?.value : undefined);

/** One GPU's second of power from a `sample` event, or null when the payload is not one. */
function sampleOf(data: unknown): GpuPower | null {
  const uuid = field(data, 'uuid');
  const w = field(data, 'meanW');
  const index = field(data, 'index');
  if (typeof uuid !== 'string' || typeof w !== 'number') return null;
  return { uuid, w, index: typeof index === 'number' ? index : null };
}

/** Follows the run's event stream (node:http, bearer token in the header); resolves once the run has ended. */
function follow(cfg: Config, baseUrl: string, id: string, onSample: (g: GpuPower) => void): Promise<void> {
  let last: string | null = null;
  let lostSince: number | null = null;
  const once = (): Promise<boolean> => new Promise((resolve, reject) => {
    const headers: Record<string, string> = { accept: 'text/event-stream' };
    if (cfg.token) headers.authorization = `Bearer ${cfg.token}`;
    const q = last === null ? '' : `?lastEventId=${encodeURIComponent(last)}`;
    let ended = false;
    const req = request(`${baseUrl}/v1/runs/${encodeURIComponent(id)}/events${q}`, { headers }, (res: IncomingMessage) => {
      if (res.statusCode !== 200) {
        res.resume();
        reject(invalid(`the daemon answered HTTP ${res.statusCode} to the event stream of ${id}`));
        return;
      }
      lostSince = null;
      const feed = sseBlocks((e) => {
        if (e.id !== null) last = e.id;
        if (e.event === 'sample') {
          const s = sampleOf(e.data);
          if (s) onSample(s);
        } else if (e.event === 'status' && field(e.data, 'status') !== 'running') ended = true;
      });
      res.setEncoding('utf8').on('data', feed);
      res.on('end', () => resolve(ended));
      res.on('error', () => resolve(ended));
    });
    req.on('error', () => resolve(false));
    req.end();
  });
  return (async () => {
    for (;;) {
      if (await once()) return;
      lostSince ??= Date.now();
      if (Date.now() - lostSince > RECONNECT_FOR_MS) throw daemonUnreachable(`lost the daemon at ${baseUrl} while watching ${id}`);
      await new Promise((r) => setTimeout(r, 1000));
    }
  })();
}

/** The run to watch: the one named, else the newest running one, else the last recorded. */
async function pickRun(client: Client, ref: string | undefined): Promise<RunJson> {
  if (ref !== undefined) return client.request<RunJson>('GET', `/v1/runs/${encodeURIComponent(ref)}`);
  const running = await client.request<RunJson[]>('GET', '/v1/runs?status=running&limit=1');
  return running[0] ?? client.request<RunJson>('GET', '/v1/runs/last');
}

/** The run JSON now; while the daemon is away (a restart) the last one seen, as the stream reconnects meanwhile. */
async function refresh(client: Client, run: RunJson): Promise<RunJson> {
  try {
    return await client.request<RunJson>('GET', `/v1/runs/${encodeURIComponent(run.id)}`);
  } catch (err) {
    if (hasCode(err, 'PROF_ERR_DAEMON_UNREACHABLE')) return run;
    throw err;
  }
}

/** `profiler watch`: a live view of a run until it ends, then its summary; exit 0 once the run has ended. */
export async function watchCommand(cfg: Config, args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args, allowPositionals: true, options: { json: { type: 'boolean', default: false }, interval: { type: 'string' } } });
  } catch (err) {
    throw usage(`${(err as Error).message}\n${USAGE}`, { cause: err });
  }
  const { values, positionals } = parsed;
  if (positionals.length > 1) throw usage(USAGE);
  const intervalS = values.interval === undefined ? 1 : Number(values.interval);
  if (!Number.isFinite(intervalS) || intervalS < 0.1 || intervalS > 3600) throw invalid(`--interval must be seconds between 0.1 and 3600, got "${values.interval}"`);
  const client = new Client(cfg);
  let run = await pickRun(client, positionals[0]);
  const power = new Map<string, GpuPower>();
  let ended = false;
  const stream = follow(cfg, client.baseUrl, run.id, (g) => power.set(g.uuid, g)).then(() => {
    ended = true;
  });
  stream.catch(() => {});
  const tty = process.stdout.isTTY === true && !values.json;
  let shown = 0;
  const show = (): void => {
    const s = watchState(run, power);
    if (values.json) process.stdout.write(JSON.stringify({ ...s, final: run.status !== 'running' }) + '\n');
    else if (tty) {
      const lines = block(s);
      process.stdout.write(redraw(shown, lines));
      shown = lines.length;
    } else process.stdout.write(plainLine(s) + '\n');
  };
  while (!ended && run.status === 'running') {
    show();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([stream, new Promise((r) => (timer = setTimeout(r, intervalS * 1000)))]);
    clearTimeout(timer);
    run = await refresh(client, run);
  }
  await stream;
  run = await client.request<RunJson>('GET', `/v1/runs/${encodeURIComponent(run.id)}`);
  if (values.json) show();
  else {
    if (tty && shown > 0) show(); // the block's last state, above the summary
    process.stdout.write(formatSummary(run) + '\n');
  }
  return 0;
}
