/**
 * The demo's users: one for each role of PRODUCT.md, at organisations of the synthetic county, so
 * a newcomer can sign in as each and see exactly what that role may do. Synthetic people, a shared
 * demonstration password, and no second factor (the demo runs with OHC_MFA_REQUIRED=false).
 */
import type { Kysely } from 'kysely';
import type { Tables } from '../store/tables.ts';
import { addUser, findUser } from '../access/index.ts';
import type { AuditSink } from '../access/audit.ts';

export const DEMO_PASSWORD = 'oatcakes-and-lobby-2026';

export interface DemoUser { username: string; name: string; organisationOds: string; role: string; registration?: string; systemWideIg?: boolean; does: string }

export function demoUsers(gpPractice: string): DemoUser[] {
  return [
    { username: 'dr.patel', name: 'Dr Priya Patel', organisationOds: 'RJE', role: 'clinician', registration: 'GMC:7012345', does: 'hospital doctor: find a person, see the combined record' },
    { username: 'dr.evans', name: 'Dr Gareth Evans', organisationOds: gpPractice, role: 'clinician', registration: 'GMC:6123456', does: 'GP: sees the practice\'s registered patients' },
    { username: 'sw.okafor', name: 'Ngozi Okafor', organisationOds: 'SYNSTF', role: 'social-care-practitioner', registration: 'SWE:SW123456', does: 'social worker: sees people with an open involvement' },
    { username: 'pals.hughes', name: 'Megan Hughes', organisationOds: 'RJE', role: 'pals-officer', does: 'records objections (opt-out) and their withdrawal' },
    { username: 'gp.reception', name: 'Tom Baker', organisationOds: gpPractice, role: 'gp-practice-staff', does: 'records objections for the practice\'s patients' },
    { username: 'atr.singh', name: 'Harpreet Singh', organisationOds: 'RJE', role: 'access-to-records', does: 'rights requests routed to the trust' },
    { username: 'ig.walker', name: 'Susan Walker', organisationOds: 'RJE', role: 'ig-officer', does: 'audit of the trust\'s staff, who viewed a record' },
    { username: 'ig.county', name: 'Colin Hart', organisationOds: 'RJE', role: 'ig-officer', systemWideIg: true, does: 'system-wide information governance' },
    { username: 'cg.morris', name: 'Dr Alan Morris', organisationOds: 'RJE', role: 'caldicott-guardian', registration: 'GMC:4234567', does: 'reports on the trust\'s use' },
    { username: 'siro.ahmed', name: 'Aisha Ahmed', organisationOds: 'RJE', role: 'siro', does: 'reports on the trust\'s use' },
    { username: 'admin', name: 'System Administrator', organisationOds: 'RJE', role: 'system-admin', does: 'organisations, feeds, dead letters, users — no clinical data' },
    { username: 'analyst', name: 'Data Analyst', organisationOds: 'RJE', role: 'analyst', does: 'anonymised statistics only' },
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
  return users;
}
