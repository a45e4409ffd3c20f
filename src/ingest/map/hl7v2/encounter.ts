/**
 * PV1 → Encounter for ADT events. The trigger decides the status (A01/A06/A07/A12/A13 in progress,
 * A04 arrived, A05 planned, A03 finished, A02 moves the location, A08 from the visit's own dates);
 * the visit number (PV1-19) is the sourceId, else the local patient id with the admit time.
 */
import type { Encounter, EncounterLocation, Period } from 'fhir/r4';
import type { SourceAction } from '../../sourceAction.ts';
import { type Hl7Segment } from '../../../formats/hl7v2/index.ts';
import { indexOf, optionalDateTime, organisationReference, patientReference, reject, reps, required, SYSTEMS, val, type Mapping } from './context.ts';

const CLASS: Record<string, { code: string; display: string }> = {
  I: { code: 'IMP', display: 'inpatient encounter' },
  O: { code: 'AMB', display: 'ambulatory' },
  E: { code: 'EMER', display: 'emergency' },
  P: { code: 'PRENC', display: 'pre-admission' },
  R: { code: 'AMB', display: 'ambulatory' },
  B: { code: 'IMP', display: 'inpatient encounter' },
  C: { code: 'AMB', display: 'ambulatory' },
  N: { code: 'AMB', display: 'ambulatory' },
};

export type EncounterEvent = 'A01' | 'A02' | 'A03' | 'A04' | 'A05' | 'A06' | 'A07' | 'A08' | 'A11' | 'A12' | 'A13';

export function encounterSourceId(m: Mapping, pv1: Hl7Segment, localId: string): string {
  const visit = val(m, pv1, 19);
  if (visit) return visit;
  const admit = optionalDateTime(m, pv1, 44, 'PV1-44');
  if (!admit) {
    reject('required-field-missing', 'PV1-19 (visit number) and PV1-44 (admit date/time) are both empty, so the encounter cannot be identified', {
      segment: 'PV1',
      segmentIndex: indexOf(m, pv1),
      field: 'PV1-19',
    });
  }
  return `${localId}@${admit.utc}`;
}

function location(m: Mapping, pv1: Hl7Segment, fieldNo: number): string | undefined {
  const r = reps(m, pv1, fieldNo)[0];
  if (!r) return undefined;
  const parts = [r.c(4), r.c(1), r.c(2), r.c(3)].map((p) => p?.trim()).filter((p): p is string => !!p);
  return parts.length ? parts.join(' ') : undefined;
}

export function mapEncounter(m: Mapping, event: EncounterEvent, localId: string, version: string): SourceAction | undefined {
  const pv1 = event === 'A08' ? m.msg.segments.find((s) => s.name === 'PV1') : required(m, 'PV1');
  if (!pv1) return undefined;
  const sourceId = encounterSourceId(m, pv1, localId);
  if (event === 'A11') return { kind: 'delete', resourceType: 'Encounter', sourceId, sourceVersion: version, subjectLocalId: localId };

  const admit = optionalDateTime(m, pv1, 44, 'PV1-44');
  const discharge = event === 'A13' ? undefined : optionalDateTime(m, pv1, 45, 'PV1-45');
  let status: Encounter['status'];
  switch (event) {
    case 'A03':
      status = 'finished';
      break;
    case 'A04':
      status = 'arrived';
      break;
    case 'A05':
      status = 'planned';
      break;
    case 'A08':
      status = discharge ? 'finished' : admit ? 'in-progress' : 'planned';
      break;
    default:
      status = 'in-progress';
  }
  const patientClass = val(m, pv1, 2)?.toUpperCase() ?? '';
  const cls =
    event === 'A06' ? CLASS.I : event === 'A07' ? CLASS.O : CLASS[patientClass];
  const current = location(m, pv1, 3);
  const prior = event === 'A02' ? location(m, pv1, 6) : undefined;
  const plannedStart = event === 'A05' && !admit ? optionalDateTime(m, m.msg.segments.find((s) => s.name === 'PV2'), 8, 'PV2-8') : undefined;
  const start = admit ?? plannedStart;
  const visit = val(m, pv1, 19);
  // Present fields only, by assignment (as in mapPatient: spreading optional parts cost more than the rest of the mapping).
  const encounter: Encounter = {
    resourceType: 'Encounter',
    status,
    class: cls
      ? { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: cls.code, display: cls.display }
      : { system: 'http://terminology.hl7.org/CodeSystem/v3-NullFlavor', code: 'UNK', display: 'unknown' },
    subject: patientReference(m, localId),
  };
  if (visit) encounter.identifier = [{ system: SYSTEMS.visit(m.ctx.feedId), value: visit }];
  if (start || discharge) {
    const period: Period = {};
    if (start) period.start = start.dateTime;
    if (discharge) period.end = discharge.dateTime;
    encounter.period = period;
  }
  if (current || prior) {
    const locations: EncounterLocation[] = [];
    if (prior) locations.push({ location: { display: prior }, status: 'completed' });
    if (current) locations.push({ location: { display: current }, status: status === 'finished' ? 'completed' : status === 'planned' ? 'planned' : 'active' });
    encounter.location = locations;
  }
  encounter.serviceProvider = organisationReference(m.ctx.odsCode);
  return { kind: 'upsert', resourceType: 'Encounter', resource: encounter, sourceId, sourceVersion: version, subjectLocalId: localId };
}
