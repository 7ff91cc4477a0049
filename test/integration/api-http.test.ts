import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { loadConfig } from '../../src/config/load.js';
import { waitFor } from '../helpers/cli.js';
import { startDaemon } from './api-daemon.js';

interface SseEvent {
  id: number;
  event: string;
  data: any;
}

/** Follows an event stream over real HTTP; `events` fills as they arrive, `ended` resolves when the server ends it. */
function follow(url: string, headers: Record<string, string> = {}) {
  const events: SseEvent[] = [];
  let buf = '';
  let status = 0;
  let contentType = '';
  const ended = new Promise<void>((resolve, reject) => {
    const req = request(url, { headers }, (res) => {
      status = res.statusCode ?? 0;
      contentType = String(res.headers['content-type']);
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buf += chunk;
        let i;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          if (!block.startsWith('id:')) continue;
          const f = Object.fromEntries(block.split('\n').map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 2)]));
          events.push({ id: Number(f.id), event: String(f.event), data: JSON.parse(String(f.data)) });
        }
      });
      res.on('end', resolve);
    });
    req.on('error', reject);
    req.end();
  });
  return { events, ended, info: () => ({ status, contentType }) };
}

async function post(url: string, body: unknown, token?: string): Promise<{ status: number; json: any }> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const r = await fetch(url, { method: 'POST', headers, body: JSON.stringify(body) });
  return { status: r.status, json: await r.json() };
}

describe('real HTTP: live events and auth', () => {
  it('follows a run live (sample, epoch, status), the stream ends, Last-Event-ID resumes', async () => {
    const t = await startDaemon();
    try {
      const run = (await post(`${t.url}/v1/runs`, { command: ['train'] })).json;
      const live = follow(`${t.url}/v1/runs/${run.id}/events`);
      await waitFor(() => live.events.filter((e) => e.event === 'sample').length >= 4, 15_000, 'sample events');
      assert.equal(live.info().status, 200);
      assert.match(live.info().contentType, /^text\/event-stream/);
      const samples = live.events.filter((e) => e.event === 'sample');
      const uuids = new Set(samples.map((e) => e.data.uuid));
      assert.equal(uuids.size, 2, 'both GPUs of the run');
      for (const u of uuids) {
        const secs = samples.filter((e) => e.data.uuid === u).map((e) => e.data.t);
        assert.equal(new Set(secs).size, secs.length, 'at most one sample event per device per second');
      }
      assert.ok(samples.every((e) => e.data.maxW >= e.data.meanW && e.data.n >= 1));
      assert.equal((await post(`${t.url}/v1/runs/${run.id}/epochs`, { event: 'start', epoch: 1 })).status, 201);
      assert.equal((await post(`${t.url}/v1/runs/${run.id}/epochs`, { event: 'end', epoch: 1 })).status, 201);
      await waitFor(() => live.events.some((e) => e.event === 'epoch' && e.data.event === 'end'), 10_000, 'epoch events');
      assert.equal((await post(`${t.url}/v1/runs/${run.id}/finish`, { exitCode: 0 })).status, 200);
      await live.ended;
      const last = live.events.at(-1) as SseEvent;
      assert.equal(last.event, 'status');
      assert.equal(last.data.status, 'succeeded');
      const ids = live.events.map((e) => e.id);
      assert.deepEqual([...ids].sort((a, b) => a - b), ids, 'ids increase');
      const firstEpoch = live.events.findIndex((e) => e.event === 'epoch');
      const resumed = follow(`${t.url}/v1/runs/${run.id}/events`, { 'last-event-id': String(live.events[firstEpoch]?.id) });
      await resumed.ended;
      assert.deepEqual(resumed.events.map((e) => e.id), ids.slice(firstEpoch + 1), 'exactly the events after the given id');
      const metrics = await (await fetch(`${t.url}/metrics`)).text();
      assert.match(metrics, /^profiler_sse_dropped_events_total 0$/m);
    } finally {
      await t.close();
    }
  });

  it('refuses to listen beyond loopback without a token (config load)', () => {
    assert.throws(() => loadConfig({ env: { PROFILER_HOME: '/nonexistent-home', PROFILER_HOST: '0.0.0.0' } }),
      /refusing to listen on 0\.0\.0\.0 without PROFILER_TOKEN/);
    assert.equal(loadConfig({ env: { PROFILER_HOME: '/nonexistent-home', PROFILER_HOST: '0.0.0.0', PROFILER_TOKEN: 's3cret' } }).host, '0.0.0.0');
    assert.equal(loadConfig({ env: { PROFILER_HOME: '/nonexistent-home' } }).host, '127.0.0.1', 'loopback by default');
  });

  it('with a token every route but /healthz needs the bearer token', async () => {
    const token = 'tok-' + 'x'.repeat(30);
    const t = await startDaemon({ PROFILER_TOKEN: token });
    try {
      assert.equal((await fetch(`${t.url}/healthz`)).status, 200);
      for (const p of ['/v1/runs', '/v1/devices', '/metrics', '/docs/json', '/v1/runs/last', '/healthz/../v1/runs']) {
        const none = await fetch(t.url + p);
        assert.equal(none.status, 401, p);
        assert.equal(((await none.json()) as any).error.code, 'PROF_ERR_UNAUTHORIZED');
        assert.equal((await fetch(t.url + p, { headers: { authorization: `Bearer ${token}x` } })).status, 401, p);
        assert.equal((await fetch(t.url + p, { headers: { authorization: token } })).status, 401, p);
      }
      assert.equal((await post(`${t.url}/v1/runs`, { command: ['x'] })).status, 401);
      assert.equal(t.daemon.runs.list().length, 0, 'an unauthorized write stores nothing');
      const ok = await post(`${t.url}/v1/runs`, { command: ['x'] }, token);
      assert.equal(ok.status, 201);
      const auth = { authorization: `Bearer ${token}` };
      assert.equal((await fetch(`${t.url}/v1/runs`, { headers: auth })).status, 200);
      assert.equal((await fetch(`${t.url}/metrics`, { headers: auth })).status, 200);
      assert.equal((await post(`${t.url}/v1/runs/${ok.json.id}/finish`, {}, token)).status, 200);
    } finally {
      await t.close();
    }
  });
});
