/**
 * The information governance pages: audit search by person (NHS number, sent in the form body) and by
 * user, and the "who viewed this record" list. Each search is itself audited ('audit-viewed'), and
 * shows nothing until that is committed. An IG officer sees their own organisation's staff unless they hold
 * the system-wide flag (decide()'s limit-to-organisation obligation), applied in the read itself.
 * Every list comes a page at a time (PAGE entries, newest first, "Show earlier …" to go on), so a
 * page costs the same however long the log or the record's history: the search and the cursor go
 * back in the form body, never in a URL.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { decide, findUser, userActor, type Decision } from '../../access/index.ts';
import { listAudit, personIdsForNhsNumber, whoViewedPage, type AuditListing } from '../../audit/index.ts';
import type { JsonObject } from '../../audit/chain/event.ts';
import { field, pageUser, sendPage, type SignedIn, type WebContext } from '../context.ts';
import { html, type Html } from '../html.ts';
import { page, ROLE_LABELS } from '../layout.ts';
import { backLink, button, errorSummary, form, input, table, type FieldError } from '../components.ts';
import { dateTime, nhsNumber, parseNhsNumberInput } from '../format.ts';
import { pagingForm, parseCursor } from '../paging.ts';
import { refusalPage, userRefusal } from './auth.ts';
import type { Guard } from '../index.ts';
import type { Role } from '../../access/index.ts';

const GOVERNANCE = ['ig-officer', 'caldicott-guardian', 'siro'] as const;
/** Entries per page of every list. */
export const PAGE = 50;

function limitOf(d: Decision): string | undefined {
  const o = d.obligations.find((x) => x.type === 'limit-to-organisation');
  return o && o.type === 'limit-to-organisation' ? o.ods : undefined;
}

// The members of an event's details the table shows (and so the only ones read).
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

  /** The names of the users behind the events (one query for the page). */
  const actorNames = async (events: readonly AuditListing[]): Promise<Map<string, string>> => {
    const actorIds = [...new Set(events.filter((e) => e.actor.kind === 'user').map((e) => e.actor.id))];
    const names = actorIds.length > 0 ? await ctx.db.selectFrom('users').select(['id', 'username', 'name']).where('id', 'in', actorIds).execute() : [];
    return new Map(names.map((n) => [n.id, `${n.name} (${n.username})`]));
  };

  const eventsTable = (events: readonly AuditListing[], byId: ReadonlyMap<string, string>, caption: string): Html => table({
    caption, captionHidden: true, head: ['When', 'Who', 'Organisation and role', 'Action', 'Outcome', 'Purpose', 'Details'],
    rows: events.map((e) => [dateTime(e.time), e.actor.kind === 'user' ? (byId.get(e.actor.id) ?? 'Unknown user') : `${e.actor.kind} ${e.actor.id}`,
      `${e.actor.organisationOds ?? ''}${e.actor.role ? `, ${ROLE_LABELS[e.actor.role as Role] ?? e.actor.role}` : ''}`, e.action, e.outcome, e.purpose ?? '', detailsText(e.details)]),
    empty: 'No audit entries found.',
  });

  /** Which page of a list this is, in words. */
  const whichPage = (before: number | undefined, noun: string) => html`<p>${before === undefined ? `The most recent ${noun}` : `Earlier ${noun}`}, newest first, up to ${PAGE} at a time.</p>`;

  // Each page reads, then has its 'audit-viewed' event committed with the other reads' (ctx.auditReads),
  // then renders: nothing is shown until the audit is committed, and the chain head is not held
  // while the page is built.
  const audited = (s: SignedIn, now: Date, personIds: readonly string[], details: JsonObject) => ctx.auditReads.append({
    time: now.toISOString(), actor: userActor({ id: s.user.id, organisationOds: s.user.organisationOds, role: s.user.role }),
    action: 'audit-viewed', ...(personIds.length === 1 ? { personId: personIds[0]! } : {}), purpose: 'information-governance', outcome: 'success', details,
  });

  app.post('/audit/person', guarded(async (s, reply, body) => {
    const typed = body('nhs-number');
    const n = parseNhsNumberInput(typed);
    if (!n.ok) return sendPage(reply, 400, searchPage(s, [{ field: 'nhs-number', message: n.message }], { nhs: typed }));
    const before = parseCursor(body('before'));
    const now = ctx.deps.now();
    const ids = await personIdsForNhsNumber(ctx.db, n.value);
    const decision = decide(s.decisionUser, { exists: ids.length > 0, optedOut: false }, 'audit-read', now, ctx.decide);
    const org = limitOf(decision);
    const found = ids.length > 0 && decision.allow
      ? await listAudit(ctx.db, { personId: ids, limit: PAGE, detailKeys: DETAIL_KEYS, ...(before !== undefined ? { after: before } : {}), ...(org ? { organisationOds: org } : {}) })
      : { entries: [] };
    const names = await actorNames(found.entries);
    await audited(s, now, ids, { route: 'web/audit/person', persons: ids.length, results: found.entries.length, ...(before !== undefined ? { before } : {}) });
    return sendPage(reply, 200, page({ title: 'Audit by person', user: pageUser(ctx, s), current: '/audit' }, html`
      ${backLink('/audit', 'New search')}<h1>Audit for NHS number ${nhsNumber(n.value)}</h1>
      ${org ? html`<p>Showing the actions of staff of your organisation (${org}) only.</p>` : ''}
      ${ids.length === 0 ? html`<p>No record in the shared record holds this NHS number.</p>` : html`${whichPage(before, 'entries')}
        ${eventsTable(found.entries, names, 'Audit entries for this person, newest first')}
        ${pagingForm({ action: '/audit/person', csrf: s.session.csrfToken, fields: { 'nhs-number': n.value }, next: found.next, earlier: before !== undefined, noun: 'entries' })}`}`));
  }));

  app.post('/audit/user', guarded(async (s, reply, body) => {
    const username = body('username').trim();
    if (!username) return sendPage(reply, 400, searchPage(s, [{ field: 'username', message: 'Enter a username' }]));
    const target = await findUser(ctx.db, username);
    if (!target) return sendPage(reply, 400, searchPage(s, [{ field: 'username', message: 'There is no user with that username' }], { username }));
    const before = parseCursor(body('before'));
    const now = ctx.deps.now();
    const decision = decide(s.decisionUser, null, 'audit-read', now, ctx.decide);
    const org = limitOf(decision);
    const found = decision.allow
      ? await listAudit(ctx.db, { actorId: target.id, limit: PAGE, detailKeys: DETAIL_KEYS, ...(before !== undefined ? { after: before } : {}), ...(org ? { organisationOds: org } : {}) })
      : { entries: [] };
    const names = await actorNames(found.entries);
    await audited(s, now, [], { route: 'web/audit/user', userId: target.id, results: found.entries.length, ...(before !== undefined ? { before } : {}) });
    return sendPage(reply, 200, page({ title: 'Audit by user', user: pageUser(ctx, s), current: '/audit' }, html`
      ${backLink('/audit', 'New search')}<h1>Audit for ${target.name} (${target.username})</h1>
      ${org && org !== target.organisationOds ? html`<p>This user works for another organisation: you can see only actions taken for your organisation (${org}).</p>` : ''}
      ${whichPage(before, 'entries')}
      ${eventsTable(found.entries, names, 'Audit entries for this user, newest first')}
      ${pagingForm({ action: '/audit/user', csrf: s.session.csrfToken, fields: { username: target.username }, next: found.next, earlier: before !== undefined, noun: 'entries' })}`));
  }));

  app.post('/audit/who-viewed', guarded(async (s, reply, body) => {
    const typed = body('nhs-number');
    const n = parseNhsNumberInput(typed);
    if (!n.ok) return sendPage(reply, 400, whoPage(s, [{ field: 'nhs-number', message: n.message }], typed));
    const before = parseCursor(body('before'));
    const now = ctx.deps.now();
    const ids = await personIdsForNhsNumber(ctx.db, n.value);
    const decision = decide(s.decisionUser, { exists: ids.length > 0, optedOut: false }, 'audit-read', now, ctx.decide);
    const org = limitOf(decision);
    const found = ids.length > 0 && decision.allow ? await whoViewedPage(ctx.db, ids, {
      limit: PAGE, roleLabel: (r) => ROLE_LABELS[r as Role] ?? r, ...(before !== undefined ? { before } : {}), ...(org ? { organisationOds: org } : {}),
    }) : { entries: [] };
    // Names of the organisations on this page only.
    const odsCodes = [...new Set(found.entries.map((e) => e.organisation.odsCode).filter((x): x is string => x !== undefined))];
    const orgNames = new Map(odsCodes.length > 0
      ? (await ctx.db.selectFrom('organisations').select(['ods_code', 'name']).where('ods_code', 'in', odsCodes).execute()).map((o) => [o.ods_code, o.name]) : []);
    await audited(s, now, ids, { route: 'web/audit/who-viewed', persons: ids.length, results: found.entries.length, ...(before !== undefined ? { before } : {}) });
    return sendPage(reply, 200, page({ title: 'Who viewed a record', user: pageUser(ctx, s), current: '/audit/who-viewed' }, html`
      ${backLink('/audit/who-viewed', 'New search')}<h1>Who viewed the record of NHS number ${nhsNumber(n.value)}</h1>
      ${ids.length === 0 ? html`<p>No record in the shared record holds this NHS number.</p>` : html`
      ${org ? html`<p>Showing uses by staff of your organisation (${org}) only.</p>` : ''}
      ${whichPage(before, 'uses of this record')}
      ${table({
        caption: 'Uses of this record, newest first', captionHidden: true, head: ['When', 'Organisation', 'Role', 'What they did', 'Why'],
        rows: found.entries.map((e) => [dateTime(e.time), (e.organisation.odsCode ? orgNames.get(e.organisation.odsCode) : undefined) ?? e.organisation.odsCode ?? 'Unknown',
          e.role ?? '', `${e.activity[0]?.toUpperCase() ?? ''}${e.activity.slice(1)} the record`, e.purpose ?? '']),
        empty: before === undefined ? 'Nobody has viewed this record.' : 'There are no earlier uses of this record.',
      })}
      ${pagingForm({ action: '/audit/who-viewed', csrf: s.session.csrfToken, fields: { 'nhs-number': n.value }, next: found.next, earlier: before !== undefined, noun: 'uses' })}`}`));
  }));
}
