/**
 * Anonymised aggregate statistics for reviewing services in the county — the only way data leaves
 * direct care. Raw counts are computed in the database from the people who have not objected (any
 * NHS number of any of their source records on the objection register, as loadAccessFacts decides
 * it) and never leave this module: every cell is disclosed through disclosure.ts (suppression of 1 to 7, rounding
 * to 5) first. No row names a person; the finest grain is a GP practice or an organisation.
 * Each production of the statistics is decided (purpose 'statistics') and audited.
 */
import { sql, type Kysely } from 'kysely';
import type { Tables } from '../store/tables.ts';
import { transaction } from '../store/db.ts';
import { decide, userActor, type AuditSink, type DecideOptions, type DecisionUser } from '../access/index.ts';
import { ukDay } from '../record/index.ts';
import { ageBand, AGE_BANDS, AGE_NOT_KNOWN, disclose, DISCLOSURE_RULE, sumBy, type Disclosed } from './disclosure.ts';

export const STATISTICS = ['persons-by-age-and-sex', 'persons-by-gp-practice', 'persons-by-organisation-kind', 'entries-by-type-and-organisation', 'entries-received-by-month'] as const;
export type StatisticName = (typeof STATISTICS)[number];

const SEXES = ['female', 'male', 'other', 'unknown'] as const;

export interface AgeSexRow { readonly band: string; readonly bySex: Readonly<Record<(typeof SEXES)[number], Disclosed>>; readonly total: Disclosed }
export interface LabelledCount { readonly label: string; readonly code?: string; readonly count: Disclosed }
export interface EntriesRow { readonly organisation: string; readonly ods: string; readonly resourceType: string; readonly count: Disclosed }
export interface MonthRow { readonly month: string; readonly organisationKind: string; readonly count: Disclosed }

export interface AnonymisedStatistics {
  readonly asOf: string;
  /** When these counts were made (they are kept for a while: see anonymisedStatistics). */
  readonly computedAt: string;
  readonly rule: string;
  readonly persons: Disclosed;
  readonly ageSex: readonly AgeSexRow[];
  readonly gpPractices: readonly LabelledCount[];
  readonly organisationKinds: readonly LabelledCount[];
  readonly entries: readonly EntriesRow[];
  readonly months: readonly MonthRow[];
}

export interface StatisticsActor { readonly id: string; readonly role: string; readonly organisationOds: string; readonly decisionUser: DecisionUser }

export class StatisticsRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StatisticsRefused';
  }
}

/**
 * The people who objected: any NHS number of any of their source records is on the register (as
 * loadAccessFacts decides it). Few, so every query leaves them out with a hashed anti-join.
 * Person-scoped rows are moved to the surviving person on a merge, so no query needs persons itself.
 */
const OBJECTED = sql`select os.person_id from objections ob join source_records os on os.nhs_number = ob.nhs_number`;

const KIND_LABELS: Readonly<Record<string, string>> = {
  'gp-practice': 'GP practices', 'acute': 'Acute hospital trusts', 'community': 'Community services', 'mental-health': 'Mental health services',
  'social-care': 'Council social care', 'chc': 'Continuing healthcare', 'ambulance': 'Ambulance service', 'other': 'Other organisations',
};

export function organisationKindLabel(kind: string): string {
  return KIND_LABELS[kind] ?? KIND_LABELS.other!;
}

interface RawCounts {
  ageSex: { age: number | null; sex: string | null; n: number }[];
  practices: { ods: string | null; name: string | null; n: number }[];
  kinds: { kind: string; n: number }[];
  entries: { ods: string; name: string; resource_type: string; n: number }[];
  months: { month: string; kind: string; n: number }[];
}

/**
 * Raw counts, on `db` (the statistics' transaction): three passes, one over source records (age, sex
 * and registered practice from each person's latest record that states them) and two over resources.
 * Internal: callers get only disclosed values.
 */
async function rawCounts(db: Kysely<Tables>, asOf: string, monthsFrom: string): Promise<RawCounts> {
  const people = await sql<{ by_age_sex: boolean; age: number | null; sex: string | null; gp: string | null; name: string | null; n: number }>`
    with latest as (
      select s.person_id,
             (array_agg(s.demographics ->> 'birthDate' order by s.updated_at desc) filter (where s.demographics ? 'birthDate'))[1] as birth_date,
             (array_agg(s.demographics ->> 'sex' order by s.updated_at desc) filter (where s.demographics ? 'sex'))[1] as sex,
             (array_agg(s.demographics ->> 'gpPracticeOds' order by s.updated_at desc) filter (where s.demographics ? 'gpPracticeOds'))[1] as gp
        from source_records s
       where s.retired_into is null and s.person_id not in (${OBJECTED})
       group by s.person_id
    ), aged as (
      select case when birth_date ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' and birth_date::date <= ${asOf}::date
                  then date_part('year', age(${asOf}::date, birth_date::date))::int end as age,
             sex, gp
        from latest
    )
    select grouping(a.age, a.sex) = 0 as by_age_sex, a.age, a.sex, a.gp, min(o.name) as name, count(*)::int8 as n
      from aged a left join organisations o on o.ods_code = a.gp
     group by grouping sets ((a.age, a.sex), (a.gp))`.execute(db);
  const entries = await sql<{ by_type: boolean; ods: string | null; name: string | null; resource_type: string | null; kind: string | null; month: string | null; n: number }>`
    select grouping(x.ods, x.resource_type) = 0 as by_type, x.ods, min(x.name) as name, x.resource_type, x.kind, x.month, count(*)::int8 as n
      from (
        select r.source_org as ods, o.name, r.resource_type, o.kind,
               case when r.received_at >= ${monthsFrom}::date then to_char(date_trunc('month', r.received_at at time zone 'Europe/London'), 'YYYY-MM') end as month
          from resources r join organisations o on o.ods_code = r.source_org
         where not r.deleted and r.person_id not in (${OBJECTED})
      ) x
     group by grouping sets ((x.ods, x.resource_type), (x.kind, x.month))`.execute(db);
  const kinds = await sql<{ kind: string; n: number }>`
    select k.kind, count(*)::int8 as n
      from (select distinct r.person_id, o.kind from resources r join organisations o on o.ods_code = r.source_org
             where not r.deleted and r.person_id not in (${OBJECTED})) k
     group by k.kind order by k.kind`.execute(db);
  const byName = (a: { name: string | null; ods: string | null }, b: { name: string | null; ods: string | null }) =>
    (a.name ?? '\uffff').localeCompare(b.name ?? '\uffff') || (a.ods ?? '').localeCompare(b.ods ?? '');
  return {
    ageSex: people.rows.filter((r) => r.by_age_sex).map((r) => ({ age: r.age, sex: r.sex, n: r.n })),
    practices: people.rows.filter((r) => !r.by_age_sex && r.gp !== null).map((r) => ({ ods: r.gp, name: r.name, n: r.n })).sort((a, b) => byName(a, b)),
    kinds: kinds.rows,
    entries: entries.rows.filter((r) => r.by_type).map((r) => ({ ods: r.ods!, name: r.name ?? r.ods!, resource_type: r.resource_type!, n: r.n }))
      .sort((a, b) => byName(a, b) || a.resource_type.localeCompare(b.resource_type)),
    months: entries.rows.filter((r) => !r.by_type && r.month !== null).map((r) => ({ month: r.month!, kind: r.kind!, n: r.n }))
      .sort((a, b) => b.month.localeCompare(a.month) || a.kind.localeCompare(b.kind)),
  };
}

/** Turns raw counts into what may be published; pure, so the disclosure of each table is tested directly. */
export function discloseCounts(raw: RawCounts, asOf: string, computedAt: string): AnonymisedStatistics {
  const sexOf = (s: string | null): (typeof SEXES)[number] => ((SEXES as readonly string[]).includes(s ?? '') ? s as (typeof SEXES)[number] : 'unknown');
  const cell = sumBy(raw.ageSex, (r) => `${ageBand(r.age)}|${sexOf(r.sex)}`, (r) => Number(r.n));
  const bandTotal = sumBy(raw.ageSex, (r) => ageBand(r.age), (r) => Number(r.n));
  const bands = [...AGE_BANDS.map((b) => b.label), AGE_NOT_KNOWN].filter((b) => bandTotal.has(b));
  const persons = raw.ageSex.reduce((t, r) => t + Number(r.n), 0);
  return {
    asOf, computedAt, rule: DISCLOSURE_RULE, persons: disclose(persons),
    ageSex: bands.map((band) => ({
      band,
      bySex: Object.fromEntries(SEXES.map((s) => [s, disclose(cell.get(`${band}|${s}`) ?? 0)])) as AgeSexRow['bySex'],
      total: disclose(bandTotal.get(band) ?? 0),
    })),
    gpPractices: raw.practices.map((p) => ({ label: p.name ?? 'Practice not registered with the shared record', ...(p.ods ? { code: p.ods } : {}), count: disclose(Number(p.n)) })),
    organisationKinds: raw.kinds.map((k) => ({ label: organisationKindLabel(k.kind), code: k.kind, count: disclose(Number(k.n)) })),
    entries: raw.entries.map((e) => ({ organisation: e.name, ods: e.ods, resourceType: e.resource_type, count: disclose(Number(e.n)) })),
    months: raw.months.map((m) => ({ month: m.month, organisationKind: organisationKindLabel(m.kind), count: disclose(Number(m.n)) })),
  };
}

/** How long counts are reused, by default: they scan the whole store (tens of seconds for a county). */
export const STATISTICS_MAX_AGE_MINUTES = 60;

interface Kept { readonly key: string; readonly at: number; readonly stats: AnonymisedStatistics }
// Per database handle, so a process serving two databases never mixes them. Disclosed values only.
const kept = new WeakMap<Kysely<Tables>, Kept>();

/**
 * The anonymised statistics for an analyst: decided (purpose 'statistics'), computed from people who
 * have not objected, disclosed, and audited in the same transaction. Throws StatisticsRefused.
 *
 * Counts are reused for up to `maxAgeMinutes` on the same UK day, but never across a change to the
 * objection register (its latest event is part of the key): an objection takes effect in the
 * statistics at once, as everywhere else. Every view is audited, reused or not.
 */
export async function anonymisedStatistics(
  db: Kysely<Tables>, actor: StatisticsActor, now: Date, audit: AuditSink, options: DecideOptions = {}, o: { maxAgeMinutes?: number } = {},
): Promise<AnonymisedStatistics> {
  const decision = decide(actor.decisionUser, null, 'statistics', now, options);
  if (!decision.allow) {
    await transaction(db, (trx) => audit(trx, {
      time: now.toISOString(), actor: userActor(actor), action: 'access-denied', purpose: 'administration', outcome: 'denied',
      details: { route: 'statistics', reason: decision.reason },
    }));
    throw new StatisticsRefused(decision.message);
  }
  // Obligations are data: the exclusion is built into every query (OBJECTED), and this says so if policy ever stops asking.
  if (!decision.obligations.some((ob) => ob.type === 'exclude-opted-out')) throw new Error('the statistics decision must exclude people who objected');
  const asOf = ukDay(now);
  const [y, m] = asOf.split('-').map(Number) as [number, number];
  // The current month and the eleven before it.
  const monthsFrom = `${m === 12 ? y : y - 1}-${String(m === 12 ? 1 : m + 1).padStart(2, '0')}-01`;
  const maxAgeMs = (o.maxAgeMinutes ?? STATISTICS_MAX_AGE_MINUTES) * 60_000;
  return transaction(db, async (trx) => {
    const register = await trx.selectFrom('objection_events').select((eb) => eb.fn.max('id').as('last')).executeTakeFirst();
    const key = `${asOf}|${register?.last ?? 0}`;
    const prior = kept.get(db);
    const reuse = prior !== undefined && prior.key === key && now.getTime() - prior.at >= 0 && now.getTime() - prior.at < maxAgeMs;
    const stats = reuse ? prior.stats : discloseCounts(await rawCounts(trx, asOf, monthsFrom), asOf, now.toISOString());
    await audit(trx, {
      // Not about any person: an aggregate production for reviewing services, never a view of a record.
      time: now.toISOString(), actor: userActor(actor), action: 'statistics-viewed', purpose: 'administration', outcome: 'success',
      details: { route: 'statistics', statistics: [...STATISTICS], disclosure: DISCLOSURE_RULE, excludesObjections: true, computedAt: stats.computedAt },
    });
    if (!reuse && maxAgeMs > 0) kept.set(db, { key, at: now.getTime(), stats });
    return stats;
  }, { isolation: 'repeatable read' });
}
