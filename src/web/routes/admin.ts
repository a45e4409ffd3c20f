/**
 * The system administrator's pages: organisations, feeds with their health, dead letters with their
 * reasons and a replay button, and user accounts (add, suspend, training date). No clinical data:
 * dead letters show their reason and where, never their content. Every change is audited.
 */
import type { FastifyInstance } from 'fastify';
import { transaction } from '../../store/db.ts';
import { addUser, AccessError, listUsers, setTraining, suspendUser, userActor, ROLES, type Role } from '../../access/index.ts';
import { appendAudit } from '../../audit/index.ts';
import { listFeeds } from '../../ingest/feeds.ts';
import { listDeadLetters } from '../../ingest/deadLetters.ts';
import { replayDeadLetter } from '../../ingest/replay.ts';
import { listOrganisations } from '../../registry/organisations.ts';
import { audit, field, pageUser, sendPage, type SignedIn, type WebContext } from '../context.ts';
import { html, type Html } from '../html.ts';
import { page, ROLE_LABELS } from '../layout.ts';
import { button, errorSummary, form, input, insetText, select, table, tag, type FieldError } from '../components.ts';
import { dateTime, longDate } from '../format.ts';
import { refusalPage, userRefusal } from './auth.ts';
import type { Guard } from '../index.ts';

const ADMIN = ['system-admin'] as const;

function whereText(where: Record<string, unknown>): string {
  return Object.entries(where).filter(([, v]) => typeof v === 'string' || typeof v === 'number').map(([k, v]) => `${k} ${String(v)}`).join(', ');
}

interface UserForm { username?: string; name?: string; org?: string; role?: string; registration?: string; training?: string }

export function registerAdminRoutes(app: FastifyInstance, ctx: WebContext, guard: Guard, o: { feedLateAfterHours: number }): void {
  const adminPage = (path: string, title: string, handler: (s: SignedIn) => Promise<Html>) => app.get(path, guard(ADMIN, async (_req, reply, s) => {
    const refusal = userRefusal(ctx, s, 'admin');
    if (refusal) return sendPage(reply, 403, refusalPage(ctx, s, refusal));
    return sendPage(reply, 200, page({ title, user: pageUser(ctx, s), current: path }, await handler(s)));
  }));

  adminPage('/admin/organisations', 'Organisations', async () => {
    const orgs = await listOrganisations(ctx.db);
    return html`<h1>Organisations</h1>
      ${table({
        caption: 'Partner organisations in the registry', captionHidden: true, head: ['ODS code', 'Name', 'Kind', 'Sharing agreement', 'Caldicott Guardian', 'SIRO'],
        rows: orgs.map((g) => [g.odsCode, g.name, g.kind, `${g.isaFrom ? `From ${longDate(g.isaFrom)}` : 'Not a member'}${g.isaTo ? ` to ${longDate(g.isaTo)}` : ''}`, g.caldicottGuardian ?? 'Not recorded', g.siro ?? 'Not recorded']),
        empty: 'No organisations are registered.',
      })}`;
  });

  adminPage('/admin/feeds', 'Feeds', async () => {
    const feeds = await listFeeds(ctx.db);
    const now = ctx.deps.now().getTime();
    const late = (last: string | null) => last === null || now - Date.parse(last) > o.feedLateAfterHours * 3_600_000;
    const lateCount = feeds.filter((f) => late(f.lastSuccess)).length;
    return html`<h1>Feeds</h1>
      ${lateCount > 0 ? insetText(html`<p><strong>${lateCount} ${lateCount === 1 ? 'feed has' : 'feeds have'} not uploaded successfully in the last ${o.feedLateAfterHours} hours.</strong></p>`) : ''}
      ${table({
        caption: 'Feeds and their health', captionHidden: true, head: ['Feed', 'Organisation', 'Format', 'Last success', 'Received', 'Accepted', 'Rejected', 'Error rate', 'Open dead letters', 'Health'],
        rows: feeds.map((f) => {
          const done = f.accepted + f.rejected;
          const rate = done === 0 ? 0 : f.rejected / done;
          return [f.id, f.organisationOds, f.format, dateTime(f.lastSuccess), f.received, f.accepted, f.rejected, `${(rate * 100).toFixed(1)}%`, f.deadLettered,
            late(f.lastSuccess) ? tag('Late', 'orange') : rate > 0.05 ? tag('Errors', 'red') : tag('Healthy', 'green')];
        }),
        empty: 'No feeds are registered.',
      })}`;
  });

  const deadLettersPage = async (s: SignedIn, notice?: Html) => {
    const letters = await listDeadLetters(ctx.db, { status: 'open', limit: 200 });
    return html`<h1>Dead letters</h1>
      ${notice ?? ''}
      <p>Input that could not be accepted, with the reason. Fix the cause (a mapping, a feed registration), then replay it.</p>
      ${table({
        caption: 'Open dead letters, oldest first', captionHidden: true, head: ['Number', 'Feed', 'Received', 'Kind', 'Reason', 'Action'],
        rows: letters.map((d) => [d.id, d.feedId ?? 'Unknown feed', dateTime(d.receivedAt), d.kind,
          html`<strong>${d.error.code}</strong>: ${d.error.message}${whereText(d.error.where) ? html`<span class="ohc-source">At ${whereText(d.error.where)}</span>` : ''}`,
          form('/admin/dead-letters/replay', s.session.csrfToken, html`<input type="hidden" name="id" value="${d.id}">
            <button class="nhsuk-button nhsuk-button--secondary nhsuk-button--small" type="submit">Replay<span class="nhsuk-u-visually-hidden"> dead letter ${d.id}</span></button>`)]),
        empty: 'There are no open dead letters.',
      })}`;
  };
  adminPage('/admin/dead-letters', 'Dead letters', (s) => deadLettersPage(s));

  app.post('/admin/dead-letters/replay', guard(ADMIN, async (req, reply, s) => {
    const refusal = userRefusal(ctx, s, 'admin');
    if (refusal) return sendPage(reply, 403, refusalPage(ctx, s, refusal));
    const id = Number(field(req, 'id'));
    if (!Number.isSafeInteger(id) || id <= 0) return reply.redirect('/admin/dead-letters', 303);
    const now = ctx.deps.now();
    const r = await replayDeadLetter(ctx.db, id, now);
    await transaction(ctx.db, async (trx) => {
      await appendAudit(trx, {
        time: now.toISOString(), actor: userActor({ id: s.user.id, organisationOds: s.user.organisationOds, role: s.user.role }),
        action: 'dead-letter-replayed', purpose: 'administration', outcome: r.outcome === 'replayed' ? 'success' : 'failure',
        details: { deadLetterId: r.id, outcome: r.outcome },
      });
    });
    const notice = r.outcome === 'replayed'
      ? html`<div class="nhsuk-inset-text" role="status"><p>Dead letter ${id} was replayed and accepted.</p></div>`
      : html`<div class="nhsuk-inset-text" role="status"><p>Dead letter ${id} was not accepted: ${r.message}.</p></div>`;
    return sendPage(reply, 200, page({ title: 'Dead letters', user: pageUser(ctx, s), current: '/admin/dead-letters' }, await deadLettersPage(s, notice)));
  }));

  const usersPage = async (s: SignedIn, v: UserForm = {}, errors: FieldError[] = [], notice?: Html) => {
    const [users, orgs] = await Promise.all([listUsers(ctx.db), listOrganisations(ctx.db)]);
    const err = (f: string) => errors.find((e) => e.field === f)?.message;
    return html`${errorSummary(errors)}<h1>Users</h1>${notice ?? ''}
      ${table({
        caption: 'User accounts', captionHidden: true, head: ['Username', 'Name', 'Organisation', 'Role', 'Training valid until', 'Status', 'Actions'],
        rows: users.map((u) => [u.username, u.name, u.organisationOds, ROLE_LABELS[u.role],
          u.trainingValidUntil ? longDate(u.trainingValidUntil) : 'Not recorded',
          u.status === 'suspended' ? tag('Suspended', 'red') : tag('Active', 'green'),
          html`${form('/admin/users/training', s.session.csrfToken, html`<input type="hidden" name="username" value="${u.username}">
              <label class="nhsuk-label" for="training-${u.id}">Training valid until<span class="nhsuk-u-visually-hidden"> for ${u.username}</span> (YYYY-MM-DD)</label>
              <input class="nhsuk-input nhsuk-input--width-10" id="training-${u.id}" name="training" type="text" value="${u.trainingValidUntil ?? ''}">
              <button class="nhsuk-button nhsuk-button--secondary nhsuk-button--small" type="submit">Save date<span class="nhsuk-u-visually-hidden"> for ${u.username}</span></button>`)}
            ${u.status === 'active' ? form('/admin/users/suspend', s.session.csrfToken, html`<input type="hidden" name="username" value="${u.username}">
              <button class="nhsuk-button nhsuk-button--warning nhsuk-button--small" type="submit">Suspend<span class="nhsuk-u-visually-hidden"> ${u.username}</span></button>`) : ''}`,
        ]),
      })}
      <h2 id="add-user">Add a user</h2>
      <div class="nhsuk-grid-row"><div class="nhsuk-grid-column-two-thirds">
      ${form('/admin/users', s.session.csrfToken, html`
        ${input({ id: 'username', label: 'Username', hint: 'Letters, digits, dots, hyphens or underscores', value: v.username ?? '', spellcheck: false, autocomplete: 'off', width: 20, error: err('username') })}
        ${input({ id: 'name', label: 'Full name', value: v.name ?? '', autocomplete: 'off', width: 30, error: err('name') })}
        ${select({ id: 'org', label: 'Organisation', value: v.org ?? '', items: orgs.map((g) => ({ value: g.odsCode, text: `${g.name} (${g.odsCode})` })), error: err('org') })}
        ${select({ id: 'role', label: 'Role', value: v.role ?? 'clinician', items: ROLES.map((r: Role) => ({ value: r, text: ROLE_LABELS[r] })), error: err('role') })}
        ${input({ id: 'registration', label: 'Professional registration (if needed for the role)', hint: 'For example, GMC:1234567', value: v.registration ?? '', spellcheck: false, autocomplete: 'off', width: 20, error: err('registration') })}
        ${input({ id: 'training', label: 'Data security training valid until', hint: 'For example, 2026-03-31', value: v.training ?? '', width: 10, error: err('training') })}
        ${input({ id: 'password', label: 'Initial password', type: 'password', autocomplete: 'new-password', width: 20, error: err('password') })}
        ${button('Add user')}`)}
      </div></div>`;
  };
  adminPage('/admin/users', 'Users', (s) => usersPage(s));

  const FIELD_OF: Readonly<Record<string, string>> = { 'org': 'org', 'training-until': 'training', 'until': 'training' };

  app.post('/admin/users', guard(ADMIN, async (req, reply, s) => {
    const refusal = userRefusal(ctx, s, 'admin');
    if (refusal) return sendPage(reply, 403, refusalPage(ctx, s, refusal));
    const v: UserForm = { username: field(req, 'username'), name: field(req, 'name'), org: field(req, 'org'), role: field(req, 'role'), registration: field(req, 'registration'), training: field(req, 'training') };
    const password = field(req, 'password');
    const actor = userActor({ id: s.user.id, organisationOds: s.user.organisationOds, role: s.user.role });
    try {
      const added = await addUser(ctx.db, {
        username: v.username ?? '', name: v.name ?? '', organisationOds: v.org ?? '', role: v.role ?? '', registration: v.registration || null,
        trainingValidUntil: v.training || null, password: password || null,
      }, ctx.deps.now(), audit, actor, ctx.access);
      return sendPage(reply, 200, page({ title: 'Users', user: pageUser(ctx, s), current: '/admin/users' },
        await usersPage(s, {}, [], html`<div class="nhsuk-inset-text" role="status"><p>User ${added.user.username} was added.</p></div>`)));
    } catch (e) {
      if (!(e instanceof AccessError)) throw e;
      const fieldName = FIELD_OF[e.where] ?? (['username', 'name', 'role', 'registration', 'password'].includes(e.where) ? e.where : 'username');
      return sendPage(reply, 400, page({ title: 'Users', user: pageUser(ctx, s), current: '/admin/users' }, await usersPage(s, v, [{ field: fieldName, message: e.message }])));
    }
  }));

  const change = (path: string, act: (s: SignedIn, username: string, training: string) => Promise<string>) => app.post(path, guard(ADMIN, async (req, reply, s) => {
    const refusal = userRefusal(ctx, s, 'admin');
    if (refusal) return sendPage(reply, 403, refusalPage(ctx, s, refusal));
    let message: string;
    try {
      message = await act(s, field(req, 'username'), field(req, 'training').trim());
    } catch (e) {
      if (!(e instanceof AccessError)) throw e;
      message = `Nothing was changed: ${e.message}.`;
    }
    return sendPage(reply, 200, page({ title: 'Users', user: pageUser(ctx, s), current: '/admin/users' },
      await usersPage(s, {}, [], html`<div class="nhsuk-inset-text" role="status"><p>${message}</p></div>`)));
  }));
  const actorOf = (s: SignedIn) => userActor({ id: s.user.id, organisationOds: s.user.organisationOds, role: s.user.role });
  change('/admin/users/suspend', async (s, username) => {
    const u = await suspendUser(ctx.db, username, ctx.deps.now(), audit, actorOf(s));
    return `${u.username} is suspended and signed out everywhere.`;
  });
  change('/admin/users/training', async (s, username, training) => {
    const u = await setTraining(ctx.db, username, training, ctx.deps.now(), audit, actorOf(s));
    return `Training date for ${u.username} saved: valid until ${longDate(u.trainingValidUntil)}.`;
  });
}
