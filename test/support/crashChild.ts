/**
 * A server process for the crash test: opens the database named by its arguments (an embedded
 * folder or a PostgreSQL URL and schema), starts the system as `ohc serve` does — on PostgreSQL
 * with its inbox workers in a process of their own — and prints its MLLP port. The test kills it
 * with SIGKILL at a random moment (its worker process then ends itself).
 */
import { loadConfig } from '../../src/config/config.ts';
import { openMigrated, openPGlite, openPostgres } from '../../src/store/db.ts';
import { startSystem } from '../../src/system/start.ts';

const [kind, where, schema] = process.argv.slice(2);
const postgres = kind === 'pglite' ? undefined : { url: where!, schema: schema! };
const database = postgres
  ? await openMigrated(() => openPostgres(postgres))
  : await openMigrated(() => openPGlite(where!));
const config = loadConfig({ PORT: '0', MLLP_PORT: '0', LOG_LEVEL: 'silent', OHC_INGEST_WORKERS: '2' }, process.cwd());
const system = await startSystem({ config, database, log: () => undefined, ...(postgres ? { postgres } : {}) });
process.stdout.write(`ready ${system.mllpPort}\n`);
