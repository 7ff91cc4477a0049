import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { DEMO, runCli, showJson, testHome, type TestHome } from '../helpers/cli.js';

/** Prints an epoch line every 0.3 s for up to a minute; with `ignore`, it survives SIGTERM. */
const LONG = (ignore: boolean): string[] => ['python3', '-c', [
  'import signal, sys, time',
  ...(ignore ? ['signal.signal(signal.SIGTERM, signal.SIG_IGN)'] : []),
  'for i in range(1, 201):',
  '    print(f"Epoch {i}/200", flush=True)',
  '    time.sleep(0.3)',
].join('\n')];

describe('profiler run --budget', () => {
  let h: TestHome;
  before(async () => {
    h = await testHome();
    // Checked often and killed soon, so the tests take seconds (the defaults are 2 s and 10 s).
    writeFileSync(path.join(h.home, 'config.json'), JSON.stringify({ budgetCheckMs: 200, budgetGraceMs: 1000 }));
  });
  after(async () => h.cleanup());

  it('warn: one line on stderr, the run goes on and succeeds, the run JSON says when and why', async () => {
    const r = await runCli(['run', '--budget', '20J', '--', 'python3', DEMO, '--epochs', '8', '--epoch-seconds', '0.5'], { env: h.env });
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stderr.split('\n').filter((l) => l.includes('budget exceeded'));
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0]!, /^profiler: budget exceeded: measured .* is above the budget of 20\.0 J$/);
    const run = await showJson(h.env);
    assert.equal(run.status, 'succeeded');
    assert.equal(run.epochs.length, 8, 'the command was not touched');
    assert.equal(run.budget.limitJ, 20);
    assert.equal(run.budget.action, 'warn');
    assert.equal(run.budget.exceeded, true);
    assert.ok(Date.parse(run.budget.at) >= Date.parse(run.startedAt) && Date.parse(run.budget.at) <= Date.parse(run.endedAt));
    assert.match(run.budget.reason, /measured/);
    assert.match(r.stderr, /profiler: budget 20\.0 J \(warn\): exceeded at/);
  });

  it('a run too short for any check that ends above its budget is found exceeded at its end', async () => {
    const r = await runCli(['run', '--budget', '5J', '--', 'sleep', '0.5'], { env: h.env });
    assert.equal(r.code, 0, r.stderr);
    const run = await showJson(h.env);
    assert.equal(run.budget.exceeded, true, JSON.stringify(run.budget));
    assert.match(run.budget.reason, /^measured .* is above the budget of 5\.00 J \(at the end of the run\)$/);
    assert.ok(run.energy.totalJ > 5);
    assert.match(r.stderr, /profiler: budget 5\.0 J \(warn\): exceeded at .*\(at the end of the run\)/, 'the summary says it');
    assert.equal(run.status, 'succeeded', 'warn never touches the command');
  });

  it('a budget that holds is recorded as not exceeded, and nothing is printed about it but the summary line', async () => {
    const r = await runCli(['run', '--budget', '1kWh', '--on-budget', 'stop', '--', 'python3', DEMO, '--epochs', '2', '--epoch-seconds', '0.2'], { env: h.env });
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /budget exceeded/);
    const run = await showJson(h.env);
    assert.deepEqual(run.budget, { limitJ: 3.6e6, action: 'stop', exceeded: false, at: null, reason: null });
    assert.equal(run.status, 'succeeded');
  });

  it('stop: SIGTERM to the command, the run ends failed with its budget exceeded', async () => {
    const t0 = Date.now();
    const r = await runCli(['run', '--budget', '50J', '--on-budget', 'stop', '--', ...LONG(false)], { env: h.env });
    assert.equal(r.code, 143, r.stderr);
    assert.ok(Date.now() - t0 < 40_000, 'stopped long before its minute');
    assert.match(r.stderr, /budget exceeded: measured .*; stopping the command \(SIGTERM, then SIGKILL after 1 s\)/);
    const run = await showJson(h.env);
    assert.equal(run.status, 'failed');
    assert.equal(run.signal, 'SIGTERM');
    assert.equal(run.budget.exceeded, true);
    assert.equal(run.budget.action, 'stop');
  });

  it('stop: a command that ignores SIGTERM gets SIGKILL after the grace period', async () => {
    const r = await runCli(['run', '--quiet', '--budget', '50J', '--on-budget', 'stop', '--', ...LONG(true)], { env: h.env });
    assert.equal(r.code, 137, r.stderr);
    const run = await showJson(h.env);
    assert.equal(run.signal, 'SIGKILL');
    assert.equal(run.status, 'failed');
    assert.match(r.stderr, /budget exceeded/, 'the budget line is printed even with --quiet: the user asked for it');
  });

  it('bad budget options are clear errors and run nothing', async () => {
    for (const [args, re] of [
      [['--budget', '500'], /--budget: energy "500" must be a number with a unit/],
      [['--budget', '-1kJ'], /must be a number with a unit/],
      [['--budget', '5kJ', '--on-budget', 'kill'], /--on-budget is warn or stop, got "kill"/],
      [['--on-budget', 'stop'], /--on-budget needs --budget ENERGY/],
    ] as const) {
      const r = await runCli(['run', ...args, '--', 'sh', '-c', 'echo ran'], { env: h.env });
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, re);
      assert.equal(r.stdout.toString(), '', 'the command did not run');
    }
  });
});
