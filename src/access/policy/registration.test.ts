import { describe, expect, it } from 'vitest';
import { checkRegistration, normaliseRegisterBody, parseRegistration } from './registration.ts';

describe('professional registration numbers', () => {
  it.each([
    ['GMC', '1234567', 'ok', '1234567'],
    ['gmc', ' 7654321 ', 'ok', '7654321'],
    ['GMC', '123456', 'bad-format', ''],
    ['GMC', '12345678', 'bad-format', ''],
    ['GMC', 'A234567', 'bad-format', ''],
    ['NMC', '12A3456E', 'ok', '12A3456E'],
    ['NMC', '96c1234s', 'ok', '96C1234S'],
    ['NMC', '12 A 3456 E', 'ok', '12A3456E'],
    ['NMC', '123456E', 'bad-format', ''],
    ['NMC', '12A34567', 'bad-format', ''],
    ['HCPC', 'PA12345', 'ok', 'PA12345'],
    ['HCPC', 'OT12345', 'ok', 'OT12345'],
    ['HCPC', 'ph-012345', 'ok', 'PH012345'],
    ['HCPC', 'PYL12345', 'ok', 'PYL12345'],
    ['HCPC', 'ODP12345', 'ok', 'ODP12345'],
    ['HCPC', 'SW12345', 'wrong-register', ''],
    ['HCPC', 'ZZ12345', 'unknown-profession', ''],
    ['HCPC', '12345', 'bad-format', ''],
    ['GPhC', '2012345', 'ok', '2012345'],
    ['gphc', '201234', 'bad-format', ''],
    ['GDC', '123456', 'ok', '123456'],
    ['GDC', '000', 'bad-format', ''],
    ['GDC', '12345678', 'bad-format', ''],
    ['SWE', 'SW123456', 'ok', 'SW123456'],
    ['Social Work England', 'sw 98765', 'ok', 'SW98765'],
    ['SWE', '123456', 'bad-format', ''],
    ['SWE', '', 'empty-number', ''],
    ['GOC', '01-12345', 'unknown-body', ''],
  ])('%s %j → %s', (body, number, expected, normalised) => {
    const r = checkRegistration({ body, number });
    expect(r.ok ? 'ok' : r.code).toBe(expected);
    if (r.ok) expect(r.number).toBe(normalised);
    else expect(r.message.length).toBeGreaterThan(0);
  });

  it.each(['GMC', 'NMC', 'HCPC', 'GPhC', 'GDC', 'SWE'])('a %s message describes the shape and never repeats what was typed', (body) => {
    const a = checkRegistration({ body, number: 'Q98' });
    const b = checkRegistration({ body, number: 'Q43' });
    expect(a.ok || b.ok).toBe(false);
    expect(!a.ok && a.message).toBe(!b.ok && b.message);
  });

  it('names the HCPC profession', () => {
    const r = checkRegistration({ body: 'HCPC', number: 'PA12345' });
    expect(r.ok && r.profession).toBe('paramedic');
  });

  it.each([
    ['GMC:1234567', true], ['gphc:2012345', true], ['SWE:SW123456', true], ['GMC1234567', false], ['XYZ:1', false],
  ] as const)('parseRegistration(%j) ok=%s', (text, ok) => expect(parseRegistration(text).ok).toBe(ok));

  it.each([['gphc', 'GPhC'], ['Social work England', 'SWE'], ['hcpc', 'HCPC'], ['BMA', null]] as const)('body %j is %j', (input, body) => {
    expect(normaliseRegisterBody(input)).toBe(body);
  });
});
