/** A running system on a test database (free ports, no logging), for end-to-end tests. */
import { loadConfig } from '../../src/config/config.ts';
import { startSystem, type RunningSystem } from '../../src/system/start.ts';
import { createTestDatabase, type TestDatabase } from '../../src/store/testing.ts';
import type { Engine } from '../../src/store/db.ts';

export interface TestSystem { t: TestDatabase; system: RunningSystem; url: string; close(): Promise<void> }

export async function startTestSystem(engine: Engine, opts: { workers?: number; now?: () => Date } = {}): Promise<TestSystem> {
  const t = await createTestDatabase(engine);
  const config = loadConfig({ PORT: '0', MLLP_PORT: '0', LOG_LEVEL: 'silent' }, process.cwd());
  const system = await startSystem({ config, database: t, log: () => undefined, ...(opts.workers !== undefined ? { workers: opts.workers } : {}), ...(opts.now ? { now: opts.now } : {}) });
  return {
    t, system, url: `http://127.0.0.1:${system.httpPort}`,
    async close() {
      await system.stop();
      await t.dispose();
    },
  };
}
