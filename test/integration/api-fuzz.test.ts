import { it } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemon } from './api-daemon.js';

/** Deterministic PRNG (mulberry32) so a failure can be replayed. */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const KEYS = ['command', 'event', 'epoch', 'at', 'total', 'source', 'exitCode', 'signal', 'endedAt', 'status', 'pid', 'name',
  'meta', 'id', 'startedAt', '__proto__', 'constructor', '', 'x'.repeat(300)];

function value(r: () => number, depth: number): unknown {
  const k = Math.floor(r() * 12);
  const n = (): number => [0, -1, 1, 3, 255, 256, 1e308, -1e308, 2 ** 53, 0.5, Date.now(), Date.now() + 1e9][Math.floor(r() * 12)] as number;
  if (depth > 4 && k >= 8) return n();
  switch (k) {
    case 0: return null;
    case 1: return r() < 0.5;
    case 2: case 3: return n();
    case 4: return ['start', 'end', 'succeeded', 'SIGKILL', '', '\u0000', '2024-01-01T00:00:00Z', 'x'.repeat(1 + Math.floor(r() * 9000))][Math.floor(r() * 8)];
    case 5: return '\ud800' + String.fromCharCode(Math.floor(r() * 65536));
    case 6: case 7: return Array.from({ length: Math.floor(r() * 4) }, () => value(r, depth + 1));
    default: {
      const o: Record<string, unknown> = {};
      for (let i = Math.floor(r() * 4); i > 0; i--) o[KEYS[Math.floor(r() * KEYS.length)] as string] = value(r, depth + 1);
      return o;
    }
  }
}

/** A random request body: JSON values, deep nesting, huge strings, broken JSON, or the wrong content type. */
function body(r: () => number): { payload: string; type: string } {
  const k = Math.floor(r() * 10);
  if (k === 0) return { payload: '['.repeat(1 + Math.floor(r() * 20_000)), type: 'application/json' };
  if (k === 1) {
    const d = 1 + Math.floor(r() * 5000);
    return { payload: '{"a":'.repeat(d) + '1' + '}'.repeat(d), type: 'application/json' };
  }
  if (k === 2) return { payload: JSON.stringify({ event: 'start', source: 'y'.repeat(60_000 + Math.floor(r() * 20_000)) }), type: 'application/json' };
  if (k === 3) return { payload: '{"event": "start",', type: 'application/json' };
  if (k === 4) return { payload: 'event=start&epoch=1', type: ['text/plain', 'application/x-www-form-urlencoded', 'application/xml', ''][Math.floor(r() * 4)] as string };
  if (k === 5) return { payload: Buffer.from(Array.from({ length: 200 }, () => Math.floor(r() * 256))).toString('latin1'), type: 'application/json' };
  return { payload: JSON.stringify(value(r, 0)) ?? 'null', type: 'application/json' };
}

it('thousands of malformed bodies at the write routes: nothing invalid stored, nothing valid lost, the daemon answers', async () => {
  const t = await startDaemon({}, false);
  try {
    const app = t.daemon.app;
    const created = await app.inject({ method: 'POST', url: '/v1/runs', payload: { command: ['fuzz'] } });
    const runId = created.json().id as string;
    // Finish bodies go to a second run, so the first stays running for the epoch and attach bodies.
    const other = (await app.inject({ method: 'POST', url: '/v1/runs', payload: { command: ['fuzz2'] } })).json().id as string;
    const count = (): Record<string, number> => Object.fromEntries(['runs', 'epochs', 'run_devices', 'events'].map((tb) =>
      [tb, (t.daemon.db.prepare(`SELECT count(*) AS n FROM ${tb}`).get() as { n: number }).n]));
    const before = count();
    const r = rng(20240611);
    const routes = ['/v1/runs', `/v1/runs/${runId}/epochs`, `/v1/runs/${runId}/attach`, `/v1/runs/${other}/finish`];
    const ok: Record<string, number> = {};
    for (let i = 0; i < 3000; i++) {
      const url = routes[i % routes.length] as string;
      const b = body(r);
      const res = await app.inject({ method: 'POST', url, payload: b.payload, headers: b.type ? { 'content-type': b.type } : {} });
      assert.ok(res.statusCode < 500, `${res.statusCode} for ${url} ${b.payload.slice(0, 200)}: ${res.body}`);
      if (res.statusCode < 300) ok[url] = (ok[url] ?? 0) + 1;
      else {
        const e = res.json().error;
        assert.ok(typeof e.code === 'string' && e.code.startsWith('PROF_ERR_') && e.message.length > 0, res.body);
      }
    }
    const after = count();
    assert.equal((after.runs as number) - (before.runs as number), ok['/v1/runs'] ?? 0, 'a run row for each accepted create, no other');
    if (!ok[`/v1/runs/${runId}/epochs`]) assert.equal(after.epochs, before.epochs, 'no epoch rows without an accepted mark');
    assert.equal(t.daemon.db.pragma('integrity_check', { simple: true }), 'ok');
    const bad = t.daemon.db.prepare("SELECT count(*) AS n FROM runs WHERE command NOT LIKE '[%' OR started_at < 0").get() as { n: number };
    assert.equal(bad.n, 0);
    assert.equal((await app.inject({ method: 'GET', url: '/healthz' })).json().ok, true);
    const again = await app.inject({ method: 'POST', url: '/v1/runs', payload: { command: ['after-fuzz'] } });
    assert.equal(again.statusCode, 201, 'valid requests still work');
  } finally {
    await t.close();
  }
});
