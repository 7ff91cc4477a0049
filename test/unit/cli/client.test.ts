import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError, Client } from '../../../src/cli/client.js';
import { ProfilerError } from '../../../src/errors.js';
import { closedPort, fail, FakeDaemon, ok } from './fake-daemon.js';

describe('Client: an error answer vs no answer', () => {
  const d = new FakeDaemon((_m, path) => {
    if (path === '/known') return fail(404, 'PROF_ERR_NOT_FOUND', 'no run matches "x"');
    if (path === '/future') return fail(418, 'PROF_ERR_FROM_A_NEWER_DAEMON', 'teapot');
    if (path === '/bare') return { status: 500, body: {} };
    if (path === '/html') return 'not json';
    return ok({ fine: true });
  });
  after(() => d.stop());

  it('rejects an error answer as an ApiError with the daemon code and status', async () => {
    await d.start();
    const c = new Client(d.cfg);
    assert.deepEqual(await c.request('GET', '/fine'), { fine: true });
    const e = await c.request('GET', '/known').catch((err: unknown) => err);
    assert.ok(e instanceof ApiError && e instanceof ProfilerError);
    assert.deepEqual([e.code, e.status, e.message], ['PROF_ERR_NOT_FOUND', 404, 'no run matches "x"']);
  });

  it('an unknown code, no code or no JSON is PROF_ERR_HTTP with the status', async () => {
    const c = new Client(d.cfg);
    for (const [path, status] of [['/future', 418], ['/bare', 500], ['/html', 502]] as const) {
      await assert.rejects(c.request('GET', path), { name: 'ApiError', code: 'PROF_ERR_HTTP', status });
    }
  });

  it('a refused connection is PROF_ERR_DAEMON_UNREACHABLE with the socket error as cause', async () => {
    const c = new Client({ host: '127.0.0.1', port: await closedPort(), token: null });
    const e = await c.request('GET', '/healthz').catch((err: unknown) => err);
    assert.ok(e instanceof ProfilerError && !(e instanceof ApiError));
    assert.equal(e.code, 'PROF_ERR_DAEMON_UNREACHABLE');
    assert.match(e.message, /^cannot reach the daemon at http:\/\/127\.0\.0\.1:\d+: /);
    assert.equal((e.cause as NodeJS.ErrnoException).code, 'ECONNREFUSED');
    assert.equal(await c.health(200), null);
  });

  it('no answer in time is PROF_ERR_DAEMON_UNREACHABLE too', async () => {
    const slow = await new FakeDaemon(() => 'hang').start();
    try {
      await assert.rejects(new Client(slow.cfg).request('GET', '/x', undefined, 150), { code: 'PROF_ERR_DAEMON_UNREACHABLE', message: /no answer .* in 150 ms/ });
    } finally {
      await slow.stop();
    }
  });
});
