import { createGpuStream, type GpuStream, type GpuStreamOptions } from './nvidia-smi.js';
import type { SampleSink, SamplerFactory, SamplerHealth, StreamSampler } from './types.js';

type StreamHandlers = Pick<GpuStreamOptions, 'onSamples' | 'onHealth' | 'onGap'>;

/**
 * The nvidia-smi power trace behind the Sampler interface. Each start() opens a fresh stream (probe, fields, gap
 * tracking start over, as for a new daemon), so a stream still stopping can never disturb the next one.
 */
export function createNvidiaSmiSampler(o: { sink: SampleSink; stream: (h: StreamHandlers) => GpuStream }): StreamSampler {
  let current: GpuStream | null = null;
  let last: SamplerHealth = { name: 'nvidia-smi', state: 'idle', lastSampleAt: null, restarts: 0, message: null };
  return {
    kind: 'stream',
    name: 'nvidia-smi',
    async start() {
      if (current) return;
      const s = o.stream({
        onSamples: (samples) => o.sink.gpu(samples),
        onGap: (g) => o.sink.gap(g),
        onHealth: (h) => {
          if (current !== s) return;
          last = h;
          o.sink.health(h);
        },
      });
      current = s;
      await s.start();
    },
    async stop() {
      const s = current;
      if (!s) return;
      current = null;
      await s.stop();
      if (current !== null) return;
      last = { ...s.health(), state: 'idle' };
      o.sink.health(last);
    },
    health: () => current?.health() ?? { ...last },
  };
}

export const nvidiaSmiSampler: SamplerFactory = {
  name: 'nvidia-smi',
  create: (ctx) =>
    createNvidiaSmiSampler({
      sink: ctx.sink,
      stream: (h) => createGpuStream({ command: ctx.cfg.nvidiaSmi, intervalMs: ctx.cfg.sampleMs, watchdogIntervals: ctx.cfg.watchdogIntervals,
        logger: ctx.log, clock: ctx.clock, scheduler: ctx.scheduler, ...h }),
    }),
};
