/**
 * A separate server process appending to the audit log, for the multi-process concurrency test:
 * `node --import tsx src/audit/testAppender.ts URL SCHEMA TRANSACTIONS NAME`. Prints the count of
 * events it appended.
 */
import { openPostgres, transaction } from '../store/db.ts';
import { appendAuditMany } from './log.ts';
import { draftFor, testSettings } from './testSupport.ts';

const [url, schema, n, name] = process.argv.slice(2);
if (!url || !schema || !n || !name) throw new Error('usage: testAppender URL SCHEMA TRANSACTIONS NAME');
const database = await openPostgres({ url, schema, poolSize: 4 });
const settings = testSettings(25);
let appended = 0;
const work = Array.from({ length: Number(n) }, (_, i) => async () => {
  const drafts = Array.from({ length: 1 + (i % 3) }, (_, j) => ({ ...draftFor('view', new Date(Date.UTC(2025, 2, 1) + i * 10 + j).toISOString()), details: { by: name, i, j } }));
  await transaction(database.db, (trx) => appendAuditMany(trx, drafts, { settings }));
  appended += drafts.length;
});
// Four transactions in flight at a time, like a busy API node.
const queue = [...work];
await Promise.all(Array.from({ length: 4 }, async () => {
  for (let next = queue.shift(); next; next = queue.shift()) await next();
}));
await database.close();
process.stdout.write(`${appended}\n`);
