import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { acquireLock, readLockInfo } from '../../../src/daemon/lock.js';
import { ProfilerError } from '../../../src/errors.js';

const running = (e: unknown): boolean => e instanceof ProfilerError && e.code === 'PROF_ERR_DAEMON_RUNNING' && e.status === 409;

describe('one daemon per PROFILER_HOME, by a kernel lock', () => {
  const homes: string[] = [];
  const fresh = (): string => {
    const h = mkdtempSync(join(tmpdir(), 'profiler-lock-'));
    homes.push(h);
    return h;
  };
  after(() => homes.forEach((h) => rmSync(h, { recursive: true, force: true })));

  it('a second holder is refused while the first holds it, and takes it once released', () => {
    const home = fresh();
    const release = acquireLock(home, { port: 7001, host: '127.0.0.1' });
    assert.deepEqual({ ...readLockInfo(home), startedAt: 0 }, { pid: process.pid, port: 7001, host: '127.0.0.1', startedAt: 0 });
    assert.throws(() => acquireLock(home, { port: 7002, host: '127.0.0.1' }), (e: unknown) => running(e) && /port 7001/.test((e as Error).message));
    release();
    assert.equal(existsSync(join(home, 'daemon.lock')), false, 'the holder removes its lock file');
    const again = acquireLock(home, { port: 7002, host: '127.0.0.1' });
    assert.equal(readLockInfo(home)?.port, 7002);
    again();
  });

  it('a lock file left by a dead daemon (kill -9) blocks nobody: the kernel lock went with it', () => {
    const home = fresh();
    writeFileSync(join(home, 'daemon.lock'), JSON.stringify({ pid: 999_999_999, port: 1, host: 'x' }));
    const release = acquireLock(home, { port: 7003, host: '127.0.0.1' });
    assert.equal(readLockInfo(home)?.pid, process.pid);
    release();
  });

  it('of eight processes racing for one home exactly one wins', async () => {
    const home = fresh();
    const mod = resolve('.test-build/src/daemon/lock.js');
    const script = `import(${JSON.stringify(mod)}).then((m) => { try { m.acquireLock(${JSON.stringify(home)}, { port: 1, host: 'h' });
      console.log('won'); setTimeout(() => {}, 1500); } catch (e) { console.log(e.code); } });`;
    const outs = await Promise.all(Array.from({ length: 8 }, () => new Promise<string>((res) => {
      const c = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      c.stdout.on('data', (d: Buffer) => (out += d.toString()));
      c.on('close', () => res(out.trim()));
    })));
    assert.equal(outs.filter((o) => o === 'won').length, 1, outs.join(','));
    assert.equal(outs.filter((o) => o === 'PROF_ERR_DAEMON_RUNNING').length, 7, outs.join(','));
  });
});
