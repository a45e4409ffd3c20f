/**
 * Rights requests on the web. PALS officers and GP practice staff log a request for a person found
 * by NHS number (sent in the form body, never the URL), check it on a confirmation page and give the
 * person the receipt. Access-to-records teams see the parts routed to their organisation with their
 * deadlines and overdue warnings, open a case (by its opaque id) to see the scope of the data from
 * their organisation, mark their part done or extend its time limit, and — for an access request —
 * download the export that answers it; for a restriction or rectification request, restrict the
 * contested entries their organisation sent (or the whole record) and lift the restriction later.
 * Decisions, history and audit are the rights capability's.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  accessExport, casesForOrganisation, changePart, logRightsRequest, MAX_DESCRIPTION, MAX_NOTE, openCaseForTeam, receiptNumber, RightsError, checkReceivedOn,
  MAX_EXTENSION_MONTHS, type Clock, type RightsActor, type RightsCaseKind,
  liftForCase, restrictForCase, restrictionView, RESTRICTABLE_KINDS, type RestrictionView,
} from '../../rights/index.ts';
import { ukDay } from '../../record/index.ts';
import { field, audit, pageUser, sendPage, type SignedIn, type WebContext } from '../context.ts';
import { html, type Html } from '../html.ts';
import { page } from '../layout.ts';
import {
  backLink, button, dateInput, errorSummary, form, input, insetText, radios, summaryList, table, tag, textarea, warningCallout, type FieldError,
} from '../components.ts';
import { dateTime, longDate, nhsNumber, parseNhsNumberInput } from '../format.ts';
import { refusalPage, userRefusal } from './auth.ts';
import type { Guard } from '../index.ts';

const FRONT_DESK = ['pals-officer', 'gp-practice-staff'] as const;
const TEAM = ['access-to-records'] as const;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const KIND_ITEMS: readonly { value: RightsCaseKind; text: string; hint: string }[] = [
  { value: 'access', text: 'Access', hint: 'They want a copy of the information held about them' },
  { value: 'rectification', text: 'Rectification', hint: 'They say some information is wrong and want it corrected' },
  { value: 'restriction', text: 'Restriction', hint: 'They contest information and want its use limited while it is checked' },
  { value: 'objection', text: 'Objection', hint: 'They object to how an organisation uses their information. To stop sharing through this record, record an opt-out instead' },
  { value: 'complaint', text: 'Complaint', hint: 'They are unhappy with how their information has been handled' },
];

function kindText(kind: string): string {
  return KIND_ITEMS.find((k) => k.value === kind)?.text ?? kind;
}

const ACTIONS: Readonly<Record<string, string>> = {
  logged: 'Request logged', routed: 'Sent to your team', extended: 'Time limit extended', completed: 'Marked as done', exported: 'Access export downloaded',
  restricted: 'Information restricted', lifted: 'Restriction lifted',
};

/** Plain words for the kinds of entry a team's scope lists (FHIR resource types otherwise). */
export const ENTRY_KINDS: Readonly<Record<string, string>> = {
  Patient: 'Demographic details', AllergyIntolerance: 'Allergies and adverse reactions', Condition: 'Conditions and diagnoses',
  MedicationRequest: 'Prescriptions', MedicationStatement: 'Medications', Immunization: 'Immunisations', Procedure: 'Procedures',
  Observation: 'Observations and test results', DiagnosticReport: 'Test reports', Encounter: 'Visits, admissions and attendances',
  EpisodeOfCare: 'Episodes of care and social care involvement', ServiceRequest: 'Referrals', Appointment: 'Appointments',
  DocumentReference: 'Letters and documents', CarePlan: 'Care plans', Flag: 'Alerts and flags', RelatedPerson: 'Carers and contacts',
};

export function entryKind(resourceType: string): string {
  return ENTRY_KINDS[resourceType] ?? resourceType;
}

function actorOf(s: SignedIn): RightsActor {
  return { id: s.user.id, username: s.user.username, role: s.user.role, organisationOds: s.user.organisationOds, decisionUser: s.decisionUser };
}

export function clockTag(clock: Clock): Html {
  switch (clock.state) {
    case 'done': return tag('Done', 'green');
    case 'overdue': return tag(`Overdue by ${-clock.daysLeft} ${clock.daysLeft === -1 ? 'day' : 'days'}`, 'red');
    case 'due-today': return tag('Due today', 'red');
    case 'due-soon': return tag(`Due in ${clock.daysLeft} ${clock.daysLeft === 1 ? 'day' : 'days'}`, 'orange');
    default: return tag(`${clock.daysLeft} days left`, 'blue');
  }
}

interface LogForm { nhs: string; kind: string; description: string; day: string; month: string; year: string }

function readLogForm(r: FastifyRequest): LogForm {
  return {
    nhs: field(r, 'nhs-number'), kind: field(r, 'kind'), description: field(r, 'description'),
    day: field(r, 'received-day'), month: field(r, 'received-month'), year: field(r, 'received-year'),
  };
}

/** Checks the form; the errors to show, or the values to log. */
export function checkLogForm(f: LogForm, today: string): { ok: true; nhs: string; kind: RightsCaseKind; receivedOn: string; description: string } | { ok: false; errors: FieldError[] } {
  const errors: FieldError[] = [];
  const n = parseNhsNumberInput(f.nhs);
  if (!n.ok) errors.push({ field: 'nhs-number', message: n.message });
  const kind = KIND_ITEMS.find((k) => k.value === f.kind)?.value;
  if (!kind) errors.push({ field: 'kind', message: 'Select the kind of request' });
  const [d, m, y] = [f.day.trim(), f.month.trim(), f.year.trim()];
  let receivedOn = '';
  if (!d && !m && !y) errors.push({ field: 'received', message: 'Enter the date the request was received' });
  else if (!/^\d{1,2}$/.test(d) || !/^\d{1,2}$/.test(m) || !/^\d{4}$/.test(y)) errors.push({ field: 'received', message: 'The date the request was received must be a real date' });
  else {
    receivedOn = `${y}-${m.padStart(2, '0')}-${d.padStart(2, '0')}`;
    const c = checkReceivedOn(receivedOn, today);
    if (!c.ok) errors.push({ field: 'received', message: c.message });
  }
  if (f.description.trim().length > MAX_DESCRIPTION) errors.push({ field: 'description', message: `What the request is about must be ${MAX_DESCRIPTION} characters or fewer` });
  if (errors.length > 0 || !n.ok || !kind) return { ok: false, errors };
  return { ok: true, nhs: n.value, kind, receivedOn, description: f.description.trim() };
}

function hiddenLogForm(v: { nhs: string; kind: string; receivedOn: string; description: string }): Html {
  const [y, m, d] = v.receivedOn.split('-');
  return html`<input type="hidden" name="nhs-number" value="${v.nhs}"><input type="hidden" name="kind" value="${v.kind}">
    <input type="hidden" name="description" value="${v.description}"><input type="hidden" name="received-day" value="${d ?? ''}">
    <input type="hidden" name="received-month" value="${m ?? ''}"><input type="hidden" name="received-year" value="${y ?? ''}">`;
}

function logPage(ctx: WebContext, s: SignedIn, f?: LogForm, errors: FieldError[] = []): Html {
  const today = ukDay(ctx.deps.now()).split('-');
  const err = (id: string) => errors.find((e) => e.field === id)?.message;
  return page({ title: 'Log a rights request', user: pageUser(ctx, s), current: '/rights' }, html`<div class="nhsuk-grid-row"><div class="nhsuk-grid-column-two-thirds">
    ${errorSummary(errors)}
    <h1>Log a rights request</h1>
    <p>A person can ask for a copy of their information, for it to be corrected or its use restricted, object to how it is used, or complain. The request is sent to the access-to-records team of every organisation that holds information about them, and must be answered within one month.</p>
    ${form('/rights/confirm', s.session.csrfToken, html`
      ${input({ id: 'nhs-number', label: 'NHS number', hint: 'For example, 485 777 3456', value: f?.nhs ?? '', inputmode: 'numeric', width: 10, spellcheck: false, autocomplete: 'off', error: err('nhs-number') })}
      ${radios({ id: 'kind', legend: 'What kind of request is it?', items: KIND_ITEMS, value: f?.kind, error: err('kind') })}
      ${textarea({ id: 'description', label: 'What the request is about (optional)', hint: 'In the person\'s words, for example which information they say is wrong. Do not include anyone else\'s details', value: f?.description ?? '', error: err('description') })}
      ${dateInput({ id: 'received', legend: 'When did you have enough information to confirm who they are and find their information?', hint: 'The one-month time limit starts on this date. For example, 15 3 2026', value: f ? { day: f.day, month: f.month, year: f.year } : { day: String(Number(today[2])), month: String(Number(today[1])), year: today[0] ?? '' }, error: err('received') })}
      ${button('Continue')}`)}
  </div></div>`);
}

function notPermittedPage(ctx: WebContext, s: SignedIn, message: string, back: string, current: string): Html {
  return page({ title: 'You cannot do this', user: pageUser(ctx, s), current }, html`
    <h1>You cannot do this</h1><p>${message}</p><p><a href="${back}">Go back</a></p>`);
}

/** Restricting contested information while the request is considered, and lifting it. */
function restrictionSection(s: SignedIn, caseId: string, r: RestrictionView, v: { entry?: string; reason?: string; until?: string }, err: (f: string) => string | undefined): Html {
  const entryText = (e: RestrictionView['entries'][number]) => `${entryKind(e.resourceType)}: ${e.text ?? 'no description'}${e.date ? `, ${longDate(e.date)}` : ''}`;
  return html`<h2>Restrict information while the request is considered</h2>
    <p>Restricted information is withheld from everyone using the shared record, with a note that something is restricted at the person's request. You can restrict what your organisation sent, or the whole shared record if the person asks for that.</p>
    ${r.inForce.length > 0 ? table({
      caption: 'Restrictions in force', head: ['What', 'Why', 'From', 'Until', ''],
      rows: r.inForce.map((x) => [
        x.scope === 'whole-record' ? 'The whole shared record' : x.entry ? entryText(x.entry) : "Another organisation's entry",
        x.reason, longDate(x.validFrom), x.validTo ? longDate(x.validTo) : 'Until lifted',
        x.liftable ? form(`/rights/cases/${caseId}/lift`, s.session.csrfToken, html`<input type="hidden" name="restriction" value="${String(x.id)}">
          ${input({ id: `lift-reason-${x.id}`, name: 'lift-reason', label: 'Why it can be lifted', width: 20, error: err(`lift-reason-${x.id}`) })}
          ${button('Lift', { secondary: true })}`) : '',
      ]),
    }) : html`<p>Nothing is restricted for this person.</p>`}
    ${form(`/rights/cases/${caseId}/restrict`, s.session.csrfToken, html`
      ${radios({
        id: 'entry', legend: 'What to restrict', value: v.entry, error: err('entry'),
        items: [{ value: 'whole-record', text: 'The whole shared record', hint: 'Everything from every organisation' }, ...r.entries.map((e) => ({ value: e.id, text: entryText(e) }))],
      })}
      ${textarea({ id: 'restrict-reason', label: 'What the person contests', value: v.reason ?? '', rows: 3, error: err('restrict-reason') })}
      ${input({ id: 'until', label: 'Restricted until (optional)', hint: 'As YYYY-MM-DD. Leave empty to restrict until you lift it', value: v.until ?? '', width: 10, error: err('until') })}
      ${button('Restrict')}`)}`;
}

export function registerRightsRoutes(app: FastifyInstance, ctx: WebContext, guard: Guard): void {
  // ---- PALS and GP practice staff: log a request ----

  app.get('/rights', guard(FRONT_DESK, async (_req, reply, s) => {
    const refusal = userRefusal(ctx, s, 'log-rights-request');
    if (refusal) return sendPage(reply, 403, refusalPage(ctx, s, refusal));
    return sendPage(reply, 200, logPage(ctx, s));
  }));

  app.post('/rights/confirm', guard(FRONT_DESK, async (req, reply, s) => {
    const refusal = userRefusal(ctx, s, 'log-rights-request');
    if (refusal) return sendPage(reply, 403, refusalPage(ctx, s, refusal));
    const f = readLogForm(req);
    const v = checkLogForm(f, ukDay(ctx.deps.now()));
    if (!v.ok) return sendPage(reply, 400, logPage(ctx, s, f, v.errors));
    return sendPage(reply, 200, page({ title: 'Check the request', user: pageUser(ctx, s), current: '/rights' }, html`<div class="nhsuk-grid-row"><div class="nhsuk-grid-column-two-thirds">
      <h1>Check the request</h1>
      ${summaryList([
        { key: 'NHS number', value: nhsNumber(v.nhs) },
        { key: 'Kind of request', value: kindText(v.kind) },
        { key: 'What it is about', value: v.description || 'Not given' },
        { key: 'Time limit starts', value: longDate(v.receivedOn) },
        { key: 'Logged by', value: `${s.user.name}, ${s.user.organisationName}` },
      ])}
      <p>Check the NHS number with the person before you confirm. The request will be sent to the access-to-records team of every organisation that holds information about them.</p>
      ${form('/rights/submit', s.session.csrfToken, html`${hiddenLogForm({ nhs: v.nhs, kind: v.kind, receivedOn: v.receivedOn, description: v.description })}${button('Confirm and log the request')}`)}
      ${form('/rights/edit', s.session.csrfToken, html`${hiddenLogForm({ nhs: v.nhs, kind: v.kind, receivedOn: v.receivedOn, description: v.description })}${button('Change the request', { secondary: true })}`)}
      <p><a href="/rights">Cancel</a></p>
    </div></div>`));
  }));

  // Back to the form with what was typed (without JavaScript "back" would lose nothing, but a button is clearer).
  app.post('/rights/edit', guard(FRONT_DESK, async (req, reply, s) => sendPage(reply, 200, logPage(ctx, s, readLogForm(req)))));

  app.post('/rights/submit', guard(FRONT_DESK, async (req, reply, s) => {
    const f = readLogForm(req);
    const now = ctx.deps.now();
    const v = checkLogForm(f, ukDay(now));
    if (!v.ok) return sendPage(reply, 400, logPage(ctx, s, f, v.errors));
    let logged;
    try {
      logged = await logRightsRequest(ctx.db, { nhsNumber: v.nhs, kind: v.kind, receivedOn: v.receivedOn, description: v.description }, actorOf(s), now, audit, ctx.decide);
    } catch (e) {
      if (!(e instanceof RightsError)) throw e;
      return sendPage(reply, e.code === 'not-permitted' ? 403 : 400, page({ title: 'The request was not logged', user: pageUser(ctx, s), current: '/rights' }, html`
        <h1>The request was not logged</h1><p>${e.message}.</p><p><a href="/rights">Start again</a></p>`));
    }
    // The count, not the names: which services a person uses (a mental health trust, say) is not the front desk's business.
    const held = logged.parts.filter((p) => p.basis === 'holds-data').length;
    return sendPage(reply, 200, page({ title: 'Rights request logged', user: pageUser(ctx, s), current: '/rights' }, html`<div class="nhsuk-grid-row"><div class="nhsuk-grid-column-two-thirds">
      <div class="nhsuk-panel"><h1 class="nhsuk-panel__heading">Rights request logged</h1>
        <div class="nhsuk-panel__body">Receipt number<br><strong>${receiptNumber(logged.reference)}</strong></div></div>
      <h2>Receipt</h2>
      ${summaryList([
        { key: 'NHS number', value: nhsNumber(v.nhs) },
        { key: 'Kind of request', value: kindText(logged.kind) },
        { key: 'Time limit starts', value: longDate(logged.receivedOn) },
        { key: 'To be answered by', value: longDate(logged.dueOn) },
        { key: 'Logged', value: `${dateTime(logged.loggedAt)} by ${s.user.name}, ${s.user.organisationName}` },
      ])}
      <p>${held > 0
        ? `The request has been sent to the access-to-records ${held === 1 ? 'team of the organisation' : `teams of the ${held} organisations`} that hold information about this person. Each will contact them.`
        : 'The shared record holds no information for this NHS number. The request has been sent to your own organisation\'s access-to-records team, who will reply to the person.'}</p>
      <p>Give the person the receipt number. They can be given more time only if their request is complex, and they will be told within the month.</p>
      <p><a href="/rights">Log another request</a></p>
    </div></div>`));
  }));

  // ---- access-to-records teams: work the cases routed to their organisation ----

  app.get('/rights/cases', guard(TEAM, async (_req, reply, s) => {
    const refusal = userRefusal(ctx, s, 'handle-rights-case');
    if (refusal) return sendPage(reply, 403, refusalPage(ctx, s, refusal));
    const parts = await casesForOrganisation(ctx.db, s.user.organisationOds, ctx.deps.now());
    const open = parts.filter((p) => p.clock.state !== 'done');
    const done = parts.filter((p) => p.clock.state === 'done');
    const overdue = open.filter((p) => p.clock.state === 'overdue').length;
    const soon = open.filter((p) => p.clock.state === 'due-soon' || p.clock.state === 'due-today').length;
    const row = (p: (typeof parts)[number], link: boolean) => [
      link ? html`<a href="/rights/cases/${p.caseId}">${receiptNumber(p.reference)}</a>` : receiptNumber(p.reference),
      kindText(p.kind), longDate(p.receivedOn), html`<span class="ohc-nowrap">${longDate(p.clock.dueOn)}</span>${p.extensionMonths > 0 ? html`<span class="ohc-source">Extended by ${p.extensionMonths} ${p.extensionMonths === 1 ? 'month' : 'months'}</span>` : ''}`,
      p.clock.state === 'done' ? dateTime(p.completedAt) : clockTag(p.clock),
    ];
    return sendPage(reply, 200, page({ title: 'Rights requests', user: pageUser(ctx, s), current: '/rights/cases' }, html`
      <h1>Rights requests for ${s.user.organisationName}</h1>
      ${overdue > 0 ? warningCallout('Overdue', html`<p>${overdue} ${overdue === 1 ? 'request is' : 'requests are'} past the legal time limit. Reply to the person as soon as possible and tell them why it is late.</p>`) : ''}
      ${soon > 0 ? insetText(html`<p>${soon} ${soon === 1 ? 'request is' : 'requests are'} due within 7 days.</p>`) : ''}
      <h2>Open</h2>
      ${table({ caption: 'Open rights requests, most urgent first', captionHidden: true, head: ['Receipt number', 'Kind', 'Time limit started', 'Due', 'Status'], rows: open.map((p) => row(p, true)), empty: 'There are no open rights requests for your organisation.' })}
      <h2>Done</h2>
      ${table({ caption: 'Rights requests done in the last year', captionHidden: true, head: ['Receipt number', 'Kind', 'Time limit started', 'Due', 'Done'], rows: done.map((p) => row(p, false)), empty: 'None in the last year.' })}`));
  }));

  const caseId = (params: unknown): string | null => {
    const id = (params as { id?: string }).id ?? '';
    return UUID.test(id) ? id.toLowerCase() : null;
  };

  async function casePage(reply: FastifyReply, s: SignedIn, id: string, o: { errors?: FieldError[]; notice?: string; months?: string; reason?: string; note?: string; status?: number; restrict?: { entry?: string; reason?: string; until?: string } } = {}): Promise<FastifyReply> {
    const now = ctx.deps.now();
    let v;
    try {
      v = await openCaseForTeam(ctx.db, id, actorOf(s), now, audit, ctx.decide);
    } catch (e) {
      if (!(e instanceof RightsError)) throw e;
      if (e.code === 'unknown-case') return sendPage(reply, 404, page({ title: 'Case not found', user: pageUser(ctx, s), current: '/rights/cases' }, html`<h1>Case not found</h1><p><a href="/rights/cases">Back to rights requests</a></p>`));
      return sendPage(reply, 403, notPermittedPage(ctx, s, e.message, '/rights/cases', '/rights/cases'));
    }
    const errors = o.errors ?? [];
    const err = (f: string) => errors.find((x) => x.field === f)?.message;
    const restrictions = (RESTRICTABLE_KINDS as readonly string[]).includes(v.kind) && v.part.clock.state !== 'done' && v.part.basis === 'holds-data'
      ? await restrictionView(ctx.db, id, actorOf(s), now, audit, ctx.decide) : null;
    const canExtend = v.part.extensionMonths < MAX_EXTENSION_MONTHS && v.part.clock.daysLeft >= 0;
    const name = v.person ? [v.person.given.join(' '), v.person.family?.toUpperCase()].filter(Boolean).join(' ') : '';
    return sendPage(reply, o.status ?? 200, page({ title: `Rights request ${receiptNumber(v.reference)}`, user: pageUser(ctx, s), current: '/rights/cases' }, html`
      ${backLink('/rights/cases', 'Back to rights requests')}
      ${errorSummary(errors)}
      ${o.notice ? html`<div class="nhsuk-inset-text" role="status"><p>${o.notice}</p></div>` : ''}
      <h1>${kindText(v.kind)} request ${receiptNumber(v.reference)}</h1>
      ${v.part.clock.state === 'overdue' ? warningCallout('Overdue', html`<p>This request was due on ${longDate(v.part.clock.dueOn)}. Reply to the person as soon as possible.</p>`) : ''}
      <div class="nhsuk-grid-row"><div class="nhsuk-grid-column-two-thirds">
      ${summaryList([
        { key: 'Status', value: clockTag(v.part.clock) },
        { key: 'Due', value: `${longDate(v.part.clock.dueOn)}${v.part.extensionMonths > 0 ? ` (extended by ${v.part.extensionMonths} ${v.part.extensionMonths === 1 ? 'month' : 'months'}: ${v.part.extensionReason ?? ''})` : ''}` },
        { key: 'Time limit started', value: longDate(v.receivedOn) },
        { key: 'Person', value: html`${name || 'Name not known'}<span class="ohc-source">NHS number ${nhsNumber(v.nhsNumber)}${v.person?.birthDate ? `, born ${longDate(v.person.birthDate)}` : ''}</span>` },
        { key: 'What it is about', value: v.description || 'Not given' },
        { key: 'Logged', value: `${dateTime(v.loggedAt)} by ${v.channel === 'gp' ? 'GP practice' : 'PALS'} (${v.loggedByOrganisation})` },
        { key: 'Other organisations', value: v.otherParts === 0 ? 'None: only your organisation holds information' : `${v.otherParts} other ${v.otherParts === 1 ? 'organisation is' : 'organisations are'} answering for their own information` },
      ])}
      <h2>Information your organisation holds</h2>
      ${v.part.basis === 'no-data-held'
        ? html`<p>The shared record holds no information for this NHS number. Reply to the person to say so, and what your own organisation holds.</p>`
        : html`<p>What your organisation has sent to the shared record about this person: the kinds of entry and how many. The content is not shown here.</p>
          ${table({ caption: 'Entries from your organisation by kind', head: ['Kind of entry', 'Number'], rows: [['Records of the person in your systems', v.sourceRecords], ...v.scope.map((r) => [entryKind(r.resourceType), r.count])] })}`}
      ${v.kind === 'access' ? html`<h2>Access export</h2>
        <p>Everything the shared record holds about the person, from every organisation, and who has used their record. Check it before you send it, for example for information about other people. Downloading it is recorded.</p>
        <p><a class="nhsuk-button nhsuk-button--secondary" href="/rights/cases/${v.id}/export" download>Download the access export</a></p>` : ''}
      ${restrictions ? restrictionSection(s, v.id, restrictions, o.restrict ?? {}, err) : ''}
      <h2>Mark your part as done</h2>
      ${form(`/rights/cases/${v.id}/done`, s.session.csrfToken, html`
        ${textarea({ id: 'note', label: 'How was the request answered? (optional)', hint: 'For example, "Export sent by secure email on 3 March"', value: o.note ?? '', rows: 3, error: err('note') })}
        ${button('Mark as done')}`)}
      ${canExtend ? html`<h2>Extend the time limit</h2>
        <p>Only if the request is complex or one of several from the person, and only within the first month. Tell the person why.</p>
        ${form(`/rights/cases/${v.id}/extend`, s.session.csrfToken, html`
          ${radios({ id: 'months', legend: 'Extend by', items: [{ value: '1', text: '1 further month' }, { value: '2', text: '2 further months' }].filter((i) => Number(i.value) > v.part.extensionMonths), value: o.months, error: err('months') })}
          ${textarea({ id: 'reason', label: 'Why it needs more time', value: o.reason ?? '', rows: 3, error: err('reason') })}
          ${button('Extend the time limit', { secondary: true })}`)}` : ''}
      <h2>History</h2>
      ${table({ caption: 'What has happened to this request, oldest first', captionHidden: true, head: ['When', 'What', 'By', 'Organisation', 'Note'], rows: v.history.map((h) => [dateTime(h.at), ACTIONS[h.action] ?? h.action, h.byUsername, h.organisationOds, h.note ?? '']) })}
      </div></div>`));
  }

  app.get('/rights/cases/:id', guard(TEAM, async (req, reply, s) => {
    const refusal = userRefusal(ctx, s, 'handle-rights-case');
    if (refusal) return sendPage(reply, 403, refusalPage(ctx, s, refusal));
    const id = caseId(req.params);
    if (!id) return sendPage(reply, 404, page({ title: 'Case not found', user: pageUser(ctx, s), current: '/rights/cases' }, html`<h1>Case not found</h1><p><a href="/rights/cases">Back to rights requests</a></p>`));
    return casePage(reply, s, id);
  }));

  const change = (kind: 'done' | 'extend') => guard(TEAM, async (req, reply, s) => {
    const id = caseId(req.params);
    if (!id) return reply.redirect('/rights/cases', 303);
    const now = ctx.deps.now();
    const months = field(req, 'months');
    const reason = field(req, 'reason');
    const note = field(req, 'note');
    if (kind === 'extend' && !/^[12]$/.test(months)) return casePage(reply, s, id, { status: 400, errors: [{ field: 'months', message: 'Select how much longer the request needs' }], reason });
    if ((kind === 'extend' ? reason : note).trim().length > MAX_NOTE) {
      return casePage(reply, s, id, { status: 400, errors: [{ field: kind === 'extend' ? 'reason' : 'note', message: `The text must be ${MAX_NOTE} characters or fewer` }], months, reason, note });
    }
    try {
      const r = await changePart(ctx.db, id, kind === 'done' ? { change: 'completed', note } : { change: 'extended', months: Number(months), reason }, actorOf(s), now, audit, ctx.decide);
      if (r.done) {
        return sendPage(reply, 200, page({ title: 'Part marked as done', user: pageUser(ctx, s), current: '/rights/cases' }, html`
          <div class="nhsuk-panel"><h1 class="nhsuk-panel__heading">Your part is done</h1></div>
          <p>The request is closed for your organisation. Other organisations answer for their own information.</p>
          <p><a href="/rights/cases">Back to rights requests</a></p>`));
      }
      return casePage(reply, s, id, { notice: `The time limit is extended: the request is now due on ${longDate(r.dueOn)}. Tell the person why.` });
    } catch (e) {
      if (!(e instanceof RightsError)) throw e;
      if (e.code === 'extension-refused' || e.code === 'invalid-text') {
        return casePage(reply, s, id, { status: 400, errors: [{ field: e.where === 'months' ? 'months' : kind === 'extend' ? 'reason' : 'note', message: e.message }], months, reason, note });
      }
      return sendPage(reply, e.code === 'unknown-case' ? 404 : 403, notPermittedPage(ctx, s, e.message, '/rights/cases', '/rights/cases'));
    }
  });
  app.post('/rights/cases/:id/restrict', guard(TEAM, async (req, reply, s) => {
    const id = caseId(req.params);
    if (!id) return reply.redirect('/rights/cases', 303);
    const v = { entry: field(req, 'entry'), reason: field(req, 'restrict-reason'), until: field(req, 'until').trim() };
    if (!v.entry) return casePage(reply, s, id, { status: 400, errors: [{ field: 'entry', message: 'Select what to restrict' }], restrict: v });
    try {
      await restrictForCase(ctx.db, id, { entryId: v.entry === 'whole-record' ? null : v.entry, reason: v.reason, validTo: v.until || null }, actorOf(s), ctx.deps.now(), audit, ctx.decide);
      return casePage(reply, s, id, { notice: v.entry === 'whole-record' ? "The whole shared record is restricted at the person's request." : "The entry is restricted at the person's request." });
    } catch (e) {
      if (!(e instanceof RightsError)) throw e;
      const where = e.code === 'unknown-entry' ? 'entry' : e.code === 'invalid-date' ? 'until' : e.code === 'invalid-text' ? 'restrict-reason' : null;
      if (where) return casePage(reply, s, id, { status: 400, errors: [{ field: where, message: e.message }], restrict: v });
      return sendPage(reply, e.code === 'unknown-case' ? 404 : 403, notPermittedPage(ctx, s, e.message, `/rights/cases/${id}`, '/rights/cases'));
    }
  }));

  app.post('/rights/cases/:id/lift', guard(TEAM, async (req, reply, s) => {
    const id = caseId(req.params);
    if (!id) return reply.redirect('/rights/cases', 303);
    const restriction = field(req, 'restriction');
    if (!/^[0-9]{1,15}$/.test(restriction)) return reply.redirect(`/rights/cases/${id}`, 303);
    try {
      await liftForCase(ctx.db, id, Number(restriction), field(req, 'lift-reason'), actorOf(s), ctx.deps.now(), audit, ctx.decide);
      return casePage(reply, s, id, { notice: 'The restriction is lifted.' });
    } catch (e) {
      if (!(e instanceof RightsError)) throw e;
      if (e.code === 'invalid-text') return casePage(reply, s, id, { status: 400, errors: [{ field: `lift-reason-${restriction}`, message: e.message }] });
      return sendPage(reply, e.code === 'unknown-case' ? 404 : 403, notPermittedPage(ctx, s, e.message, `/rights/cases/${id}`, '/rights/cases'));
    }
  }));

  app.post('/rights/cases/:id/done', change('done'));
  app.post('/rights/cases/:id/extend', change('extend'));

  app.get('/rights/cases/:id/export', guard(TEAM, async (req, reply, s) => {
    const id = caseId(req.params);
    if (!id) return reply.redirect('/rights/cases', 303);
    try {
      const ex = await accessExport(ctx.db, id, actorOf(s), ctx.deps.now(), audit, ctx.decide);
      return reply.code(200).header('content-type', 'application/json; charset=utf-8')
        .header('content-disposition', `attachment; filename="${ex.filename}"`).send(JSON.stringify(ex.document, null, 2));
    } catch (e) {
      if (!(e instanceof RightsError)) throw e;
      return sendPage(reply, e.code === 'unknown-case' ? 404 : 403, notPermittedPage(ctx, s, e.message, `/rights/cases/${id}`, '/rights/cases'));
    }
  }));
}
