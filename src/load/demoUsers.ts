/**
 * The demo's users: one for each role of PRODUCT.md, at organisations of the synthetic county, so
 * a newcomer can sign in as each and see exactly what that role may do. Synthetic people, a shared
 * demonstration password, and no second factor (the demo runs with OHC_MFA_REQUIRED=false).
 */
import { sql, type Kysely } from 'kysely';
import type { Tables } from '../store/tables.ts';
import { addUser, findUser } from '../access/index.ts';
import type { AuditSink } from '../access/audit.ts';
import { logRightsRequest, rightsActor } from '../rights/index.ts';
import { ukDay } from '../record/index.ts';

export const DEMO_PASSWORD = 'oatcakes-and-lobby-2026';

export interface DemoUser { username: string; name: string; organisationOds: string; role: string; registration?: string; systemWideIg?: boolean; does: string }

export function demoUsers(gpPractice: string): DemoUser[] {
  return [
    { username: 'dr.patel', name: 'Dr Priya Patel', organisationOds: 'RJE', role: 'clinician', registration: 'GMC:7012345', does: 'hospital doctor: find a person, see the combined record' },
    { username: 'dr.evans', name: 'Dr Gareth Evans', organisationOds: gpPractice, role: 'clinician', registration: 'GMC:6123456', does: 'GP: sees the practice\'s registered patients' },
    { username: 'sw.okafor', name: 'Ngozi Okafor', organisationOds: 'SYNSTF', role: 'social-care-practitioner', registration: 'SWE:SW123456', does: 'social worker: sees people with an open involvement' },
    { username: 'pals.hughes', name: 'Megan Hughes', organisationOds: 'RJE', role: 'pals-officer', does: 'records objections (opt-out) and their withdrawal; logs rights requests' },
    { username: 'gp.reception', name: 'Tom Baker', organisationOds: gpPractice, role: 'gp-practice-staff', does: 'records objections and logs rights requests for the practice\'s patients' },
    { username: 'atr.singh', name: 'Harpreet Singh', organisationOds: 'RJE', role: 'access-to-records', does: 'rights requests routed to the trust: deadlines, scope, access export' },
    { username: 'ig.walker', name: 'Susan Walker', organisationOds: 'RJE', role: 'ig-officer', does: 'audit of the trust\'s staff, who viewed a record' },
    { username: 'ig.county', name: 'Colin Hart', organisationOds: 'RJE', role: 'ig-officer', systemWideIg: true, does: 'system-wide information governance' },
    { username: 'cg.morris', name: 'Dr Alan Morris', organisationOds: 'RJE', role: 'caldicott-guardian', registration: 'GMC:4234567', does: 'reports on the trust\'s use' },
    { username: 'siro.ahmed', name: 'Aisha Ahmed', organisationOds: 'RJE', role: 'siro', does: 'reports on the trust\'s use' },
    { username: 'admin', name: 'System Administrator', organisationOds: 'RJE', role: 'system-admin', does: 'organisations, feeds, dead letters, users — no clinical data' },
    { username: 'analyst', name: 'Data Analyst', organisationOds: 'RJE', role: 'analyst', does: 'anonymised statistics only (small numbers suppressed, counts rounded)' },
  ];
}

/** Adds the demo users that are not there yet; returns them all. */
export async function ensureDemoUsers(db: Kysely<Tables>, gpPractice: string, now: Date, audit: AuditSink): Promise<DemoUser[]> {
  const users = demoUsers(gpPractice);
  const trainingUntil = new Date(now.getTime() + 365 * 86_400_000).toISOString().slice(0, 10);
  for (const u of users) {
    if (await findUser(db, u.username)) continue;
    await addUser(db, {
      username: u.username, name: u.name, organisationOds: u.organisationOds, role: u.role,
      registration: u.registration ?? null, trainingValidUntil: trainingUntil, password: DEMO_PASSWORD,
      ...(u.systemWideIg ? { systemWideIg: true } : {}),
    }, now, audit, { kind: 'system', id: 'ohc-demo' }, { mfaRequired: false, scrypt: { N: 2 ** 14, r: 8, p: 1 } });
  }
  await ensureDemoRightsCases(db, now, audit);
  return users;
}

/**
 * So the trust's access-to-records officer (atr.singh) has work to do as soon as the demo starts: two
 * requests logged by PALS about people the trust holds data on — an access request received ten days
 * ago and a rectification request received forty days ago, which is overdue. Logged through the same
 * use case as the web page (routed, with history and audit). Only when no case exists yet.
 */
export async function ensureDemoRightsCases(db: Kysely<Tables>, now: Date, audit: AuditSink): Promise<number> {
  if (await db.selectFrom('rights_cases').select('id').limit(1).executeTakeFirst()) return 0;
  if (!(await findUser(db, 'pals.hughes'))) return 0;
  const people = await sql<{ nhs_number: string }>`
    select distinct s.nhs_number from resources r
      join source_records s on s.person_id = r.person_id and s.nhs_number is not null and s.retired_into is null
     where r.source_org = 'RJE' and not r.deleted
       and not exists (select 1 from objections o where o.nhs_number = s.nhs_number)
     order by s.nhs_number limit 2`.execute(db);
  const pals = await rightsActor(db, 'pals.hughes', now);
  const daysAgo = (d: number) => ukDay(new Date(now.getTime() - d * 86_400_000));
  const requests = [
    { kind: 'access', receivedOn: daysAgo(10), description: 'A copy of everything held about me, and who has looked at it' },
    { kind: 'rectification', receivedOn: daysAgo(40), description: 'My address and my allergy to penicillin are recorded wrongly' },
  ];
  let logged = 0;
  for (const [i, p] of people.rows.entries()) {
    const r = requests[i];
    if (!r) break;
    await logRightsRequest(db, { nhsNumber: p.nhs_number, ...r }, pals, now, audit);
    logged++;
  }
  return logged;
}
