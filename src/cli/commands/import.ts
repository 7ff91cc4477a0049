import { parseArgs } from 'node:util';
import pino from 'pino';
import type { Config } from '../../config/schema.js';
import { invalid, usage } from '../../errors.js';
import { importRun } from '../../import/importer.js';
import { analyzeOnce } from '../../runs/analysis.js';
import { withRunSet } from '../../runs/open.js';
import { holdYoungGeneration } from '../../platform/heap.js';
import { fmtJ } from '../format.js';
import { argError, usageOf } from '../help.js';

export const IMPORT_HELP = `Usage: profiler import --gpu-csv FILE [--gpu-csv FILE…] [--epochs-csv FILE] [--mem-csv FILE]
         [--name NAME] [--meta KEY=VALUE]… [--force] [--json]

Loads the logs of a finished run (nvidia-smi CSV as the study wrote it) as one run with status "imported" and
prints its id. The same files imported again are refused (they are known by size and a hash of their first MB)
unless --force.

Options:
  --gpu-csv FILE      nvidia-smi --query-gpu=… --format=csv log (repeatable: several files or GPUs)
  --epochs-csv FILE   epoch,end_time CSV
  --mem-csv FILE      the process RAM log
  --name NAME         a name for the run
  --meta KEY=VALUE    a key/value stored with the run (repeatable)
  --force             import files that were imported before (the new run shares their samples)
  --json              print {"id": …}
  -h, --help          this help

Example:
  profiler import --gpu-csv gpu.csv --epochs-csv epochs.csv --name resnet-study`;

/** `profiler import`: loads finished-run logs as one run; prints its id. */
export async function importCommand(cfg: Config, argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      allowPositionals: false,
      options: {
        'gpu-csv': { type: 'string', multiple: true },
        'epochs-csv': { type: 'string' },
        'mem-csv': { type: 'string' },
        name: { type: 'string' },
        meta: { type: 'string', multiple: true },
        json: { type: 'boolean', default: false },
        force: { type: 'boolean', default: false },
      },
    }));
  } catch (err) {
    throw argError(err, IMPORT_HELP, 'import');
  }
  const gpuCsv = values['gpu-csv'] ?? [];
  if (gpuCsv.length === 0) throw usage(`--gpu-csv FILE is required\n${usageOf(IMPORT_HELP)}`);
  const meta: Record<string, string> = {};
  for (const kv of values.meta ?? []) {
    const k = kv.indexOf('=');
    if (k < 1) throw invalid(`profiler import: --meta takes KEY=VALUE, got "${kv}"`);
    meta[kv.slice(0, k)] = kv.slice(k + 1);
  }
  holdYoungGeneration(); // this process's work is now the row stream: ~24 MB less peak RSS on a 1 GB log
  return withRunSet(cfg, async (set) => {
    const r = await importRun(set, {
      gpuCsv,
      epochsCsv: values['epochs-csv'] ?? null,
      memCsv: values['mem-csv'] ?? null,
      name: values.name ?? null,
      meta,
      force: values.force ?? false,
      // Imported runs get the same stabilization (the FLUSS candidate even without epochs) and estimates.
      beforeReveal: (id) => analyzeOnce(set, id, pino({ level: 'silent' })),
    });
    for (const f of r.cutLines) process.stderr.write(`profiler: ${f}: last line cut off mid-row, skipped\n`);
    if (r.sharedRows > 0) {
      const runs = r.sharedWith.length > 0 ? ` (run ${r.sharedWith.join(', ')})` : '';
      process.stderr.write(`profiler: ${r.sharedRows} GPU samples were stored already${runs}: this run shares them (the same log imported twice?)\n`);
    }
    if (values.json) {
      process.stdout.write(JSON.stringify({ id: r.id }) + '\n');
    } else {
      process.stdout.write(`${r.id}\n`);
      process.stderr.write(
        `imported ${r.gpuRows} GPU samples (${r.devices.length} GPU${r.devices.length === 1 ? '' : 's'}, every ~${r.sampleMs} ms), ` +
          `${r.memRows} RAM samples, ${r.epochs} epochs: total ${fmtJ(r.energy.totalJ)} (GPU ${fmtJ(r.energy.gpuJ)}, RAM ${fmtJ(r.energy.ramJ)})\n`,
      );
    }
    return 0;
  });
}
