import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError, Client } from '../../../src/cli/client.js';
import { DaemonLink, isUnreachable, type EnsureDaemon } from '../../../src/cli/daemon-link.js';
import { daemonStart, daemonUnreachable, invalid } from '../../../src/errors.js';
import { fail, FakeDaemon, ok, type Answer } from './fake-daemon.js';

const RUN = 'r1';
const FINISHED = { id: RUN, status: 'succeeded' };

function fakeDaemon(answers: { register?: Answer; epochs?: Answer; finish?: Answer } = {}): FakeDaemon {
  return new FakeDaemon((_m, path) => {
    if (path === '/v1/runs') return answers.register ?? ok({ id: RUN });
    if (path.endsWith('/epochs')) return answers.epochs ?? ok();
    if (path.endsWith('/finish')) return answers.finish ?? ok(FINISHED);
    return ok();
  });
}

/** ensureDaemon's stand-in: counts calls; from the second on runs `again` (a restart) first. */
function ensureFor(d: FakeDaemon, again: () => Promise<void> = async () => {}): EnsureDaemon & { calls: number } {
  const ensure = Object.assign(
    async () => {
      ensure.calls++;
      if (ensure.calls > 1) await again();
      return { started: false, client: new Client(d.cfg) };
    },
    { calls: 0 },
  );
  return ensure;
}

const epochsSeen = (d: FakeDaemon): number => d.seen.filter((s) => s.path.endsWith('/epochs')).length;

describe('isUnreachable: what is retried', () => {
  it('is true for no answer only, never for an error answer', () => {
    assert.equal(isUnreachable(daemonUnreachable('refused')), true);
    assert.equal(isUnreachable(new ApiError(503, 'PROF_ERR_INTERNAL', 'down')), false);
    assert.equal(isUnreachable(new ApiError(409, 'PROF_ERR_CONFLICT', 'run r1 is succeeded')), false);
    assert.equal(isUnreachable(invalid('daemon unreachable')), false, 'the message does not count');
    assert.equal(isUnreachable(Object.assign(new Error('x'), { code: 'ECONNREFUSED' })), false);
  });
});

describe('DaemonLink decisions', () => {
  let d: FakeDaemon;
  afterEach(() => d.stop());

  it('an epoch mark answered with an error is dropped and reported with its code; no restart', async () => {
    d = await fakeDaemon({ epochs: fail(409, 'PROF_ERR_CONFLICT', 'run r1 is succeeded: no more epochs') }).start();
    const ensure = ensureFor(d);
    const link = await DaemonLink.open(d.cfg, RUN, { id: RUN }, ensure);
    link.mark({ event: 'start', epoch: 1 });
    assert.deepEqual(await link.finish({ exitCode: 0, signal: null, endedAt: Date.now() }), FINISHED);
    assert.deepEqual(link.problems, ['an epoch mark was refused: run r1 is succeeded: no more epochs [PROF_ERR_CONFLICT]']);
    assert.equal(ensure.calls, 1);
  });

  it('marks that met a refused connection are kept, and sent after the daemon is started again at the end', async () => {
    d = await fakeDaemon().start();
    const port = d.port;
    const ensure = ensureFor(d, async () => void (await d.start(port)));
    const link = await DaemonLink.open(d.cfg, RUN, { id: RUN }, ensure);
    await d.stop();
    link.mark({ event: 'start', epoch: 1 });
    link.mark({ event: 'start', epoch: 2 });
    assert.deepEqual(await link.finish({ exitCode: 0, signal: null, endedAt: Date.now() }), FINISHED);
    assert.deepEqual(link.problems, []);
    assert.equal(ensure.calls, 2, 'one restart');
    assert.equal(epochsSeen(d), 2);
  });

  it('a daemon that cannot be started again at the end: the marks are reported lost with the reason and its code', async () => {
    d = await fakeDaemon().start();
    const ensure = ensureFor(d, async () => {
      throw daemonStart('the daemon exited with status 2');
    });
    const link = await DaemonLink.open(d.cfg, RUN, { id: RUN }, ensure);
    await d.stop();
    link.mark({ event: 'start', epoch: 1 });
    assert.equal(await link.finish({ exitCode: 0, signal: null, endedAt: Date.now() }), null);
    assert.equal(link.problems.length, 3, link.problems.join('\n'));
    assert.match(link.problems[0] ?? '', /^the daemon could not be reached at the end: cannot reach the daemon .* \[PROF_ERR_DAEMON_UNREACHABLE\]$/);
    assert.equal(link.problems[1], 'the daemon could not be restarted: the daemon exited with status 2 [PROF_ERR_DAEMON_START]');
    assert.equal(link.problems[2], '1 epoch mark(s) were not recorded');
  });

  it('an error answer to finish is reported once, without a restart', async () => {
    d = await fakeDaemon({ finish: fail(500, 'PROF_ERR_INTERNAL', 'internal error; see the daemon log') }).start();
    const ensure = ensureFor(d);
    const link = await DaemonLink.open(d.cfg, RUN, { id: RUN }, ensure);
    assert.equal(await link.finish({ exitCode: 0, signal: null, endedAt: Date.now() }), null);
    assert.deepEqual(link.problems, ['finishing the run failed: internal error; see the daemon log [PROF_ERR_INTERNAL]']);
    assert.equal(ensure.calls, 1);
  });

  it('a run the daemon cannot start for, or refuses, is reported with the code and never throws', async () => {
    d = await fakeDaemon({ register: fail(409, 'PROF_ERR_CONFLICT', 'run r1 exists already') }).start();
    const refused = await DaemonLink.open(d.cfg, RUN, { id: RUN }, ensureFor(d));
    assert.equal(await refused.finish({ exitCode: 0, signal: null, endedAt: Date.now() }), null);
    assert.deepEqual(refused.problems, ['could not register the run with the daemon: run r1 exists already [PROF_ERR_CONFLICT]']);
    const noDaemon = await DaemonLink.open(d.cfg, RUN, { id: RUN }, async () => {
      throw daemonStart('the daemon did not answer within 50 ms');
    });
    assert.equal(await noDaemon.finish({ exitCode: 0, signal: null, endedAt: Date.now() }), null);
    assert.deepEqual(noDaemon.problems, ['could not register the run with the daemon: the daemon did not answer within 50 ms [PROF_ERR_DAEMON_START]']);
  });
});
