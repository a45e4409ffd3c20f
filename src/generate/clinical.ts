/**
 * A person's primary care history, consistent with age and sex: long-term conditions whose
 * prevalence rises with age (pregnancy only for women of child-bearing age, dementia only
 * from 65), the repeat medicines those conditions bring, allergies, immunisations by the UK
 * schedule, and the latest measurements. Codes: SNOMED CT for conditions, allergies, vaccines
 * and observations (LOINC alongside), dm+d VMP concepts for medicines.
 */
import type { Rng } from './random.ts';
import { dayParts } from './dates.ts';

export type Sex = 'male' | 'female' | 'other' | 'unknown';

export interface Coded { code: string; display: string }

interface ConditionDef extends Coded {
  /** Probability of having it, given age in years and sex. */
  prevalence: (age: number, sex: Sex) => number;
  minAge: number;
  /** Medicines usually on repeat for it. */
  medicines: readonly MedicineKey[];
  mentalHealth?: boolean;
  /** Lasts months, not years (pregnancy). */
  shortLived?: boolean;
}

const band = (age: number, cuts: readonly [number, number][], last: number): number => {
  for (const [upTo, p] of cuts) if (age < upTo) return p;
  return last;
};

export const MEDICINES = {
  amlodipine: { code: '319283006', display: 'Amlodipine 5mg tablets', dose: 'One tablet once a day' },
  ramipril: { code: '318900005', display: 'Ramipril 5mg capsules', dose: 'One capsule once a day' },
  metformin: { code: '325278007', display: 'Metformin 500mg tablets', dose: 'One tablet twice a day with food' },
  atorvastatin: { code: '320000009', display: 'Atorvastatin 20mg tablets', dose: 'One tablet at night' },
  salbutamol: { code: '320176004', display: 'Salbutamol 100micrograms/dose inhaler CFC free', dose: 'Two puffs when required' },
  beclometasone: { code: '320131001', display: 'Beclometasone 100micrograms/dose inhaler CFC free', dose: 'Two puffs twice a day' },
  tiotropium: { code: '407840009', display: 'Tiotropium bromide 18microgram inhalation powder capsules', dose: 'Inhale one capsule once a day' },
  apixaban: { code: '703907009', display: 'Apixaban 5mg tablets', dose: 'One tablet twice a day' },
  bisoprolol: { code: '318590006', display: 'Bisoprolol 2.5mg tablets', dose: 'One tablet once a day' },
  aspirin: { code: '319770005', display: 'Aspirin 75mg dispersible tablets', dose: 'One tablet once a day' },
  furosemide: { code: '317972000', display: 'Furosemide 40mg tablets', dose: 'One tablet in the morning' },
  sertraline: { code: '321949000', display: 'Sertraline 50mg tablets', dose: 'One tablet once a day' },
  propranolol: { code: '318353009', display: 'Propranolol 10mg tablets', dose: 'One tablet up to three times a day when required' },
  levothyroxine: { code: '315254004', display: 'Levothyroxine sodium 50microgram tablets', dose: 'One tablet in the morning' },
  paracetamol: { code: '322236009', display: 'Paracetamol 500mg tablets', dose: 'Two tablets up to four times a day when required' },
  naproxen: { code: '329652003', display: 'Naproxen 250mg tablets', dose: 'One tablet twice a day with food' },
  donepezil: { code: '408155001', display: 'Donepezil 10mg tablets', dose: 'One tablet at night' },
  levetiracetam: { code: '407953004', display: 'Levetiracetam 500mg tablets', dose: 'One tablet twice a day' },
  olanzapine: { code: '320869002', display: 'Olanzapine 10mg tablets', dose: 'One tablet at night' },
  lithium: { code: '321564006', display: 'Lithium carbonate 400mg modified-release tablets', dose: 'One tablet at night' },
  folicAcid: { code: '330237000', display: 'Folic acid 400microgram tablets', dose: 'One tablet once a day' },
  tamsulosin: { code: '408051005', display: 'Tamsulosin 400microgram modified-release capsules', dose: 'One capsule once a day' },
  letrozole: { code: '326946002', display: 'Letrozole 2.5mg tablets', dose: 'One tablet once a day' },
  amoxicillin: { code: '323509004', display: 'Amoxicillin 500mg capsules', dose: 'One capsule three times a day for 5 days' },
  omeprazole: { code: '317335000', display: 'Omeprazole 20mg gastro-resistant capsules', dose: 'One capsule once a day' },
} as const;

export type MedicineKey = keyof typeof MEDICINES;

export const CONDITIONS: readonly ConditionDef[] = [
  { code: '59621000', display: 'Essential hypertension', minAge: 18, medicines: ['amlodipine', 'ramipril'],
    prevalence: (a) => band(a, [[30, 0.005], [45, 0.05], [65, 0.2], [75, 0.45]], 0.6) },
  { code: '44054006', display: 'Type 2 diabetes mellitus', minAge: 18, medicines: ['metformin', 'atorvastatin'],
    prevalence: (a) => band(a, [[30, 0.003], [45, 0.03], [65, 0.09], [75, 0.16]], 0.18) },
  { code: '195967001', display: 'Asthma', minAge: 3, medicines: ['salbutamol', 'beclometasone'], prevalence: () => 0.09 },
  { code: '13645005', display: 'Chronic obstructive lung disease', minAge: 40, medicines: ['tiotropium', 'salbutamol'],
    prevalence: (a) => band(a, [[65, 0.03]], 0.08) },
  { code: '49436004', display: 'Atrial fibrillation', minAge: 30, medicines: ['apixaban', 'bisoprolol'],
    prevalence: (a) => band(a, [[55, 0.003], [65, 0.02], [75, 0.06]], 0.12) },
  { code: '414545008', display: 'Ischemic heart disease', minAge: 35, medicines: ['aspirin', 'atorvastatin', 'bisoprolol'],
    prevalence: (a, s) => band(a, [[45, 0.002], [65, 0.04], [75, 0.1]], 0.16) * (s === 'male' ? 1.5 : 0.8) },
  { code: '84114007', display: 'Heart failure', minAge: 40, medicines: ['furosemide', 'bisoprolol', 'ramipril'],
    prevalence: (a) => band(a, [[65, 0.005], [75, 0.02]], 0.06) },
  { code: '433144002', display: 'Chronic kidney disease stage 3', minAge: 30, medicines: [],
    prevalence: (a) => band(a, [[60, 0.01], [75, 0.08]], 0.2) },
  { code: '35489007', display: 'Depressive disorder', minAge: 12, medicines: ['sertraline'], mentalHealth: true,
    prevalence: (_a, s) => (s === 'female' ? 0.13 : 0.08) },
  { code: '197480006', display: 'Anxiety disorder', minAge: 10, medicines: ['propranolol'], mentalHealth: true, prevalence: () => 0.07 },
  { code: '52448006', display: 'Dementia', minAge: 65, medicines: ['donepezil'], mentalHealth: true,
    prevalence: (a) => band(a, [[75, 0.02], [85, 0.07]], 0.18) },
  { code: '396275006', display: 'Osteoarthritis', minAge: 40, medicines: ['paracetamol', 'naproxen'],
    prevalence: (a) => band(a, [[65, 0.08]], 0.25) },
  { code: '40930008', display: 'Hypothyroidism', minAge: 18, medicines: ['levothyroxine'], prevalence: (_a, s) => (s === 'female' ? 0.05 : 0.01) },
  { code: '84757009', display: 'Epilepsy', minAge: 1, medicines: ['levetiracetam'], prevalence: () => 0.008 },
  { code: '230690007', display: 'Cerebrovascular accident', minAge: 45, medicines: ['aspirin', 'atorvastatin'],
    prevalence: (a) => band(a, [[65, 0.01], [75, 0.03]], 0.07) },
  { code: '414916001', display: 'Obesity', minAge: 18, medicines: [], prevalence: () => 0.1 },
  { code: '58214004', display: 'Schizophrenia', minAge: 16, medicines: ['olanzapine'], mentalHealth: true, prevalence: () => 0.008 },
  { code: '13746004', display: 'Bipolar disorder', minAge: 16, medicines: ['lithium'], mentalHealth: true, prevalence: () => 0.01 },
  { code: '35919005', display: 'Pervasive developmental disorder', minAge: 3, medicines: [], prevalence: (_a, s) => (s === 'male' ? 0.015 : 0.006) },
  { code: '77386006', display: 'Pregnancy', minAge: 16, medicines: ['folicAcid'], shortLived: true,
    prevalence: (a, s) => (s === 'female' && a <= 45 ? band(a, [[20, 0.02], [35, 0.06]], 0.02) : 0) },
  { code: '399068003', display: 'Malignant tumor of prostate', minAge: 55, medicines: ['tamsulosin'],
    prevalence: (a, s) => (s === 'male' ? band(a, [[70, 0.02]], 0.05) : 0) },
  { code: '254837009', display: 'Malignant neoplasm of breast', minAge: 40, medicines: ['letrozole'],
    prevalence: (a, s) => (s === 'female' ? band(a, [[60, 0.01]], 0.03) : 0) },
];

export const ALLERGIES: readonly (Coded & { prevalence: (age: number) => number; category: 'medication' | 'food' | 'environment' | 'biologic' })[] = [
  { code: '91936005', display: 'Allergy to penicillin', category: 'medication', prevalence: (a) => (a < 5 ? 0.01 : 0.06) },
  { code: '91935009', display: 'Allergy to peanut', category: 'food', prevalence: (a) => (a < 40 ? 0.015 : 0.004) },
  { code: '300916003', display: 'Latex allergy', category: 'environment', prevalence: () => 0.005 },
  { code: '293586001', display: 'Allergy to aspirin', category: 'medication', prevalence: (a) => (a < 16 ? 0 : 0.01) },
  { code: '424213003', display: 'Allergy to bee venom', category: 'environment', prevalence: () => 0.004 },
];

export const VACCINES = {
  influenza: { code: '836377006', display: 'Influenza virus antigen only vaccine product' },
  covid: { code: '1119349007', display: 'SARS-CoV-2 mRNA vaccine product' },
  pneumococcal: { code: '836398006', display: 'Streptococcus pneumoniae antigen only vaccine product' },
  shingles: { code: '871908002', display: 'Human alphaherpesvirus 3 antigen only vaccine product' },
  mmr: { code: '871831003', display: 'Measles and mumps and rubella vaccine product' },
  hpv: { code: '836379009', display: 'Human papillomavirus antigen only vaccine product' },
} as const;

export interface ConditionEntry extends Coded { onsetDay: number; recordedDay: number; active: boolean; mentalHealth: boolean }
export interface MedicineEntry { key: MedicineKey; startDay: number; endDay: number | null; repeat: boolean }
export interface AllergyEntry extends Coded { category: 'medication' | 'food' | 'environment' | 'biologic'; recordedDay: number }
export interface ImmunisationEntry extends Coded { day: number }
export type ObservationEntry =
  | { kind: 'bp'; day: number; systolic: number; diastolic: number }
  | { kind: 'weight'; day: number; kg: number }
  | { kind: 'hba1c'; day: number; mmolPerMol: number };

export interface History {
  conditions: ConditionEntry[];
  medicines: MedicineEntry[];
  allergies: AllergyEntry[];
  immunisations: ImmunisationEntry[];
  observations: ObservationEntry[];
}

export function hasCondition(h: History, code: string): boolean {
  return h.conditions.some((c) => c.code === code && c.active);
}

/** Onset somewhere after the condition became possible, mostly in the last decades. */
function onsetFor(rng: Rng, birthDay: number, asOfDay: number, minAge: number): number {
  const earliest = Math.max(birthDay + Math.ceil(minAge * 365.25), asOfDay - 30 * 365);
  return rng.int(Math.min(earliest, asOfDay - 1), asOfDay - 1);
}

export function makeHistory(rng: Rng, birthDay: number, age: number, sex: Sex, asOfDay: number): History {
  const conditions: ConditionEntry[] = [];
  const medicines: MedicineEntry[] = [];
  const medsSeen = new Set<MedicineKey>();
  for (const def of CONDITIONS) {
    if (age < def.minAge) continue;
    // Unknown or other sex: sex-specific conditions are left out rather than guessed.
    if (!rng.chance(def.prevalence(age, sex))) continue;
    const onsetDay = def.shortLived ? asOfDay - rng.int(30, 250) : onsetFor(rng, birthDay, asOfDay, def.minAge);
    conditions.push({ code: def.code, display: def.display, onsetDay, recordedDay: onsetDay + rng.int(0, 20), active: true, mentalHealth: def.mentalHealth ?? false });
    for (const key of def.medicines) {
      if (medsSeen.has(key) || !rng.chance(0.8)) continue;
      medsSeen.add(key);
      medicines.push({ key, startDay: Math.min(asOfDay - 1, onsetDay + rng.int(0, 60)), endDay: null, repeat: true });
    }
  }
  // Past short courses and stopped medicines, more of them with age.
  const courses = rng.int(0, Math.min(3, 1 + Math.floor(age / 25)));
  for (let i = 0; i < courses; i++) {
    const key: MedicineKey = rng.pick(['amoxicillin', 'omeprazole', 'paracetamol'] as const);
    if (medsSeen.has(key)) continue;
    medsSeen.add(key);
    const start = Math.max(birthDay + 30, asOfDay - rng.int(60, 3000));
    medicines.push({ key, startDay: start, endDay: start + (key === 'amoxicillin' ? 5 : rng.int(14, 120)), repeat: false });
  }
  const allergies: AllergyEntry[] = [];
  for (const a of ALLERGIES) {
    if (!rng.chance(a.prevalence(age))) continue;
    // Nobody recorded as penicillin-allergic is also given amoxicillin.
    if (a.code === '91936005' && medsSeen.has('amoxicillin')) continue;
    allergies.push({ code: a.code, display: a.display, category: a.category, recordedDay: Math.max(birthDay + 180, asOfDay - rng.int(100, 8000)) });
  }
  const immunisations = scheduleImmunisations(rng, birthDay, age, asOfDay, conditions.length > 0);
  const observations = measure(rng, age, sex, asOfDay, conditions);
  return { conditions, medicines, allergies, immunisations, observations };
}

function scheduleImmunisations(rng: Rng, birthDay: number, age: number, asOfDay: number, atRisk: boolean): ImmunisationEntry[] {
  const out: ImmunisationEntry[] = [];
  const { year, month } = dayParts(asOfDay);
  // The most recent autumn campaign that has started by asOf.
  const lastAutumn = month >= 10 ? year : year - 1;
  const autumnDay = (y: number): number => Math.floor(Date.UTC(y, 9, 1) / 86_400_000) + rng.int(0, 60);
  for (const y of [lastAutumn - 1, lastAutumn]) {
    const d = autumnDay(y);
    if (d >= asOfDay || d <= birthDay) continue;
    const ageThen = age - (lastAutumn - y);
    const eligible = ageThen >= 65 || (ageThen >= 2 && ageThen <= 10) || (atRisk && ageThen >= 18);
    if (eligible && rng.chance(ageThen >= 65 ? 0.75 : 0.5)) out.push({ ...VACCINES.influenza, day: d });
  }
  const covidDay = autumnDay(lastAutumn);
  if (age >= 75 && covidDay < asOfDay && rng.chance(0.7)) out.push({ ...VACCINES.covid, day: covidDay });
  if (age >= 66 && rng.chance(0.7)) out.push({ ...VACCINES.pneumococcal, day: birthDay + Math.round(65.2 * 365.25) + rng.int(0, 300) });
  if (age >= 71 && age <= 80 && rng.chance(0.5)) out.push({ ...VACCINES.shingles, day: birthDay + Math.round(70.3 * 365.25) + rng.int(0, 300) });
  // Children born since the schedule took its present shape: MMR at one and at three years four months.
  if (age >= 1 && age < 30 && rng.chance(0.9)) {
    out.push({ ...VACCINES.mmr, day: birthDay + 365 + rng.int(0, 40) });
    const second = birthDay + 1217 + rng.int(0, 60);
    if (second < asOfDay) out.push({ ...VACCINES.mmr, day: second });
  }
  if (age >= 13 && age < 30 && rng.chance(0.75)) out.push({ ...VACCINES.hpv, day: birthDay + 12 * 365 + rng.int(180, 360) });
  return out.filter((i) => i.day < asOfDay && i.day > birthDay).sort((a, b) => a.day - b.day);
}

function measure(rng: Rng, age: number, sex: Sex, asOfDay: number, conditions: readonly ConditionEntry[]): ObservationEntry[] {
  const has = (code: string): boolean => conditions.some((c) => c.code === code);
  const out: ObservationEntry[] = [];
  const hypertensive = has('59621000');
  const diabetic = has('44054006');
  if (age >= 18 && (hypertensive || diabetic || rng.chance(0.6))) {
    const systolic = Math.round(Math.min(210, Math.max(90, rng.normal(118 + age * 0.35 + (hypertensive ? 12 : 0), 12))));
    const diastolic = Math.round(Math.min(120, Math.max(50, rng.normal(76 + (hypertensive ? 6 : 0), 8))));
    out.push({ kind: 'bp', day: asOfDay - rng.int(7, 700), systolic, diastolic: Math.min(diastolic, systolic - 20) });
  }
  if (age >= 2 && rng.chance(age >= 18 ? 0.6 : 0.3)) {
    const adult = sex === 'male' ? 84 : 71;
    const base = age >= 18 ? adult : 12 + age * 3.2;
    const kg = Math.max(8, rng.normal(base + (has('414916001') ? 28 : 0), age >= 18 ? 12 : 4));
    out.push({ kind: 'weight', day: asOfDay - rng.int(7, 900), kg: Math.round(kg * 10) / 10 });
  }
  if (diabetic || (age >= 45 && rng.chance(0.25))) {
    const value = diabetic ? rng.normal(58, 10) : rng.normal(38, 3.5);
    out.push({ kind: 'hba1c', day: asOfDay - rng.int(14, 400), mmolPerMol: Math.round(Math.max(25, value)) });
  }
  return out;
}
