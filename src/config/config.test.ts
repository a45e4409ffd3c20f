import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.ts';

describe('configuration', () => {
  it('defaults to the embedded single-machine setup', () => {
    const c = loadConfig({}, '/srv/ohc');
    expect(c).toMatchObject({ databaseUrl: null, dataDir: '/srv/ohc/.ohc', port: 8080, mllpPort: 2575, ingestWorkers: 2, ingestWorkerProcesses: 1, ingestWorkerNice: 10, ingestWorkerGiveWayMs: 2 });
  });
  it.each([
    [{ PORT: 'eighty' }, 'PORT: "eighty" is not a whole number (for example PORT=8080)'],
    [{ PORT: '70000' }, 'PORT: 70000 is outside 0..65535 (for example PORT=8080)'],
    [{ MLLP_PORT: '-1' }, 'MLLP_PORT: "-1" is not a whole number (for example MLLP_PORT=2575)'],
    [{ DATABASE_URL: 'mysql://x@y/z' }, 'DATABASE_URL: scheme "mysql:" is not postgres: (for example DATABASE_URL=postgres://user@127.0.0.1:5432/ohc)'],
    [{ DATABASE_URL: 'not a url' }, 'DATABASE_URL: is not a URL (for example DATABASE_URL=postgres://user@127.0.0.1:5432/ohc)'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL: "loud" is not one of fatal, error, warn, info, debug, trace, silent (for example LOG_LEVEL=info)'],
    [{ OHC_INGEST_WORKER_PROCESSES: '17' }, 'OHC_INGEST_WORKER_PROCESSES: 17 is outside 0..16 (for example OHC_INGEST_WORKER_PROCESSES=1)'],
    [{ OHC_INGEST_WORKER_NICE: '20' }, 'OHC_INGEST_WORKER_NICE: 20 is outside 0..19 (for example OHC_INGEST_WORKER_NICE=10)'],
    [{ OHC_INGEST_WORKER_GIVE_WAY_MS: '5000' }, 'OHC_INGEST_WORKER_GIVE_WAY_MS: 5000 is outside 0..1000 (for example OHC_INGEST_WORKER_GIVE_WAY_MS=2)'],
    [{ OHC_SNAPSHOT_MAX_REMOVAL_SHARE: '2' }, 'OHC_SNAPSHOT_MAX_REMOVAL_SHARE: "2" is not a share between 0 and 1 (for example OHC_SNAPSHOT_MAX_REMOVAL_SHARE=0.2)'],
  ])('refuses %j with one line naming the variable', (env, message) => {
    expect(() => loadConfig(env, '/x')).toThrow(ConfigError);
    expect(() => loadConfig(env, '/x')).toThrow(message);
  });
  it('keeps the inbox workers in the server process when asked to', () => {
    expect(loadConfig({ OHC_INGEST_WORKER_PROCESSES: '0' }, '/x').ingestWorkerProcesses).toBe(0);
  });
  it('takes a data directory relative to the working directory and a PostgreSQL URL', () => {
    const c = loadConfig({ OHC_DATA_DIR: 'data', DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/test', PORT: '9000' }, '/srv');
    expect(c).toMatchObject({ dataDir: '/srv/data', databaseUrl: 'postgres://postgres@127.0.0.1:5432/test', port: 9000 });
  });
});
