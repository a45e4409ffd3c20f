/**
 * A small seeded county for the web journeys: a generated county ingested in-process through the
 * real feeds, plus one user of each role the journeys need (password sign-in; the clinician with an
 * authenticator app enrolled, to walk the second-factor step).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Kysely } from 'kysely';
import type { Tables } from '../../src/store/tables.ts';
import { generateCounty } from '../../src/generate/index.ts';
import { registerCounty, readCountyFeeds } from '../../src/load/county.ts';
import { getFeed } from '../../src/ingest/feeds.ts';
import { drainInbox, ingestFiles, listInputFiles } from '../../src/ingest/ingestFiles.ts';
import { addUser, CLI_ACTOR } from '../../src/access/index.ts';
import { appendAudit } from '../../src/audit/index.ts';
import { recordObjection } from '../../src/access/index.ts';
import { receiveHl7Text } from '../../src/ingest/receive/hl7v2.ts';
import { addFeed } from '../../src/ingest/feeds.ts';
import { addOrganisation } from '../../src/registry/organisations.ts';

export const PASSWORD = 'correct horse battery staple 42';

export interface Person { personId: string; nhsNumber: string; family: string; given: string; birthDate: string }

export interface SeededUser { username: string; totpUri: string | null }

export interface Seeded {
  /** ODS code of a GP practice with registered patients, an acute trust, and the first social care org. */
  gpOds: string;
  acuteOds: string;
  /** Registered with the clinician's GP practice (relationship inferred); not so (relationship must be declared); opted out; for objections. */
  people: { registered: Person; unrelated: Person; optedOut: Person; objector: Person };
  /** Open dead letters that replay successfully (their feed was registered after they arrived). */
  deadLetters: number[];
  users: Record<'clinician' | 'gp' | 'stranger' | 'pals' | 'admin' | 'ig' | 'lapsed' | 'suspended', SeededUser>;
}

/** Fast hashing for tests: the production cost would dominate the run. */
export const TEST_SCRYPT = { N: 1024, r: 8, p: 1 };

export async function seedCounty(db: Kysely<Tables>, opts: { persons: number; seed: string; asOf: string; now: () => Date }): Promise<Seeded> {
  const dir = mkdtempSync(path.join(tmpdir(), 'ohc-web-'));
  try {
    await generateCounty({ persons: opts.persons, seed: opts.seed, outDir: dir, asOf: opts.asOf });
    await registerCounty(db, dir, '2020-01-01');
    for (const spec of readCountyFeeds(dir)) {
      const feed = await getFeed(db, spec.id);
      if (!feed) continue;
      const files = listInputFiles([path.join(dir, spec.id)], feed.format);
      if (files.length > 0) await ingestFiles(db, feed, files, { now: opts.now, maxRemovalShare: 1 });
    }
    await drainInbox(db, opts.now);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const orgs = await db.selectFrom('organisations').select(['ods_code', 'kind']).orderBy('ods_code').execute();
  const acute = orgs.find((o) => o.kind === 'acute');
  const gpRows = await db.selectFrom('source_records').select('demographics').where('retired_into', 'is', null).execute();
  const gpOds = gpRows.map((r) => (r.demographics as { gpPracticeOds?: string }).gpPracticeOds ?? null)
    .find((x): x is string => x !== null && orgs.some((o) => o.ods_code === x && o.kind === 'gp-practice'));
  if (!acute || !gpOds) throw new Error('the generated county has no acute trust or no registered GP practice');
  const now = opts.now();
  const audit = async (trx: Kysely<Tables>, d: Parameters<typeof appendAudit>[1]) => { await appendAudit(trx, d); };
  const mk = async (username: string, name: string, org: string, role: string, extra: { registration?: string; training?: string; totp?: boolean; systemWideIg?: boolean } = {}) => {
    const r = await addUser(db, {
      username, name, organisationOds: org, role, registration: extra.registration ?? null,
      trainingValidUntil: extra.training ?? '2099-03-31', password: PASSWORD, enrolTotp: extra.totp ?? false, systemWideIg: extra.systemWideIg ?? false,
    }, now, audit, CLI_ACTOR, { scrypt: TEST_SCRYPT });
    return { username, totpUri: r.totpUri };
  };
  const users = {
    clinician: await mk('dr.ada', 'Ada Okafor', gpOds, 'clinician', { registration: 'GMC:1234567', totp: true }),
    gp: await mk('gp.reception', 'Grace Patel', gpOds, 'gp-practice-staff'),
    stranger: await mk('dr.ben', 'Ben Hughes', acute.ods_code, 'clinician', { registration: 'GMC:7654321' }),
    pals: await mk('pals.sam', 'Sam Green', acute.ods_code, 'pals-officer'),
    admin: await mk('admin.kim', 'Kim Lee', acute.ods_code, 'system-admin'),
    ig: await mk('ig.ola', 'Ola Ade', acute.ods_code, 'ig-officer', { systemWideIg: true, totp: true }),
    lapsed: await mk('dr.lapsed', 'Lee Park', gpOds, 'clinician', { registration: 'GMC:2345678', training: '2020-01-01', totp: true }),
    suspended: await mk('dr.gone', 'Max Fox', gpOds, 'clinician', { registration: 'GMC:3456789' }),
  };
  await db.updateTable('users').set({ status: 'suspended' }).where('username', '=', 'dr.gone').execute();

  const rows = await db.selectFrom('source_records').select(['person_id', 'nhs_number', 'demographics'])
    .where('nhs_number', 'is not', null).where('retired_into', 'is', null).orderBy('person_id').execute();
  const people: Person[] = [];
  const registeredIds = new Set<string>();
  for (const r of rows) {
    const d = r.demographics as { family?: string; given?: string[]; birthDate?: string; gpPracticeOds?: string };
    if (d.gpPracticeOds === gpOds) registeredIds.add(r.person_id);
    if (people.some((p) => p.personId === r.person_id) || !d.family || !d.given?.[0] || !d.birthDate || !r.nhs_number) continue;
    people.push({ personId: r.person_id, nhsNumber: r.nhs_number, family: d.family, given: d.given[0], birthDate: d.birthDate });
  }
  const registered = people.find((p) => registeredIds.has(p.personId));
  const others = people.filter((p) => !registeredIds.has(p.personId));
  const [unrelated, optedOut, objector] = others;
  if (!registered || !unrelated || !optedOut || !objector) throw new Error('the generated county is too small for the web journeys');
  await recordObjection(db, { nhsNumber: optedOut.nhsNumber, channel: 'pals', byUsername: 'pals.sam' }, now, audit);

  // Dead letters: messages from a hospital system not yet registered, which is then registered (the fix).
  const deadLetters: number[] = [];
  for (const id of ['WEB0001', 'WEB0002']) {
    const msg = [
      `MSH|^~\\&|PAS|ZZW01|OHC|OHC|20250601120000||ADT^A04^ADT_A01|${id}|P|2.4`,
      'EVN|A04|20250601120000',
      `PID|1||L${id}^^^ZZW01^MR||TEST^WEB||19700101|F`,
      `PV1|1|O${'|'.repeat(17)}V${id}`,
    ].join('\r');
    await receiveHl7Text(db, msg, now);
  }
  const open = await db.selectFrom('dead_letters').select('id').where('status', '=', 'open').orderBy('id').execute();
  deadLetters.push(...open.map((o) => o.id));
  await addOrganisation(db, { odsCode: 'ZZW01', name: 'Web Test Community Hospital', kind: 'community', isaFrom: '2020-01-01' });
  await addFeed(db, { id: 'zzw01-pas', organisationOds: 'ZZW01', format: 'hl7v2' });
  return { gpOds, acuteOds: acute.ods_code, people: { registered, unrelated, optedOut, objector }, deadLetters, users };
}

export interface SeededRights {
  /**
   * An access-to-records officer of the acute trust (with an authenticator app: the role sees personal
   * data), one of the community hospital added last (which holds nothing on anyone), and an analyst.
   */
  users: Record<'atr' | 'atrElsewhere' | 'analyst', SeededUser>;
  /** A person with data from the acute trust, neither opted out nor used by the objection journeys. */
  person: Person;
}

/** What the rights and statistics journeys add to the seeded county. */
export async function seedRights(db: Kysely<Tables>, seeded: Seeded, now: Date): Promise<SeededRights> {
  const audit = async (trx: Kysely<Tables>, d: Parameters<typeof appendAudit>[1]) => { await appendAudit(trx, d); };
  const mk = async (username: string, name: string, org: string, role: string, totp: boolean) => {
    const r = await addUser(db, { username, name, organisationOds: org, role, trainingValidUntil: '2099-03-31', password: PASSWORD, enrolTotp: totp }, now, audit, CLI_ACTOR, { scrypt: TEST_SCRYPT });
    return { username, totpUri: r.totpUri };
  };
  const users = {
    atr: await mk('atr.ria', 'Ria Shah', seeded.acuteOds, 'access-to-records', true),
    atrElsewhere: await mk('atr.eli', 'Eli Moss', 'ZZW01', 'access-to-records', true),
    analyst: await mk('analyst.ana', 'Ana Lyst', seeded.acuteOds, 'analyst', false),
  };
  const used = new Set(Object.values(seeded.people).map((p) => p.personId));
  const rows = await db.selectFrom('resources').innerJoin('source_records', 'source_records.person_id', 'resources.person_id')
    .select(['resources.person_id', 'source_records.nhs_number', 'source_records.demographics'])
    .where('resources.source_org', '=', seeded.acuteOds).where('resources.deleted', '=', false)
    .where('source_records.nhs_number', 'is not', null).where('source_records.retired_into', 'is', null)
    .orderBy('resources.person_id').execute();
  for (const r of rows) {
    const d = r.demographics as { family?: string; given?: string[]; birthDate?: string };
    if (used.has(r.person_id) || !r.nhs_number || !d.family || !d.given?.[0] || !d.birthDate) continue;
    return { users, person: { personId: r.person_id, nhsNumber: r.nhs_number, family: d.family, given: d.given[0], birthDate: d.birthDate } };
  }
  throw new Error('the generated county has no person with data from the acute trust for the rights journeys');
}
