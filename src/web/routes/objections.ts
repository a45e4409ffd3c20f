/**
 * The objection (opt-out) register for PALS officers and GP practice staff: find by NHS number (sent
 * in the form body, never the URL), see the person's objection history, record an objection or its
 * withdrawal after a confirmation page, and print the receipt. The register change and its audit
 * entry are written together by access.recordObjection / withdrawObjection.
 */
import type { FastifyInstance } from 'fastify';
import { AccessError, isObjecting, objectionHistory, recordObjection, withdrawObjection } from '../../access/index.ts';
import { audit, field, pageUser, sendPage, type SignedIn, type WebContext } from '../context.ts';
import { html, type Html } from '../html.ts';
import { page } from '../layout.ts';
import { backLink, button, errorSummary, form, input, summaryList, table, tag, type FieldError } from '../components.ts';
import { dateTime, nhsNumber, parseNhsNumberInput } from '../format.ts';
import { refusalPage, userRefusal } from './auth.ts';
import type { Guard } from '../index.ts';

const FRONT_DESK = ['pals-officer', 'gp-practice-staff'] as const;

type Change = 'record' | 'withdraw';

function channelOf(s: SignedIn): 'pals' | 'gp' {
  return s.user.role === 'gp-practice-staff' ? 'gp' : 'pals';
}

function findPage(ctx: WebContext, s: SignedIn, value = '', errors: FieldError[] = []): Html {
  return page({ title: 'Objections to sharing', user: pageUser(ctx, s), current: '/objections' }, html`<div class="nhsuk-grid-row"><div class="nhsuk-grid-column-two-thirds">
    ${errorSummary(errors)}
    <h1>Objections to sharing (opt-out)</h1>
    <p>Record that a person objects to their information being available through the shared record, or that they have withdrawn their objection. It takes effect at once.</p>
    ${form('/objections/find', s.session.csrfToken, html`
      ${input({ id: 'nhs-number', label: 'NHS number', hint: 'For example, 485 777 3456', value, inputmode: 'numeric', width: 10, spellcheck: false, autocomplete: 'off', error: errors[0]?.message })}
      ${button('Continue')}`)}
  </div></div>`);
}

function hidden(nhs: string, change?: Change): Html {
  return html`<input type="hidden" name="nhs-number" value="${nhs}">${change ? html`<input type="hidden" name="change" value="${change}">` : ''}`;
}

export function registerObjectionRoutes(app: FastifyInstance, ctx: WebContext, guard: Guard): void {
  app.get('/objections', guard(FRONT_DESK, async (_req, reply, s) => {
    const refusal = userRefusal(ctx, s, 'record-objection');
    if (refusal) return sendPage(reply, 403, refusalPage(ctx, s, refusal));
    return sendPage(reply, 200, findPage(ctx, s));
  }));

  app.post('/objections/find', guard(FRONT_DESK, async (req, reply, s) => {
    const refusal = userRefusal(ctx, s, 'record-objection');
    if (refusal) return sendPage(reply, 403, refusalPage(ctx, s, refusal));
    const typed = field(req, 'nhs-number');
    const n = parseNhsNumberInput(typed);
    if (!n.ok) return sendPage(reply, 400, findPage(ctx, s, typed, [{ field: 'nhs-number', message: n.message }]));
    const [objecting, history] = await Promise.all([isObjecting(ctx.db, n.value), objectionHistory(ctx.db, n.value)]);
    const change: Change = objecting ? 'withdraw' : 'record';
    return sendPage(reply, 200, page({ title: 'Objection status', user: pageUser(ctx, s), current: '/objections' }, html`
      ${backLink('/objections')}
      <h1>NHS number ${nhsNumber(n.value)}</h1>
      ${summaryList([{ key: 'Current status', value: objecting ? tag('Objection recorded: not shared', 'red') : tag('No objection: shared for direct care', 'green') }])}
      <h2>History</h2>
      ${table({
        caption: 'Objection history, oldest first', captionHidden: true, head: ['Date', 'What happened', 'Recorded by', 'Organisation', 'Channel'],
        rows: history.map((e) => [dateTime(e.at), e.action === 'recorded' ? 'Objection recorded' : 'Objection withdrawn', e.byUsername, e.organisationOds, e.channel === 'gp' ? 'GP practice' : 'PALS']),
        empty: 'No objection has ever been recorded for this NHS number.',
      })}
      ${form('/objections/confirm', s.session.csrfToken, html`${hidden(n.value, change)}
        ${button(change === 'record' ? 'Record an objection' : 'Record that the objection is withdrawn', change === 'record' ? { warning: true } : {})}`)}`));
  }));

  app.post('/objections/confirm', guard(FRONT_DESK, async (req, reply, s) => {
    const n = parseNhsNumberInput(field(req, 'nhs-number'));
    const change = field(req, 'change') === 'withdraw' ? 'withdraw' : 'record';
    if (!n.ok) return sendPage(reply, 400, findPage(ctx, s, '', [{ field: 'nhs-number', message: n.message }]));
    const title = change === 'record' ? 'Confirm the objection' : 'Confirm the withdrawal';
    return sendPage(reply, 200, page({ title, user: pageUser(ctx, s), current: '/objections' }, html`<div class="nhsuk-grid-row"><div class="nhsuk-grid-column-two-thirds">
      <h1>${title}</h1>
      ${summaryList([
        { key: 'NHS number', value: nhsNumber(n.value) },
        { key: 'What will happen', value: change === 'record'
          ? 'From now on no professional will be able to find or see this person through the shared record. Their care providers keep their own records.'
          : 'From now on the professionals caring for this person will be able to see their shared record again.' },
        { key: 'Recorded by', value: `${s.user.name}, ${s.user.organisationName}` },
        { key: 'Channel', value: channelOf(s) === 'gp' ? 'GP practice' : 'PALS' },
      ])}
      <p>Check the NHS number with the person before you confirm.</p>
      ${form('/objections/submit', s.session.csrfToken, html`${hidden(n.value, change)}${button(change === 'record' ? 'Confirm and record the objection' : 'Confirm the withdrawal')}`)}
      <p><a href="/objections">Cancel</a></p>
    </div></div>`));
  }));

  app.post('/objections/submit', guard(FRONT_DESK, async (req, reply, s) => {
    const n = parseNhsNumberInput(field(req, 'nhs-number'));
    const change: Change = field(req, 'change') === 'withdraw' ? 'withdraw' : 'record';
    if (!n.ok) return sendPage(reply, 400, findPage(ctx, s, '', [{ field: 'nhs-number', message: n.message }]));
    const request = { nhsNumber: n.value, channel: channelOf(s), byUsername: s.user.username };
    let event;
    try {
      event = change === 'record' ? await recordObjection(ctx.db, request, ctx.deps.now(), audit) : await withdrawObjection(ctx.db, request, ctx.deps.now(), audit);
    } catch (e) {
      if (!(e instanceof AccessError)) throw e;
      return sendPage(reply, e.code === 'not-permitted' ? 403 : 409, page({ title: 'The register was not changed', user: pageUser(ctx, s), current: '/objections' }, html`
        <h1>The register was not changed</h1><p>${e.message}.</p><p><a href="/objections">Find the NHS number again</a></p>`));
    }
    const heading = change === 'record' ? 'Objection recorded' : 'Objection withdrawn';
    return sendPage(reply, 200, page({ title: heading, user: pageUser(ctx, s), current: '/objections' }, html`<div class="nhsuk-grid-row"><div class="nhsuk-grid-column-two-thirds">
      <div class="nhsuk-panel"><h1 class="nhsuk-panel__heading">${heading}</h1>
        <div class="nhsuk-panel__body">Receipt number<br><strong>OBJ-${String(event.id).padStart(6, '0')}</strong></div></div>
      <h2>Receipt</h2>
      ${summaryList([
        { key: 'NHS number', value: nhsNumber(n.value) },
        { key: 'What was recorded', value: heading },
        { key: 'When', value: dateTime(event.at) },
        { key: 'Recorded by', value: `${s.user.name} (${event.byUsername}), ${s.user.organisationName}` },
        { key: 'Channel', value: event.channel === 'gp' ? 'GP practice' : 'PALS' },
      ])}
      <p>${change === 'record' ? 'The objection took effect at once. The person can withdraw it at any time through PALS or their GP practice.' : 'The withdrawal took effect at once: the shared record is available again to the professionals caring for this person.'}</p>
      <p>Give the person the receipt number. They can ask who has looked at their record at any time.</p>
      <p><a href="/objections">Record another</a></p>
    </div></div>`));
  }));
}
