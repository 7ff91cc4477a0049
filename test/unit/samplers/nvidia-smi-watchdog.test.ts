import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { PassThrough } from 'node:stream';
import { createGpuStream, type GpuGap, type GpuStreamOptions } from '../../../src/samplers/nvidia-smi.js';
import { createNvidiaSmiSampler } from '../../../src/samplers/nvidia-smi-sampler.js';
import type { ExecResult } from '../../../src/platform/exec.js';
import type { GpuSample, SamplerHealth } from '../../../src/samplers/types.js';
import { FakeScheduler } from '../../helpers/fake-clock.js';

/** A stand-in for the nvidia-smi child: the test writes its stdout; a wedged one ignores every signal. */
class FakeChild extends EventEmitter {
  readonly stdout = new PassThrough();
  readonly stderr = new PassThrough();
  readonly signals: string[] = [];
  readonly killedAt: number[] = [];
  private exited = false;
  constructor(private readonly clock: FakeScheduler, readonly wedged: boolean) {
    super();
  }
  kill(signal: NodeJS.Signals = 'SIGTERM'): boolean {
    this.signals.push(signal);
    this.killedAt.push(this.clock.now());
    if (!this.wedged && !this.exited) {
      this.exited = true;
      setImmediate(() => this.emit('close', null, signal));
    }
    return true;
  }
  /** One CSV row of the stream's fields, stamped with the fake clock (nvidia-smi prints local time). */
  line(powerW: number): void {
    const d = new Date(this.clock.now());
    const p = (n: number, w = 2): string => String(n).padStart(w, '0');
    const ts = `${d.getFullYear()}/${p(d.getMonth() + 1)}/${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
    this.stdout.write(`${ts}, GPU-aaaa0000-0000-4000-8000-000000000000, 0, ${powerW}, ${powerW}, 400.00, 50, 10, 1000, 81920, 40, 1400\n`);
  }
}

const OK_PROBE: ExecResult = { code: 0, signal: null, stdout: '', stderr: '', error: null, timedOut: false };

function harness(wedged: (n: number) => boolean = () => false) {
  const clock = new FakeScheduler();
  const children: FakeChild[] = [];
  const spawnedAt: number[] = [];
  const samples: GpuSample[] = [];
  const gaps: GpuGap[] = [];
  const options = (h: Pick<GpuStreamOptions, 'onSamples' | 'onGap' | 'onHealth'>): GpuStreamOptions => ({
    command: 'nvidia-smi',
    intervalMs: 100,
    watchdogIntervals: 5,
    startupGraceMs: 1000,
    initialBackoffMs: 500,
    maxBackoffMs: 2000,
    clock,
    scheduler: clock,
    exec: async () => OK_PROBE,
    spawn: () => {
      const c = new FakeChild(clock, wedged(children.length + 1));
      children.push(c);
      spawnedAt.push(clock.now());
      return c as unknown as ChildProcess;
    },
    ...h,
  });
  const stream = createGpuStream(options({ onSamples: (s) => samples.push(...s), onGap: (g) => gaps.push(g) }));
  return { clock, children, spawnedAt, samples, gaps, stream, options };
}

describe('the nvidia-smi watchdog and restart back-off, on a fake scheduler', () => {
  it('kills a stream silent for watchdogIntervals, restarts it with a doubling, capped back-off, and reports the gap', async () => {
    const h = harness();
    await h.stream.start();
    await h.clock.advance(0);
    assert.equal(h.children.length, 1);
    for (let i = 0; i < 3; i++) {
      h.children[0]!.line(100 + i);
      await h.clock.advance(100);
    }
    assert.equal(h.samples.length, 3);
    const lastSampleT = h.samples[2]!.t;
    await h.clock.advance(400);
    assert.deepEqual(h.children[0]!.signals, [], 'silent for 500 ms: not yet over the watchdog');
    await h.clock.advance(200);
    assert.deepEqual(h.children[0]!.signals, ['SIGKILL']);
    const health = h.stream.health();
    assert.equal(health.state, 'restarting');
    assert.equal(health.restarts, 1);
    assert.match(health.message ?? '', /watchdog: no sample for \d+ ms/);
    // Later children never print: each is killed after the start-up grace, and the delay doubles up to the cap.
    await h.clock.advance(12_000);
    assert.ok(h.children.length >= 5, `children: ${h.children.length}`);
    const delays = h.children.slice(0, 4).map((c, i) => h.spawnedAt[i + 1]! - c.killedAt[0]!);
    assert.deepEqual(delays, [500, 1000, 2000, 2000]);
    for (const [i, c] of h.children.slice(1, 4).entries()) {
      assert.equal(c.killedAt[0]! - h.spawnedAt[i + 1]!, 1001, 'killed 1 ms past the 1 s grace: the watchdog\'s timer is due when the silence passes it');
    }
    const last = h.children.at(-1)!;
    last.line(200);
    await h.clock.advance(10);
    assert.equal(h.gaps.length, 1);
    assert.equal(h.gaps[0]!.from, lastSampleT);
    assert.equal(h.gaps[0]!.to, h.samples.at(-1)!.t);
    assert.match(h.gaps[0]!.reason, /watchdog/);
    assert.equal(h.stream.health().state, 'running');
    await h.stream.stop();
    assert.equal(h.stream.health().state, 'idle');
    assert.equal(h.clock.pending, 0, 'stop leaves no timer');
  });

  it('wakes about twice a second while samples flow (its timer is due at the deadline), and still kills at it', async () => {
    const h = harness();
    let fired = 0;
    const counting = {
      now: () => h.clock.now(),
      setTimeout: (fn: () => void, ms: number) => h.clock.setTimeout(() => (fired++, fn()), ms),
      setInterval: (fn: () => void, ms: number) => h.clock.setInterval(() => (fired++, fn()), ms),
      clear: (t: Parameters<FakeScheduler['clear']>[0]) => h.clock.clear(t),
    };
    const stream = createGpuStream({ ...h.options({ onSamples: () => {}, onGap: () => {} }), scheduler: counting });
    await stream.start();
    await h.clock.advance(0);
    const child = h.children.at(-1)!;
    for (let i = 0; i < 100; i++) {
      child.line(100);
      await h.clock.advance(100);
    }
    assert.ok(fired <= 25, `${fired} wake-ups in 10 s of samples (a check every half interval would be 200)`);
    const lastLine = h.clock.now() - 100;
    await h.clock.advance(700);
    assert.deepEqual(child.signals, ['SIGKILL']);
    assert.equal(child.killedAt[0], lastLine + 501, 'killed 1 ms past 5 silent intervals');
    await stream.stop();
  });

  it('a child that survives SIGKILL is abandoned after 2 s and a new one started', async () => {
    const h = harness((n) => n === 1);
    await h.stream.start();
    h.children[0]!.line(100);
    await h.clock.advance(600);
    const killedAt = h.children[0]!.killedAt[0]!;
    await h.clock.advance(killedAt + 1999 - h.clock.now());
    assert.deepEqual(h.children[0]!.signals, ['SIGKILL'], 'killed once, then given time to go');
    assert.equal(h.stream.health().state, 'running', 'still waiting for the killed child');
    await h.clock.advance(1);
    assert.equal(h.stream.health().state, 'restarting');
    await h.clock.advance(500);
    assert.equal(h.children.length, 2);
    await h.stream.stop();
    assert.equal(h.clock.pending, 0);
  });

  it('stop() escalates to SIGKILL after 2 s and gives up on a wedged child after 5 s, leaving no timer', async () => {
    const h = harness(() => true);
    await h.stream.start();
    let stopped = false;
    const stop = h.stream.stop().then(() => (stopped = true));
    await h.clock.advance(2000);
    assert.deepEqual(h.children[0]!.signals, ['SIGTERM', 'SIGKILL']);
    await h.clock.advance(2999);
    assert.equal(stopped, false);
    await h.clock.advance(1);
    await stop;
    assert.equal(h.clock.pending, 0);
  });

  it('the nvidia-smi Sampler opens a fresh stream per start and reports idle once stopped', async () => {
    const h = harness();
    const pushed: SamplerHealth[] = [];
    const samples: GpuSample[] = [];
    const s = createNvidiaSmiSampler({
      sink: { gpu: (x) => samples.push(...x), gap: () => {}, gpuEnergy: () => {}, health: (x) => pushed.push(x) },
      stream: (handlers) => createGpuStream(h.options(handlers)),
    });
    await s.start();
    await s.start();
    assert.equal(h.children.length, 1);
    h.children[0]!.line(100);
    await h.clock.advance(100);
    assert.equal(samples.length, 1);
    assert.equal(s.health().state, 'running');
    await s.stop();
    assert.equal(s.health().state, 'idle');
    assert.equal(pushed.at(-1)?.state, 'idle');
    assert.equal(h.clock.pending, 0);
    await s.start();
    assert.equal(h.children.length, 2, 'a new child for the new session');
    assert.equal(s.health().lastSampleAt, null, 'the new stream starts over');
    await s.stop();
    assert.equal(h.clock.pending, 0);
  });
});
