/**
 * A server process for the crash test: opens the database named by its arguments (an embedded
 * folder or a PostgreSQL URL and schema), starts the system and prints its MLLP port. The test
 * kills it with SIGKILL at a random moment.
 */
import { loadConfig } from '../../src/config/config.ts';
import { openMigrated, openPGlite, openPostgres } from '../../src/store/db.ts';
import { startSystem } from '../../src/system/start.ts';

const [kind, where, schema] = process.argv.slice(2);
const database = kind === 'pglite'
  ? await openMigrated(() => openPGlite(where!))
  : await openMigrated(() => openPostgres({ url: where!, schema: schema! }));
const config = loadConfig({ PORT: '0', MLLP_PORT: '0', LOG_LEVEL: 'silent', OHC_INGEST_WORKERS: '2' }, process.cwd());
const system = await startSystem({ config, database, log: () => undefined });
process.stdout.write(`ready ${system.mllpPort}\n`);
