import { createRequire } from 'node:module';
import { execCapture } from '../platform/exec.js';
import { parseCell, parseGpuList, parseQueryCsv } from './nvidia-smi-parse.js';
import type { GpuDevice } from './types.js';
import { internal } from '../errors.js';

export interface GpuInventory {
  devices: GpuDevice[];
  driverVersion: string | null;
  cudaVersion: string | null;
  warnings: string[];
}

export interface ParsedInventoryXml extends GpuInventory {
  /** MIG devices counted per GPU uuid, also when the XML does not carry their UUIDs (DTD v11–v13 do not). */
  migDeviceCount: Record<string, number>;
}

type XmlNode = string | { [k: string]: XmlNode | XmlNode[] | undefined };
type ParseString = (xml: string, o: object, cb: (err: Error | null, data: unknown) => void) => void;

// node-nvidia-smi hard-codes `exec('nvidia-smi -q -x')` (a shell, no timeout, fixed command), so we run the
// command ourselves through execCapture and reuse only its parse step: the same xml2js it depends on (pinned by
// the package.json override), with the same options.
const requireFromSmi = createRequire(createRequire(import.meta.url).resolve('node-nvidia-smi'));
const xml2js = requireFromSmi('xml2js') as { parseString: ParseString };
const XML_OPTIONS = { explicitArray: false, trim: true };

function parseXml(xml: string): unknown {
  let result: unknown;
  let error: Error | null = null;
  let called = false;
  // xml2js calls back synchronously when not in async mode (and may call twice on errors: keep the first).
  xml2js.parseString(xml, XML_OPTIONS, (err, data) => {
    if (called) return;
    called = true;
    error = err;
    result = data;
  });
  if (error) throw error;
  if (!called) throw internal('xml2js did not finish synchronously');
  return result;
}

const asArray = (n: XmlNode | XmlNode[] | undefined): XmlNode[] => (n === undefined ? [] : Array.isArray(n) ? n : [n]);

function child(n: XmlNode | XmlNode[] | undefined, ...path: string[]): XmlNode | undefined {
  let cur: XmlNode | XmlNode[] | undefined = n;
  for (const key of path) {
    if (cur === undefined || cur === null || typeof cur !== 'object' || Array.isArray(cur)) return undefined;
    cur = cur[key];
  }
  return Array.isArray(cur) ? cur[0] : cur;
}

function text(n: XmlNode | undefined): string | null {
  if (typeof n === 'string') return n.trim() === '' ? null : n.trim();
  const inner = n?.['_'];
  return typeof inner === 'string' ? inner.trim() : null;
}

const num = (n: XmlNode | undefined): number | null => parseCell(text(n) ?? undefined);
const firstNum = (...ns: (XmlNode | undefined)[]): number | null => ns.map(num).find((v) => v !== null) ?? null;

/** Power limits by DTD: v11 (≤530) power_readings/power_limit; v12 (535) and v13 (550+) gpu_power_readings. */
function powerLimits(gpu: XmlNode): { limit: number | null; max: number | null } {
  const v12 = child(gpu, 'gpu_power_readings');
  const v11 = child(gpu, 'power_readings');
  return {
    limit: firstNum(
      child(v12, 'current_power_limit'),
      child(v12, 'enforced_power_limit'),
      child(v11, 'power_limit'),
      child(v11, 'enforced_power_limit'),
    ),
    max: firstNum(child(v12, 'max_power_limit'), child(v11, 'max_power_limit')),
  };
}

/** Pure: `nvidia-smi -q -x` text → devices (index = document order, which is nvidia-smi's index order). */
export function parseInventoryXml(xml: string): ParsedInventoryXml {
  const out: ParsedInventoryXml = { devices: [], driverVersion: null, cudaVersion: null, warnings: [], migDeviceCount: {} };
  let doc: unknown;
  try {
    doc = parseXml(xml);
  } catch (err) {
    out.warnings.push(`nvidia-smi -q -x: unreadable XML (${(err as Error).message.split('\n')[0]})`);
    return out;
  }
  const root = child(doc as XmlNode, 'nvidia_smi_log');
  if (root === undefined || typeof root === 'string') {
    out.warnings.push('nvidia-smi -q -x: no <nvidia_smi_log> element');
    return out;
  }
  out.driverVersion = text(child(root, 'driver_version'));
  out.cudaVersion = text(child(root, 'cuda_version'));
  asArray(root['gpu']).forEach((gpu, index) => {
    const uuid = text(child(gpu, 'uuid'));
    if (!uuid) {
      out.warnings.push(`nvidia-smi -q -x: GPU ${index} has no uuid; skipped`);
      return;
    }
    const migContainer = child(gpu, 'mig_devices');
    const migNodes = typeof migContainer === 'object' ? asArray(migContainer['mig_device']) : [];
    const migUuids = migNodes.map((m) => text(child(m, 'uuid'))).filter((u): u is string => u !== null);
    out.migDeviceCount[uuid] = migNodes.length;
    const { limit, max } = powerLimits(gpu);
    out.devices.push({
      uuid,
      index,
      name: text(child(gpu, 'product_name')) ?? 'unknown GPU',
      powerLimitW: limit,
      maxPowerLimitW: max,
      memTotalMiB: num(child(gpu, 'fb_memory_usage', 'total')),
      driverVersion: out.driverVersion,
      cudaVersion: out.cudaVersion,
      migUuids,
    });
  });
  return out;
}

function failure(what: string, r: Awaited<ReturnType<typeof execCapture>>): string | null {
  if (r.error?.code === 'ENOENT') return `${what}: nvidia-smi not found (ENOENT)`;
  if (r.timedOut) return `${what}: timed out`;
  if (r.error) return `${what}: ${r.error.message}`;
  if (r.code !== 0) {
    const line = (r.stdout + '\n' + r.stderr).split('\n').find((l) => l.trim() !== '')?.trim() ?? '';
    return `${what}: exit ${r.code}${line ? ` (${line})` : ''}`;
  }
  return null;
}

const CSV_FIELDS = 'uuid,index,name,power.limit,power.max_limit,memory.total';

/** Fills what the XML lacked (or everything, when the XML failed) from the CSV query; XML values win. */
function mergeCsv(inv: GpuInventory, csv: string): void {
  const lines = csv.split(/\r?\n/).filter((l) => l.trim() !== '');
  const parsed = parseQueryCsv(['uuid, index, name, power.limit, power.max_limit, memory.total', ...lines].join('\n'));
  for (const row of parsed.rows) {
    const uuid = row['uuid'] ?? '';
    const index = parseCell(row['index']);
    if (!/^GPU-/.test(uuid) || index === null) continue;
    let d = inv.devices.find((x) => x.uuid === uuid);
    if (!d) {
      d = { uuid, index, name: row['name'] ?? 'unknown GPU', powerLimitW: null, maxPowerLimitW: null, memTotalMiB: null,
        driverVersion: inv.driverVersion, cudaVersion: inv.cudaVersion, migUuids: [] };
      inv.devices.push(d);
    }
    d.index = index;
    d.powerLimitW ??= parseCell(row['power.limit']);
    d.maxPowerLimitW ??= parseCell(row['power.max_limit']);
    d.memTotalMiB ??= parseCell(row['memory.total']);
  }
  inv.devices.sort((a, b) => a.index - b.index);
}

/** GPUs at daemon start from `nvidia-smi -q -x` (+ CSV and `-L` where the XML falls short). Never throws. */
export async function readGpuInventory(opts: { command: string; timeoutMs?: number }): Promise<GpuInventory> {
  const timeoutMs = opts.timeoutMs ?? 15_000;
  const r = await execCapture(opts.command, ['-q', '-x'], { timeoutMs });
  if (r.error?.code === 'ENOENT') {
    return { devices: [], driverVersion: null, cudaVersion: null, warnings: [`nvidia-smi not found: "${opts.command}" (ENOENT); no GPUs`] };
  }
  const xmlFail = failure('nvidia-smi -q -x', r);
  const parsed = xmlFail ? null : parseInventoryXml(r.stdout);
  const inv: GpuInventory = parsed
    ? { devices: parsed.devices, driverVersion: parsed.driverVersion, cudaVersion: parsed.cudaVersion, warnings: parsed.warnings }
    : { devices: [], driverVersion: null, cudaVersion: null, warnings: [xmlFail ?? ''] };
  const lacking =
    inv.devices.length === 0 || inv.devices.some((d) => d.powerLimitW === null || d.maxPowerLimitW === null || d.memTotalMiB === null);
  if (lacking && !(r.code === 9 || r.code === 12)) {
    const c = await execCapture(opts.command, [`--query-gpu=${CSV_FIELDS}`, '--format=csv,noheader,nounits'], { timeoutMs });
    const csvFail = failure('nvidia-smi --query-gpu', c);
    if (csvFail) inv.warnings.push(csvFail);
    else mergeCsv(inv, c.stdout);
  }
  const needMig = parsed && inv.devices.some((d) => (parsed.migDeviceCount[d.uuid] ?? 0) > d.migUuids.length);
  if (needMig) {
    const l = await execCapture(opts.command, ['-L'], { timeoutMs });
    const lFail = failure('nvidia-smi -L', l);
    if (lFail) inv.warnings.push(`${lFail}; MIG device UUIDs unknown`);
    else {
      for (const g of parseGpuList(l.stdout)) {
        const d = inv.devices.find((x) => x.uuid === g.uuid);
        if (d && g.migUuids.length > d.migUuids.length) d.migUuids = g.migUuids;
      }
    }
  }
  return inv;
}
