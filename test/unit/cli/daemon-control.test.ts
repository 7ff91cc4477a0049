import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { daemonCommand } from '../../../src/cli/commands/daemon.js';
import { ensureDaemon, stopDaemon } from '../../../src/cli/daemon-control.js';
import type { Config } from '../../../src/config/schema.js';
import { acquireLock } from '../../../src/daemon/lock.js';
import { holdExclusive } from '../../../src/store/home-lock.js';
import { ProfilerError } from '../../../src/errors.js';
import { closedPort } from './fake-daemon.js';

const coded = (code: string, cause?: string) => (e: unknown): boolean =>
  e instanceof ProfilerError && e.code === code && (cause === undefined || (e.cause as NodeJS.ErrnoException)?.code === cause);

/** A live process that ignores SIGTERM, to stand for a daemon that will not stop (or holds the lock). */
async function stubborn(): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['-e', "process.on('SIGTERM', () => {}); console.log('ready'); setInterval(() => {}, 1000)"], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  await new Promise((resolve) => child.stdout?.once('data', resolve));
  return child;
}

describe('daemon control errors carry codes', () => {
  let home: string;
  let child: ChildProcess;
  let cfg: Config;
  before(async () => {
    home = mkdtempSync(join(tmpdir(), 'profiler-ctl-'));
    child = await stubborn();
    cfg = { home, host: '127.0.0.1', port: await closedPort(), token: null, daemonStartTimeoutMs: 200 } as Config;
  });
  after(() => {
    child.kill('SIGKILL');
    rmSync(home, { recursive: true, force: true });
  });

  it('a home that cannot be written is PROF_ERR_IO, the errno error as cause', async () => {
    writeFileSync(join(home, 'a-file'), '');
    const blocked = join(home, 'a-file', 'home');
    await assert.rejects(ensureDaemon({ ...cfg, home: blocked }), coded('PROF_ERR_IO', 'ENOTDIR'));
    assert.throws(() => acquireLock(blocked, { port: 1, host: '127.0.0.1' }), coded('PROF_ERR_IO', 'ENOTDIR'));
  });

  it('a lock held by a live daemon is PROF_ERR_DAEMON_RUNNING (409)', () => {
    const release = acquireLock(home, { port: 1, host: '127.0.0.1' });
    try {
      assert.throws(() => acquireLock(home, { port: 1, host: '127.0.0.1' }), (e: unknown) => coded('PROF_ERR_DAEMON_RUNNING')(e) && (e as ProfilerError).status === 409);
    } finally {
      release();
    }
  });

  it('a daemon that does not stop in time is PROF_ERR_DAEMON_STOP; a lock file nobody holds is "not running"', async () => {
    const release = holdExclusive(join(home, 'daemon.lock.db'));
    assert.ok(release);
    writeFileSync(join(home, 'daemon.lock'), JSON.stringify({ pid: child.pid, port: cfg.port }));
    await assert.rejects(stopDaemon(cfg, 150), (e: unknown) => coded('PROF_ERR_DAEMON_STOP')(e) && /did not stop within 150 ms/.test((e as Error).message));
    release();
    // The pid in the file lives (reused, say) but no daemon holds the kernel lock: nothing is signalled.
    assert.equal(await stopDaemon(cfg, 150), 'not running');
    rmSync(join(home, 'daemon.lock'));
    assert.equal(await stopDaemon(cfg, 150), 'not running');
  });

  it('an unknown daemon subcommand is PROF_ERR_USAGE', async () => {
    await assert.rejects(daemonCommand(cfg, ['restart'], false), (e: unknown) => coded('PROF_ERR_USAGE')(e) && /got "restart"/.test((e as Error).message));
    await assert.rejects(daemonCommand(cfg, [], false), (e: unknown) => coded('PROF_ERR_USAGE')(e) && /got nothing/.test((e as Error).message));
  });
});
