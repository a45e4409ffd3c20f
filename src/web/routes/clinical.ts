/**
 * The clinician's and social care professional's journey: find a person (NHS number, or name and
 * date of birth), declare a relationship when none can be inferred, then read the combined record and
 * its documents. Each read goes authenticate → resolve → decide → load → audit (committed) →
 * render, as the FHIR API does; an opted-out or unknown person gets the same "no shared record" page.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { sql, type Kysely } from 'kysely';
import type { Tables } from '../../store/tables.ts';
import { transaction } from '../../store/db.ts';
import {
  checkDeclaration, decide, declareRelationship, loadAccessFacts, userActor, DECLARATION_REASONS, type Decision, type DecisionPerson,
} from '../../access/index.ts';
import { type AuditAction, type AuditPurpose } from '../../audit/index.ts';
import type { JsonObject } from '../../audit/chain/event.ts';
import { personsByDemographics, personsByNhsNumber, readRecord, resolvePersonId } from '../../record/index.ts';
import { audit, field, pageUser, sendPage, type SignedIn, type WebContext } from '../context.ts';
import { html, type Html } from '../html.ts';
import { page } from '../layout.ts';
import { backLink, button, dateInput, errorSummary, form, input, radios, table, textarea, type FieldError } from '../components.ts';
import { longDate, nextDay, nhsNumber, parseDateInput, parseNhsNumberInput } from '../format.ts';
import { attachmentsOf, banner, recordContent, personName } from '../pages/record.ts';
import { refusalPage, userRefusal } from './auth.ts';
import type { Guard } from '../index.ts';

const DIRECT_CARE = ['clinician', 'social-care-practitioner'] as const;
export const NO_RECORD = 'No shared record is available for this person. Contact their care providers directly.';
const MAX_RESULTS = 25;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const REASON_ITEMS = [
  { value: 'emergency', text: 'Emergency', hint: 'I am treating this person in an emergency' },
  { value: 'new-referral', text: 'New referral', hint: 'This person has been referred to me or my service' },
  { value: 'present-and-consenting', text: 'The person is with me and agrees', hint: 'They are present and consent to me seeing their record' },
  { value: 'other', text: 'Another reason', hint: 'Give details below' },
] as const;

function purposeFor(decision: Decision): AuditPurpose {
  return decision.allow && decision.relationship?.basis === 'declared' && decision.relationship.reason === 'emergency' ? 'emergency-care' : 'direct-care';
}

function draft(s: SignedIn, now: Date, action: AuditAction, decision: Decision, personId: string | null, details: JsonObject) {
  const d: JsonObject = { ...details };
  if (!decision.allow) d.reason = decision.reason;
  if (decision.allow && decision.relationship) d.relationship = decision.relationship.basis;
  const review = decision.obligations.find((o) => o.type === 'flag-for-review');
  if (review && review.type === 'flag-for-review') d.flagForReview = [...review.reasons];
  return {
    time: now.toISOString(), actor: userActor({ id: s.user.id, organisationOds: s.user.organisationOds, role: s.user.role }),
    action: decision.allow ? action : 'access-denied' as const, ...(personId ? { personId } : {}), purpose: purposeFor(decision),
    outcome: decision.allow ? 'success' as const : 'denied' as const, details: d,
  };
}

async function factsFor(ctx: WebContext, s: SignedIn, personId: string | null, now: Date): Promise<DecisionPerson> {
  if (!personId) return { exists: false, optedOut: false };
  return loadAccessFacts(ctx.db, personId, { id: s.user.id, organisation: { ods: s.user.organisationOds, kind: s.user.organisationKind } }, now,
    ctx.access.declarationValidityHours ? { declarationValidityHours: ctx.access.declarationValidityHours } : {});
}

interface ResultRow { personId: string; family: string | null; given: string[]; birthDate: string | null; sex: string | null; postcode: string | null; nhs: string | null; gp: string | null }

/** Demographics of several persons for a results list: two queries however many persons. */
async function resultRows(trx: Kysely<Tables>, personIds: readonly string[]): Promise<ResultRow[]> {
  if (personIds.length === 0) return [];
  const rows = await sql<{ person_id: string; demographics: Record<string, unknown>; nhs_number: string | null; updated_at: Date }>`
    select person_id, demographics, nhs_number, updated_at from source_records
     where person_id in (${sql.join(personIds.map((p) => sql`${p}::uuid`))}) and retired_into is null
     order by updated_at desc`.execute(trx);
  const byPerson = new Map<string, ResultRow>();
  for (const r of rows.rows) {
    const d = r.demographics;
    const cur = byPerson.get(r.person_id) ?? { personId: r.person_id, family: null, given: [], birthDate: null, sex: null, postcode: null, nhs: null, gp: null };
    cur.family ??= typeof d.family === 'string' ? d.family : null;
    if (cur.given.length === 0 && Array.isArray(d.given)) cur.given = d.given.filter((g): g is string => typeof g === 'string');
    cur.birthDate ??= typeof d.birthDate === 'string' ? d.birthDate : null;
    cur.sex ??= typeof d.sex === 'string' ? d.sex : null;
    cur.postcode ??= typeof d.postcode === 'string' ? d.postcode : null;
    cur.nhs ??= r.nhs_number;
    cur.gp ??= typeof d.gpPracticeOds === 'string' ? d.gpPracticeOds : null;
    byPerson.set(r.person_id, cur);
  }
  const gps = [...new Set([...byPerson.values()].map((r) => r.gp).filter((g): g is string => g !== null))];
  const names = gps.length > 0 ? await trx.selectFrom('organisations').select(['ods_code', 'name']).where('ods_code', 'in', gps).execute() : [];
  const gpName = new Map(names.map((n) => [n.ods_code, n.name]));
  return personIds.map((id) => byPerson.get(id)).filter((r): r is ResultRow => r !== undefined)
    .map((r) => ({ ...r, gp: r.gp ? (gpName.get(r.gp) ?? r.gp) : null }));
}

interface SearchForm { nhs?: string; family?: string; given?: string; dob?: { day?: string; month?: string; year?: string } }

function searchPage(ctx: WebContext, s: SignedIn, f: SearchForm = {}, errors: FieldError[] = [], notice?: Html): Html {
  const err = (id: string) => errors.find((e) => e.field === id)?.message;
  return page({ title: 'Find a person', user: pageUser(ctx, s), current: '/search' }, html`<div class="nhsuk-grid-row"><div class="nhsuk-grid-column-two-thirds">
    ${errorSummary(errors)}
    <h1>Find a person</h1>
    ${notice ?? ''}
    <h2 class="nhsuk-heading-m">Search by NHS number</h2>
    ${form('/search', s.session.csrfToken, html`<input type="hidden" name="by" value="nhs">
      ${input({ id: 'nhs-number', label: 'NHS number', hint: 'For example, 485 777 3456', value: f.nhs ?? '', inputmode: 'numeric', width: 10, spellcheck: false, autocomplete: 'off', error: err('nhs-number') })}
      ${button('Search by NHS number')}`)}
    <h2 class="nhsuk-heading-m">Or search by name and date of birth</h2>
    ${form('/search', s.session.csrfToken, html`<input type="hidden" name="by" value="name">
      ${input({ id: 'family', label: 'Last name', value: f.family ?? '', autocomplete: 'off', spellcheck: false, width: 20, error: err('family') })}
      ${input({ id: 'given', label: 'First name (optional)', value: f.given ?? '', autocomplete: 'off', spellcheck: false, width: 20 })}
      ${dateInput({ id: 'dob', legend: 'Date of birth', hint: 'For example, 31 3 1980', value: f.dob ?? {}, error: err('dob') })}
      ${button('Search by name and date of birth')}`)}
  </div></div>`);
}

function noRecordPage(ctx: WebContext, s: SignedIn): Html {
  return page({ title: 'No shared record is available', user: pageUser(ctx, s) }, html`
    <h1>No shared record is available</h1><p>${NO_RECORD}</p><p><a href="/search">Find another person</a></p>`);
}

function relationshipPage(ctx: WebContext, s: SignedIn, personId: string, bannerHtml: Html, v: { reason?: string; detail?: string } = {}, errors: FieldError[] = []): Html {
  return page({ title: 'What is your relationship with this person?', user: pageUser(ctx, s) }, html`
    ${backLink('/search', 'Back to search')}
    <div class="nhsuk-grid-row"><div class="nhsuk-grid-column-two-thirds">
    ${errorSummary(errors)}
    ${bannerHtml}
    <p>There is no care relationship between you and this person in the information shared with us, such as a GP registration, admission, referral or appointment at your organisation.</p>
    ${form(`/record/${personId}/relationship`, s.session.csrfToken, html`
      ${radios({ id: 'reason', legend: 'What is your relationship with this person?', legendIsHeading: false, hint: 'Your access will be time-limited and reviewed by your information governance team', items: REASON_ITEMS, value: v.reason, error: errors.find((e) => e.field === 'reason')?.message })}
      ${textarea({ id: 'detail', label: 'Details', hint: 'Say why you need to see the record. Required if you chose another reason', value: v.detail ?? '', error: errors.find((e) => e.field === 'detail')?.message })}
      ${button('Continue to the record')}`)}
    </div></div>`);
}

export function registerClinicalRoutes(app: FastifyInstance, ctx: WebContext, guard: Guard): void {
  app.get('/search', guard(DIRECT_CARE, async (_req, reply, s) => {
    const refusal = userRefusal(ctx, s, 'search');
    if (refusal) return sendPage(reply, 403, refusalPage(ctx, s, refusal));
    return sendPage(reply, 200, searchPage(ctx, s));
  }));

  app.post('/search', guard(DIRECT_CARE, async (req, reply, s) => {
    const refusal = userRefusal(ctx, s, 'search');
    if (refusal) return sendPage(reply, 403, refusalPage(ctx, s, refusal));
    const now = ctx.deps.now();
    const by = field(req, 'by');
    const f: SearchForm = {
      nhs: field(req, 'nhs-number'), family: field(req, 'family').trim(), given: field(req, 'given').trim(),
      dob: { day: field(req, 'dob-day'), month: field(req, 'dob-month'), year: field(req, 'dob-year') },
    };
    let candidates: string[];
    let terms: string[];
    if (by === 'nhs') {
      const n = parseNhsNumberInput(f.nhs);
      if (!n.ok) return sendPage(reply, 400, searchPage(ctx, s, f, [{ field: 'nhs-number', message: n.message }]));
      candidates = await personsByNhsNumber(ctx.db, n.value);
      terms = ['nhs-number'];
    } else {
      const errors: FieldError[] = [];
      if (!f.family) errors.push({ field: 'family', message: 'Enter their last name' });
      const dob = parseDateInput(f.dob?.day, f.dob?.month, f.dob?.year, now);
      if (!dob.ok) errors.push({ field: 'dob', message: dob.message });
      if (errors.length > 0 || !dob.ok) return sendPage(reply, 400, searchPage(ctx, s, f, errors));
      candidates = await personsByDemographics(ctx.db, { family: f.family ?? '', ...(f.given ? { given: f.given } : {}), birthDate: { from: dob.value, before: nextDay(dob.value) } });
      terms = f.given ? ['family', 'given', 'birthdate'] : ['family', 'birthdate'];
    }
    const allowed: string[] = [];
    let searchDecision: Decision | null = null;
    for (const personId of candidates.slice(0, MAX_RESULTS)) {
      const decision = decide(s.decisionUser, await factsFor(ctx, s, personId, now), 'search', now, ctx.decide);
      if (decision.allow) {
        allowed.push(personId);
        searchDecision ??= decision;
      }
    }
    const decision: Decision = searchDecision ?? { allow: true, purpose: 'search', obligations: [] };
    const rows = await resultRows(ctx.db, allowed);
    await ctx.auditReads.append(draft(s, now, 'search', decision, allowed.length === 1 ? allowed[0]! : null, {
      route: 'web/search', terms, results: rows.length, resources: rows.map((r) => `Patient/${r.personId}`),
    }));
    if (rows.length === 0) {
      return sendPage(reply, 200, searchPage(ctx, s, {}, [], html`<div class="nhsuk-inset-text" role="status"><p>${NO_RECORD}</p></div>`));
    }
    if (by === 'nhs' && rows.length === 1) return reply.redirect(`/record/${rows[0]!.personId}`, 303);
    return sendPage(reply, 200, page({ title: 'Search results', user: pageUser(ctx, s), current: '/search' }, html`
      ${backLink('/search', 'Back to search')}
      <h1>${rows.length} ${rows.length === 1 ? 'person' : 'people'} found</h1>
      ${candidates.length > MAX_RESULTS ? html`<p>Only the first ${MAX_RESULTS} are shown. Add a first name to narrow the search.</p>` : ''}
      ${table({
        caption: 'People matching your search', captionHidden: true, head: ['Name', 'Date of birth', 'Sex', 'NHS number', 'Postcode', 'GP practice'],
        rows: rows.map((r) => [
          html`<a href="/record/${r.personId}">${[r.given.join(' '), r.family?.toUpperCase()].filter(Boolean).join(' ') || 'Name not known'}</a>`,
          longDate(r.birthDate), r.sex ?? 'Not known', html`<span class="ohc-nowrap">${nhsNumber(r.nhs)}</span>`, r.postcode ?? 'Not known', r.gp ?? 'Not known',
        ]),
      })}`));
  }));

  /** The read of one person for the record page and its downloads: null once a refusal has been answered. */
  async function access(reply: FastifyReply, s: SignedIn, rawId: string, now: Date): Promise<{ personId: string; decision: Extract<Decision, { allow: true }> } | null> {
    const personId = UUID.test(rawId) ? await resolvePersonId(ctx.db, rawId) : null;
    const facts = await factsFor(ctx, s, personId, now);
    const decision = decide(s.decisionUser, facts, 'direct-care-view', now, ctx.decide);
    if (decision.allow && personId) return { personId, decision };
    if (!decision.allow && decision.reason === 'relationship-required' && personId) {
      const declareDecision = decide(s.decisionUser, facts, 'declare-relationship', now, ctx.decide);
      const read = declareDecision.allow ? await readRecord(ctx.db, personId, declareDecision, now, { types: ['Patient'] }) : null;
      await ctx.auditReads.append(draft(s, now, 'view', decision, personId, { route: 'web/record', resources: read ? [`Patient/${personId}`] : [] }));
      const bannerHtml = read ? banner(read.record, now, { alerts: false }) : html``;
      await sendPage(reply, 403, relationshipPage(ctx, s, personId, bannerHtml));
      return null;
    }
    await ctx.auditReads.append(draft(s, now, 'view', decision, personId, { route: 'web/record' }));
    if (!decision.allow && decision.reason !== 'person-not-found') await sendPage(reply, decision.httpStatus, refusalPage(ctx, s, decision));
    else await sendPage(reply, 404, noRecordPage(ctx, s));
    return null;
  }

  app.get('/record/:id', guard(DIRECT_CARE, async (req, reply, s) => {
    const params = req.params as { id: string };
    const now = ctx.deps.now();
    const a = await access(reply, s, params.id, now);
    if (!a) return reply;
    const read = await readRecord(ctx.db, a.personId, a.decision, now);
    const items = read.record.sections.flatMap((sec) => sec.items);
    await ctx.auditReads.append(draft(s, now, 'view', a.decision, a.personId, {
      route: 'web/record', resources: [`Patient/${a.personId}`, ...items.map((i) => `${i.resourceType}/${i.id}`)],
      ...(read.withheld.length > 0 ? { withheld: Object.fromEntries(read.withheld.map((m) => [m.reason, m.entryIds.length])) } : {}),
    }));
    const body = page({ title: personName(read.record), user: pageUser(ctx, s) }, html`
      ${backLink('/search', 'Find another person')}
      ${recordContent(read.record, now, { declaredRelationship: a.decision.relationship?.basis === 'declared' })}`);
    return sendPage(reply, 200, body);
  }));

  app.post('/record/:id/relationship', guard(DIRECT_CARE, async (req, reply, s) => {
    const params = req.params as { id: string };
    const now = ctx.deps.now();
    const personId = UUID.test(params.id) ? await resolvePersonId(ctx.db, params.id) : null;
    const facts = await factsFor(ctx, s, personId, now);
    const decision = decide(s.decisionUser, facts, 'declare-relationship', now, ctx.decide);
    if (!decision.allow || !personId) {
      await ctx.auditReads.append(draft(s, now, 'declare-relationship', decision, personId, { route: 'web/relationship' }));
      return sendPage(reply, decision.allow ? 404 : decision.httpStatus, !decision.allow && decision.reason !== 'person-not-found' ? refusalPage(ctx, s, decision) : noRecordPage(ctx, s));
    }
    const reason = field(req, 'reason');
    const detail = field(req, 'detail').trim();
    const check = checkDeclaration({ reason, detail: detail || null });
    if (!check.ok) {
      const errors = [{ field: (DECLARATION_REASONS as readonly string[]).includes(reason) ? 'detail' : 'reason',
        message: (DECLARATION_REASONS as readonly string[]).includes(reason) ? check.message : 'Select your relationship with this person' }];
      const read = await readRecord(ctx.db, personId, decision, now, { types: ['Patient'] });
      await ctx.auditReads.append(draft(s, now, 'view', decision, personId, { route: 'web/relationship', resources: [`Patient/${personId}`] }));
      const bannerHtml = banner(read.record, now, { alerts: false });
      return sendPage(reply, 400, relationshipPage(ctx, s, personId, bannerHtml, { reason, detail }, errors));
    }
    await transaction(ctx.db, async (trx) => {
      await declareRelationship(trx, { id: s.user.id, organisation: { ods: s.user.organisationOds }, role: s.user.role }, personId, check.reason, check.detail, now, audit,
        ctx.access.declarationValidityHours ? { declarationValidityHours: ctx.access.declarationValidityHours } : {});
    }, { retries: 0 });
    return reply.redirect(`/record/${personId}`, 303);
  }));

  app.get('/record/:id/attachments/:entry/:index', guard(DIRECT_CARE, async (req, reply, s) => {
    const params = req.params as { id: string; entry: string; index: string };
    const now = ctx.deps.now();
    const a = await access(reply, s, params.id, now);
    if (!a) return reply;
    const index = /^\d{1,3}$/.test(params.index) ? Number(params.index) : -1;
    const found = await (async () => {
      const read = await readRecord(ctx.db, a.personId, a.decision, now, { types: ['DocumentReference', 'DiagnosticReport', 'Patient'] });
      const entry = read.shown.find((e) => e.id === params.entry);
      const resource = entry?.resource;
      const att = resource ? attachmentsOf(resource).find((x) => x.index === index && x.hasData) : undefined;
      if (!entry || !resource || !att) return null;
      const list = resource.resourceType === 'DocumentReference'
        ? (resource.content as { attachment: { data: string } }[]).map((c) => c.attachment) : (resource.presentedForm as { data: string }[]);
      const data = list[index]?.data ?? '';
      await ctx.auditReads.append(draft(s, now, 'view', a.decision, a.personId, { route: 'web/attachment', resources: [`${entry.resourceType}/${entry.id}`], download: true }));
      return { att, bytes: Buffer.from(data, 'base64') };
    })();
    if (!found) return sendPage(reply, 404, page({ title: 'Document not found', user: pageUser(ctx, s) }, html`<h1>Document not found</h1><p><a href="/record/${a.personId}">Back to the record</a></p>`));
    const type = /^[a-z]+\/[a-z0-9.+-]+$/i.test(found.att.contentType.split(';')[0]?.trim() ?? '') ? found.att.contentType.split(';')[0]!.trim() : 'application/octet-stream';
    const ext = type === 'application/pdf' ? 'pdf' : type.startsWith('text/') ? 'txt' : 'bin';
    return reply.code(200).header('content-type', type).header('content-disposition', `attachment; filename="document-${index + 1}.${ext}"`).send(found.bytes);
  }));
}
