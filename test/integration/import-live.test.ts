import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { copyFileSync, createWriteStream, existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { DEMO, runCli, showJson, startCli, testHome, waitFor, type CliResult, type TestHome } from '../helpers/cli.js';

// The size of the log imported beside a live run; IMPORT_LIVE_MB=300 reproduces the measurement by hand.
const LOG_MB = Number(process.env.IMPORT_LIVE_MB ?? 64);
const EPOCH_S = process.env.IMPORT_LIVE_EPOCH_S ?? '0.5';
const HEADER = 'timestamp, name, utilization.gpu [%], utilization.memory [%], memory.total [MiB], memory.used [MiB], power.draw [W], power.max_limit [W], temperature.gpu\n';
const pad = (n: number, w = 2): string => String(n).padStart(w, '0');
const stamp = (ms: number): string => {
  const d = new Date(ms);
  return `${d.getFullYear()}/${pad(d.getMonth() + 1)}/${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
};

/** An nvidia-smi `-lms 100` log of one GPU, about `mb` MB, a year before now (no overlap with live samples). */
async function writeLog(file: string, mb: number): Promise<number> {
  const ws = createWriteStream(file);
  ws.write(HEADER);
  const t0 = Date.now() - 365 * 86_400_000;
  let rows = 0;
  let bytes = 0;
  while (bytes < mb * 1e6) {
    let chunk = '';
    for (let k = 0; k < 5000; k++, rows++) {
      chunk += `${stamp(t0 + rows * 100)}, NVIDIA H100 80GB HBM3, ${rows % 100} %, 40 %, 81559 MiB, 20480 MiB, ${(150 + 100 * Math.sin(rows / 300)).toFixed(2)} W, 700.00 W, 60\n`;
    }
    bytes += chunk.length;
    if (!ws.write(chunk)) await once(ws, 'drain');
  }
  ws.end();
  await once(ws, 'finish');
  return rows;
}

const outputOf = (child: ReturnType<typeof startCli>['child']): { text: string } => {
  const o = { text: '' };
  child.stdout?.on('data', (d: Buffer) => (o.text += d.toString()));
  return o;
};

describe('profiler import beside a live daemon', () => {
  let h: TestHome;
  let log = '';
  let rows = 0;
  before(async () => {
    h = await testHome({ PROFILER_SAMPLE_MS: '150' });
    log = path.join(h.home, 'big-gpu.csv');
    rows = await writeLog(log, LOG_MB);
    const r = await runCli(['daemon', 'start'], { env: h.env });
    assert.equal(r.code, 0, r.stderr);
  });
  after(async () => h.cleanup());

  it('never stalls it: the live run keeps its GPU coverage and epochs, a run started meanwhile is recorded', async () => {
    const live = startCli(['run', '--name', 'live', '--', 'python3', DEMO, '--epochs', '30', '--epoch-seconds', EPOCH_S], { env: h.env });
    const liveOut = outputOf(live.child);
    await waitFor(() => liveOut.text.includes('Epoch 2/30'), 20_000, 'epoch 2 of the live run');
    const wal = path.join(h.home, 'profiler.db-wal');
    const walBefore = existsSync(wal) ? statSync(wal).size : 0;
    const t0 = Date.now();
    const imp = startCli(['import', '--gpu-csv', log, '--name', 'big', '--json'], { env: h.env });
    let imported: CliResult | null = null;
    void imp.done.then((r) => (imported = r));
    const stall = pollHealth(Number(h.env.PROFILER_PORT), () => imported !== null);
    // The import has written its first batches once the WAL has grown by a few MB.
    await waitFor(() => imported !== null || (existsSync(wal) && statSync(wal).size > walBefore + 4e6), 30_000, 'the import to write');
    assert.equal(imported, null, 'the import was still running when the second run started (make the log bigger)');
    const listed = await runCli(['runs', '--json'], { env: h.env });
    const listedS = (Date.now() - t0) / 1000;
    const second = await runCli(['run', '--name', 'second', '--', 'python3', DEMO, '--epochs', '2', '--epoch-seconds', '0.3'], { env: h.env });
    assert.equal(second.code, 0, second.stderr);
    const secondDone = Date.now();
    const ir = await imp.done;
    const importS = (Date.now() - t0) / 1000;
    assert.equal(ir.code, 0, ir.stderr);
    const worstMs = await stall;
    const lr = await live.done;
    assert.equal(lr.code, 0, lr.stderr);

    const names = await runsByName(h);
    assert.ok(names.live, 'the live run is recorded');
    const liveRun = await showJson(h.env, names.live);
    const secondRun = names.second ? await showJson(h.env, names.second) : { status: 'not recorded', epochs: [], energy: { gpuJ: 0 } };
    const daemonLog = readFileSync(path.join(h.home, 'daemon.log'), 'utf8');
    console.log(`# ${LOG_MB} MB import took ${importS.toFixed(1)} s; the live run's GPU coverage ${liveRun.energy.gpuCoverage.toFixed(4)}, ` +
      `${liveRun.epochs.length} epochs; runs listed ${listedS.toFixed(1)} s and the second run done ${((secondDone - t0) / 1000).toFixed(1)} s ` +
      `after the import started (status ${secondRun.status}, ${secondRun.epochs.length} epochs); ` +
      `${daemonLog.split('\n').filter((l) => /database is locked|flush failed/.test(l)).length} lock errors in the daemon log; ` +
      `the daemon's slowest /healthz answer took ${worstMs} ms`);
    // One import transaction is a few ms; a stalled daemon (the whole import in one transaction) answers after seconds.
    assert.ok(worstMs < 1500, `the daemon did not answer /healthz for ${worstMs} ms during the import`);
    assert.equal(listed.code, 0, listed.stderr);
    assert.ok(!listed.stdout.toString().includes('"big"'), 'the run being imported is not listed');
    assert.ok(listedS < importS, 'runs listed while the import ran');
    assert.equal(liveRun.status, 'succeeded');
    assert.equal(liveRun.epochs.length, 30, 'every epoch mark of the live run was recorded');
    assert.ok(liveRun.energy.gpuCoverage >= 0.95, `live run GPU coverage ${liveRun.energy.gpuCoverage}`);
    assert.equal(secondRun.status, 'succeeded');
    assert.equal(secondRun.epochs.length, 2);
    assert.ok(secondRun.energy.gpuJ > 0);
    assert.doesNotMatch(daemonLog, /database is locked|flush failed/);

    const id = (JSON.parse(ir.stdout.toString()) as { id: string }).id;
    const big = await showJson(h.env, id);
    assert.equal(big.status, 'imported');
    assert.equal(big.name, 'big');
    const db = new Database(path.join(h.home, 'profiler.db'), { readonly: true });
    try {
      const n = db.prepare(`SELECT count(*) AS n FROM gpu_samples g JOIN run_devices rd ON rd.dev = g.dev JOIN runs r ON r.rid = rd.rid
        WHERE r.id = ?`).get(id) as { n: number };
      assert.equal(n.n, rows, 'every row of the log is stored');
    } finally {
      db.close();
    }
  });

  it('killed with SIGKILL mid-way: its partial run is never shown and the next daemon start removes it', async () => {
    const copy = path.join(h.home, 'killed-gpu.csv'); // another path: other (synthetic) device, nothing shared
    copyFileSync(log, copy);
    const runsBefore = peek(h, (db) => (db.prepare('SELECT count(*) AS n FROM runs').get() as { n: number }).n);
    // --force: the same content as the log imported above (a copy is refused without it).
    const imp = startCli(['import', '--force', '--gpu-csv', copy, '--name', 'killed'], { env: h.env });
    let exited = false;
    void imp.done.then(() => (exited = true));
    type Progress = { rid: number; dev: number; n: number };
    const progress = (): Progress | undefined => peek(h, (db) => db.prepare(
      `SELECT r.rid, d.dev, (SELECT count(*) FROM gpu_samples g WHERE g.dev = d.dev) AS n FROM runs r
       JOIN import_devices d ON d.rid = r.rid WHERE r.import_pid IS NOT NULL`).get() as Progress | undefined);
    const hidden = (await waitFor(() => {
      const p = exited ? { rid: -1, dev: -1, n: Infinity } : progress();
      return p && p.n > 20_000 ? p : null;
    }, 30_000, 'the import to write some batches')) as Progress;
    assert.equal(exited, false, 'the import was still running when killed (make the log bigger)');
    imp.child.kill('SIGKILL');
    const r = await imp.done;
    assert.equal(r.signal, 'SIGKILL');
    for (const args of [['runs', '--json'], ['show', 'last', '--json']]) {
      const out = await runCli(args, { env: h.env });
      assert.equal(out.code, 0, out.stderr);
      assert.doesNotMatch(out.stdout.toString(), /"killed"/, `${args.join(' ')} shows the killed import`);
    }
    assert.equal((await runCli(['daemon', 'stop'], { env: h.env })).code, 0);
    assert.equal((await runCli(['daemon', 'start'], { env: h.env })).code, 0);
    await waitFor(() => peek(h, (db) => db.prepare('SELECT count(*) AS n FROM runs WHERE import_pid IS NOT NULL').get() as { n: number }).n === 0,
      30_000, 'the daemon to remove the killed import');
    peek(h, (db) => {
      const n = (sql: string, ...args: unknown[]): number => (db.prepare(sql).get(...args) as { n: number }).n;
      assert.equal(n('SELECT count(*) AS n FROM gpu_samples WHERE dev = ?', hidden.dev), 0);
      assert.equal(n('SELECT count(*) AS n FROM devices WHERE id = ?', hidden.dev), 0);
      for (const t of ['run_devices', 'epochs', 'events', 'proc_samples']) assert.equal(n(`SELECT count(*) AS n FROM ${t} WHERE rid = ?`, hidden.rid), 0, t);
      assert.equal(n('SELECT count(*) AS n FROM import_ranges') + n('SELECT count(*) AS n FROM import_devices'), 0);
      assert.equal(n('SELECT count(*) AS n FROM runs'), runsBefore);
      assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
    });
  });
});

/** Asks the daemon's /healthz one request after another until `done`; the slowest answer, in ms. */
async function pollHealth(port: number, done: () => boolean): Promise<number> {
  let worst = 0;
  while (!done()) {
    const t = Date.now();
    await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.arrayBuffer());
    worst = Math.max(worst, Date.now() - t);
    await new Promise((r) => setTimeout(r, 50));
  }
  return worst;
}

/** The database as a second reader sees it. */
function peek<T>(h: TestHome, fn: (db: Database.Database) => T): T {
  const db = new Database(path.join(h.home, 'profiler.db'), { readonly: true });
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

async function runsByName(h: TestHome): Promise<Record<string, string>> {
  const r = await runCli(['runs', '--json'], { env: h.env });
  const list = JSON.parse(r.stdout.toString()) as { id: string; name: string | null }[];
  return Object.fromEntries(list.map((x) => [x.name ?? '', x.id]));
}
