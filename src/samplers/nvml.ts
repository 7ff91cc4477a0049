import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { ProfilerError } from '../errors.js';

/** NVML's return codes (nvml.h, nvmlReturn_t) and what each means, so every failure reads as one clear line. */
export const NVML_ERRORS: Readonly<Record<number, string>> = Object.freeze({
  1: 'NVML was not initialized (Uninitialized)',
  2: 'an invalid argument was passed (Invalid Argument)',
  3: 'the device does not support this call (Not Supported; the energy counter needs Volta or newer)',
  4: 'no permission for this call (No Permission)',
  5: 'NVML was already initialized (Already Initialized)',
  6: 'the query found nothing (Not Found)',
  7: 'the buffer passed is too small (Insufficient Size)',
  8: 'a device\'s external power cables are not connected (Insufficient Power)',
  9: 'the NVIDIA driver is not loaded (Driver Not Loaded)',
  10: 'the call timed out (Timeout)',
  11: 'the NVIDIA kernel detected an interrupt issue with a GPU (IRQ Issue)',
  12: 'NVML\'s shared library was not found (Library Not Found)',
  13: 'the library lacks this function: the driver is too old (Function Not Found)',
  14: 'the GPU\'s infoROM is corrupted (Corrupted infoROM)',
  15: 'the GPU has fallen off the bus or is otherwise inaccessible (GPU Is Lost)',
  16: 'the GPU must be reset before it can be used again (Reset Required)',
  17: 'the operating system refused the call (Operating System)',
  18: 'the driver and NVML versions differ: reload the driver (RM Version Mismatch)',
  19: 'the operation cannot run while the GPU is in use (In Use)',
  20: 'not enough memory (Memory)',
  21: 'no data (No Data)',
  22: 'ECC is not enabled on this vGPU (vGPU ECC Not Enabled)',
  23: 'not enough resources (Insufficient Resources)',
  24: 'the frequency is not supported (Frequency Not Supported)',
  25: 'the argument\'s struct version is not supported (Argument Version Mismatch)',
  26: 'the call is deprecated (Deprecated)',
  27: 'the system is not ready (Not Ready)',
  28: 'no GPU was found (GPU Not Found)',
  29: 'the device is in an invalid state for this call (Invalid State)',
  999: 'an unknown NVML error (Unknown)',
});

export const NVML_NOT_SUPPORTED = 3;

/** An NVML call that did not return NVML_SUCCESS; `nvmlCode` is the nvmlReturn_t. */
export class NvmlError extends ProfilerError {
  constructor(readonly nvmlCode: number, call: string) {
    super('PROF_ERR_IO', `${call}: ${nvmlMessage(nvmlCode)}`, 500);
  }
}

export function nvmlMessage(code: number): string {
  return NVML_ERRORS[code] ?? `NVML error ${code}`;
}

/** What the daemon needs of NVML, one call each. Handles are opaque. */
export interface Nvml {
  init(): void;
  shutdown(): void;
  deviceCount(): number;
  handle(index: number): unknown;
  uuid(handle: unknown): string;
  /** mJ since the driver loaded. */
  totalEnergyMj(handle: unknown): number;
  /** Board power in mW. */
  powerMw(handle: unknown): number;
}

type Fn = (...a: unknown[]) => number;
interface Koffi {
  load(path: string): { func(sig: string): Fn };
}

const loaded = new Map<string, Nvml>();
let koffi: Koffi | null = null;

/** Where NVIDIA's installers and container runtimes put libnvidia-ml (Debian/Ubuntu, RHEL, nvidia-container, WSL). */
const LIB_DIRS = ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib64', '/usr/lib', '/usr/local/nvidia/lib64',
  '/usr/local/nvidia/lib', '/usr/lib/wsl/lib'];

/**
 * Whether the dynamic loader could find `library`: a path exists, or the name is in LD_LIBRARY_PATH, a system library
 * folder or ld.so.cache. On a machine without NVIDIA's driver this spares loading the FFI library (~5 MB of daemon
 * RSS) for a dlopen that must fail; when there is no cache to consult the loader is simply tried.
 */
export function nvmlFindable(library: string, env: NodeJS.ProcessEnv = process.env, ldCache = '/etc/ld.so.cache'): boolean {
  if (library.includes('/')) return existsSync(library);
  const dirs = [...(env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean), ...LIB_DIRS];
  if (dirs.some((d) => existsSync(join(d, library)))) return true;
  try {
    return readFileSync(ldCache).includes(library);
  } catch {
    return true;
  }
}

/**
 * Binds NVML from `library` (a path, or a name the dynamic loader searches), on first use and once per library.
 * Throws a ProfilerError naming the library when it cannot be loaded, or lacks a function.
 */
export function loadNvml(library: string): Nvml {
  const have = loaded.get(library);
  if (have) return have;
  if (!nvmlFindable(library)) {
    throw new ProfilerError('PROF_ERR_IO', `NVML library ${library} could not be loaded: not found (no such file, nor in LD_LIBRARY_PATH, the system library folders or ld.so.cache)`, 500);
  }
  koffi ??= createRequire(import.meta.url)('koffi') as Koffi;
  let lib: { func(sig: string): Fn };
  try {
    lib = koffi.load(library);
  } catch (err) {
    throw new ProfilerError('PROF_ERR_IO', `NVML library ${library} could not be loaded: ${err instanceof Error ? err.message : String(err)}`, 500, { cause: err });
  }
  const bind = (sig: string): Fn => {
    try {
      return lib.func(sig);
    } catch (err) {
      throw new ProfilerError('PROF_ERR_IO', `NVML library ${library} lacks ${sig}`, 500, { cause: err });
    }
  };
  const f = {
    init: bind('int nvmlInit_v2(void)'),
    shutdown: bind('int nvmlShutdown(void)'),
    count: bind('int nvmlDeviceGetCount_v2(_Out_ unsigned int *count)'),
    handle: bind('int nvmlDeviceGetHandleByIndex_v2(unsigned int index, _Out_ void **device)'),
    uuid: bind('int nvmlDeviceGetUUID(void *device, _Out_ uint8_t *uuid, unsigned int length)'),
    energy: bind('int nvmlDeviceGetTotalEnergyConsumption(void *device, _Out_ unsigned long long *energy)'),
    power: bind('int nvmlDeviceGetPowerUsage(void *device, _Out_ unsigned int *power)'),
  };
  const check = (rc: number, call: string): void => {
    if (rc !== 0) throw new NvmlError(rc, call);
  };
  const out = <T>(call: string, fn: Fn, ...args: unknown[]): T => {
    const box: unknown[] = [null];
    check(fn(...args, box), call);
    return box[0] as T;
  };
  const nvml: Nvml = {
    init: () => check(f.init(), 'nvmlInit_v2'),
    shutdown: () => check(f.shutdown(), 'nvmlShutdown'),
    deviceCount: () => out<number>('nvmlDeviceGetCount_v2', f.count),
    handle: (index) => out<unknown>('nvmlDeviceGetHandleByIndex_v2', f.handle, index),
    uuid(handle) {
      const buf = Buffer.alloc(96); // NVML_DEVICE_UUID_V2_BUFFER_SIZE
      check(f.uuid(handle, buf, buf.length), 'nvmlDeviceGetUUID');
      const end = buf.indexOf(0);
      return buf.toString('latin1', 0, end < 0 ? buf.length : end);
    },
    totalEnergyMj: (handle) => Number(out<number | bigint>('nvmlDeviceGetTotalEnergyConsumption', f.energy, handle)),
    powerMw: (handle) => out<number>('nvmlDeviceGetPowerUsage', f.power, handle),
  };
  loaded.set(library, nvml);
  return nvml;
}
