/**
 * An acute trust's HL7 v2.4 messages about one person, as its PAS, laboratory and document
 * systems would send them: registration (A28), outpatient attendances (A04), pre-admissions
 * (A05), admissions, transfers and discharges (A01, A02, A03), updates (A08, A31), cancellations
 * (A11, A13), merges of duplicate registrations (A40), results (ORU^R01) and letters and
 * discharge summaries (MDM^T02). PID-3 follows NHS ITK: the NHS number (NHS/NH) then the
 * hospital number (PI, assigned by the trust's ODS code). Faults are injected and logged here.
 */
import type { Rng } from './random.ts';
import { createRng } from './random.ts';
import { addMinutes, compareMoments, hl7Day, hl7Time, isoDay, momentAt, type Moment } from './dates.ts';
import { message, msh, segment, type Hl7Field } from './hl7.ts';
import { FAMILY_NAMES, GIVEN_NAMES } from './names.ts';
import { MEDICINES } from './clinical.ts';
import { dramaPhone } from './places.ts';
import type { Person } from './population.ts';
import { sourceRecord, type SourceRecord } from './sourceRecord.ts';
import type { FaultLog, FaultRates } from './faults.ts';

interface Clinician { gmc: string; family: string; given: string }

/** Counters and reference data of one acute trust's feed; advanced person by person. */
export class AcuteFeed {
  readonly consultants: Clinician[];
  private controlSeq = 0;
  private visitSeq = 0;
  private localSeq = 0;
  private orderSeq = 0;
  private docSeq = 0;

  constructor(
    readonly ods: string,
    readonly feedId: string,
    /** Letter starting the trust's hospital numbers. */
    readonly localPrefix: string,
    seed: string,
  ) {
    const rng = createRng(`${seed}/consultants/${ods}`);
    this.consultants = Array.from({ length: 40 }, () => ({
      gmc: `C${String(rng.int(1_000_000, 9_999_999))}`,
      family: rng.pick(FAMILY_NAMES),
      given: rng.pick(rng.chance(0.5) ? GIVEN_NAMES.female.middle : GIVEN_NAMES.male.middle),
    }));
  }

  nextControlId(): string { return `${this.ods}${String(++this.controlSeq).padStart(10, '0')}`; }
  nextVisit(): string { return `${this.ods}V${String(++this.visitSeq).padStart(8, '0')}`; }
  nextLocalId(): string { return `${this.localPrefix}${String(++this.localSeq).padStart(7, '0')}`; }
  nextOrder(): string { return String(++this.orderSeq).padStart(9, '0'); }
  nextDocument(): string { return `${this.ods}D${String(++this.docSeq).padStart(8, '0')}`; }
}

interface Diagnosis { code: string; display: string; specialty: [string, string]; complaint: string }

const SPECIALTIES = {
  medicine: ['300', 'General medicine'], surgery: ['100', 'General surgery'], orthopaedics: ['110', 'Trauma and orthopaedics'],
  cardiology: ['320', 'Cardiology'], respiratory: ['340', 'Respiratory medicine'], elderly: ['430', 'Geriatric medicine'],
  paediatrics: ['420', 'Paediatrics'], obstetrics: ['501', 'Obstetrics'], ophthalmology: ['130', 'Ophthalmology'],
  diabetes: ['307', 'Diabetic medicine'], neurology: ['400', 'Neurology'],
} as const satisfies Record<string, readonly [string, string]>;

const sp = (k: keyof typeof SPECIALTIES): [string, string] => [...SPECIALTIES[k]];

function emergencyDiagnosis(rng: Rng, age: number): Diagnosis {
  const options: Diagnosis[] = [
    { code: '385093006', display: 'Community acquired pneumonia', specialty: sp(age < 16 ? 'paediatrics' : 'respiratory'), complaint: 'cough, fever and breathlessness' },
    { code: '68566005', display: 'Urinary tract infectious disease', specialty: sp(age < 16 ? 'paediatrics' : 'medicine'), complaint: 'confusion & dysuria' },
    { code: '29857009', display: 'Chest pain', specialty: sp(age < 16 ? 'paediatrics' : 'cardiology'), complaint: 'central chest pain' },
    { code: '128045006', display: 'Cellulitis', specialty: sp(age < 16 ? 'paediatrics' : 'medicine'), complaint: 'red, hot, swollen leg' },
  ];
  if (age >= 65) options.push({ code: '5913000', display: 'Fracture of neck of femur', specialty: sp('orthopaedics'), complaint: 'fall at home, unable to weight-bear' });
  if (age >= 5 && age < 40) options.push({ code: '74400008', display: 'Appendicitis', specialty: sp('surgery'), complaint: 'right iliac fossa pain' });
  return rng.pick(options);
}

function electiveDiagnosis(rng: Rng, age: number): Diagnosis {
  const options: Diagnosis[] = [
    { code: '396232000', display: 'Inguinal hernia', specialty: sp('surgery'), complaint: 'groin swelling' },
    { code: '235919008', display: 'Cholelithiasis', specialty: sp('surgery'), complaint: 'recurrent biliary colic' },
  ];
  if (age >= 55) options.push({ code: '193570009', display: 'Cataract', specialty: sp('ophthalmology'), complaint: 'blurred vision' });
  if (age >= 50) options.push({ code: '239872002', display: 'Osteoarthritis of hip', specialty: sp('orthopaedics'), complaint: 'hip pain limiting walking' });
  return rng.pick(options);
}

function outpatientReason(rng: Rng, person: Person): Diagnosis {
  const c = person.history.conditions.filter((x) => x.active);
  const pickC = c.length > 0 && rng.chance(0.7) ? rng.pick(c) : null;
  if (pickC) {
    const specialty = pickC.code === '44054006' ? sp('diabetes') : ['49436004', '414545008', '84114007', '59621000'].includes(pickC.code)
      ? sp('cardiology') : pickC.code === '84757009' ? sp('neurology') : pickC.code === '77386006' ? sp('obstetrics')
        : person.age < 16 ? sp('paediatrics') : person.age >= 75 ? sp('elderly') : sp('medicine');
    return { code: pickC.code, display: pickC.display, specialty, complaint: `review of ${pickC.display.toLowerCase()}` };
  }
  return person.age >= 50 && rng.chance(0.5) ? electiveDiagnosis(rng, person.age) : { code: '162864005', display: 'Body mass index 30+ - obesity', specialty: sp(person.age < 16 ? 'paediatrics' : 'medicine'), complaint: 'review on referral from GP' };
}

type EpisodeKind = 'outpatient' | 'elective' | 'emergency';

interface Event {
  t: Moment;
  /** Written in this order when times tie. */
  seq: number;
  /** The time the message itself carries (differs from t only for a late, older update). */
  msgTime: Moment;
  rec: SourceRecord;
  /** Builds the message from the record as it stood at msgTime. */
  build: (feed: AcuteFeed, controlId: string, rec: SourceRecord) => string;
  /** Registrations and merges are never malformed, so every local id stays visible. */
  protectedFromMalformation: boolean;
  kind: string;
  localId: string;
}

/** Probability of any hospital contact in the three years before asOf, by age. */
function contactProbability(age: number): number {
  return age < 16 ? 0.2 : age < 45 ? 0.25 : age < 65 ? 0.38 : age < 80 ? 0.55 : 0.7;
}

export function attendsAcute(rng: Rng, person: Person): boolean {
  return rng.chance(contactProbability(person.age));
}

const SEX_CODE = { male: 'M', female: 'F', other: 'O', unknown: 'U' } as const;

function pid(feed: AcuteFeed, rec: SourceRecord): string {
  const ids: Hl7Field = { repeat: [...(rec.nhsNumber ? [[rec.nhsNumber, '', '', 'NHS', 'NH']] : []), [rec.localId, '', '', feed.ods, 'PI']] };
  const mobile = rec.phone.startsWith('07');
  return segment('PID', '1', '', ids, '', [rec.family, rec.given[0] ?? '', rec.given.slice(1).join(' '), '', rec.title, '', 'L'], '',
    rec.birthDate.replaceAll('-', ''), SEX_CODE[rec.sex], '', '',
    [rec.address.line1, rec.address.line2, rec.address.town, rec.address.county, rec.address.postcode, 'GBR', 'H'], '',
    [rec.phone, 'PRN', mobile ? 'CP' : 'PH']);
}

function pd1(person: Person): string {
  return segment('PD1', '', '', [person.practice.name, '', person.practice.odsCode]);
}

interface Visit {
  visit: string;
  patientClass: 'I' | 'O' | 'P' | 'E';
  location: [string, string, string, string];
  admissionType: string;
  consultant: Clinician;
  specialty: string;
  admit?: Moment;
  discharge?: Moment;
  prior?: [string, string, string, string];
}

function pv1(v: Visit, ods: string): string {
  const f: Hl7Field[] = new Array<Hl7Field>(45).fill('');
  f[0] = '1';
  f[1] = v.patientClass;
  f[2] = v.location;
  f[3] = v.admissionType;
  if (v.prior) f[5] = v.prior;
  f[6] = [v.consultant.gmc, v.consultant.family, v.consultant.given, '', '', 'Dr', '', '', 'GMC'];
  f[9] = v.specialty;
  f[18] = [v.visit, '', '', ods, 'VN'];
  if (v.admit) f[43] = hl7Time(v.admit);
  if (v.discharge) f[44] = hl7Time(v.discharge);
  return segment('PV1', ...f);
}

function evn(code: string, t: Moment): string {
  return segment('EVN', code, hl7Time(t));
}

interface LabTest { code: string; name: string; unit: string; low: number; high: number; decimals: number }

function labPanel(person: Person, name: 'FBC' | 'UE' | 'CRP' | 'HBA1C'): { code: string; display: string; tests: LabTest[] } {
  const male = person.sex === 'male';
  switch (name) {
    case 'FBC': return { code: 'FBC', display: 'Full blood count', tests: [
      { code: '718-7', name: 'Haemoglobin', unit: 'g/L', low: male ? 130 : 120, high: male ? 170 : 150, decimals: 0 },
      { code: '6690-2', name: 'White cell count', unit: '10*9/L', low: 4.0, high: 11.0, decimals: 1 },
      { code: '777-3', name: 'Platelets', unit: '10*9/L', low: 150, high: 400, decimals: 0 },
    ] };
    case 'UE': return { code: 'UE', display: 'Urea & electrolytes', tests: [
      { code: '2951-2', name: 'Sodium', unit: 'mmol/L', low: 133, high: 146, decimals: 0 },
      { code: '2823-3', name: 'Potassium', unit: 'mmol/L', low: 3.5, high: 5.3, decimals: 1 },
      { code: '22664-7', name: 'Urea', unit: 'mmol/L', low: 2.5, high: 7.8, decimals: 1 },
      { code: '14682-9', name: 'Creatinine', unit: 'umol/L', low: male ? 59 : 45, high: male ? 104 : 84, decimals: 0 },
    ] };
    case 'CRP': return { code: 'CRP', display: 'C-reactive protein', tests: [{ code: '1988-5', name: 'C-reactive protein', unit: 'mg/L', low: 0, high: 5, decimals: 0 }] };
    case 'HBA1C': return { code: 'HBA1C', display: 'HbA1c (IFCC)', tests: [{ code: '59261-8', name: 'HbA1c (IFCC)', unit: 'mmol/mol', low: 20, high: 41, decimals: 0 }] };
  }
}

function labValue(rng: Rng, person: Person, t: LabTest, unwell: boolean): number {
  const ckd = person.history.conditions.some((c) => c.code === '433144002');
  const diabetic = person.history.conditions.some((c) => c.code === '44054006');
  let v: number;
  if (t.code === '14682-9' && ckd) v = rng.normal(t.high * 1.4, 15);
  else if (t.code === '59261-8' && diabetic) v = rng.normal(58, 10);
  else if (t.code === '1988-5') v = unwell ? rng.normal(80, 40) : rng.normal(3, 2);
  else if (t.code === '6690-2' && unwell) v = rng.normal(13, 3);
  else {
    const mid = (t.low + t.high) / 2;
    const spread = (t.high - t.low) / 4;
    v = rng.chance(0.12) ? mid + (rng.chance(0.5) ? 1 : -1) * spread * rng.normal(2.6, 0.4) : rng.normal(mid, spread * 0.7);
  }
  const f = 10 ** t.decimals;
  return Math.max(t.code === '1988-5' ? 0 : t.low / 4, Math.round(v * f) / f);
}

function flag(v: number, t: LabTest): string {
  return v < t.low ? 'L' : v > t.high ? 'H' : 'N';
}

/**
 * All messages for one person at one acute trust, in the order the trust's interface engine
 * would send them (faults included), with every local id the trust used for the person.
 */
export function acuteMessages(
  feed: AcuteFeed, person: Person, rng: Rng, rates: FaultRates, log: FaultLog, asOfDay: number,
): { messages: string[]; localIds: string[] } {
  const original = sourceRecord(rng, person, feed.feedId, feed.nextLocalId(), rates, log);
  const localIds = [original.localId];
  const events: Event[] = [];
  let seq = 0;
  const add: Add = (t, kind, rec, build, protectedFromMalformation = false, msgTime = t) => {
    events.push({ t, msgTime, rec, seq: seq++, build, protectedFromMalformation, kind, localId: rec.localId });
  };
  // Telephone numbers the trust records over time for the main registration, applied to every later message.
  const phoneChanges: { t: Moment; phone: string }[] = [];
  const asAt = (rec: SourceRecord, t: Moment): SourceRecord => {
    if (rec.localId !== original.localId) return rec;
    let phone = rec.phone;
    for (const c of phoneChanges) if (compareMoments(c.t, t) <= 0) phone = c.phone;
    return phone === rec.phone ? rec : { ...rec, phone };
  };

  // Episodes over the three years before asOf; older people have more.
  const n = 1 + Math.min(6, Math.floor(rng.next() * (1 + person.age / 25)));
  const starts = Array.from({ length: n }, () => asOfDay - rng.int(4, 1095)).sort((a, b) => a - b);
  const kinds: EpisodeKind[] = starts.map(() => {
    const r = rng.next();
    return r < 0.6 ? 'outpatient' : r < 0.85 || person.age < 16 ? 'emergency' : 'elective';
  });
  const firstDay = starts[0] ?? asOfDay - 30;
  const registered = momentAt(firstDay - rng.int(1, 40), rng.int(8 * 60, 17 * 60));
  add(registered, 'A28', original, (f, id, r) => adt(f, id, 'A28', 'ADT_A05', registered, r, person, null), true);

  // A change of telephone number recorded at some point, sent as A31.
  if (rng.chance(0.15)) {
    const when = momentAt(rng.int(firstDay, asOfDay - 1), rng.int(8 * 60, 18 * 60));
    phoneChanges.push({ t: when, phone: dramaPhone(rng) });
    add(when, 'A31', original, (f, id, r) => adt(f, id, 'A31', 'ADT_A05', when, r, person, null));
  }

  const dupEligible = starts.map((d, i) => ({ d, i })).filter(({ d }) => d < asOfDay - 20);
  const dupAt = dupEligible.length > 0 && rng.chance(rates.duplicateRegistration) ? rng.pick(dupEligible).i : -1;

  starts.forEach((day, i) => {
    const kind = kinds[i] ?? 'outpatient';
    let rec = original;
    if (i === dupAt) {
      // Registered again at the front desk without finding the existing record: usually no NHS number to search on.
      const dupId = feed.nextLocalId();
      localIds.push(dupId);
      rec = { ...original, localId: dupId, nhsNumber: rng.chance(0.7) ? null : original.nhsNumber };
      log.record(feed.feedId, dupId, 'duplicate-registration', original.localId);
      const dupRec = rec;
      const at = momentAt(day, rng.int(7 * 60, 9 * 60));
      add(at, 'A28', dupRec, (f, id, r) => adt(f, id, 'A28', 'ADT_A05', at, r, person, null), true);
    }
    const end = episode(feed, person, rng, rates, log, rec, kind, day, asOfDay, add, phoneChanges, original.localId);
    if (i === dupAt) {
      const mergeAt = momentAt(Math.min(asOfDay - 1, end.day + rng.int(1, 14)), rng.int(9 * 60, 17 * 60));
      const retired = rec.localId;
      const at = compareMoments(mergeAt, end) > 0 ? mergeAt : addMinutes(end, 60);
      add(at, 'A40', original,
        (f, id, r) => message([msh(mshFields(f, id, 'PAS', at, ['ADT', 'A40', 'ADT_A39'])), evn('A40', at), pid(f, r), pd1(person),
          segment('MRG', [retired, '', '', f.ods, 'PI'])]), true);
    }
  });

  events.sort((a, b) => compareMoments(a.t, b.t) || a.seq - b.seq);
  const kept = events.filter((e) => e.t.day < asOfDay);
  const out: string[] = [];
  for (const e of kept) {
    const controlId = feed.nextControlId();
    let text = e.build(feed, controlId, asAt(e.rec, e.msgTime));
    if (!e.protectedFromMalformation && rng.chance(rates.malformedMessage)) {
      text = malform(rng, text);
      log.record(feed.feedId, e.localId, 'malformed-message', controlId);
      out.push(text);
      continue;
    }
    out.push(text);
    if (rng.chance(rates.repeatedMessage)) {
      out.push(text);
      log.record(feed.feedId, e.localId, 'repeated-message', controlId);
    }
  }
  return { messages: out, localIds };
}

function mshFields(feed: AcuteFeed, controlId: string, app: string, t: Moment, type: readonly [string, string, string]): Parameters<typeof msh>[0] {
  return { sendingApplication: app, sendingFacility: feed.ods, receivingApplication: 'OHC', receivingFacility: 'OHC', time: hl7Time(t), type, controlId };
}

function adt(feed: AcuteFeed, controlId: string, event: string, structure: string, t: Moment, rec: SourceRecord, person: Person, visit: Visit | null): string {
  const segs = [msh(mshFields(feed, controlId, 'PAS', t, ['ADT', event, structure])), evn(event, t), pid(feed, rec), pd1(person)];
  if (visit) segs.push(pv1(visit, feed.ods));
  else if (event === 'A28' || event === 'A31') segs.push(segment('PV1', '1', 'N'));
  return message(segs);
}

type Add = (t: Moment, kind: string, rec: SourceRecord, build: Event['build'], protectedFromMalformation?: boolean, msgTime?: Moment) => void;

/** One outpatient attendance or inpatient stay; returns when it ended. */
function episode(
  feed: AcuteFeed, person: Person, rng: Rng, rates: FaultRates, log: FaultLog, rec: SourceRecord,
  kind: EpisodeKind, day: number, asOfDay: number, add: Add, phoneChanges: { t: Moment; phone: string }[], mainLocalId: string,
): Moment {
  const consultant = rng.pick(feed.consultants);
  const site = `${feed.ods}01`;
  if (kind === 'outpatient') {
    const reason = outpatientReason(rng, person);
    const at = momentAt(day, rng.int(9 * 60, 16 * 60));
    const visit: Visit = { visit: feed.nextVisit(), patientClass: 'O', location: [`${reason.specialty[1].toUpperCase().slice(0, 4)} OPD`, '', '', site], admissionType: '', consultant, specialty: reason.specialty[0], admit: at };
    add(at, 'A04', rec, (f, id, r) => adt(f, id, 'A04', 'ADT_A01', at, r, person, visit));
    if (rng.chance(0.4)) results(feed, person, rng, rec, visit, addMinutes(at, 30), false, add);
    if (rng.chance(0.7)) {
      const letterAt = momentAt(day + rng.int(2, 14), rng.int(9 * 60, 17 * 60));
      document(feed, person, rng, rec, visit, letterAt, 'CL', 'Clinic letter', clinicLetter(person, rec, reason, consultant, day), add);
    }
    return at;
  }
  const reason = kind === 'elective' ? electiveDiagnosis(rng, person.age) : emergencyDiagnosis(rng, person.age);
  const wardNo = rng.int(1, 120);
  const ward: [string, string, string, string] = [`WARD ${wardNo}`, `BAY ${rng.int(1, 6)}`, `BED ${rng.int(1, 8)}`, site];
  const admit = momentAt(day, kind === 'elective' ? rng.int(7 * 60, 10 * 60) : rng.int(0, 1439));
  const visit: Visit = { visit: feed.nextVisit(), patientClass: 'I', location: ward, admissionType: kind === 'elective' ? '11' : '21', consultant, specialty: reason.specialty[0], admit };
  if (kind === 'elective') {
    const pre = momentAt(day - rng.int(7, 42), rng.int(9 * 60, 16 * 60));
    const preVisit: Visit = { ...visit, patientClass: 'P', admit: undefined };
    add(pre, 'A05', rec, (f, id, r) => adt(f, id, 'A05', 'ADT_A05', pre, r, person, preVisit));
  }
  add(admit, 'A01', rec, (f, id, r) => adt(f, id, 'A01', 'ADT_A01', admit, r, person, visit));
  if (rng.chance(rates.cancelledAdmission)) {
    // Admitted in error (wrong patient selected, or a booking keyed as an admission): cancelled and nothing follows.
    const cancel = addMinutes(admit, rng.int(10, 240));
    add(cancel, 'A11', rec, (f, id, r) => adt(f, id, 'A11', 'ADT_A09', cancel, r, person, visit));
    log.record(feed.feedId, rec.localId, 'cancelled-admission', visit.visit);
    return cancel;
  }
  const losDays = kind === 'elective' ? rng.int(0, 4) : Math.min(40, Math.floor(rng.next() * rng.next() * (person.age / 4 + 10)) + 1);
  let discharge = momentAt(day + losDays, rng.int(10 * 60, 18 * 60));
  if (compareMoments(discharge, admit) <= 0) discharge = addMinutes(admit, rng.int(180, 600));
  let stayVisit = visit;
  if (kind === 'emergency' && rng.chance(0.5)) {
    const t = addMinutes(admit, rng.int(120, Math.max(180, (losDays * 1440) / 2)));
    if (compareMoments(t, discharge) < 0) {
      const moved: Visit = { ...visit, location: [`WARD ${rng.int(1, 120)}`, `BAY ${rng.int(1, 6)}`, `BED ${rng.int(1, 8)}`, site], prior: visit.location };
      add(t, 'A02', rec, (f, id, r) => adt(f, id, 'A02', 'ADT_A02', t, r, person, moved));
      stayVisit = { ...moved, prior: undefined };
    }
  }
  const during = (frac: number): Moment => addMinutes(admit, Math.max(5, Math.floor(((discharge.day - admit.day) * 1440 + discharge.minute - admit.minute) * frac)));
  if (rng.chance(kind === 'emergency' ? 0.9 : 0.7)) results(feed, person, rng, rec, stayVisit, addMinutes(admit, 45), kind === 'emergency', add);
  // An update during the stay (next of kin, contact details); sometimes two, delivered in the wrong order.
  if (rng.chance(0.3) || rng.chance(rates.outOfOrderUpdate)) {
    const t1 = during(0.3);
    const t2 = during(0.6);
    if (compareMoments(t1, t2) < 0 && rng.chance(rates.outOfOrderUpdate)) {
      // The newer update changes the telephone number; the older one, stamped with its own event
      // time, leaves the interface engine last and must not win.
      if (rec.localId === mainLocalId) phoneChanges.push({ t: t2, phone: dramaPhone(rng) });
      add(t2, 'A08', rec, (f, id, r) => adt(f, id, 'A08', 'ADT_A01', t2, r, person, stayVisit));
      add(t2, 'A08', rec, (f, id, r) => {
        log.record(feed.feedId, r.localId, 'out-of-order-update', id);
        return adt(f, id, 'A08', 'ADT_A01', t1, r, person, stayVisit);
      }, false, t1);
    } else {
      add(t1, 'A08', rec, (f, id, r) => adt(f, id, 'A08', 'ADT_A01', t1, r, person, stayVisit));
    }
  }
  const discharged: Visit = { ...stayVisit, discharge };
  add(discharge, 'A03', rec, (f, id, r) => adt(f, id, 'A03', 'ADT_A03', discharge, r, person, discharged));
  let end = discharge;
  if (rng.chance(rates.cancelledDischarge)) {
    const cancel = addMinutes(discharge, rng.int(20, 180));
    const back: Visit = { ...stayVisit };
    add(cancel, 'A13', rec, (f, id, r) => adt(f, id, 'A13', 'ADT_A01', cancel, r, person, back));
    log.record(feed.feedId, rec.localId, 'cancelled-discharge', visit.visit);
    const again = momentAt(discharge.day + rng.int(1, 3), rng.int(10 * 60, 18 * 60));
    const finalVisit: Visit = { ...stayVisit, discharge: again };
    add(again, 'A03', rec, (f, id, r) => adt(f, id, 'A03', 'ADT_A03', again, r, person, finalVisit));
    end = again;
  }
  if (end.day < asOfDay) {
    const summaryAt = addMinutes(end, rng.int(30, 2880));
    document(feed, person, rng, rec, { ...stayVisit, discharge: end }, summaryAt, 'DS', 'Discharge summary',
      dischargeSummary(person, rec, reason, consultant, admit, end, kind), add);
  }
  return end;
}

function results(feed: AcuteFeed, person: Person, rng: Rng, rec: SourceRecord, visit: Visit, collected: Moment, unwell: boolean, add: Add): void {
  const panels: ('FBC' | 'UE' | 'CRP' | 'HBA1C')[] = ['FBC', 'UE'];
  if (unwell || rng.chance(0.3)) panels.push('CRP');
  if (person.history.conditions.some((c) => c.code === '44054006')) panels.push('HBA1C');
  const resulted = addMinutes(collected, rng.int(40, 300));
  const placer = feed.nextOrder();
  const filler = `L${placer}`;
  const lines: string[] = [];
  let obx = 0;
  panels.forEach((name, i) => {
    const panel = labPanel(person, name);
    lines.push(segment('OBR', String(i + 1), [placer, 'ICE'], [filler, 'PATH'], [panel.code, panel.display, 'L'], '', '', hl7Time(collected),
      '', '', '', '', '', '', hl7Time(addMinutes(collected, 20)), '', [visit.consultant.gmc, visit.consultant.family, visit.consultant.given, '', '', 'Dr'],
      '', '', '', '', '', hl7Time(resulted), '', '', 'F'));
    for (const t of panel.tests) {
      const v = labValue(rng, person, t, unwell);
      lines.push(segment('OBX', String(++obx), 'NM', [t.code, t.name, 'LN'], '', v.toFixed(t.decimals), t.unit, `${t.low}-${t.high}`, flag(v, t), '', '', 'F', '', '', hl7Time(resulted)));
    }
  });
  add(resulted, 'ORU', rec, (f, id, r) => message([
    msh(mshFields(f, id, 'PATH', resulted, ['ORU', 'R01', 'ORU_R01'])), pid(f, r), pv1(visit, f.ods),
    segment('ORC', 'RE', [placer, 'ICE'], [filler, 'PATH'], '', 'CM'), ...lines,
  ]));
}

function document(feed: AcuteFeed, _person: Person, _rng: Rng, rec: SourceRecord, visit: Visit, at: Moment, typeCode: string, typeName: string, text: string[], add: Add): void {
  const docNo = feed.nextDocument();
  const author = visit.consultant;
  add(at, 'MDM', rec, (f, id, r) => message([
    msh(mshFields(f, id, 'EDMS', at, ['MDM', 'T02', 'MDM_T02'])), evn('T02', at), pid(f, r), pv1(visit, f.ods),
    segment('TXA', '1', [typeCode, typeName, 'L'], 'TX', hl7Time(at), [author.gmc, author.family, author.given, '', '', 'Dr'], hl7Time(at),
      '', '', '', '', '', [docNo, 'EDMS'], '', '', '', '', 'AU', '', 'AV'),
    ...text.map((line, i) => segment('OBX', String(i + 1), 'TX', [typeCode, typeName, 'L'], '', line, '', '', '', '', '', 'F')),
  ]));
}

const medicineList = (person: Person): string =>
  person.history.medicines.filter((m) => m.repeat).map((m) => MEDICINES[m.key].display).join('; ') || 'none';

function clinicLetter(person: Person, rec: SourceRecord, reason: Diagnosis, c: Clinician, day: number): string[] {
  return [
    `${reason.specialty[1]} clinic, seen ${isoDay(day)}`,
    `Dear colleague at ${person.practice.name},`,
    `I saw ${rec.title ? `${rec.title} ` : ''}${rec.family} today for ${reason.complaint}.`,
    `Working diagnosis: ${reason.display} (SNOMED CT ${reason.code}).`,
    `Current medicines: ${medicineList(person)}.`,
    'Plan: bloods (FBC, U&E) & review in 3 months; no change to treatment today.',
    `Yours sincerely, Dr ${c.given} ${c.family}, Consultant`,
  ];
}

function dischargeSummary(person: Person, rec: SourceRecord, reason: Diagnosis, c: Clinician, admit: Moment, end: Moment, kind: EpisodeKind): string[] {
  return [
    `Discharge summary: ${rec.family.toUpperCase()}, ${rec.given.join(' ')} (born ${hl7Day(person.birthDay)})`,
    `Admitted ${isoDay(admit.day)} (${kind === 'elective' ? 'elective, from the waiting list' : 'emergency, via the emergency department'}); discharged ${isoDay(end.day)}.`,
    `Presenting complaint: ${reason.complaint}.`,
    `Primary diagnosis: ${reason.display} (SNOMED CT ${reason.code}).`,
    `Medicines on discharge: ${medicineList(person)}.`,
    'Actions for GP: repeat U&E in 1-2 weeks; review blood pressure.',
    `Responsible consultant: Dr ${c.given} ${c.family} | ${reason.specialty[1]}`,
  ];
}

/** One of three breakages seen on real interfaces. */
function malform(rng: Rng, text: string): string {
  const segs = text.split('\r').filter((s) => s.length > 0);
  const mode = rng.int(0, 2);
  if (mode === 0) return segs.filter((s) => !s.startsWith('PID|')).map((s) => `${s}\r`).join('');
  if (mode === 1) {
    return segs.map((s) => {
      if (!s.startsWith('PID|')) return s;
      const f = s.split('|');
      // 31 February: looks like a date, is not one.
      if (f[7]) f[7] = `${f[7].slice(0, 4)}0231`;
      return f.join('|');
    }).map((s) => `${s}\r`).join('');
  }
  const last = segs[segs.length - 1] ?? '';
  const cut = Math.max(4, Math.floor(last.length / 2));
  return [...segs.slice(0, -1), last.slice(0, cut)].map((s) => `${s}\r`).join('');
}
