import { J_PER_KWH } from '../analysis/energy.js';
import type { RunJson } from '../runs/report.js';

export interface CarbonOptions {
  carbonIntensityGPerKWh: number;
  pue: number;
  trainingType?: string | null;
  location?: string | null;
}

/** CodeCarbon 2.x `emissions.csv` columns, in its order. */
export const CODECARBON_COLUMNS = [
  'timestamp', 'project_name', 'run_id', 'duration', 'emissions', 'emissions_rate', 'cpu_power', 'gpu_power', 'ram_power',
  'cpu_energy', 'gpu_energy', 'ram_energy', 'energy_consumed', 'country_name', 'country_iso_code', 'region',
  'cloud_provider', 'cloud_region', 'os', 'python_version', 'codecarbon_version', 'cpu_count', 'cpu_model', 'gpu_count',
  'gpu_model', 'longitude', 'latitude', 'ram_total_size', 'tracking_mode', 'on_cloud', 'pue',
] as const;

/** Facility energy (× PUE) and its emissions; the per-component energies stay as measured. */
export function emissionsOf(run: RunJson, o: CarbonOptions): { kWh: number; kg: number } {
  const kWh = ((run.energy.gpuJ + run.energy.ramJ + (run.energy.cpuJ ?? 0)) / J_PER_KWH) * o.pue;
  return { kWh, kg: (kWh * o.carbonIntensityGPerKWh) / 1000 };
}

function hardware(run: RunJson): string | null {
  if (run.devices.length === 0) return null;
  const names = [...new Set(run.devices.map((d) => d.name ?? d.uuid))];
  return names.length === 1 ? `${run.devices.length} x ${names[0]}` : names.join(', ');
}

const quote = (s: string): string => (/[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

/** One CodeCarbon-compatible row with its header: energies in kWh, emissions in kg, powers as mean W over the run. */
export function codecarbonCsv(run: RunJson, o: CarbonOptions): string {
  const { kWh, kg } = emissionsOf(run, o);
  const d = run.durationS;
  const mean = (j: number | null): number | null => (j === null || d <= 0 ? null : j / d);
  const kwh = (j: number | null): number | null => (j === null ? null : j / J_PER_KWH);
  const end = run.endedAt ?? run.startedAt;
  const row: Record<(typeof CODECARBON_COLUMNS)[number], string | number | null> = {
    timestamp: end.slice(0, 19), project_name: run.name ?? 'train-profiler', run_id: run.id, duration: d,
    emissions: kg, emissions_rate: d > 0 ? kg / d : null, cpu_power: mean(run.energy.cpuJ), gpu_power: mean(run.energy.gpuJ),
    ram_power: mean(run.energy.ramJ), cpu_energy: kwh(run.energy.cpuJ), gpu_energy: kwh(run.energy.gpuJ),
    ram_energy: kwh(run.energy.ramJ), energy_consumed: kWh, country_name: o.location ?? null, country_iso_code: null,
    region: null, cloud_provider: null, cloud_region: null, os: null, python_version: null, codecarbon_version: null,
    cpu_count: null, cpu_model: null, gpu_count: run.devices.length, gpu_model: hardware(run), longitude: null,
    latitude: null, ram_total_size: null, tracking_mode: 'process', on_cloud: null, pue: o.pue,
  };
  return CODECARBON_COLUMNS.join(',') + '\n' + CODECARBON_COLUMNS.map((c) => (row[c] === null ? '' : quote(String(row[c])))).join(',') + '\n';
}

const yamlStr = (s: string | null): string => (s === null ? 'null' : JSON.stringify(s));

/** A Hugging Face model card `co2_eq_emissions` block (emissions in grams); unknown fields are null. */
export function hfCardYaml(run: RunJson, o: CarbonOptions): string {
  const { kWh, kg } = emissionsOf(run, o);
  return [
    `# train-profiler run ${run.id}: ${kWh.toFixed(6)} kWh × PUE ${o.pue} at ${o.carbonIntensityGPerKWh} gCO2e/kWh`,
    'co2_eq_emissions:',
    `  emissions: ${Number((kg * 1000).toPrecision(8))}`,
    `  source: ${yamlStr(`train-profiler (measured GPU power.draw via nvidia-smi + process RAM; ${o.carbonIntensityGPerKWh} gCO2e/kWh, PUE ${o.pue})`)}`,
    `  training_type: ${yamlStr(o.trainingType ?? run.meta.training_type ?? null)}`,
    `  geographical_location: ${yamlStr(o.location ?? run.meta.location ?? null)}`,
    `  hardware_used: ${yamlStr(hardware(run))}`,
    '',
  ].join('\n');
}
