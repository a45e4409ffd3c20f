/** The partner registry's table: organisations. Written only through here. */
import type { Kysely } from 'kysely';
import type { OrganisationsTable, Tables } from '../store/tables.ts';
import type { Selectable } from 'kysely';
import { validateOrganisation, type Organisation, type OrganisationInput, type OrganisationKind } from './organisation.ts';

export class RegistryError extends Error {
  constructor(message: string, public readonly code: 'invalid' | 'duplicate' | 'not-found') {
    super(message);
    this.name = 'RegistryError';
  }
}

function fromRow(r: Selectable<OrganisationsTable>): Organisation {
  return {
    odsCode: r.ods_code, name: r.name, kind: r.kind as OrganisationKind, icoRegistration: r.ico_registration,
    siro: r.siro, caldicottGuardian: r.caldicott_guardian, accessToRecordsContact: r.access_to_records_contact,
    isaFrom: r.isa_from, isaTo: r.isa_to, synthetic: r.synthetic,
  };
}

function toRow(o: Organisation) {
  return {
    ods_code: o.odsCode, name: o.name, kind: o.kind, ico_registration: o.icoRegistration, siro: o.siro,
    caldicott_guardian: o.caldicottGuardian, access_to_records_contact: o.accessToRecordsContact,
    isa_from: o.isaFrom, isa_to: o.isaTo, synthetic: o.synthetic,
  };
}

export async function addOrganisation(db: Kysely<Tables>, input: OrganisationInput): Promise<Organisation> {
  const v = validateOrganisation(input);
  if (!v.ok) throw new RegistryError(v.problems.map((p) => p.message).join('; '), 'invalid');
  const inserted = await db.insertInto('organisations').values(toRow(v.organisation)).onConflict((oc) => oc.column('ods_code').doNothing()).returning('ods_code').executeTakeFirst();
  if (!inserted) throw new RegistryError(`organisation ${v.organisation.odsCode} is already registered`, 'duplicate');
  return v.organisation;
}

/** Registers each organisation not yet registered; returns the codes added. */
export async function ensureOrganisations(db: Kysely<Tables>, inputs: OrganisationInput[]): Promise<string[]> {
  const added: string[] = [];
  for (const input of inputs) {
    const v = validateOrganisation(input);
    if (!v.ok) throw new RegistryError(`${input.odsCode}: ${v.problems.map((p) => p.message).join('; ')}`, 'invalid');
    const r = await db.insertInto('organisations').values(toRow(v.organisation)).onConflict((oc) => oc.column('ods_code').doNothing()).returning('ods_code').executeTakeFirst();
    if (r) added.push(r.ods_code);
  }
  return added;
}

export async function listOrganisations(db: Kysely<Tables>): Promise<Organisation[]> {
  return (await db.selectFrom('organisations').selectAll().orderBy('kind').orderBy('ods_code').execute()).map(fromRow);
}

export async function getOrganisation(db: Kysely<Tables>, odsCode: string): Promise<Organisation | null> {
  const r = await db.selectFrom('organisations').selectAll().where('ods_code', '=', odsCode.trim().toUpperCase()).executeTakeFirst();
  return r ? fromRow(r) : null;
}
