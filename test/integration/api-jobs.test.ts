import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemon, type TestDaemon } from './api-daemon.js';

describe('API: a run registered with its job', () => {
  let t: TestDaemon;
  const inject = (method: 'GET' | 'POST', url: string, payload?: object) => t.daemon.app.inject({ method, url, payload });

  before(async () => {
    t = await startDaemon({ PROFILER_NODE_NAME: 'gpu-node-03' }, false);
  });
  after(async () => t.close());

  it('stores job and host, lists by job, and refuses a job that breaks the rules', async () => {
    const startedAt = Date.now();
    const job = { id: '91234', source: 'slurm', host: 'gpu-node-03', rank: 4, step: '2' };
    const r = await inject('POST', '/v1/runs', { command: ['train.py'], startedAt, job });
    assert.equal(r.statusCode, 201, r.body);
    assert.deepEqual(r.json().job, job);
    assert.equal(r.json().host, 'gpu-node-03');
    const plain = await inject('POST', '/v1/runs', { command: ['other.py'], startedAt });
    assert.equal(plain.json().job, null);
    const listed = (await inject('GET', '/v1/runs?job=91234')).json();
    assert.deepEqual(listed.map((x: { id: string }) => x.id), [r.json().id]);
    assert.deepEqual((await inject('GET', '/v1/runs?job=nope')).json(), []);
    for (const bad of [{ id: 'a b', source: 'flag' }, { id: 'x', source: 'pbs' }, { id: 'x', source: 'flag', rank: -1 },
      { id: 'x', source: 'flag', colour: 'red' }]) {
      const e = await inject('POST', '/v1/runs', { command: ['x'], startedAt, job: bad });
      assert.equal(e.statusCode, 400, JSON.stringify(bad));
      assert.match(e.json().error.message, /body\.job/);
    }
    assert.equal((await inject('GET', '/v1/runs?job=a%20b')).statusCode, 400);
  });
});
