// The fake nvidia-smi's command line: the queries train-profiler makes, failure modes from FAKE_SMI_MODE.
import { createWriteStream, readFileSync, writeFileSync } from 'node:fs';
import { loadProfile } from './profile.mjs';
import { APP_FIELDS, DRIVER_VERSION, OLD_DRIVER_VERSION, csvHeader, csvRow, gpuState, resolveGpuFields } from './fields.mjs';
import { inventoryXml, listGpus } from './xml.mjs';

const START = Date.now();
const FIXTURE_NODRIVER =
  "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. " +
  'Make sure that the latest NVIDIA driver is installed and running.\n\n';
const FIXTURE_NOLIB =
  "NVIDIA-SMI couldn't find libnvidia-ml.so library in your system. Please make sure that the NVIDIA Display " +
  'Driver is properly installed and present in your system.\nPlease also try adding directory that contains ' +
  'libnvidia-ml.so to your system PATH.\n';
const BAD_ARGS = "Invalid combination of input arguments. Please run 'nvidia-smi -h' for help.\n\n";

function exit(code, text = '') {
  process.stdout.write(text, () => process.exit(code));
}

function parseModes(env) {
  const modes = new Set();
  let dieAfter = null;
  let hangAfter = null;
  let slowInventory = 0;
  for (const m of (env ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
    const d = /^die-after:(\d+)$/.exec(m);
    const h = /^hang-after:(\d+)$/.exec(m);
    const sl = /^slow-inventory:(\d+)$/.exec(m);
    if (d) dieAfter = Number(d[1]);
    else if (h) hangAfter = Number(h[1]);
    else if (sl) slowInventory = Number(sl[1]);
    else modes.add(m);
  }
  return { modes, dieAfter, hangAfter, slowInventory };
}

function parseArgs(argv) {
  const a = { flags: new Set() };
  const withValue = { '-i': 'id', '--id': 'id', '-lms': 'lms', '--loop-ms': 'lms', '-l': 'l', '--loop': 'l',
    '-f': 'file', '--filename': 'file', '--query-gpu': 'queryGpu', '--query-compute-apps': 'queryApps',
    '--format': 'format' };
  for (let k = 0; k < argv.length; k++) {
    const arg = argv[k];
    const eq = arg.indexOf('=');
    const [name, inline] = eq > 0 ? [arg.slice(0, eq), arg.slice(eq + 1)] : [arg, undefined];
    if (withValue[name]) {
      const v = inline ?? argv[++k];
      if (v === undefined) return null;
      a[withValue[name]] = v;
    } else if (['-q', '--query', '-x', '--xml-format', '-L', '--list-gpus'].includes(name)) a.flags.add(name);
    else return null;
  }
  return a;
}

function selectGpus(profile, id) {
  if (id === undefined) return profile.gpus.map((_, i) => i);
  const out = [];
  for (const part of id.split(',').map((s) => s.trim())) {
    const i = /^\d+$/.test(part) ? Number(part) : profile.gpus.findIndex((g) => g.uuid === part);
    if (!(i >= 0 && i < profile.gpus.length)) return null;
    out.push(i);
  }
  return out;
}

function loadApps() {
  let raw = process.env.FAKE_SMI_COMPUTE_APPS;
  if (!raw) return [];
  // `@PATH`: read the list from a file at each query, so a test can add the pid of a process started later.
  if (raw.startsWith('@')) {
    try {
      raw = readFileSync(raw.slice(1), 'utf8');
    } catch {
      return [];
    }
  }
  const apps = JSON.parse(raw);
  if (!Array.isArray(apps)) throw new Error('FAKE_SMI_COMPUTE_APPS must be a JSON array');
  return apps;
}

const XID = (i, t) =>
  `\nXid (PCI:0000:0${i + 1}:00): 13, pid=${4000 + (t % 1000)}, name=python3, Graphics SM Warp Exception on (GPC 0, TPC 1)`;

function main() {
  const { modes, dieAfter, hangAfter, slowInventory } = parseModes(process.env.FAKE_SMI_MODE);
  const oldDriver = modes.has('old-driver');
  if (modes.has('hang')) return setInterval(() => {}, 1 << 30);
  if (modes.has('nodriver')) return exit(9, FIXTURE_NODRIVER);
  if (modes.has('nolib')) return exit(12, FIXTURE_NOLIB);

  const args = parseArgs(process.argv.slice(2));
  if (!args) return exit(2, BAD_ARGS);
  let profile;
  let apps;
  try {
    profile = loadProfile(process.env.FAKE_SMI_PROFILE, START);
    apps = loadApps();
  } catch (err) {
    process.stderr.write(`fake nvidia-smi: ${err.message}\n`);
    return process.exit(1);
  }
  const gpus = selectGpus(profile, args.id);
  if (!gpus) return exit(6, 'No devices were found\n');
  const out = args.file ? createWriteStream(args.file) : process.stdout;

  if (args.flags.has('-L') || args.flags.has('--list-gpus')) return exit(0, listGpus(profile, gpus));
  if ((args.flags.has('-q') || args.flags.has('--query')) && !args.queryGpu && !args.queryApps) {
    // A real `nvidia-smi -q` takes from a few hundred ms to seconds on a loaded or many-GPU host.
    const answer = () => exit(0, inventoryXml(profile, gpus, Date.now(), { oldDriver, apps }));
    return slowInventory > 0 ? setTimeout(answer, slowInventory) : answer();
  }
  const query = args.queryGpu ?? args.queryApps;
  if (query === undefined) return exit(0, `Fake NVIDIA-SMI: ${gpus.length} GPU(s); see --query-gpu\n`);
  const format = (args.format ?? '').split(',');
  if (!format.includes('csv')) return exit(2, BAD_ARGS);
  const header = !format.includes('noheader');
  const units = !format.includes('nounits');
  const names = query.split(',').map((s) => s.trim());

  if (args.queryApps !== undefined) {
    const entries = names.map((n) => APP_FIELDS[n]);
    const bad = names.find((n) => !APP_FIELDS[n]);
    if (bad !== undefined) return exit(2, `Field "${bad}" is not a valid field to query.\n\n`);
    const uuids = new Set(gpus.map((i) => profile.gpus[i].uuid));
    const t = Date.now();
    const lines = header ? [csvHeader(entries)] : [];
    for (const app of apps.filter((x) => uuids.has(x.gpuUuid))) {
      const idx = profile.gpus.findIndex((g) => g.uuid === app.gpuUuid);
      const s = gpuState(profile, idx, t);
      lines.push(csvRow(entries, entries.map((e) => e.value(app, s, t)), units));
    }
    return exit(0, lines.map((l) => l + '\n').join(''));
  }

  const resolved = resolveGpuFields(names, oldDriver);
  if (resolved.invalid !== undefined) return exit(2, `Field "${resolved.invalid}" is not a valid field to query.\n\n`);
  const { entries } = resolved;
  const ctx = { driverVersion: oldDriver ? OLD_DRIVER_VERSION : DRIVER_VERSION, count: profile.gpus.length };
  const powerAt = names.findIndex((n) => n === 'power.draw');
  const garbage = modes.has('garbage');

  const tickText = (k, t = Date.now()) => {
    let text = '';
    for (const i of gpus) {
      const s = gpuState(profile, i, t);
      const values = entries.map((e) => e.value(s, ctx));
      if (garbage && k % 3 === 1 && powerAt >= 0) values[powerAt] = k % 2 ? '[N/A]' : '[Unknown Error]';
      if (garbage && k % 4 === 2) text += XID(i, t) + '\n';
      text += csvRow(entries, values, units) + '\n';
    }
    return text;
  };

  const loopMs = args.lms !== undefined ? Number(args.lms) : args.l !== undefined ? Number(args.l) * 1000 : null;
  if (header) out.write(csvHeader(entries) + '\n');
  if (loopMs === null) {
    out.write(tickText(0));
    return out === process.stdout ? exit(0) : out.end(() => process.exit(0));
  }
  if (!(loopMs > 0)) return exit(2, BAD_ARGS);
  let k = 0;
  const first = Date.now();
  // Benchmarks compare emitted sample lines with stored rows: one file per process, `lines lastTickMs`.
  const countFile = process.env.FAKE_SMI_COUNT_FILE ? `${process.env.FAKE_SMI_COUNT_FILE}.${process.pid}` : null;
  let emitted = 0;
  const tick = () => {
    const tickAt = Date.now();
    out.write(tickText(k, tickAt));
    k++;
    if (countFile) writeFileSync(countFile, `${(emitted += gpus.length)} ${tickAt}\n`);
    if (dieAfter !== null && k >= dieAfter) return exit(1);
    // A wedged driver: the process stays alive but prints nothing more.
    if (hangAfter !== null && k >= hangAfter) return setInterval(() => {}, 1 << 30);
    // Absolute schedule: ticks do not drift with the time each query takes.
    setTimeout(tick, Math.max(0, first + k * loopMs - Date.now()));
  };
  tick();
}

main();
