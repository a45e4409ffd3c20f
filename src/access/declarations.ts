/**
 * Declared relationships: a professional with no relationship the data shows says why they need a
 * person's record. Each declaration lasts as long as its reason allows (policy/relationship.ts),
 * is stored with who, where, why and when, and waits for the IG team's review.
 */
import type { Kysely } from 'kysely';
import type { Tables } from '../store/tables.ts';
import { auditTime, inTransaction, userActor, type AuditSink } from './audit.ts';
import { AccessError } from './errors.ts';
import { checkDeclaration, declarationExpiry, type DeclarationReason, type DeclarationValidity } from './policy/index.ts';

export interface DeclaringUser { readonly id: string; readonly organisation: { readonly ods: string }; readonly role: string }

export interface Declaration {
  id: number;
  personId: string;
  userId: string;
  organisationOds: string;
  reason: DeclarationReason;
  detail: string;
  declaredAt: Date;
  expiresAt: Date;
  reviewStatus: 'pending' | 'appropriate' | 'revoked';
  reviewedBy: string | null;
  reviewedAt: Date | null;
  reviewNote: string | null;
}

type Row = {
  id: number; person_id: string; user_id: string; organisation_ods: string; reason: string; detail: string; declared_at: Date;
  expires_at: Date; review_status: 'pending' | 'appropriate' | 'revoked'; reviewed_by: string | null; reviewed_at: Date | null; review_note: string | null;
};

function fromRow(r: Row): Declaration {
  return {
    id: r.id, personId: r.person_id, userId: r.user_id, organisationOds: r.organisation_ods, reason: r.reason as DeclarationReason,
    detail: r.detail, declaredAt: r.declared_at, expiresAt: r.expires_at, reviewStatus: r.review_status,
    reviewedBy: r.reviewed_by, reviewedAt: r.reviewed_at, reviewNote: r.review_note,
  };
}

/**
 * Records a declaration (after decide() allowed 'declare-relationship'). Throws AccessError when
 * the reason or detail is not acceptable or the person is unknown.
 */
export async function declareRelationship(
  trx: Kysely<Tables>, user: DeclaringUser, personId: string, reason: string, detail: string | null, now: Date, audit: AuditSink,
  options: { declarationValidityHours?: DeclarationValidity } = {},
): Promise<Declaration> {
  const check = checkDeclaration({ reason, detail });
  if (!check.ok) throw new AccessError('invalid-declaration', check.message, check.where);
  const declaredAt = now.toISOString();
  const expiresAt = new Date(declarationExpiry(check.reason, declaredAt, options.declarationValidityHours));
  return inTransaction(trx, async (t) => {
    const person = await t.selectFrom('persons').select('id').where('id', '=', personId).where('merged_into', 'is', null).executeTakeFirst();
    if (!person) throw new AccessError('unknown-person', 'No such person', 'personId');
    const row = await t.insertInto('relationship_declarations').values({
      person_id: personId, user_id: user.id, organisation_ods: user.organisation.ods, reason: check.reason, detail: check.detail,
      declared_at: now, expires_at: expiresAt, reviewed_by: null, reviewed_at: null, review_note: null, revoked_at: null,
    }).returningAll().executeTakeFirstOrThrow();
    await audit(t, {
      time: auditTime(now), actor: userActor({ id: user.id, organisationOds: user.organisation.ods, role: user.role }),
      action: 'declare-relationship', personId, purpose: check.reason === 'emergency' ? 'emergency-care' : 'direct-care', outcome: 'success',
      details: { declarationId: row.id, reason: check.reason, detail: check.detail, expiresAt: expiresAt.toISOString() },
    });
    return fromRow(row);
  });
}

/** Declarations awaiting review, oldest first; an IG officer sees their own organisation's unless `allOrganisations`. */
export async function declarationsForReview(db: Kysely<Tables>, scope: { organisationOds?: string; allOrganisations?: boolean }): Promise<Declaration[]> {
  let q = db.selectFrom('relationship_declarations').selectAll().where('review_status', '=', 'pending');
  if (!scope.allOrganisations) q = q.where('organisation_ods', '=', scope.organisationOds ?? '');
  return (await q.orderBy('declared_at').orderBy('id').execute()).map(fromRow);
}

export async function declarationsForPerson(db: Kysely<Tables>, personId: string): Promise<Declaration[]> {
  return (await db.selectFrom('relationship_declarations').selectAll().where('person_id', '=', personId).orderBy('declared_at').orderBy('id').execute()).map(fromRow);
}

/**
 * The IG team's conclusion on a declaration: appropriate, or revoked (access it gave ends at once).
 */
export async function reviewDeclaration(
  db: Kysely<Tables>, reviewer: DeclaringUser, declarationId: number, outcome: 'appropriate' | 'revoked', note: string | null, now: Date, audit: AuditSink,
): Promise<Declaration> {
  return inTransaction(db, async (trx) => {
    const row = await trx.selectFrom('relationship_declarations').selectAll().where('id', '=', declarationId).forUpdate().executeTakeFirst();
    if (!row) throw new AccessError('unknown-declaration', 'No such declaration', 'declarationId');
    if (row.review_status !== 'pending') throw new AccessError('already-reviewed', 'That declaration has already been reviewed', 'declarationId');
    const updated = await trx.updateTable('relationship_declarations').set({
      review_status: outcome, reviewed_by: reviewer.id, reviewed_at: now, review_note: note?.trim() || null,
      revoked_at: outcome === 'revoked' ? now : null,
    }).where('id', '=', declarationId).returningAll().executeTakeFirstOrThrow();
    await audit(trx, {
      time: auditTime(now), actor: userActor({ id: reviewer.id, organisationOds: reviewer.organisation.ods, role: reviewer.role }),
      action: 'declare-relationship', personId: row.person_id, purpose: 'information-governance', outcome: 'success',
      details: { declarationId, review: outcome },
    });
    return fromRow(updated);
  });
}
