import { parseArgs } from 'node:util';
import pino from 'pino';
import type { Config } from '../../config/schema.js';
import { invalid } from '../../errors.js';
import { importRun } from '../../import/importer.js';
import { analyzeOnce } from '../../runs/analysis.js';
import { withRunSet } from '../../runs/open.js';
import { fmtJ } from '../format.js';

export const IMPORT_USAGE =
  'usage: profiler import --gpu-csv FILE [--gpu-csv FILE…] [--epochs-csv FILE] [--mem-csv FILE] [--name NAME] [--meta KEY=VALUE]… [--json]';

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
      },
    }));
  } catch (err) {
    throw invalid(`${(err as Error).message}\n${IMPORT_USAGE}`);
  }
  const gpuCsv = values['gpu-csv'] ?? [];
  if (gpuCsv.length === 0) throw invalid(`--gpu-csv FILE is required\n${IMPORT_USAGE}`);
  const meta: Record<string, string> = {};
  for (const kv of values.meta ?? []) {
    const k = kv.indexOf('=');
    if (k < 1) throw invalid(`profiler import: --meta takes KEY=VALUE, got "${kv}"`);
    meta[kv.slice(0, k)] = kv.slice(k + 1);
  }
  return withRunSet(cfg, async (set) => {
    const r = await importRun(set, {
      gpuCsv,
      epochsCsv: values['epochs-csv'] ?? null,
      memCsv: values['mem-csv'] ?? null,
      name: values.name ?? null,
      meta,
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
