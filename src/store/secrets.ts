/**
 * Server secrets (signing keys) generated on first use and shared by every process through the
 * database. Racing first starts agree: the first insert wins and everyone reads it back.
 */
import type { Kysely } from 'kysely';
import type { Tables } from './tables.ts';

export async function serverSecret(db: Kysely<Tables>, name: string, make: () => string): Promise<string> {
  const found = await db.selectFrom('server_secrets').select('value').where('name', '=', name).executeTakeFirst();
  if (found) return found.value;
  await db.insertInto('server_secrets').values({ name, value: make() }).onConflict((oc) => oc.column('name').doNothing()).execute();
  const r = await db.selectFrom('server_secrets').select('value').where('name', '=', name).executeTakeFirstOrThrow();
  return r.value;
}
