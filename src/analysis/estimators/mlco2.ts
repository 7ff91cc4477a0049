import { invalid } from '../../errors.js';

/** MLCO2 baseline: the GPU at its TDP for the whole run, E = TDP × t (J). */
export function mlco2(tdpW: number, seconds: number): number {
  if (!Number.isFinite(tdpW) || tdpW < 0) throw invalid(`mlco2: tdpW must be a number >= 0, got ${tdpW}`);
  if (!Number.isFinite(seconds) || seconds < 0) throw invalid(`mlco2: seconds must be a number >= 0, got ${seconds}`);
  return tdpW * seconds;
}
