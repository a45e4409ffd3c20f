/**
 * PID/PD1 → SourceDemographics and a UK Core style Patient. Owns the identifier rules: the NHS
 * number is any PID-3 repetition typed NH/NHS/HN or assigned by NHS (spaces removed), verified
 * only when PID-32 says "01" (NHS number status: present and verified); the local id is the first
 * other PID-3 identifier, else the NHS number. v2.3 feeds that put the NHS number in PID-2 are read too.
 */
import type { Address, ContactPoint, HumanName, Identifier, Patient, Reference } from 'fhir/r4';
import type { SourceDemographics } from '../../sourceAction.ts';
import { isValidNhsNumber } from '../../../nhs/nhsNumber.ts';
import { parseHl7DateTime, type Hl7Segment } from '../../../formats/hl7v2/index.ts';
import { indexOf, optionalDateTime, reject, reps, required, SYSTEMS, val, type Mapping } from './context.ts';

const NHS_TYPES = new Set(['NH', 'NHS', 'HN', 'NHSNBR']);
const UK_POSTCODE = /^(GIR ?0AA|[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2})$/i;
const UK_COUNTRIES = new Set(['', 'GB', 'GBR', 'UK', 'ENGLAND', 'WALES', 'SCOTLAND', 'NORTHERN IRELAND']);

/** NHS data dictionary NHS NUMBER STATUS INDICATOR CODE (England). */
const NHS_STATUS: Record<string, string> = {
  '01': 'Number present and verified',
  '02': 'Number present but not traced',
  '03': 'Trace required',
  '04': 'Trace attempted - No match or multiple match found',
  '05': 'Trace needs to be resolved - (NHS Number or patient detail conflict)',
  '06': 'Trace in progress',
  '07': 'Number not present and trace not required',
  '08': 'Trace postponed (baby under six weeks old)',
};

export interface PatientMapping {
  localId: string;
  demographics: SourceDemographics;
  patient: Patient;
}

export function mapPatient(m: Mapping): PatientMapping {
  const pid = required(m, 'PID');
  const where = (field: string) => ({ segment: 'PID', segmentIndex: indexOf(m, pid), field });
  let nhsNumber: string | undefined;
  let localId: string | undefined;
  const otherIds: Identifier[] = [];
  for (const r of reps(m, pid, 3)) {
    const id = r.c(1)?.trim();
    if (!id) continue;
    const type = r.c(5)?.trim().toUpperCase() ?? '';
    const authority = r.c(4)?.trim().toUpperCase() ?? '';
    if (NHS_TYPES.has(type) || authority === 'NHS') {
      nhsNumber ??= id.replace(/\s+/g, '');
    } else {
      localId ??= id;
      otherIds.push({ system: SYSTEMS.local(m.ctx.feedId), value: id });
    }
  }
  if (nhsNumber === undefined) {
    // v2.3 and earlier UK feeds carried the NHS number in PID-2 (patient external id).
    const external = val(m, pid, 2)?.replace(/\s+/g, '');
    if (external && /^\d{10}$/.test(external)) nhsNumber = external;
  }
  localId ??= nhsNumber;
  if (localId === undefined) reject('required-field-missing', 'PID-3 holds no patient identifier', where('PID-3'));

  const validNhs = nhsNumber !== undefined && isValidNhsNumber(nhsNumber);
  if (nhsNumber !== undefined && !validNhs) {
    m.warnings.push({ field: 'PID-3', code: 'malformed-nhs-number', message: 'PID-3 NHS number fails the modulus-11 check and was not used as an identifier' });
  }
  const status = val(m, pid, 32);
  const verified = validNhs && status === '01';

  const identifier: Identifier[] = [];
  if (validNhs) {
    identifier.push({
      system: SYSTEMS.nhsNumber,
      value: nhsNumber,
      ...(status && NHS_STATUS[status]
        ? {
            extension: [
              {
                url: 'https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-NHSNumberVerificationStatus',
                valueCodeableConcept: {
                  coding: [{ system: 'https://fhir.hl7.org.uk/CodeSystem/UKCore-NHSNumberVerificationStatusEngland', code: status, display: NHS_STATUS[status] }],
                },
              },
            ],
          }
        : {}),
    });
  }
  if (otherIds.length === 0) identifier.push({ system: SYSTEMS.local(m.ctx.feedId), value: localId });
  identifier.push(...otherIds);

  const names = mapNames(m, pid);
  const legal = names[0];
  const birth = mapBirthDate(m, pid);
  const sex = mapSex(m, pid);
  const address = mapAddress(m, pid);
  const telecom = mapTelecom(m, pid);
  const death = optionalDateTime(m, pid, 29, 'PID-29');
  const deathIndicator = val(m, pid, 30)?.toUpperCase();
  const gp = mapGp(m);

  // Built by assignment, present fields only, rather than by spreading optional parts: every
  // patient message received is mapped twice (to answer it, then by the worker), and the spreads
  // were the largest part of mapping one.
  const patient: Patient = { resourceType: 'Patient', meta: { profile: ['https://fhir.hl7.org.uk/StructureDefinition/UKCore-Patient'] }, identifier };
  if (names.length) patient.name = names.map((n) => n.name);
  if (telecom.points.length) patient.telecom = telecom.points;
  if (sex) patient.gender = sex;
  if (birth.fhir) patient.birthDate = birth.fhir;
  if (death) patient.deceasedDateTime = death.dateTime;
  else if (deathIndicator === 'Y') patient.deceasedBoolean = true;
  if (address.address) patient.address = [address.address];
  if (gp) {
    const practice: Reference = { type: 'Organization', identifier: { system: SYSTEMS.ods, value: gp.ods } };
    if (gp.name) practice.display = gp.name;
    patient.generalPractitioner = [practice];
  }

  const demographics: SourceDemographics = { localId };
  if (nhsNumber !== undefined) {
    demographics.nhsNumber = nhsNumber;
    demographics.nhsNumberVerified = verified;
  }
  if (legal?.family) demographics.family = legal.family;
  if (legal?.given.length) demographics.given = legal.given;
  if (birth.day) demographics.birthDate = birth.day;
  if (sex) demographics.sex = sex;
  if (address.postcode) demographics.postcode = address.postcode;
  if (address.lines.length) demographics.addressLines = address.lines;
  if (telecom.phone) demographics.phone = telecom.phone;
  if (death && /^\d{4}-\d{2}-\d{2}$/.test(death.date)) demographics.deceasedDate = death.date;
  if (gp) demographics.gpPracticeOds = gp.ods;
  return { localId, demographics, patient };
}

function mapGp(m: Mapping): { ods: string; name?: string | undefined } | undefined {
  const pd1 = m.msg.segments.find((s) => s.name === 'PD1');
  if (!pd1) return undefined;
  // XON: org identifier is XON-10 from v2.5, XON-3 (id number) before.
  const r = reps(m, pd1, 3)[0];
  const ods = (r?.c(10) ?? r?.c(3))?.trim();
  if (!ods) return undefined;
  return { ods: ods.toUpperCase(), name: r?.c(1)?.trim() || undefined };
}

const NAME_USE: Record<string, HumanName['use']> = { L: 'official', D: 'usual', M: 'maiden', N: 'nickname', A: 'usual', S: 'anonymous', T: 'temp', B: 'old' };

function mapNames(m: Mapping, pid: Hl7Segment): { name: HumanName; family?: string | undefined; given: string[] }[] {
  const out = reps(m, pid, 5).map((r) => {
    const family = r.c(1, 1)?.trim();
    const given = [r.c(2), r.c(3)].map((g) => g?.trim()).filter((g): g is string => !!g);
    const prefix = r.c(5)?.trim();
    const suffix = r.c(4)?.trim();
    const type = r.c(7)?.trim().toUpperCase() ?? '';
    const use = NAME_USE[type];
    const name: HumanName = {};
    if (use) name.use = use;
    if (family) name.family = family;
    if (given.length) name.given = given;
    if (prefix) name.prefix = [prefix];
    if (suffix) name.suffix = [suffix];
    return { name, family, given, legal: type === 'L' };
  });
  // Legal name first: it is the one the person index matches on.
  return out.filter((n) => n.family || n.given.length).sort((a, b) => Number(b.legal) - Number(a.legal));
}

function mapBirthDate(m: Mapping, pid: Hl7Segment): { fhir?: string; day?: string } {
  const raw = val(m, pid, 7);
  if (raw === undefined) return {};
  const t = parseHl7DateTime(raw);
  if (!t.ok) {
    if (t.reason === 'malformed') {
      reject('invalid-value', 'PID-7 (date of birth) is not a date', { segment: 'PID', segmentIndex: indexOf(m, pid), field: 'PID-7' });
    }
    m.warnings.push({ field: 'PID-7', code: 'impossible-date', message: 'PID-7 (date of birth) is not a calendar date; it was not used' });
    return {};
  }
  // A birth time is noon-sensitive across midnight in other zones; the date as written is the birth date.
  return { fhir: t.date, ...(/^\d{4}-\d{2}-\d{2}$/.test(t.date) ? { day: t.date } : {}) };
}

const SEX: Record<string, NonNullable<Patient['gender']>> = {
  M: 'male',
  F: 'female',
  O: 'other',
  U: 'unknown',
  A: 'other',
  N: 'unknown',
  // NHS data dictionary PERSON GENDER CODE, which NHS ITK v2 feeds send in PID-8.
  '1': 'male',
  '2': 'female',
  '9': 'unknown',
  '0': 'unknown',
};

function mapSex(m: Mapping, pid: Hl7Segment): Patient['gender'] {
  const raw = val(m, pid, 8)?.toUpperCase();
  if (raw === undefined) return undefined;
  const sex = SEX[raw];
  if (!sex) m.warnings.push({ field: 'PID-8', code: 'other', message: 'PID-8 (administrative sex) is not a known code; it was not used' });
  return sex;
}

function mapAddress(m: Mapping, pid: Hl7Segment): { address?: Address; postcode?: string; lines: string[] } {
  const all = reps(m, pid, 11);
  const chosen = all.find((r) => ['H', 'C', 'P'].includes(r.c(7)?.toUpperCase() ?? '')) ?? all[0];
  if (!chosen) return { lines: [] };
  const lines = [chosen.c(1, 1), chosen.c(2)].map((l) => l?.trim()).filter((l): l is string => !!l);
  const city = chosen.c(3)?.trim();
  const district = chosen.c(4)?.trim();
  const postcode = chosen.c(5)?.trim();
  const country = chosen.c(6)?.trim();
  let trustedPostcode: string | undefined;
  if (postcode) {
    if (UK_COUNTRIES.has((country ?? '').toUpperCase()) && !UK_POSTCODE.test(postcode)) {
      m.warnings.push({ field: 'PID-11.5', code: 'malformed-postcode', message: 'PID-11.5 is not a UK postcode; it was kept but not used for matching' });
    } else {
      trustedPostcode = postcode.toUpperCase();
    }
  }
  const type = chosen.c(7)?.toUpperCase();
  const address: Address = {};
  if (type === 'H' || type === 'P') address.use = 'home';
  else if (type === 'B' || type === 'O') address.use = 'work';
  else if (type === 'C') address.use = 'temp';
  if (lines.length) address.line = lines;
  if (city) address.city = city;
  if (district) address.district = district;
  if (postcode) address.postalCode = postcode;
  if (country) address.country = country;
  const out: { address?: Address; postcode?: string; lines: string[] } = { lines };
  if (Object.keys(address).length > 0) out.address = address;
  if (trustedPostcode) out.postcode = trustedPostcode;
  return out;
}

function mapTelecom(m: Mapping, pid: Hl7Segment): { points: ContactPoint[]; phone?: string } {
  const points: ContactPoint[] = [];
  let phone: string | undefined;
  reps(m, pid, 13).forEach((r, i) => {
    const email = r.c(4)?.trim();
    const equipment = r.c(3)?.toUpperCase();
    if (email || equipment === 'INTERNET' || equipment === 'X.400') {
      const value = email ?? r.c(1)?.trim();
      if (value) points.push({ system: 'email', value, use: 'home' });
      return;
    }
    const number = (r.c(1)?.trim() || [r.c(5), r.c(6), r.c(7)].filter(Boolean).join('')).trim() || r.c(12)?.trim();
    if (!number) return;
    const digits = number.replace(/[\s()\-.]/g, '');
    const ok = /^\+?\d{10,13}$/.test(digits);
    if (!ok) {
      m.warnings.push({ field: `PID-13[${i + 1}]`, code: 'malformed-phone', message: `PID-13 repetition ${i + 1} is not a phone number; it was kept but not used for matching` });
    } else {
      phone ??= digits;
    }
    points.push({ system: equipment === 'CP' ? 'phone' : equipment === 'FX' ? 'fax' : 'phone', value: number, use: equipment === 'CP' ? 'mobile' : 'home' });
  });
  return phone === undefined ? { points } : { points, phone };
}
