/**
 * The combined record page: the person banner (name, date of birth and age, NHS number, GP practice,
 * alerts and allergies always visible), a summary of what matters now, a timeline, then each section
 * with every item's source organisation and date, how fresh each source is, markers for withheld
 * items, and documents readable in the page with their attachments downloadable.
 */
import type { CombinedRecord, FhirJson, RecordItem, RecordSection, SectionFreshness, SectionKey } from '../../record/index.ts';
import { html, type Html, type HtmlValue } from '../html.ts';
import { ageOn, clinicalDate, dateTime, longDate, nhsNumber } from '../format.ts';
import { insetText, summaryList, tag, table, warningCallout } from '../components.ts';

export interface Attachment { index: number; title: string; contentType: string; text: string | null; hasData: boolean }

/** The attachments of a document or report, with the text of plain-text ones decoded for reading in the page. */
export function attachmentsOf(resource: FhirJson): Attachment[] {
  const list: unknown[] = resource.resourceType === 'DocumentReference'
    ? (Array.isArray(resource.content) ? (resource.content as { attachment?: unknown }[]).map((c) => c.attachment) : [])
    : resource.resourceType === 'DiagnosticReport' && Array.isArray(resource.presentedForm) ? (resource.presentedForm as unknown[]) : [];
  const out: Attachment[] = [];
  list.forEach((a, index) => {
    if (a === null || typeof a !== 'object') return;
    const att = a as { contentType?: unknown; data?: unknown; title?: unknown };
    const contentType = typeof att.contentType === 'string' ? att.contentType : 'application/octet-stream';
    const data = typeof att.data === 'string' ? att.data : null;
    const isText = /^text\/(plain|html)\b/i.test(contentType);
    let text: string | null = null;
    if (data && isText) {
      text = Buffer.from(data, 'base64').toString('utf8');
      // HTML documents are read as text: their markup is never trusted into the page.
      if (/^text\/html/i.test(contentType)) text = text.replace(/<[^>]*>/g, ' ').replace(/[ \t]+/g, ' ');
    }
    out.push({ index, title: typeof att.title === 'string' && att.title ? att.title : 'Document', contentType, text, hasData: data !== null });
  });
  return out;
}

function str(v: unknown): string | null {
  return typeof v === 'string' && v.trim() !== '' ? v : null;
}

function concept(v: unknown): string | null {
  if (v === null || typeof v !== 'object') return null;
  const c = v as { text?: unknown; coding?: { display?: unknown }[] };
  return str(c.text) ?? (Array.isArray(c.coding) ? c.coding.map((x) => str(x.display)).find((x) => x !== null) ?? null : null);
}

/** A short detail shown under an item's label: a result's value, a medicine's dose, an allergy's reaction. */
export function detailOf(r: FhirJson): string | null {
  switch (r.resourceType) {
    case 'Observation': {
      const q = r.valueQuantity as { value?: unknown; unit?: unknown } | undefined;
      if (q && typeof q.value === 'number') return `${q.value}${typeof q.unit === 'string' ? ` ${q.unit}` : ''}`;
      return str(r.valueString) ?? concept(r.valueCodeableConcept);
    }
    case 'MedicationStatement':
    case 'MedicationRequest': {
      const dosage = (r.dosage ?? r.dosageInstruction) as { text?: unknown }[] | undefined;
      return Array.isArray(dosage) ? str(dosage[0]?.text) : null;
    }
    case 'AllergyIntolerance': {
      const reaction = r.reaction as { manifestation?: unknown[] }[] | undefined;
      const m = Array.isArray(reaction) && Array.isArray(reaction[0]?.manifestation) ? concept(reaction[0].manifestation[0]) : null;
      const crit = str(r.criticality);
      return [m ? `Reaction: ${m}` : null, crit === 'high' ? 'High risk' : null].filter(Boolean).join('. ') || null;
    }
    default:
      return null;
  }
}

function sources(item: RecordItem): Html {
  return html`${item.sources.map((s) => html`<span class="ohc-source">${s.organisationName}, updated ${longDate(s.lastUpdated)}</span>`)}`;
}

export const FRESHNESS_LATE_HOURS = 24;

function isLate(f: SectionFreshness, now: Date, lateHours: number): boolean {
  return f.lastSuccessAt === null || now.getTime() - Date.parse(f.lastSuccessAt) > lateHours * 3_600_000;
}

function freshnessTable(freshness: readonly SectionFreshness[], now: Date, caption: string): Html {
  return table({
    caption, head: ['Source', 'Last successful upload', 'Status'],
    rows: freshness.map((f) => [f.organisationName, dateTime(f.lastSuccessAt), isLate(f, now, FRESHNESS_LATE_HOURS) ? tag('Not updated recently', 'orange') : tag('Up to date', 'green')]),
    empty: 'No source has shared information yet.',
  });
}

function documentBlock(personId: string, item: RecordItem): Html {
  const atts = attachmentsOf(item.entry.resource);
  if (atts.length === 0) return html``;
  return html`${atts.map((a) => html`
    ${a.text !== null ? html`<details class="nhsuk-details"><summary class="nhsuk-details__summary"><span class="nhsuk-details__summary-text">Read ${a.title}<span class="nhsuk-u-visually-hidden">: ${item.label}</span></span></summary>
      <div class="nhsuk-details__text"><div class="ohc-document">${a.text}</div></div></details>` : ''}
    ${a.hasData ? html`<p class="nhsuk-body-s"><a href="/record/${personId}/attachments/${item.id}/${a.index}" download>Download ${a.title}<span class="nhsuk-u-visually-hidden"> for ${item.label}</span> (${a.contentType.split(';')[0] ?? a.contentType})</a></p>` : ''}`)}`;
}

function itemsTable(personId: string, section: RecordSection): Html {
  const withDocuments = section.key === 'notes-and-reports' || section.key === 'results';
  return table({
    caption: section.title, captionHidden: true, head: ['Item', 'Date', 'Status', 'Source'],
    rows: section.items.map((item) => {
      const detail = detailOf(item.entry.resource);
      return [
        html`<strong>${item.label}</strong>${detail ? html`<br>${detail}` : ''}${withDocuments ? documentBlock(personId, item) : ''}`,
        html`<span class="ohc-nowrap">${clinicalDate(item.date)}</span>`,
        item.status ?? '',
        sources(item),
      ];
    }),
  });
}

const SUMMARY_SECTIONS: readonly { key: SectionKey; label: string }[] = [
  { key: 'conditions-ongoing', label: 'Ongoing conditions' },
  { key: 'medications-current', label: 'Current medications' },
  { key: 'encounters', label: 'Most recent contact' },
  { key: 'social-care-and-mental-health', label: 'Social care and mental health' },
  { key: 'care-plans', label: 'Care plans' },
];

function sectionByKey(record: CombinedRecord, key: SectionKey): RecordSection | undefined {
  return record.sections.find((s) => s.key === key);
}

function summary(record: CombinedRecord): Html {
  const rows = SUMMARY_SECTIONS.map(({ key, label }) => {
    const items = sectionByKey(record, key)?.items ?? [];
    const shown = key === 'encounters' ? items.slice(0, 1) : items.slice(0, 5);
    const value: HtmlValue = shown.length === 0 ? 'None recorded'
      : html`<ul class="nhsuk-list">${shown.map((i) => html`<li>${i.label}${i.date ? html` (${clinicalDate(i.date)})` : ''}</li>`)}</ul>${items.length > shown.length ? html`<a href="#${key}">See all ${items.length}</a>` : ''}`;
    return { key: label, value };
  });
  return summaryList(rows);
}

const TIMELINE_SECTIONS: ReadonlySet<SectionKey> = new Set(['encounters', 'results', 'notes-and-reports', 'procedures-and-investigations']);

function timeline(record: CombinedRecord): Html {
  const items = record.sections.filter((s) => TIMELINE_SECTIONS.has(s.key)).flatMap((s) => s.items.map((i) => ({ i, section: s.title })))
    .sort((a, b) => (b.i.date ?? '').localeCompare(a.i.date ?? '')).slice(0, 40);
  return table({
    caption: 'Timeline of encounters, results and documents, newest first', captionHidden: true, head: ['Date', 'What', 'Source'],
    rows: items.map(({ i, section }) => [html`<span class="ohc-nowrap">${clinicalDate(i.date)}</span>`, html`${i.label}<span class="ohc-source">${section}</span>`, i.sources[0]?.organisationName ?? '']),
    empty: 'No encounters, results or documents have been shared.',
  });
}

export function personName(record: CombinedRecord): string {
  const n = record.demographics.name?.value;
  if (!n) return 'Name not known';
  return [n.given.join(' '), n.family ? n.family.toUpperCase() : null].filter(Boolean).join(' ');
}

/** The banner: who this is, and what nobody may miss. */
export function banner(record: CombinedRecord, now: Date, o: { alerts: boolean }): Html {
  const d = record.demographics;
  const dob = d.birthDate?.value ?? null;
  const age = dob ? ageOn(dob, now) : null;
  const gp = d.gpPractice?.value;
  const alerts = sectionByKey(record, 'alerts-and-allergies')?.items ?? [];
  return html`<section class="ohc-banner" aria-labelledby="person-name">
  <h1 class="ohc-banner__name nhsuk-heading-l" id="person-name">${personName(record)}</h1>
  <ul class="ohc-banner__facts">
    <li>Born <strong>${longDate(dob)}</strong>${age !== null ? html` (${age} years)` : ''}</li>
    <li>NHS number <strong>${nhsNumber(d.nhsNumber?.value.value)}</strong></li>
    <li>GP practice <strong>${gp ? (gp.name ?? gp.ods) : 'Not known'}</strong></li>
    ${d.deceasedDate ? html`<li><strong>Died ${longDate(d.deceasedDate.value)}</strong></li>` : ''}
  </ul>
  ${o.alerts ? html`<div class="ohc-banner__alerts"><h2 class="nhsuk-heading-s">Alerts, flags and allergies</h2>
    ${alerts.length === 0 ? html`<p class="nhsuk-body">None recorded by the sources sharing with this record.</p>`
      : html`<ul>${alerts.map((a) => { const det = detailOf(a.entry.resource); return html`<li><strong>${a.label}</strong>${det ? html` – ${det}` : ''} <span class="ohc-source">${a.sources.map((s) => s.organisationName).join(', ')}</span></li>`; })}</ul>`}
  </div>` : ''}
</section>`;
}

function demographicsSection(record: CombinedRecord): Html {
  const d = record.demographics;
  const src = (s: { sources: readonly { organisationName: string; lastUpdated: string }[] } | null) =>
    s ? html`<span class="ohc-source">${s.sources.map((x) => `${x.organisationName}, updated ${longDate(x.lastUpdated)}`).join('; ')}</span>` : '';
  return html`${summaryList([
    { key: 'Name', value: html`${personName(record)}${src(d.name)}` },
    { key: 'Date of birth', value: html`${longDate(d.birthDate?.value)}${src(d.birthDate)}` },
    { key: 'NHS number', value: html`${nhsNumber(d.nhsNumber?.value.value)}${d.nhsNumber && !d.nhsNumber.value.verified ? ' (not verified)' : ''}${src(d.nhsNumber)}` },
    { key: 'Sex', value: d.sex?.value ?? 'Not known' },
    { key: 'Address', value: d.address ? html`${[...d.address.value.lines, d.address.value.postcode ?? ''].filter(Boolean).join(', ')}${src(d.address)}` : 'Not known' },
    { key: 'Phone', value: d.phone ? html`${d.phone.value}${src(d.phone)}` : 'Not known' },
    { key: 'Registered GP practice', value: d.gpPractice ? html`${d.gpPractice.value.name ?? d.gpPractice.value.ods}${src(d.gpPractice)}` : 'Not known' },
  ])}
  <h3>Contacts, next of kin and carers</h3>
  ${table({
    caption: 'Contacts, next of kin and carers', captionHidden: true, head: ['Name', 'Relationship', 'Phone', 'Source'],
    rows: d.contacts.map((c) => [c.name ?? 'Not known', c.relationship ?? 'Not known', c.phone ?? 'Not known', c.source.organisationName]),
    empty: 'No contacts recorded.',
  })}`;
}

export function recordContent(record: CombinedRecord, now: Date, o: { declaredRelationship: boolean }): Html {
  const sections = record.sections.filter((s) => s.key !== 'alerts-and-allergies');
  const withheld = record.withheld;
  return html`
  ${banner(record, now, { alerts: true })}
  ${o.declaredRelationship ? insetText(html`<p>You are seeing this record because you recorded your relationship with this person. Your access is time-limited and will be reviewed.</p>`) : ''}
  ${withheld.length > 0 ? warningCallout('Some information is not shown', html`<ul>${withheld.map((w) => html`<li>${w.text} (${w.count} ${w.count === 1 ? 'item' : 'items'})</li>`)}</ul>`) : ''}
  <nav class="nhsuk-contents-list" aria-label="Contents"><h2 class="nhsuk-u-visually-hidden">Contents</h2>
    <ol class="nhsuk-contents-list__list">
      <li class="nhsuk-contents-list__item"><a class="nhsuk-contents-list__link" href="#summary">What matters now</a></li>
      <li class="nhsuk-contents-list__item"><a class="nhsuk-contents-list__link" href="#timeline">Timeline</a></li>
      <li class="nhsuk-contents-list__item"><a class="nhsuk-contents-list__link" href="#demographics">Personal details and contacts</a></li>
      ${sections.map((s) => html`<li class="nhsuk-contents-list__item"><a class="nhsuk-contents-list__link" href="#${s.key}">${s.title} (${s.items.length})</a></li>`)}
      <li class="nhsuk-contents-list__item"><a class="nhsuk-contents-list__link" href="#freshness">How up to date this record is</a></li>
    </ol></nav>
  <h2 id="summary">What matters now</h2>
  ${summary(record)}
  <h2 id="timeline">Timeline</h2>
  ${timeline(record)}
  <h2 id="demographics">Personal details and contacts</h2>
  ${demographicsSection(record)}
  ${sections.map((s) => html`<h2 id="${s.key}">${s.title}</h2>
    ${s.items.length === 0 ? html`<p class="nhsuk-body">None recorded by the sources sharing with this record.</p>` : itemsTable(record.personId, s)}
    ${s.freshness.length > 0 ? html`<p class="nhsuk-body-s">Sources: ${s.freshness.map((f) => `${f.organisationName} (last upload ${dateTime(f.lastSuccessAt)})`).join('; ')}</p>` : ''}`)}
  <h2 id="freshness">How up to date this record is</h2>
  ${freshnessTable(record.freshness, now, 'Each source and when it last shared information')}`;
}
