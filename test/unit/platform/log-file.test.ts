import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { LogFile } from '../../../src/platform/log-file.js';

describe('the daemon log never takes the daemon down', () => {
  const dir = mkdtempSync(join(tmpdir(), 'profiler-log-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('appends pino lines to the file', () => {
    const f = new LogFile(join(dir, 'sub', 'daemon.log'));
    const log = pino({ base: null }, f);
    log.info({ a: 1 }, 'hello');
    log.warn('second');
    f.close();
    const lines = readFileSync(join(dir, 'sub', 'daemon.log'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { msg: string; a?: number });
    assert.deepEqual(lines.map((l) => l.msg), ['hello', 'second']);
    assert.equal(lines[0]?.a, 1);
  });

  it('a disk that refuses every write (/dev/full) drops lines and counts them, without throwing', { skip: !existsSync('/dev/full') && 'no /dev/full' }, () => {
    const f = new LogFile('/dev/full');
    const log = pino({ base: null }, f);
    for (let i = 0; i < 5; i++) log.error('lost');
    assert.equal(f.dropped, 5);
    assert.match(f.lastError ?? '', /ENOSPC|no space/i);
    f.close();
  });

  it('a log that cannot be opened counts its lines as dropped', () => {
    const f = new LogFile(join(dir, 'sub', 'daemon.log', 'not-a-dir', 'x.log'));
    assert.ok(f.lastError);
    f.write('{"msg":"x"}\n');
    assert.equal(f.dropped, 1);
  });
});
