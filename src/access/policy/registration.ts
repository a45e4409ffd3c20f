/**
 * Professional register numbers: which regulators we accept and the shape of their numbers. A format
 * check only — whether the number is live on the register is a lookup done elsewhere — but it catches
 * typing errors and numbers entered against the wrong body when an account is created.
 */

export const REGISTER_BODIES = ['GMC', 'NMC', 'HCPC', 'GPhC', 'GDC', 'SWE'] as const;
export type RegisterBody = (typeof REGISTER_BODIES)[number];

export interface Registration { readonly body: string; readonly number: string }

export type RegistrationProblemCode = 'unknown-body' | 'empty-number' | 'bad-format' | 'unknown-profession' | 'wrong-register';

export type RegistrationCheck =
  | { ok: true; body: RegisterBody; number: string; profession?: string }
  | { ok: false; code: RegistrationProblemCode; message: string };

export const REGISTER_NAMES: Readonly<Record<RegisterBody, string>> = {
  GMC: 'General Medical Council',
  NMC: 'Nursing and Midwifery Council',
  HCPC: 'Health and Care Professions Council',
  GPhC: 'General Pharmaceutical Council',
  GDC: 'General Dental Council',
  SWE: 'Social Work England',
};

/** HCPC numbers start with the letters of the part of the register (the profession). */
export const HCPC_PROFESSIONS: Readonly<Record<string, string>> = {
  AS: 'arts therapist',
  BS: 'biomedical scientist',
  CH: 'chiropodist or podiatrist',
  CS: 'clinical scientist',
  DT: 'dietitian',
  HAD: 'hearing aid dispenser',
  OR: 'orthoptist',
  ODP: 'operating department practitioner',
  OT: 'occupational therapist',
  PA: 'paramedic',
  PH: 'physiotherapist',
  PO: 'prosthetist or orthotist',
  PYL: 'practitioner psychologist',
  RA: 'radiographer',
  SL: 'speech and language therapist',
};

const BODY_ALIASES: Readonly<Record<string, RegisterBody>> = {
  GMC: 'GMC', NMC: 'NMC', HCPC: 'HCPC', GPHC: 'GPhC', GDC: 'GDC', SWE: 'SWE',
  'SOCIAL WORK ENGLAND': 'SWE', 'SOCIALWORKENGLAND': 'SWE',
};

const FORMATS: Readonly<Record<RegisterBody, { pattern: RegExp; shape: string }>> = {
  GMC: { pattern: /^\d{7}$/, shape: '7 digits' },
  NMC: { pattern: /^\d{2}[A-Z]\d{4}[A-Z]$/, shape: '2 digits, a letter, 4 digits and a letter, like 12A3456E' },
  HCPC: { pattern: /^([A-Z]{2,3})(\d{4,7})$/, shape: 'the letters of the profession followed by digits, like PA12345' },
  GPhC: { pattern: /^\d{7}$/, shape: '7 digits' },
  GDC: { pattern: /^\d{1,7}$/, shape: 'up to 7 digits' },
  SWE: { pattern: /^SW\d{1,8}$/, shape: 'SW followed by digits, like SW123456' },
};

/** The body's canonical spelling, accepting any case and the full name of Social Work England. */
export function normaliseRegisterBody(input: string): RegisterBody | null {
  return BODY_ALIASES[input.trim().toUpperCase().replace(/\s+/g, ' ')] ?? null;
}

/** Upper case without the spaces and hyphens people type inside numbers. */
export function normaliseRegistrationNumber(input: string): string {
  return input.replace(/[\s-]+/g, '').toUpperCase();
}

export function checkRegistration(registration: Registration): RegistrationCheck {
  const body = normaliseRegisterBody(registration.body);
  if (!body) {
    return { ok: false, code: 'unknown-body', message: `The professional register must be one of ${REGISTER_BODIES.join(', ')}` };
  }
  const number = normaliseRegistrationNumber(registration.number);
  if (number === '') return { ok: false, code: 'empty-number', message: `The ${body} registration number is missing` };
  const format = FORMATS[body];
  const m = format.pattern.exec(number);
  if (!m) {
    return { ok: false, code: 'bad-format', message: `A ${body} registration number is ${format.shape}` };
  }
  if (body === 'GDC' && /^0+$/.test(number)) {
    return { ok: false, code: 'bad-format', message: `A ${body} registration number is ${format.shape}` };
  }
  if (body === 'HCPC') {
    const prefix = m[1] ?? '';
    // Social workers in England left the HCPC register for Social Work England in December 2019.
    if (prefix === 'SW') {
      return { ok: false, code: 'wrong-register', message: 'Social workers in England are registered with Social Work England: use SWE' };
    }
    const profession = HCPC_PROFESSIONS[prefix];
    if (!profession) {
      return { ok: false, code: 'unknown-profession', message: 'The letters at the start of an HCPC number do not name an HCPC profession' };
    }
    return { ok: true, body, number, profession };
  }
  return { ok: true, body, number };
}

/** Reads the `BODY:NUMBER` form the command line takes (`--registration GMC:1234567`). */
export function parseRegistration(text: string): RegistrationCheck {
  const i = text.indexOf(':');
  if (i < 0) return { ok: false, code: 'bad-format', message: 'A registration is written BODY:NUMBER, like GMC:1234567' };
  return checkRegistration({ body: text.slice(0, i), number: text.slice(i + 1) });
}
