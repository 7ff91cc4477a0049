import { arch, cpus, release, totalmem, type } from 'node:os';
import { J_PER_KWH } from '../analysis/energy.js';
import type { RunJson } from '../runs/report.js';

/** What the machine that recorded a run tells about itself (CodeCarbon's os, cpu and RAM columns). */
export interface MachineInfo {
  os: string;
  cpuModel: string | null;
  cpuCount: number;
  ramTotalGB: number;
}

export interface CarbonOptions {
  carbonIntensityGPerKWh: number;
  pue: number;
  trainingType?: string | null;
  location?: string | null;
  /** ISO 3166-1 alpha-3 and region (config countryIsoCode, region); null: left empty. */
  countryIsoCode?: string | null;
  region?: string | null;
  /** The recording machine; null when it is not this one (an imported log, a run of another host): left empty. */
  machine?: MachineInfo | null;
}

/** This machine, as Node's os module reports it. */
export function thisMachine(): MachineInfo {
  const list = cpus();
  return {
    os: `${type()}-${release()}-${arch()}`,
    cpuModel: list[0]?.model.trim() || null,
    cpuCount: list.length,
    ramTotalGB: Number((totalmem() / 1024 ** 3).toFixed(3)),
  };
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

function gpuSource(run: RunJson): string {
  if (run.status === 'imported') return 'power.draw from nvidia-smi logs';
  return run.energy.gpuMethod === 'counter' ? 'NVML total-energy counter' : 'power.draw via nvidia-smi';
}

const quote = (s: string): string => (/[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

/** One CodeCarbon-compatible row with its header: energies in kWh, emissions in kg, powers as mean W over the run. */
export function codecarbonCsv(run: RunJson, o: CarbonOptions): string {
  const { kWh, kg } = emissionsOf(run, o);
  const d = run.durationS;
  const mean = (j: number | null): number | null => (j === null || d <= 0 ? null : j / d);
  const kwh = (j: number | null): number | null => (j === null ? null : j / J_PER_KWH);
  const end = run.endedAt ?? run.startedAt;
  const m = o.machine ?? null;
  const row: Record<(typeof CODECARBON_COLUMNS)[number], string | number | null> = {
    timestamp: end.slice(0, 19), project_name: run.name ?? 'train-profiler', run_id: run.id, duration: d,
    emissions: kg, emissions_rate: d > 0 ? kg / d : null, cpu_power: mean(run.energy.cpuJ), gpu_power: mean(run.energy.gpuJ),
    ram_power: mean(run.energy.ramJ), cpu_energy: kwh(run.energy.cpuJ), gpu_energy: kwh(run.energy.gpuJ),
    ram_energy: kwh(run.energy.ramJ), energy_consumed: kWh, country_name: o.location ?? null, country_iso_code: o.countryIsoCode ?? null,
    region: o.region ?? null, cloud_provider: null, cloud_region: null, os: m?.os ?? null, python_version: run.meta.python_version ?? null,
    codecarbon_version: null, cpu_count: m?.cpuCount ?? null, cpu_model: m?.cpuModel ?? null, gpu_count: run.devices.length,
    gpu_model: hardware(run), longitude: null, latitude: null, ram_total_size: m?.ramTotalGB ?? null, tracking_mode: 'process',
    on_cloud: null, pue: o.pue,
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
    `  source: ${yamlStr(`train-profiler (measured: GPU ${gpuSource(run)} + process RAM; ${o.carbonIntensityGPerKWh} gCO2e/kWh, PUE ${o.pue})`)}`,
    `  training_type: ${yamlStr(o.trainingType ?? run.meta.training_type ?? null)}`,
    `  geographical_location: ${yamlStr(o.location ?? run.meta.location ?? ([o.region, o.countryIsoCode].filter(Boolean).join(', ') || null))}`,
    `  hardware_used: ${yamlStr(hardware(run))}`,
    '',
  ].join('\n');
}
