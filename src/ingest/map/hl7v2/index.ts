/**
 * HL7 v2 → SourceActions: the single entry point `mapHl7v2`. Decides which messages are supported
 * (ADT patient and encounter events, A40 merge, ORU^R01, MDM), rejects the rest with AR, and turns
 * missing required content into AE with the segment and field. Pure: no I/O, no clock.
 */
import type { MapResult, SourceAction } from '../../sourceAction.ts';
import { messageType, segment, type Hl7Message } from '../../../formats/hl7v2/index.ts';
import { MappingFailure, reject, reps, required, sourceVersion, val, type MapContext, type Mapping } from './context.ts';
import { mapEncounter, type EncounterEvent } from './encounter.ts';
import { mapMdm } from './mdm.ts';
import { mapOru } from './oru.ts';
import { mapPatient } from './patient.ts';

export type { MapContext } from './context.ts';

const ENCOUNTER_EVENTS = new Set(['A01', 'A02', 'A03', 'A04', 'A05', 'A06', 'A07', 'A08', 'A11', 'A12', 'A13']);
const PATIENT_ONLY_EVENTS = new Set(['A28', 'A31']);
const MDM_EVENTS = new Set(['T02', 'T04', 'T06', 'T08', 'T10', 'T11']);

export function mapHl7v2(msg: Hl7Message, ctx: MapContext): MapResult {
  const m: Mapping = { msg, ctx, warnings: [] };
  try {
    return { ok: true, actions: route(m) };
  } catch (e) {
    if (e instanceof MappingFailure) return { ok: false, error: e.error };
    throw e;
  }
}

function route(m: Mapping): SourceAction[] {
  const type = messageType(m.msg);
  const code = type.code.toUpperCase();
  const trigger = (type.trigger || val(m, segment(m.msg, 'EVN'), 1) || '').toUpperCase();
  const where = { segment: 'MSH', segmentIndex: 1, field: 'MSH-9' };
  const supported =
    (code === 'ADT' && (ENCOUNTER_EVENTS.has(trigger) || PATIENT_ONLY_EVENTS.has(trigger) || trigger === 'A40')) ||
    (code === 'ORU' && trigger === 'R01') ||
    (code === 'MDM' && MDM_EVENTS.has(trigger));
  if (!supported) {
    const known = code === 'ADT' || code === 'ORU' || code === 'MDM';
    reject(
      known ? 'unsupported-event' : 'unsupported-message-type',
      `message type ${code}${trigger ? `^${trigger}` : ''} is not accepted by this record`,
      known ? { ...where, field: 'MSH-9.2' } : where,
      'AR',
    );
  }
  const version = sourceVersion(m);
  const patient = mapPatient(m);
  const patientWarnings = m.warnings.splice(0);
  const patientAction = (): SourceAction => ({
    kind: 'upsert',
    resourceType: 'Patient',
    resource: patient.patient,
    sourceId: patient.localId,
    sourceVersion: version,
    subjectLocalId: patient.localId,
    demographics: patient.demographics,
    ...(patientWarnings.length ? { dataQuality: patientWarnings } : {}),
  });
  const actions: SourceAction[] = [];
  if (code === 'ADT' && trigger === 'A40') {
    const mrg = required(m, 'MRG');
    const retired = reps(m, mrg, 1)[0]?.c(1)?.trim();
    if (!retired) reject('required-field-missing', 'MRG-1 (prior patient identifier) is empty', { segment: 'MRG', segmentIndex: m.msg.segments.indexOf(mrg) + 1, field: 'MRG-1' });
    actions.push({ kind: 'merge', survivorLocalId: patient.localId, retiredLocalId: retired.replace(/\s+/g, ''), sourceVersion: version });
    actions.push(patientAction());
    return actions;
  }
  if (code === 'ADT') {
    const encounter = ENCOUNTER_EVENTS.has(trigger) ? mapEncounter(m, trigger as EncounterEvent, patient.localId, version) : undefined;
    actions.push(patientAction());
    if (encounter) actions.push(withWarnings(encounter, m));
    return actions;
  }
  const clinical = code === 'ORU' ? mapOru(m, patient.localId, version) : mapMdm(m, trigger, patient.localId, version);
  actions.push(patientAction());
  return [...actions, ...clinical.map((a) => withWarnings(a, m))];
}

/** Warnings raised while mapping clinical content travel with every upsert of the message. */
function withWarnings(a: SourceAction, m: Mapping): SourceAction {
  return a.kind === 'upsert' && m.warnings.length ? { ...a, dataQuality: [...m.warnings] } : a;
}
