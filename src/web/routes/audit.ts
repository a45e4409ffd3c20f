/**
 * The information governance pages: audit search by person (NHS number, sent in the form body) and by
 * user, and the "who viewed this record" list. Each search is itself audited ('audit-viewed') in the
 * transaction that reads the log. An IG officer sees their own organisation's staff unless they hold
 * the system-wide flag (decide()'s limit-to-organisation obligation).
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Kysely } from 'kysely';
import type { Tables } from '../../store/tables.ts';
import { transaction } from '../../store/db.ts';
import { decide, findUser, userActor, type Decision } from '../../access/index.ts';
import { appendAudit, personIdsForNhsNumber, queryAudit, whoViewedMyRecord, type AuditEvent } from '../../audit/index.ts';
import type { JsonObject } from '../../audit/chain/event.ts';
import { field, pageUser, sendPage, type SignedIn, type WebContext } from '../context.ts';
import { html, type Html } from '../html.ts';
import { page, ROLE_LABELS } from '../layout.ts';
import { backLink, button, errorSummary, form, input, table, type FieldError } from '../components.ts';
import { dateTime, nhsNumber, parseNhsNumberInput } from '../format.ts';
import { refusalPage, userRefusal } from './auth.ts';
import type { Guard } from '../index.ts';
import type { Role } from '../../access/index.ts';

const GOVERNANCE = ['ig-officer', 'caldicott-guardian', 'siro'] as const;
const LIMIT = 200;

function limitOf(d: Decision): string | undefined {
  const o = d.obligations.find((x) => x.type === 'limit-to-organisation');
  return o && o.type === 'limit-to-organisation' ? o.ods : undefined;
}

const DETAIL_KEYS = ['route', 'reason', 'relationship', 'channel', 'change', 'flagForReview', 'method', 'outcome'] as const;

function detailsText(d: JsonObject): string {
  return DETAIL_KEYS.filter((k) => d[k] !== undefined && d[k] !== null).map((k) => `${k}: ${Array.isArray(d[k]) ? (d[k] as unknown[]).join(', ') : String(d[k] as string)}`).join('; ');
}

export function registerAuditRoutes(app: FastifyInstance, ctx: WebContext, guard: Guard): void {
  const searchPage = (s: SignedIn, errors: FieldError[] = [], v: { nhs?: string; username?: string } = {}) => page({ title: 'Audit search', user: pageUser(ctx, s), current: '/audit' }, html`
    <div class="nhsuk-grid-row"><div class="nhsuk-grid-column-two-thirds">
    ${errorSummary(errors)}
    <h1>Audit search</h1>
    <h2 class="nhsuk-heading-m">Everything done to one person's record</h2>
    ${form('/audit/person', s.session.csrfToken, html`${input({ id: 'nhs-number', label: 'NHS number', hint: 'For example, 485 777 3456', value: v.nhs ?? '', inputmode: 'numeric', width: 10, autocomplete: 'off', spellcheck: false, error: errors.find((e) => e.field === 'nhs-number')?.message })}${button('Search by person')}`)}
    <h2 class="nhsuk-heading-m">Everything one user did</h2>
    ${form('/audit/user', s.session.csrfToken, html`${input({ id: 'username', label: 'Username', value: v.username ?? '', autocomplete: 'off', spellcheck: false, width: 20, error: errors.find((e) => e.field === 'username')?.message })}${button('Search by user')}`)}
    </div></div>`);

  const whoPage = (s: SignedIn, errors: FieldError[] = [], v = '') => page({ title: 'Who viewed a record', user: pageUser(ctx, s), current: '/audit/who-viewed' }, html`
    <div class="nhsuk-grid-row"><div class="nhsuk-grid-column-two-thirds">
    ${errorSummary(errors)}
    <h1>Who viewed a record</h1>
    <p>The list a person is given when they ask who has looked at their shared record.</p>
    ${form('/audit/who-viewed', s.session.csrfToken, html`${input({ id: 'nhs-number', label: 'NHS number', hint: 'For example, 485 777 3456', value: v, inputmode: 'numeric', width: 10, autocomplete: 'off', spellcheck: false, error: errors[0]?.message })}${button('Show who viewed the record')}`)}
    </div></div>`);

  const guarded = (handler: (s: SignedIn, reply: FastifyReply, body: (n: string) => string) => Promise<FastifyReply>) => guard(GOVERNANCE, async (req, reply, s) => {
    const refusal = userRefusal(ctx, s, 'audit-read');
    if (refusal) return sendPage(reply, 403, refusalPage(ctx, s, refusal));
    return handler(s, reply, (n) => field(req, n));
  });

  app.get('/audit', guarded(async (s, reply) => sendPage(reply, 200, searchPage(s))));
  app.get('/audit/who-viewed', guarded(async (s, reply) => sendPage(reply, 200, whoPage(s))));

  const eventsTable = async (trx: Kysely<Tables>, events: AuditEvent[], caption: string): Promise<Html> => {
    const actorIds = [...new Set(events.filter((e) => e.actor.kind === 'user').map((e) => e.actor.id))];
    const names = actorIds.length > 0 ? await trx.selectFrom('users').select(['id', 'username', 'name']).where('id', 'in', actorIds).execute() : [];
    const byId = new Map(names.map((n) => [n.id, `${n.name} (${n.username})`]));
    return table({
      caption, captionHidden: true, head: ['When', 'Who', 'Organisation and role', 'Action', 'Outcome', 'Purpose', 'Details'],
      rows: events.map((e) => [dateTime(e.time), e.actor.kind === 'user' ? (byId.get(e.actor.id) ?? 'Unknown user') : `${e.actor.kind} ${e.actor.id}`,
        `${e.actor.organisationOds ?? ''}${e.actor.role ? `, ${ROLE_LABELS[e.actor.role as Role] ?? e.actor.role}` : ''}`, e.action, e.outcome, e.purpose ?? '', detailsText(e.details)]),
      empty: 'No audit entries found.',
    });
  };

  app.post('/audit/person', guarded(async (s, reply, body) => {
    const typed = body('nhs-number');
    const n = parseNhsNumberInput(typed);
    if (!n.ok) return sendPage(reply, 400, searchPage(s, [{ field: 'nhs-number', message: n.message }], { nhs: typed }));
    const now = ctx.deps.now();
    const ids = await personIdsForNhsNumber(ctx.db, n.value);
    const decision = decide(s.decisionUser, { exists: ids.length > 0, optedOut: false }, 'audit-read', now, ctx.decide);
    const org = limitOf(decision);
    const content = await transaction(ctx.db, async (trx) => {
      const events = ids.length > 0 && decision.allow ? (await queryAudit(trx, { personId: ids, limit: LIMIT, ...(org ? { organisationOds: org } : {}) })).events : [];
      await appendAudit(trx, {
        time: now.toISOString(), actor: userActor({ id: s.user.id, organisationOds: s.user.organisationOds, role: s.user.role }),
        action: 'audit-viewed', ...(ids.length === 1 ? { personId: ids[0]! } : {}), purpose: 'information-governance', outcome: 'success',
        details: { route: 'web/audit/person', persons: ids.length, results: events.length },
      });
      return html`${backLink('/audit', 'New search')}<h1>Audit for NHS number ${nhsNumber(n.value)}</h1>
        ${org ? html`<p>Showing the actions of staff of your organisation (${org}) only.</p>` : ''}
        ${ids.length === 0 ? html`<p>No record in the shared record holds this NHS number.</p>` : await eventsTable(trx, events, 'Audit entries for this person, newest first')}`;
    }, { retries: 0 });
    return sendPage(reply, 200, page({ title: 'Audit by person', user: pageUser(ctx, s), current: '/audit' }, content));
  }));

  app.post('/audit/user', guarded(async (s, reply, body) => {
    const username = body('username').trim();
    if (!username) return sendPage(reply, 400, searchPage(s, [{ field: 'username', message: 'Enter a username' }]));
    const target = await findUser(ctx.db, username);
    if (!target) return sendPage(reply, 400, searchPage(s, [{ field: 'username', message: 'There is no user with that username' }], { username }));
    const now = ctx.deps.now();
    const decision = decide(s.decisionUser, null, 'audit-read', now, ctx.decide);
    const org = limitOf(decision);
    const content = await transaction(ctx.db, async (trx) => {
      const events = decision.allow ? (await queryAudit(trx, { actorId: target.id, limit: LIMIT, ...(org ? { organisationOds: org } : {}) })).events : [];
      await appendAudit(trx, {
        time: now.toISOString(), actor: userActor({ id: s.user.id, organisationOds: s.user.organisationOds, role: s.user.role }),
        action: 'audit-viewed', purpose: 'information-governance', outcome: 'success', details: { route: 'web/audit/user', userId: target.id, results: events.length },
      });
      return html`${backLink('/audit', 'New search')}<h1>Audit for ${target.name} (${target.username})</h1>
        ${org && org !== target.organisationOds ? html`<p>This user works for another organisation: you can see only actions taken for your organisation (${org}).</p>` : ''}
        ${await eventsTable(trx, events, 'Audit entries for this user, newest first')}`;
    }, { retries: 0 });
    return sendPage(reply, 200, page({ title: 'Audit by user', user: pageUser(ctx, s), current: '/audit' }, content));
  }));

  app.post('/audit/who-viewed', guarded(async (s, reply, body) => {
    const typed = body('nhs-number');
    const n = parseNhsNumberInput(typed);
    if (!n.ok) return sendPage(reply, 400, whoPage(s, [{ field: 'nhs-number', message: n.message }], typed));
    const now = ctx.deps.now();
    const ids = await personIdsForNhsNumber(ctx.db, n.value);
    const decision = decide(s.decisionUser, { exists: ids.length > 0, optedOut: false }, 'audit-read', now, ctx.decide);
    const org = limitOf(decision);
    const content = await transaction(ctx.db, async (trx) => {
      const orgNames = new Map((await trx.selectFrom('organisations').select(['ods_code', 'name']).execute()).map((o) => [o.ods_code, o.name]));
      const all = ids.length > 0 && decision.allow ? await whoViewedMyRecord(trx, ids, {
        organisationName: (ods) => orgNames.get(ods), roleLabel: (r) => ROLE_LABELS[r as Role] ?? r,
      }) : [];
      const entries = org ? all.filter((e) => e.organisation.odsCode === org) : all;
      await appendAudit(trx, {
        time: now.toISOString(), actor: userActor({ id: s.user.id, organisationOds: s.user.organisationOds, role: s.user.role }),
        action: 'audit-viewed', ...(ids.length === 1 ? { personId: ids[0]! } : {}), purpose: 'information-governance', outcome: 'success',
        details: { route: 'web/audit/who-viewed', persons: ids.length, results: entries.length },
      });
      return html`${backLink('/audit/who-viewed', 'New search')}<h1>Who viewed the record of NHS number ${nhsNumber(n.value)}</h1>
        ${ids.length === 0 ? html`<p>No record in the shared record holds this NHS number.</p>` : table({
          caption: 'Uses of this record, newest first', captionHidden: true, head: ['When', 'Organisation', 'Role', 'What they did', 'Why'],
          rows: entries.map((e) => [dateTime(e.time), e.organisation.name ?? e.organisation.odsCode ?? 'Unknown', e.role ?? '', `${e.activity[0]?.toUpperCase() ?? ''}${e.activity.slice(1)} the record`, e.purpose ?? '']),
          empty: 'Nobody has viewed this record.',
        })}`;
    }, { retries: 0 });
    return sendPage(reply, 200, page({ title: 'Who viewed a record', user: pageUser(ctx, s), current: '/audit/who-viewed' }, content));
  }));
}
