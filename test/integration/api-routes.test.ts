import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { waitFor } from '../helpers/cli.js';
import { startDaemon, type TestDaemon } from './api-daemon.js';

describe('API routes and their errors (inject)', () => {
  let t: TestDaemon;
  let runId = '';
  const inject = (method: 'GET' | 'POST', url: string, payload?: unknown, headers: Record<string, string> = {}) =>
    t.daemon.app.inject({ method, url, payload: payload as string | object | undefined, headers });
  const errorOf = (r: { statusCode: number; json(): any }, status: number, field?: RegExp): void => {
    assert.equal(r.statusCode, status, JSON.stringify(r.json()));
    const e = r.json().error;
    assert.match(e.code, /^PROF_ERR_/);
    if (field) assert.match(e.message, field);
  };

  before(async () => {
    t = await startDaemon({}, false);
    const r = await inject('POST', '/v1/runs', { command: ['train.py'], name: 'api', expectedEpochs: 3 });
    assert.equal(r.statusCode, 201);
    runId = r.json().id;
  });
  after(async () => t.close());

  it('GET /healthz, /v1/devices and /v1/runs (filtered by status)', async () => {
    assert.equal((await inject('GET', '/healthz')).json().ok, true);
    await waitFor(async () => (await inject('GET', '/v1/devices')).json().devices.length === 2, 10_000, 'devices');
    const running = (await inject('GET', '/v1/runs?status=running')).json();
    assert.deepEqual(running.map((r: any) => r.id), [runId]);
    assert.deepEqual((await inject('GET', '/v1/runs?status=failed')).json(), []);
    errorOf(await inject('GET', '/v1/runs?status=bogus'), 400, /query\.status/);
    errorOf(await inject('GET', '/v1/runs?limit=0'), 400, /query\.limit/);
    errorOf(await inject('GET', '/v1/runs?nope=1'), 400, /query\.nope/);
  });

  it('GET /v1/runs/:id, /projection, /stabilization; any id that names no run 404 (CONTRACT.md)', async () => {
    const run = (await inject('GET', `/v1/runs/${runId}`)).json();
    assert.equal(run.name, 'api');
    assert.equal(run.expectedEpochs, 3);
    assert.equal((await inject('GET', `/v1/runs/${runId}/projection`)).body, 'null');
    assert.equal((await inject('GET', `/v1/runs/${runId}/stabilization`)).body, 'null');
    for (const p of ['', '/projection', '/stabilization', '/samples', '/epochs', '/events', '/export?format=csv']) {
      errorOf(await inject('GET', `/v1/runs/zzzzzzzzzz${p}`), 404);
    }
    errorOf(await inject('GET', '/v1/runs/NOT-AN-ID/projection'), 404, /no run matches/);
    errorOf(await inject('GET', '/v1/runs/does-not-exist'), 404, /no run matches "does-not-exist"/);
    errorOf(await inject('POST', '/v1/runs/does-not-exist/finish', {}), 404);
    errorOf(await inject('POST', '/v1/runs/does-not-exist/epochs', { event: 'start' }), 404);
    errorOf(await inject('GET', `/v1/runs/${'a'.repeat(41)}`), 404);
    errorOf(await inject('GET', `/v1/runs/${'a'.repeat(201)}`), 400, /path\.id/);
    errorOf(await inject('GET', '/v2/nothing'), 404);
  });

  it('a projection stored on the run is served as is, live', async () => {
    const row = t.daemon.runs.byId(runId);
    assert.ok(row);
    const projection = { powerBasedJ: 1234.5, epochEnergyBasedJ: 1200, windowEpochs: 5, stableFromEpoch: 3, provisional: true,
      powerBased: null, epochEnergyBased: null, bands: null, extra: 'kept' };
    const at = row.started_at + 1000;
    t.daemon.runs.update(row.rid, { analysis: { projection,
      stabilization: { method: 'fluss', at, epoch: 3, cacMin: 0.2, flussAt: at, confident: true, reason: 'test' } } });
    assert.deepEqual((await inject('GET', `/v1/runs/${runId}/projection`)).json(), projection);
    assert.equal((await inject('GET', `/v1/runs/${runId}/stabilization`)).json().epoch, 3);
    const metrics = (await inject('GET', '/metrics')).body;
    assert.match(metrics, new RegExp(`profiler_run_projected_energy_joules\\{run_id="${runId}",method="power_based"\\} 1234.5`));
    t.daemon.runs.update(row.rid, { analysis: null });
  });

  it('GET /samples downsamples per device within maxPoints; bad ranges are 400', async () => {
    await waitFor(async () => {
      const s = (await inject('GET', `/v1/runs/${runId}/samples`)).json();
      return s.devices.length === 2 && s.devices.every((d: any) => d.points.reduce((a: number, p: any) => a + p.n, 0) >= 8);
    }, 15_000, 'samples of both GPUs');
    const s = (await inject('GET', `/v1/runs/${runId}/samples?maxPoints=3`)).json();
    for (const d of s.devices) {
      assert.ok(d.points.length <= 3 && d.points.length > 0);
      for (const p of d.points) assert.ok(p.minW <= p.meanW && p.meanW <= p.maxW);
    }
    assert.ok(s.bucketMs >= (s.to - s.from) / 3);
    const iso = (await inject('GET', `/v1/runs/${runId}/samples?from=${encodeURIComponent(new Date(s.from).toISOString())}&to=${s.to}`)).json();
    assert.equal(iso.from, s.from);
    errorOf(await inject('GET', `/v1/runs/${runId}/samples?maxPoints=0`), 400, /query\.maxPoints/);
    errorOf(await inject('GET', `/v1/runs/${runId}/samples?maxPoints=abc`), 400, /query\.maxPoints/);
    errorOf(await inject('GET', `/v1/runs/${runId}/samples?from=yesterday-ish`), 400, /query\.from/);
    errorOf(await inject('GET', `/v1/runs/${runId}/samples?from=2000&to=1000`), 400, /query\.to/);
  });

  it('POST /epochs validates marks: future, before the run, wrong types, unknown fields', async () => {
    const now = Date.now();
    errorOf(await inject('POST', `/v1/runs/${runId}/epochs`, { event: 'start', at: now + 60_000 }), 400, /at: .*future/);
    errorOf(await inject('POST', `/v1/runs/${runId}/epochs`, { event: 'start', at: 1000 }), 400, /at: .*before the run/);
    errorOf(await inject('POST', `/v1/runs/${runId}/epochs`, { event: 'begin' }), 400, /body\.event/);
    errorOf(await inject('POST', `/v1/runs/${runId}/epochs`, { event: 'start', epoch: '3' }), 400, /body\.epoch/);
    errorOf(await inject('POST', `/v1/runs/${runId}/epochs`, { event: 'start', color: 'red' }), 400, /body\.color/);
    errorOf(await inject('POST', `/v1/runs/${runId}/epochs`, {}), 400, /body\.event/);
    errorOf(await inject('POST', `/v1/runs/${runId}/epochs`, '{"event":', { 'content-type': 'application/json' }), 400, /body/);
    errorOf(await inject('POST', `/v1/runs/${runId}/epochs`, 'event=start', { 'content-type': 'text/plain' }), 400, /body/);
    errorOf(await inject('POST', `/v1/runs/${runId}/epochs`, '<event/>', { 'content-type': 'application/xml' }), 415, /body/);
    errorOf(await inject('POST', `/v1/runs/${runId}/epochs`, JSON.stringify({ event: 'start', source: 'x'.repeat(70_000) }),
      { 'content-type': 'application/json' }), 413, /body/);
    assert.deepEqual((await inject('GET', `/v1/runs/${runId}/epochs`)).json(), [], 'nothing invalid was stored');
    const ok = await inject('POST', `/v1/runs/${runId}/epochs`, { event: 'start', epoch: 1 });
    assert.equal(ok.statusCode, 201);
    assert.equal((await inject('GET', `/v1/runs/${runId}/epochs`)).json().length, 1);
  });

  it('POST /v1/runs and /attach reject bad bodies with the field named', async () => {
    errorOf(await inject('POST', '/v1/runs', { command: 'python train.py' }), 400, /body\.command/);
    errorOf(await inject('POST', '/v1/runs', { command: [] }), 400, /body\.command/);
    errorOf(await inject('POST', '/v1/runs', { command: ['x'], meta: { k: 1 } }), 400, /body\.meta\.k/);
    errorOf(await inject('POST', '/v1/runs', { command: ['x'], pid: 0 }), 400, /body\.pid/);
    errorOf(await inject('POST', '/v1/runs', { command: ['x'], startedAt: Date.now() + 3_600_000 }), 400, /startedAt/);
    errorOf(await inject('POST', '/v1/runs', { command: ['x'], id: runId }), 409);
    errorOf(await inject('POST', `/v1/runs/${runId}/attach`, { pid: -1 }), 400, /body\.pid/);
    assert.equal((await inject('GET', '/v1/runs')).json().length, 1);
  });

  it('GET /metrics is the Prometheus text format with HELP/TYPE and the expected families', async () => {
    const r = await inject('GET', '/metrics');
    assert.equal(r.statusCode, 200);
    assert.match(String(r.headers['content-type']), /^text\/plain; version=0\.0\.4/);
    for (const name of ['profiler_gpu_energy_joules_total', 'profiler_gpu_power_watts', 'profiler_run_energy_joules_total',
      'profiler_run_projected_energy_joules', 'profiler_sampler_up', 'profiler_sampler_restarts_total',
      'profiler_gpu_samples_received_total', 'profiler_samples_stored_total', 'profiler_sse_dropped_events_total']) {
      assert.match(r.body, new RegExp(`^# HELP ${name} .+\\n# TYPE ${name} (counter|gauge)$`, 'm'), name);
    }
    assert.match(r.body, /^profiler_gpu_energy_joules_total\{uuid="GPU-fa4e0000-[^"]+"\} \d/m);
    assert.match(r.body, new RegExp(`^profiler_run_energy_joules_total\\{run_id="${runId}",component="gpu"\\} `, 'm'));
    // The stream may be between a watchdog kill and its restart on a loaded machine: up is a state it returns to.
    await waitFor(async () => /^profiler_sampler_up\{sampler="nvidia-smi"\} 1$/m.test((await inject('GET', '/metrics')).body), 30_000,
      'the nvidia-smi sampler up in /metrics');
    for (const name of ['host-memory', 'process-tree', 'rapl']) assert.match(r.body, new RegExp(`^profiler_sampler_up\\{sampler="${name}"\\} [01]$`, 'm'));
    for (const line of r.body.trimEnd().split('\n')) assert.match(line, /^(# (HELP|TYPE) \w+ .+|\w+(\{[^}]*\})? [-+0-9.eInfNa]+)$/, line);
  });

  it('GET /docs and /docs/json are the OpenAPI spec of every route with its schemas', async () => {
    const spec = (await inject('GET', '/docs/json')).json();
    assert.match(spec.openapi, /^3\./);
    for (const p of ['/healthz', '/v1/devices', '/v1/runs', '/v1/runs/{id}', '/v1/runs/{id}/epochs', '/v1/runs/{id}/finish',
      '/v1/runs/{id}/samples', '/v1/runs/{id}/projection', '/v1/runs/{id}/stabilization', '/v1/runs/{id}/export',
      '/v1/runs/{id}/events', '/metrics']) assert.ok(spec.paths[p], p);
    const body = spec.paths['/v1/runs/{id}/epochs'].post.requestBody.content['application/json'].schema;
    assert.deepEqual(body.required, ['event']);
    assert.deepEqual((await inject('GET', '/docs')).json(), spec);
  });

  it('GET /export streams the run in the asked format; unknown formats are 400', async () => {
    const csv = await inject('GET', `/v1/runs/${runId}/export?format=csv`);
    assert.equal(csv.statusCode, 200);
    assert.match(String(csv.headers['content-type']), /^text\/csv/);
    assert.match(String(csv.headers['content-disposition']), /attachment; filename="run-.+\.csv"/);
    assert.ok(csv.body.split('\n').length > 2, 'a header and sample rows');
    errorOf(await inject('GET', `/v1/runs/${runId}/export?format=xlsx`), 400, /query\.format/);
    errorOf(await inject('GET', `/v1/runs/${runId}/export`), 400, /query\.format/);
  });

  it('POST /finish ends the run once; a second finish is 409 and epochs after it too', async () => {
    errorOf(await inject('POST', `/v1/runs/${runId}/finish`, { exitCode: 300 }), 400, /body\.exitCode/);
    errorOf(await inject('POST', `/v1/runs/${runId}/finish`, { endedAt: 5 }), 400, /endedAt/);
    const done = await inject('POST', `/v1/runs/${runId}/finish`, { exitCode: 0 });
    assert.equal(done.statusCode, 200);
    assert.equal(done.json().status, 'succeeded');
    errorOf(await inject('POST', `/v1/runs/${runId}/finish`, { exitCode: 0 }), 409);
    errorOf(await inject('POST', `/v1/runs/${runId}/epochs`, { event: 'end' }), 409);
    const ev = await inject('GET', `/v1/runs/${runId}/events`);
    assert.match(ev.body, /event: status\ndata: \{"runId":"[^"]+","status":"succeeded"/);
  });
});
