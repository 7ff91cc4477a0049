import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { loadConfig } from '../../src/config/load.js';
import { createDaemon, type Daemon } from '../../src/daemon/create-daemon.js';
import { FAKE_SMI } from '../helpers/cli.js';

export interface TestDaemon {
  daemon: Daemon;
  url: string;
  home: string;
  close(): Promise<void>;
}

/** A daemon in this process on 127.0.0.1 port 0, sampling the fake nvidia-smi every 100 ms, in a fresh home. */
export async function startDaemon(env: Record<string, string> = {}, listen = true): Promise<TestDaemon> {
  const home = mkdtempSync(join(tmpdir(), 'profiler-api-'));
  const config = loadConfig({
    env: { PROFILER_HOME: home, PROFILER_NVIDIA_SMI: FAKE_SMI, PROFILER_SAMPLE_MS: '100', PROFILER_PORT: '0', ...env },
  });
  const daemon = createDaemon({ config, logger: pino({ level: 'silent' }) });
  const addr = listen ? await daemon.listen() : { host: '127.0.0.1', port: 0 };
  return {
    daemon,
    home,
    url: `http://127.0.0.1:${addr.port}`,
    async close() {
      await daemon.close();
      rmSync(home, { recursive: true, force: true });
    },
  };
}
