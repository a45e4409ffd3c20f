/**
 * The match parameters in use: the latest estimated set stored in mpi_parameters, or the built-in
 * priors until one is estimated. Scorers are cached by the digest of their parameters, so a
 * worker reads one short row per record, never the whole set.
 */
import { createHash } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { Tables } from '../store/tables.ts';
import { defaultParameters, estimateParameters, parameterProblems, Scorer, seededRandom, type MatchParameters, type PreparedRecord } from './match/index.ts';

export const DEFAULT_DIGEST = 'default';

const scorers = new Map<string, Scorer>([[DEFAULT_DIGEST, new Scorer(defaultParameters())]]);

export function digestOf(p: MatchParameters): string {
  return createHash('sha256').update(JSON.stringify(p)).digest('hex');
}

/** The digest of the parameters in use, as a SQL expression (to fold into another query). */
export const currentDigestSql = sql<string | null>`(select digest from mpi_parameters order by id desc limit 1)`;

export async function scorerFor(trx: Kysely<Tables>, digest: string | null): Promise<Scorer> {
  const key = digest ?? DEFAULT_DIGEST;
  const cached = scorers.get(key);
  if (cached) return cached;
  const row = await trx.selectFrom('mpi_parameters').select('parameters').where('digest', '=', key).orderBy('id', 'desc').limit(1).executeTakeFirst();
  if (!row) return scorers.get(DEFAULT_DIGEST)!;
  const parameters = row.parameters as unknown as MatchParameters;
  const problems = parameterProblems(parameters);
  if (problems.length > 0) throw new Error(`stored match parameters are not usable: ${problems.join('; ')}`);
  const scorer = new Scorer(parameters);
  scorers.set(key, scorer);
  return scorer;
}

export async function currentParameters(db: Kysely<Tables>): Promise<{ digest: string; parameters: MatchParameters; estimatedAt: Date | null }> {
  const row = await db.selectFrom('mpi_parameters').select(['digest', 'parameters', 'created_at']).orderBy('id', 'desc').limit(1).executeTakeFirst();
  if (!row) return { digest: DEFAULT_DIGEST, parameters: defaultParameters(), estimatedAt: null };
  return { digest: row.digest, parameters: row.parameters as unknown as MatchParameters, estimatedAt: row.created_at };
}

/**
 * Re-estimates m and u (EM over blocked pairs, u from random pairs) from every stored record and
 * stores the result as the parameters in use. Seeded, so the same records give the same estimate.
 */
export async function estimateStoredParameters(db: Kysely<Tables>, opts: { seed?: number; randomPairs?: number } = {}): Promise<{ digest: string; parameters: MatchParameters }> {
  const rows = await db.selectFrom('mpi_records').select('prepared').orderBy('feed_id').orderBy('local_id').execute();
  const records = rows.map((r) => r.prepared as unknown as PreparedRecord).filter((r) => r.family !== null || r.birthDate !== null);
  const parameters = estimateParameters(records, { random: seededRandom(opts.seed ?? 20240601), ...(opts.randomPairs ? { randomPairs: opts.randomPairs } : {}) });
  const digest = digestOf(parameters);
  await db.insertInto('mpi_parameters').values({ digest, parameters: JSON.stringify(parameters) }).execute();
  return { digest, parameters };
}
