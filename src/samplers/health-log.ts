import type { Logger } from 'pino';
import type { SamplerHealth, SamplerState } from './types.js';

/** A logger of sampler health that writes once per state change (not once per failing tick); samplers start idle. */
export function stateChangeLog(log: Logger): (h: SamplerHealth) => void {
  const last = new Map<string, SamplerState>();
  return (h) => {
    if ((last.get(h.name) ?? 'idle') === h.state) return;
    last.set(h.name, h.state);
    const o = { sampler: h.name, state: h.state, message: h.message };
    if (h.state === 'failed') log.warn(o, 'sampler failed');
    else log.info(o, 'sampler state');
  };
}
