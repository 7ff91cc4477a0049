import { parseArgs } from 'node:util';
import type { Config } from '../../config/schema.js';
import { checkValue } from '../../config/schema.js';
import { invalid, usage } from '../../errors.js';
import { EXPORT_FORMATS, exportParts, isExportFormat, type ExportOptions } from '../../export/index.js';
import { writeParts } from '../../export/write.js';
import { withRunSet } from '../../runs/open.js';
import { argError, usageOf } from '../help.js';

export const EXPORT_HELP = `Usage: profiler export RUN --format ${EXPORT_FORMATS.join('|')} [--per-epoch] [--out PATH] [--force]
         [--carbon-intensity G_PER_KWH] [--pue X] [--training-type T] [--location L]

Writes a run's samples, epochs or emissions. RUN is an id, a unique id prefix, or "last". Without --out the
export goes to stdout (nvsmi writes two files: give --out). The folder of --out is created when missing.

Options:
  --format F              csv, json, parquet (samples), nvsmi (the study's nvidia-smi + epochs CSVs),
                          codecarbon (CodeCarbon's emissions.csv row), hf-card (a model card's co2_eq_emissions)
  --per-epoch             one row per epoch instead of per sample (csv, json, parquet)
  --out PATH              write to PATH instead of stdout
  --force                 overwrite PATH when it exists
  --carbon-intensity G    gCO2e per kWh (default: the carbonIntensityGPerKWh setting)
  --pue X                 power usage effectiveness of the facility (default: the pue setting)
  --training-type T       hf-card: pre-training, fine-tuning…
  --location L            hf-card: geographical_location, codecarbon: country_name
  -h, --help              this help

Example:
  profiler export last --format codecarbon --out reports/emissions.csv`;

/** `profiler export`: writes a run's samples, epochs or emissions in one of the export formats. */
export async function exportCommand(cfg: Config, argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        format: { type: 'string' },
        'per-epoch': { type: 'boolean', default: false },
        out: { type: 'string' },
        force: { type: 'boolean', default: false },
        'carbon-intensity': { type: 'string' },
        pue: { type: 'string' },
        'training-type': { type: 'string' },
        location: { type: 'string' },
      },
    });
  } catch (err) {
    throw argError(err, EXPORT_HELP, 'export');
  }
  const { values, positionals } = parsed;
  if (positionals.length !== 1) throw usage(`profiler export: give one RUN\n${usageOf(EXPORT_HELP)}`);
  const format = values.format ?? '';
  if (!isExportFormat(format)) throw invalid(`--format must be one of ${EXPORT_FORMATS.join(', ')} (got "${format}")\n${usageOf(EXPORT_HELP)}`);
  const opts: ExportOptions = {
    perEpoch: values['per-epoch'] ?? false,
    carbonIntensityGPerKWh: values['carbon-intensity'] === undefined ? cfg.carbonIntensityGPerKWh
      : (checkValue('carbonIntensityGPerKWh', values['carbon-intensity'], '--carbon-intensity') as number),
    pue: values.pue === undefined ? cfg.pue : (checkValue('pue', values.pue, '--pue') as number),
    trainingType: values['training-type'] ?? null,
    location: values.location ?? null,
  };
  return withRunSet(cfg, async (set) => {
    const row = set.runs.resolve(positionals[0] as string);
    const parts = exportParts(set, row, format, opts);
    if (format === 'codecarbon' || format === 'hf-card') {
      process.stderr.write(`carbon intensity ${opts.carbonIntensityGPerKWh} gCO2e/kWh, PUE ${opts.pue}\n`);
    }
    const written = await writeParts(parts, { out: values.out ?? null, force: values.force ?? false }, process.stdout);
    for (const p of written) process.stderr.write(`wrote ${p}\n`);
    return 0;
  });
}
