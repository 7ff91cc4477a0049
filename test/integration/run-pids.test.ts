import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemon, type TestDaemon } from './api-daemon.js';

describe('a pid whose process tree would be the whole machine is refused over HTTP', () => {
  let t: TestDaemon;
  const post = (url: string, payload: object) => t.daemon.app.inject({ method: 'POST', url, payload });
  before(async () => {
    t = await startDaemon({}, false);
  });
  after(async () => t.close());

  it('POST /v1/runs and /attach with pid 1 or the daemon\'s own pid: 400 naming the field, nothing registered', async () => {
    for (const pid of [1, process.pid]) {
      const r = await post('/v1/runs', { command: ['train.py'], pid });
      assert.equal(r.statusCode, 400, r.body);
      assert.equal(r.json().error.code, 'PROF_ERR_INVALID');
      assert.match(r.json().error.message, /^pid: /);
    }
    assert.deepEqual(t.daemon.runs.list({}), []);
    const run = await post('/v1/runs', { command: ['train.py'] });
    assert.equal(run.statusCode, 201, run.body);
    for (const pid of [1, process.pid]) {
      const r = await post(`/v1/runs/${run.json().id}/attach`, { pid });
      assert.equal(r.statusCode, 400, r.body);
      assert.match(r.json().error.message, /^pid: /);
    }
    assert.equal(t.daemon.runs.byId(run.json().id)?.client_pid, null);
  });
});
