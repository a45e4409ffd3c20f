/**
 * Feeds: each partner source system registered with its organisation, format and counters. A feed
 * may write only as its own organisation. Counters: accepted and rejected are kept on the row
 * (bumped once per worker batch, not per message, so busy feeds do not queue on one row lock);
 * pending work and open dead letters are counted live, so `received` is always their sum.
 */
import { sql, type Kysely } from 'kysely';
import type { Tables } from '../store/tables.ts';

export type FeedFormat = 'hl7v2' | 'fhir' | 'csv';

export interface Feed {
  id: string;
  organisationOds: string;
  format: FeedFormat;
  name: string | null;
  sendingApplication: string | null;
  snapshot: boolean;
}

export interface FeedStatus extends Feed {
  received: number;
  accepted: number;
  rejected: number;
  deadLettered: number;
  pending: number;
  lastSuccess: string | null;
}

export class FeedError extends Error {
  constructor(message: string, public readonly code: 'invalid' | 'duplicate' | 'unknown-organisation' | 'not-found') {
    super(message);
    this.name = 'FeedError';
  }
}

export const FEED_FORMATS: FeedFormat[] = ['hl7v2', 'fhir', 'csv'];

export interface FeedInput { id: string; organisationOds: string; format: string; name?: string | null; sendingApplication?: string | null; snapshot?: boolean }

export function validateFeed(input: FeedInput): { ok: true; feed: Feed } | { ok: false; message: string } {
  const id = input.id.trim();
  if (!/^[a-z0-9][a-z0-9-]{1,62}$/.test(id)) return { ok: false, message: `feed id "${input.id}" must be 2 to 63 lowercase letters, digits and hyphens (for example rje-pas)` };
  if (!FEED_FORMATS.includes(input.format as FeedFormat)) return { ok: false, message: `format "${input.format}" is not one of ${FEED_FORMATS.join(', ')}` };
  const format = input.format as FeedFormat;
  if (input.snapshot && format !== 'csv') return { ok: false, message: 'only CSV feeds can be snapshot extracts' };
  return {
    ok: true,
    feed: {
      id, organisationOds: input.organisationOds.trim().toUpperCase(), format, name: input.name?.trim() || null,
      sendingApplication: input.sendingApplication?.trim() || null, snapshot: input.snapshot ?? false,
    },
  };
}

export async function addFeed(db: Kysely<Tables>, input: FeedInput): Promise<Feed> {
  const v = validateFeed(input);
  if (!v.ok) throw new FeedError(v.message, 'invalid');
  const f = v.feed;
  const org = await db.selectFrom('organisations').select('ods_code').where('ods_code', '=', f.organisationOds).executeTakeFirst();
  if (!org) throw new FeedError(`organisation ${f.organisationOds} is not registered (add it with ohc orgs add)`, 'unknown-organisation');
  const existing = await db.selectFrom('feeds').select('id').where('id', '=', f.id).executeTakeFirst();
  if (existing) throw new FeedError(`feed ${f.id} is already registered`, 'duplicate');
  if (f.format === 'hl7v2') {
    const clash = await db.selectFrom('feeds').select('id')
      .where('format', '=', 'hl7v2').where('organisation_ods', '=', f.organisationOds)
      .where(sql<boolean>`coalesce(sending_application, '') = ${f.sendingApplication ?? ''}`).executeTakeFirst();
    if (clash) {
      throw new FeedError(
        `HL7 feed ${clash.id} already receives from ${f.organisationOds}${f.sendingApplication ? ` application ${f.sendingApplication}` : ''}; give each HL7 feed of one organisation its own --sending-application (MSH-3)`,
        'duplicate',
      );
    }
  }
  await db.insertInto('feeds').values({
    id: f.id, organisation_ods: f.organisationOds, format: f.format, name: f.name, sending_application: f.sendingApplication, snapshot: f.snapshot,
  }).execute();
  return f;
}

function fromRow(r: { id: string; organisation_ods: string; format: FeedFormat; name: string | null; sending_application: string | null; snapshot: boolean }): Feed {
  return { id: r.id, organisationOds: r.organisation_ods, format: r.format, name: r.name, sendingApplication: r.sending_application, snapshot: r.snapshot };
}

export async function getFeed(db: Kysely<Tables>, id: string): Promise<Feed | null> {
  const r = await db.selectFrom('feeds').selectAll().where('id', '=', id).executeTakeFirst();
  return r ? fromRow(r) : null;
}

/**
 * The HL7 feed a message belongs to: MSH-4 names the organisation; where it has several HL7 feeds,
 * MSH-3 (sending application) picks one, and a feed registered without an application takes the rest.
 */
export async function findHl7Feed(db: Kysely<Tables>, sendingFacility: string, sendingApplication: string): Promise<Feed | null> {
  const rows = await db.selectFrom('feeds').selectAll().where('format', '=', 'hl7v2').where('organisation_ods', '=', sendingFacility.trim().toUpperCase()).execute();
  const exact = rows.find((r) => r.sending_application !== null && r.sending_application === sendingApplication.trim());
  const fallback = rows.find((r) => r.sending_application === null);
  const r = exact ?? fallback;
  return r ? fromRow(r) : null;
}

export async function listFeeds(db: Kysely<Tables>): Promise<FeedStatus[]> {
  const feeds = await db.selectFrom('feeds').selectAll().orderBy('id').execute();
  const pending = await db.selectFrom('inbox').select(['feed_id', sql<number>`sum(units)::int8`.as('units')])
    .where('status', 'in', ['pending', 'held']).groupBy('feed_id').execute();
  const open = await db.selectFrom('dead_letters').select(['feed_id', sql<number>`count(*)::int8`.as('n')])
    .where('status', '=', 'open').groupBy('feed_id').execute();
  const pendingBy = new Map(pending.map((p) => [p.feed_id, Number(p.units)]));
  const openBy = new Map(open.map((o) => [o.feed_id, Number(o.n)]));
  return feeds.map((r) => {
    const p = pendingBy.get(r.id) ?? 0;
    return {
      ...fromRow(r),
      received: r.accepted + r.rejected + p,
      accepted: r.accepted,
      rejected: r.rejected,
      deadLettered: openBy.get(r.id) ?? 0,
      pending: p,
      lastSuccess: r.last_success_at ? r.last_success_at.toISOString() : null,
    };
  });
}

/** Adds to a feed's counters; `success` also stamps the time of its last successful upload. */
export async function bumpFeedCounters(db: Kysely<Tables>, feedId: string, d: { accepted?: number; rejected?: number }, success: Date | null): Promise<void> {
  await db.updateTable('feeds').set((eb) => ({
    accepted: eb('accepted', '+', d.accepted ?? 0),
    rejected: eb('rejected', '+', d.rejected ?? 0),
    ...(success ? { last_success_at: success } : {}),
  })).where('id', '=', feedId).execute();
}
