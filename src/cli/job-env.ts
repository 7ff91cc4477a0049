import { invalid } from '../errors.js';
import { JOB_ID_RE } from '../store/run-id.js';
import type { JobRef } from '../store/runs.js';

const rankOf = (v: string | undefined): number | null => (v !== undefined && /^\d{1,8}$/.test(v) ? Number(v) : null);
const usable = (v: string | undefined): v is string => v !== undefined && JOB_ID_RE.test(v);

/**
 * The job a run belongs to: `--job ID`, else SLURM_JOB_ID (with SLURM_STEP_ID), else TORCHELASTIC_RUN_ID; the rank
 * from RANK, else SLURM_PROCID. A variable that cannot be an id is passed over (torchrun's default run id "none").
 */
export function resolveJob(env: NodeJS.ProcessEnv, flag: string | null, host: string): JobRef | null {
  const rank = rankOf(env.RANK) ?? rankOf(env.SLURM_PROCID);
  if (flag !== null) {
    if (!JOB_ID_RE.test(flag)) {
      throw invalid(`profiler run: --job takes 1-128 letters, digits and _ . : @ + - (starting with a letter or digit), got "${flag.slice(0, 140)}"`);
    }
    return { id: flag, source: 'flag', host, rank, step: null };
  }
  if (usable(env.SLURM_JOB_ID)) {
    const step = env.SLURM_STEP_ID;
    return { id: env.SLURM_JOB_ID, source: 'slurm', host, rank, step: step !== undefined && /^[\w.-]{1,64}$/.test(step) ? step : null };
  }
  const te = env.TORCHELASTIC_RUN_ID;
  if (usable(te) && te !== 'none') return { id: te, source: 'torchelastic', host, rank, step: null };
  return null;
}
