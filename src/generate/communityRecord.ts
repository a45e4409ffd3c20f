/**
 * Community and mental health trusts' records of a person as FHIR resources: the Patient as the
 * trust holds it, an EpisodeOfCare for each service that has seen them, and the CarePlan agreed
 * in it. Who is seen follows the GP record: district nursing and community matrons for frail
 * people with long-term conditions, physiotherapy for arthritis, memory services for dementia,
 * community mental health teams for serious or lasting mental illness, CAMHS for children.
 */
import type { Rng } from './random.ts';
import { fhirTime, isoDay, momentAt } from './dates.ts';
import type { Person } from './population.ts';
import type { SourceRecord } from './sourceRecord.ts';
import { ODS_SYSTEM, orgRef, patientRef, patientResource, snomed, type FhirResource } from './fhirCommon.ts';

export interface Service { team: string; plan: string; activity: string }

const has = (p: Person, code: string): boolean => p.history.conditions.some((c) => c.code === code);
const longTerm = ['13645005', '84114007', '44054006', '433144002', '230690007'];
const seriousMentalIllness = ['58214004', '13746004'];
const commonMentalHealth = ['35489007', '197480006'];

/** Services of a community trust the person is known to, chosen once per person. */
export function communityServices(rng: Rng, p: Person): Service[] {
  const out: Service[] = [];
  const ltc = longTerm.filter((c) => has(p, c)).length;
  if (p.age >= 65 && (ltc >= 1 || p.age >= 85) && rng.chance(0.1 + 0.08 * ltc + (p.age >= 85 ? 0.15 : 0))) {
    out.push(rng.pick([
      { team: 'District nursing', plan: 'Wound care plan', activity: 'Leg ulcer dressing and compression bandaging twice a week' },
      { team: 'District nursing', plan: 'Continence care plan', activity: 'Catheter review every four weeks' },
      { team: 'Community matron', plan: 'Long-term conditions management plan', activity: 'Monthly review of breathlessness, weight and medicines' },
    ]));
  }
  if (has(p, '396275006') && rng.chance(0.12)) {
    out.push({ team: 'Community physiotherapy', plan: 'Mobility and falls prevention plan', activity: 'Strength & balance exercises; walking frame assessed' });
  }
  if (p.age < 18 && p.age >= 5 && rng.chance(0.02)) {
    out.push({ team: 'Children\'s community nursing', plan: 'Health care plan for school', activity: 'Training for school staff on emergency medicines' });
  }
  return out;
}

/** Mental health services (at RRE in the south-east, at RLY in the north). */
export function mentalHealthServices(rng: Rng, p: Person): Service[] {
  const out: Service[] = [];
  if (has(p, '52448006') && rng.chance(0.5)) {
    out.push({ team: 'Memory assessment service', plan: 'Dementia care plan', activity: 'Carer support and review of memory medicines every six months' });
  }
  if (seriousMentalIllness.some((c) => has(p, c)) && rng.chance(0.7)) {
    out.push({ team: 'Community mental health team', plan: 'Care Programme Approach care plan', activity: 'Care coordinator visits fortnightly; crisis & relapse plan agreed' });
  } else if (commonMentalHealth.some((c) => has(p, c)) && rng.chance(p.age < 18 ? 0.3 : 0.12)) {
    out.push(p.age < 18
      ? { team: 'Child and adolescent mental health service', plan: 'CAMHS treatment plan', activity: 'Weekly cognitive behavioural therapy sessions' }
      : { team: 'Talking therapies', plan: 'Psychological therapy plan', activity: 'Eight sessions of guided self-help' });
  }
  return out;
}

export function communityResources(
  rng: Rng, person: Person, rec: SourceRecord, ods: string, orgName: string, services: readonly Service[], asOfDay: number,
): FhirResource[] {
  const gp = { identifier: { system: ODS_SYSTEM, value: person.practice.odsCode }, display: person.practice.name };
  const starts = services.map(() => asOfDay - rng.int(20, 1500));
  const latest = Math.max(...starts);
  const out: FhirResource[] = [patientResource(rec, ods, { verified: false, lastUpdated: fhirTime(momentAt(latest, 10 * 60)), gp })];
  services.forEach((s, i) => {
    const start = starts[i] ?? asOfDay - 30;
    const open = rng.chance(0.6);
    const end = open ? null : Math.min(asOfDay - 1, start + rng.int(30, 400));
    const changed = fhirTime(momentAt(end ?? start, 11 * 60));
    const episodeId = `${rec.localId}-ep-${i + 1}`;
    out.push({
      resourceType: 'EpisodeOfCare', id: episodeId, meta: { lastUpdated: changed },
      status: open ? 'active' : 'finished', type: [{ text: s.team }], patient: patientRef(rec.localId),
      managingOrganization: orgRef(ods, orgName), period: { start: isoDay(start), ...(end !== null ? { end: isoDay(end) } : {}) },
    });
    out.push({
      resourceType: 'CarePlan', id: `${rec.localId}-cp-${i + 1}`, meta: { lastUpdated: changed },
      status: open ? 'active' : 'completed', intent: 'plan', category: [snomed('734163000', 'Care plan')],
      title: s.plan, description: `${s.team}: ${s.activity}`, subject: patientRef(rec.localId),
      period: { start: isoDay(start), ...(end !== null ? { end: isoDay(end) } : {}) }, created: isoDay(start),
      author: orgRef(ods, orgName),
      supportingInfo: [{ reference: `EpisodeOfCare/${episodeId}` }],
      activity: [{ detail: { status: open ? 'in-progress' : 'completed', description: s.activity } }],
    });
  });
  return out;
}
