/**
 * ORU^R01 → one DiagnosticReport per OBR with an Observation per OBX. Value types: NM (Quantity),
 * SN (Quantity with comparator, Range or Ratio), ST/TX/FT (string), CE/CWE (CodeableConcept),
 * DT/TS/DTM (dateTime); ED and RP become the report's presentedForm. Reference ranges, table 0078
 * abnormal flags and result status are carried over.
 */
import type { Attachment, CodeableConcept, DiagnosticReport, Observation, ObservationReferenceRange, Quantity } from 'fhir/r4';
import type { SourceAction } from '../../sourceAction.ts';
import { type Hl7Segment } from '../../../formats/hl7v2/index.ts';
import { edAttachment, looksEncapsulated, rpAttachment } from './attachment.ts';
import { codeableConcept, optionalDateTime, organisationReference, patientReference, reject, reps, SYSTEMS, val, type Mapping } from './context.ts';

const REPORT_STATUS: Record<string, DiagnosticReport['status']> = {
  F: 'final',
  C: 'corrected',
  P: 'preliminary',
  R: 'preliminary',
  A: 'partial',
  I: 'registered',
  O: 'registered',
  S: 'registered',
  X: 'cancelled',
  Y: 'unknown',
  Z: 'unknown',
};

const OBS_STATUS: Record<string, Observation['status']> = {
  F: 'final',
  C: 'corrected',
  P: 'preliminary',
  R: 'preliminary',
  S: 'preliminary',
  A: 'amended',
  I: 'registered',
  X: 'cancelled',
  D: 'entered-in-error',
  W: 'entered-in-error',
  U: 'final',
};

/** v2 table 0078 codes that the FHIR v3 ObservationInterpretation code system shares. */
const INTERPRETATION = new Set(['L', 'H', 'LL', 'HH', '<', '>', 'N', 'A', 'AA', 'U', 'D', 'B', 'W', 'S', 'R', 'I', 'MS', 'VS', 'NEG', 'POS', 'IND', 'DET', 'ND', 'E', 'EX', 'HU', 'LU']);
const INTERPRETATION_DISPLAY: Record<string, string> = { L: 'Low', H: 'High', LL: 'Critical low', HH: 'Critical high', N: 'Normal', A: 'Abnormal', AA: 'Critical abnormal' };

const COMPARATORS = new Set(['<', '<=', '>=', '>']);

/** UCUM spelling of common lab units as v2 feeds write them (10^9/L → 10*9/L). */
export function ucumUnit(unit: string): string | undefined {
  const u = unit.trim();
  const power = /^x?10\^(\d+)\/(\w+)$/i.exec(u);
  if (power) return `10*${power[1]}/${power[2]}`;
  if (/^[A-Za-z%][A-Za-z0-9%/.*]*$/.test(u) && u.length <= 20) return u;
  return undefined;
}

function quantity(value: number, unit: string | undefined, comparator?: string): Quantity {
  const code = unit ? ucumUnit(unit) : undefined;
  return {
    value,
    ...(comparator && COMPARATORS.has(comparator) ? { comparator: comparator as Quantity['comparator'] } : {}),
    ...(unit ? { unit } : {}),
    ...(code ? { system: 'http://unitsofmeasure.org', code } : {}),
  };
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)$/;

export function referenceRange(text: string | undefined, unit: string | undefined): ObservationReferenceRange | undefined {
  const t = text?.trim();
  if (!t) return undefined;
  const range = /^([+-]?\d*\.?\d+)\s*-\s*([+-]?\d*\.?\d+)$/.exec(t);
  if (range) return { low: quantity(Number(range[1]), unit), high: quantity(Number(range[2]), unit), text: t };
  const one = /^(<=?|>=?)\s*([+-]?\d*\.?\d+)$/.exec(t);
  if (one) return one[1]?.startsWith('<') ? { high: quantity(Number(one[2]), unit), text: t } : { low: quantity(Number(one[2]), unit), text: t };
  return { text: t };
}

interface ObxOutcome {
  observation?: Observation;
  attachment?: Attachment;
}

function obxValue(m: Mapping, obx: Hl7Segment, obs: Observation, where: { segment: string; segmentIndex: number }): ObxOutcome {
  const type = val(m, obx, 2)?.toUpperCase() ?? '';
  const values = reps(m, obx, 5);
  const first = values[0];
  const unit = val(m, obx, 6, 2) && !val(m, obx, 6) ? val(m, obx, 6, 2) : val(m, obx, 6);
  const title = val(m, obx, 3, 2) ?? val(m, obx, 3);
  if (type === 'ED' || looksEncapsulated(first)) {
    if (!first) return {};
    const a = edAttachment(first, title);
    if (a.problem) m.warnings.push({ field: 'OBX-5', code: 'other', message: `OBX-5 at segment ${where.segmentIndex}: ${a.problem}; the document was kept without its content` });
    return { attachment: a.attachment };
  }
  if (type === 'RP') {
    const a = first ? rpAttachment(first, title) : undefined;
    return a ? { attachment: a } : {};
  }
  if (!first) return { observation: obs };
  const warn = (): void => {
    m.warnings.push({ field: `OBX-5`, code: 'other', message: `OBX-5 at segment ${where.segmentIndex} does not match its value type ${type}; kept as text` });
  };
  switch (type) {
    case 'NM': {
      const raw = first.c(1)?.trim() ?? '';
      if (NUMBER.test(raw)) obs.valueQuantity = quantity(Number(raw), unit);
      else {
        warn();
        obs.valueString = raw;
      }
      break;
    }
    case 'SN': {
      obs.valueQuantity = undefined;
      const comparator = first.c(1)?.trim();
      const n1 = first.c(2)?.trim() ?? '';
      const sep = first.c(3)?.trim();
      const n2 = first.c(4)?.trim() ?? '';
      if (!sep && NUMBER.test(n1)) obs.valueQuantity = quantity(Number(n1), unit, comparator === '=' ? undefined : comparator);
      else if (sep === '-' && NUMBER.test(n1) && NUMBER.test(n2)) obs.valueRange = { low: quantity(Number(n1), unit), high: quantity(Number(n2), unit) };
      else if ((sep === ':' || sep === '/') && NUMBER.test(n1) && NUMBER.test(n2)) obs.valueRatio = { numerator: { value: Number(n1) }, denominator: { value: Number(n2) } };
      else {
        warn();
        obs.valueString = [comparator, n1, sep, n2].filter(Boolean).join('');
      }
      if (obs.valueQuantity === undefined) delete obs.valueQuantity;
      break;
    }
    case 'CE':
    case 'CWE':
    case 'CNE':
    case 'CF': {
      const cc = codeableConcept(m, first);
      if (cc) obs.valueCodeableConcept = cc;
      break;
    }
    case 'DT':
    case 'TS':
    case 'DTM': {
      const t = optionalDateTime(m, obx, 5, 'OBX-5');
      if (t) obs.valueDateTime = t.dateTime;
      else obs.valueString = first.c(1) ?? '';
      break;
    }
    default: {
      // ST, TX, FT and anything else textual: repetitions are lines; FT line breaks are \.br\.
      const lines = values.map((v) => (v.c(1) ?? '').replace(/\\\.br\\/g, '\n'));
      obs.valueString = lines.join('\n');
    }
  }
  return { observation: obs };
}

function notes(m: Mapping, from: number): string[] {
  const out: string[] = [];
  for (let i = from; i < m.msg.segments.length; i++) {
    const s = m.msg.segments[i] as Hl7Segment;
    if (s.name !== 'NTE') break;
    const text = reps(m, s, 3)
      .map((r) => r.c(1) ?? '')
      .join('\n')
      .trim();
    if (text) out.push(text);
  }
  return out;
}

export function mapOru(m: Mapping, localId: string, version: string): SourceAction[] {
  const segs = m.msg.segments;
  const obrIdx = segs.map((s, i) => (s.name === 'OBR' ? i : -1)).filter((i) => i >= 0);
  if (obrIdx.length === 0) reject('required-field-missing', 'the message has no OBR segment', { segment: 'OBR' });
  const actions: SourceAction[] = [];
  const usedReportIds = new Set<string>();
  obrIdx.forEach((start, g) => {
    const obr = segs[start] as Hl7Segment;
    const end = obrIdx[g + 1] ?? segs.length;
    const where = { segment: 'OBR', segmentIndex: start + 1 };
    const order = val(m, obr, 3) ?? val(m, obr, 2);
    if (!order) reject('required-field-missing', 'OBR-3 (filler order number) and OBR-2 (placer order number) are both empty', { ...where, field: 'OBR-3' });
    const code = codeableConcept(m, reps(m, obr, 4)[0]);
    if (!code) reject('required-field-missing', 'OBR-4 (universal service identifier) is empty', { ...where, field: 'OBR-4' });
    let reportId = `${order}/${val(m, obr, 4) ?? ''}`;
    for (let n = 2; usedReportIds.has(reportId); n++) reportId = `${order}/${val(m, obr, 4) ?? ''}#${n}`;
    usedReportIds.add(reportId);
    const reportStatus = REPORT_STATUS[val(m, obr, 25)?.toUpperCase() ?? ''];
    const effective = optionalDateTime(m, obr, 7, 'OBR-7');
    const issued = optionalDateTime(m, obr, 22, 'OBR-22');
    const results: { obs: Observation; id: string }[] = [];
    const presentedForm: Attachment[] = [];
    const usedObsIds = new Set<string>();
    const reportNotes = notes(m, start + 1);
    for (let i = start + 1; i < end; i++) {
      const obx = segs[i] as Hl7Segment;
      if (obx.name !== 'OBX') continue;
      const owhere = { segment: 'OBX', segmentIndex: i + 1 };
      const obsCode = codeableConcept(m, reps(m, obx, 3)[0]);
      if (!obsCode) reject('required-field-missing', `OBX-3 (observation identifier) is empty at segment ${owhere.segmentIndex}`, { ...owhere, field: 'OBX-3' });
      const statusRaw = val(m, obx, 11)?.toUpperCase() ?? '';
      const obsEffective = optionalDateTime(m, obx, 14, 'OBX-14') ?? effective;
      const obs: Observation = {
        resourceType: 'Observation',
        status: OBS_STATUS[statusRaw] ?? (reportStatus === 'final' || reportStatus === 'corrected' ? reportStatus : reportStatus === 'preliminary' ? 'preliminary' : 'unknown'),
        category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'laboratory', display: 'Laboratory' }] }],
        code: obsCode,
        subject: patientReference(m, localId),
      };
      if (obsEffective) obs.effectiveDateTime = obsEffective.dateTime;
      obs.performer = [organisationReference(m.ctx.odsCode)];
      const outcome = obxValue(m, obx, obs, owhere);
      if (outcome.attachment) {
        presentedForm.push(outcome.attachment);
        // Notes on a document have no Observation to sit on; they qualify the report.
        reportNotes.push(...notes(m, i + 1));
        continue;
      }
      if (!outcome.observation) continue;
      const unit = val(m, obx, 6);
      const range = referenceRange(val(m, obx, 7), unit);
      if (range) obs.referenceRange = [range];
      const flags = reps(m, obx, 8)
        .map((r) => r.c(1)?.trim())
        .filter((f): f is string => !!f);
      if (flags.length) obs.interpretation = flags.map((f) => interpretation(f));
      const obsNotes = notes(m, i + 1);
      if (obsNotes.length) obs.note = obsNotes.map((text) => ({ text }));
      let id = `${reportId}/${val(m, obx, 3) ?? ''}${val(m, obx, 4) ? `:${val(m, obx, 4)}` : ''}`;
      for (let n = 2; usedObsIds.has(id); n++) id = `${reportId}/${val(m, obx, 3) ?? ''}${val(m, obx, 4) ? `:${val(m, obx, 4)}` : ''}#${n}`;
      usedObsIds.add(id);
      obs.identifier = [{ system: SYSTEMS.observation(m.ctx.feedId), value: id }];
      results.push({ obs, id });
    }
    const allFinal = results.length > 0 && results.every((r) => r.obs.status === 'final');
    const report: DiagnosticReport = {
      resourceType: 'DiagnosticReport',
      identifier: [{ system: SYSTEMS.report(m.ctx.feedId), value: reportId }],
      status: reportStatus ?? (allFinal ? 'final' : 'unknown'),
      category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0074', code: val(m, obr, 24) ?? 'LAB' }] }],
      code,
      subject: patientReference(m, localId),
      ...(effective ? { effectiveDateTime: effective.dateTime } : {}),
      ...(issued?.hasTime ? { issued: issued.utc } : {}),
      performer: [organisationReference(m.ctx.odsCode)],
      ...(results.length ? { result: results.map((r) => ({ type: 'Observation', identifier: { system: SYSTEMS.observation(m.ctx.feedId), value: r.id } })) } : {}),
      ...(reportNotes.length ? { conclusion: reportNotes.join('\n') } : {}),
      ...(presentedForm.length ? { presentedForm } : {}),
    };
    actions.push({ kind: 'upsert', resourceType: 'DiagnosticReport', resource: report, sourceId: reportId, sourceVersion: version, subjectLocalId: localId });
    for (const r of results) {
      if (r.obs.status === 'entered-in-error') {
        actions.push({ kind: 'delete', resourceType: 'Observation', sourceId: r.id, sourceVersion: version, subjectLocalId: localId });
      } else {
        actions.push({ kind: 'upsert', resourceType: 'Observation', resource: r.obs, sourceId: r.id, sourceVersion: version, subjectLocalId: localId });
      }
    }
  });
  return actions;
}

function interpretation(flag: string): CodeableConcept {
  const f = flag.toUpperCase();
  if (INTERPRETATION.has(f)) {
    return {
      coding: [
        { system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation', code: f, ...(INTERPRETATION_DISPLAY[f] ? { display: INTERPRETATION_DISPLAY[f] } : {}) },
      ],
    };
  }
  return { text: flag };
}
