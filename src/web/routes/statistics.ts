/**
 * The analyst's page: anonymised aggregate statistics for reviewing services in the county. Every
 * number has been through small-number suppression and rounding (statistics/disclosure.ts) before
 * it reaches this module, people who objected are not counted, and nothing names a person. Each
 * view is decided and audited by the statistics capability.
 */
import type { FastifyInstance } from 'fastify';
import { anonymisedStatistics, displayCount, StatisticsRefused, type AnonymisedStatistics } from '../../statistics/index.ts';
import { audit, pageUser, sendPage, type WebContext } from '../context.ts';
import { html, type Html } from '../html.ts';
import { page } from '../layout.ts';
import { insetText, table } from '../components.ts';
import { dateTime } from '../format.ts';
import { refusalPage, userRefusal } from './auth.ts';
import { entryKind } from './rights.ts';
import type { Guard } from '../index.ts';

const ANALYST = ['analyst'] as const;
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

function monthText(ym: string): string {
  const [y, m] = ym.split('-').map(Number) as [number, number];
  return `${MONTHS[m - 1] ?? ''} ${y}`;
}

function statisticsContent(st: AnonymisedStatistics): Html {
  return html`<h1>Statistics for reviewing services</h1>
    <p>Anonymised counts from the shared record, made ${dateTime(st.computedAt)}, for the county's service review. People who have objected to sharing are not counted.</p>
    ${insetText(html`<p><strong>How the numbers are protected.</strong> ${st.rule} So totals may not equal the sum of their parts.</p>`)}
    <p class="nhsuk-body-l">People in the shared record: <strong>${displayCount(st.persons)}</strong></p>
    <h2 id="age-and-sex">People by age and sex</h2>
    ${table({
      caption: 'People by age band and sex', head: ['Age', 'Female', 'Male', 'Other', 'Not known', 'All'],
      rows: st.ageSex.map((r) => [r.band, displayCount(r.bySex.female), displayCount(r.bySex.male), displayCount(r.bySex.other), displayCount(r.bySex.unknown), displayCount(r.total)]),
      empty: 'No people are counted yet.',
    })}
    <h2 id="kinds">People with information from each kind of service</h2>
    ${table({ caption: 'People with information from each kind of organisation', head: ['Kind of organisation', 'People'], rows: st.organisationKinds.map((k) => [k.label, displayCount(k.count)]), empty: 'None yet.' })}
    <h2 id="practices">People by registered GP practice</h2>
    ${table({ caption: 'People by the GP practice they are registered with', head: ['GP practice', 'ODS code', 'People'], rows: st.gpPractices.map((p) => [p.label, p.code ?? 'Not known', displayCount(p.count)]), empty: 'None yet.' })}
    <h2 id="entries">Entries by kind and organisation</h2>
    ${table({ caption: 'Current entries in the shared record by organisation and kind', head: ['Organisation', 'ODS code', 'Kind of entry', 'Entries'], rows: st.entries.map((e) => [e.organisation, e.ods, entryKind(e.resourceType), displayCount(e.count)]), empty: 'None yet.' })}
    <h2 id="months">Entries received by month</h2>
    ${table({ caption: 'Entries received in the last 12 months by kind of organisation', head: ['Month', 'Kind of organisation', 'Entries'], rows: st.months.map((m) => [monthText(m.month), m.organisationKind, displayCount(m.count)]), empty: 'None in the last 12 months.' })}`;
}

export function registerStatisticsRoutes(app: FastifyInstance, ctx: WebContext, guard: Guard): void {
  app.get('/statistics', guard(ANALYST, async (_req, reply, s) => {
    const refusal = userRefusal(ctx, s, 'statistics');
    if (refusal) return sendPage(reply, 403, refusalPage(ctx, s, refusal));
    let st: AnonymisedStatistics;
    try {
      st = await anonymisedStatistics(ctx.db, { id: s.user.id, role: s.user.role, organisationOds: s.user.organisationOds, decisionUser: s.decisionUser }, ctx.deps.now(), audit, ctx.decide);
    } catch (e) {
      if (!(e instanceof StatisticsRefused)) throw e;
      return sendPage(reply, 403, page({ title: 'You cannot use this page', user: pageUser(ctx, s) }, html`<h1>You cannot use this page</h1><p>${e.message}</p>`));
    }
    return sendPage(reply, 200, page({ title: 'Statistics', user: pageUser(ctx, s), current: '/statistics' }, statisticsContent(st)));
  }));
}
