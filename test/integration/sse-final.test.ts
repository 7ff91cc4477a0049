import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { loadConfig } from '../../src/config/load.js';
import { createDaemon } from '../../src/daemon/create-daemon.js';
import { FAKE_SMI, waitFor } from '../helpers/cli.js';

interface SseEvent {
  event: string;
  data: any;
}

/** The events of a stream over real HTTP until the server ends it. */
function follow(url: string): { events: SseEvent[]; ended: Promise<void> } {
  const events: SseEvent[] = [];
  let buf = '';
  const ended = new Promise<void>((resolve, reject) => {
    request(url, (res) => {
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buf += chunk;
        let i;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          if (!block.startsWith('id:')) continue;
          const f = Object.fromEntries(block.split('\n').map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 2)]));
          events.push({ event: String(f.event), data: JSON.parse(String(f.data)) });
        }
      });
      res.on('end', resolve);
    }).on('error', reject).end();
  });
  return { events, ended };
}

const post = async (url: string, body: unknown): Promise<any> =>
  (await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })).json();

describe('the event stream of a run that ends', () => {
  it('ends with the last epoch, the final stabilization and projection, then the status, all as the run JSON has them', async () => {
    const home = mkdtempSync(join(tmpdir(), 'profiler-sse-'));
    const config = loadConfig({
      env: { PROFILER_HOME: home, PROFILER_NVIDIA_SMI: FAKE_SMI, PROFILER_SAMPLE_MS: '100', PROFILER_PORT: '0' },
      overrides: { stabilization: { gridMs: 0, m: 3, L: 3, exclFactor: 1, nRegimes: 2, fixedEpoch: 2, windowEpochs: 2, maxPoints: 4000 } },
    });
    const daemon = createDaemon({ config, logger: pino({ level: 'silent' }) });
    const { port } = await daemon.listen();
    const url = `http://127.0.0.1:${port}`;
    try {
      const run = await post(`${url}/v1/runs`, { command: ['train'], expectedEpochs: 4 });
      const live = follow(`${url}/v1/runs/${run.id}/events`);
      for (let e = 1; e <= 4; e++) {
        await post(`${url}/v1/runs/${run.id}/epochs`, { event: 'start', epoch: e });
        // Each epoch holds GPU samples of its own (the fake nvidia-smi writes one every 100 ms).
        const n = live.events.filter((x) => x.event === 'sample').length;
        await waitFor(() => live.events.filter((x) => x.event === 'sample').length >= n + 2, 15_000, `samples in epoch ${e}`);
        if (e < 4) await post(`${url}/v1/runs/${run.id}/epochs`, { event: 'end', epoch: e });
      }
      // Epoch 4 is still open: the finish closes it, so its energy is known only at the end.
      await post(`${url}/v1/runs/${run.id}/finish`, { exitCode: 0 });
      await live.ended;
      const final = await (await fetch(`${url}/v1/runs/${run.id}`)).json() as any;
      const kinds = live.events.map((e) => e.event);
      const tail = live.events.slice(kinds.lastIndexOf('sample') + 1);
      assert.equal(tail.at(-1)?.event, 'status', kinds.join(' '));
      const lastEpoch = live.events.findLast((e) => e.event === 'epoch' && e.data.event === 'finalized');
      assert.equal(lastEpoch?.data.epoch, 4, 'the last epoch is finalized in the stream');
      assert.equal(lastEpoch?.data.energyJ, final.epochs[3].energyJ, 'with its final energy');
      assert.ok(final.projection !== null && final.stabilization !== null, JSON.stringify(final.stabilization));
      const projection = live.events.findLast((e) => e.event === 'projection');
      assert.deepEqual(projection?.data.projection, final.projection, 'the final projection');
      const stabilization = live.events.findLast((e) => e.event === 'stabilization');
      assert.deepEqual(stabilization?.data.stabilization.epoch, final.stabilization.epoch, 'the final stabilizing epoch');
      const order = (k: string): number => kinds.lastIndexOf(k);
      assert.ok(order('projection') < order('status') && kinds.lastIndexOf('epoch') < order('status'), kinds.join(' '));
      const status = tail.at(-1) as SseEvent;
      assert.equal(status.data.status, 'succeeded');
      assert.deepEqual(status.data.energy, final.energy, 'the status carries the run JSON\'s energy (gaps a count)');
      assert.equal(typeof status.data.energy.gaps, 'number');
    } finally {
      await daemon.close();
      rmSync(home, { recursive: true, force: true });
    }
  });
});
