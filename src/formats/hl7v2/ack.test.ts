import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { parse } from './parse.ts';
import { serialise } from './serialise.ts';
import { get } from './access.ts';
import { buildAck, hl7ErrorCondition, sniffHeader } from './ack.ts';

const ROOT = new URL('../../../../shared/data/hl7v2/', import.meta.url);
const A01 = readFileSync(new URL('nhs-itk-v24-examples/A01_example.hl7', ROOT), 'utf8');
const NOW = new Date('2024-05-06T07:08:09Z');

function parsed(text: string) {
  const r = parse(text);
  if (!r.ok) throw new Error(r.error.message);
  return r.message;
}

describe('buildAck', () => {
  it('AA swaps sender and receiver and echoes the control id', () => {
    const ack = parsed(serialise(buildAck(parsed(A01), 'AA', undefined, 'OHC-1', NOW)));
    expect(serialise(ack).split('\r').filter(Boolean)).toEqual([
      'MSH|^~\\&|ROUTE|ROUTE|PAS|RCB|20240506070809+0000||ACK^A01^ACK|OHC-1|P|2.4',
      'MSA|AA|1391320453338055',
    ]);
  });

  it('AE carries ERR in v2.4 and v2.5 layouts naming segment, field and reason', () => {
    const error = { code: 'required-field-missing', message: 'PID-3 holds no patient identifier', where: { segment: 'PID', segmentIndex: 3, field: 'PID-3' } };
    const ack = parsed(serialise(buildAck(parsed(A01), 'AE', error, 'OHC-2', NOW)));
    expect.soft(get(ack, 'MSA-1')).toBe('AE');
    expect.soft(get(ack, 'MSA-2')).toBe('1391320453338055');
    expect.soft(get(ack, 'MSA-3')).toBe('PID-3 holds no patient identifier');
    expect.soft(get(ack, 'ERR-1.1')).toBe('PID');
    expect.soft(get(ack, 'ERR-1.2')).toBe('1');
    expect.soft(get(ack, 'ERR-1.3')).toBe('3');
    expect.soft(get(ack, 'ERR-1.4.1')).toBe('101');
    expect.soft(get(ack, 'ERR-2')).toBe('PID');
    expect.soft(get(ack, 'ERR-2.3')).toBe('3');
    expect.soft(get(ack, 'ERR-3')).toBe('101');
    expect.soft(get(ack, 'ERR-3.3')).toBe('HL70357');
    expect.soft(get(ack, 'ERR-4')).toBe('E');
    expect.soft(get(ack, 'ERR-5')).toBe('required-field-missing');
    expect.soft(get(ack, 'ERR-8')).toBe('PID-3 holds no patient identifier');
  });

  it('counts the segment occurrence among segments of the same name', () => {
    const msg = parsed('MSH|^~\\&|A|B|C|D|2024||ORU^R01|9|P|2.5\rPID|1||X\rOBR|1\rOBX|1\rOBX|2');
    const ack = buildAck(msg, 'AE', { code: 'invalid-value', message: 'OBX-5 is bad', where: { segment: 'OBX', segmentIndex: 5, field: 'OBX-5.2' } }, 'A', NOW);
    expect(get(ack, 'ERR-2.2')).toBe('2');
    expect(get(ack, 'ERR-2.5')).toBe('2');
    expect(get(ack, 'ERR-3')).toBe('102');
  });

  it('escapes separators in the error message', () => {
    const ack = buildAck(parsed(A01), 'AR', { code: 'unsupported-message-type', message: 'type OML^O21 | not accepted', where: { segment: 'MSH', field: 'MSH-9' } }, 'A', NOW);
    const text = serialise(ack);
    expect(text).toContain('OML\\S\\O21 \\F\\ not accepted');
    expect(get(parsed(text), 'ERR-8')).toBe('type OML^O21 | not accepted');
    expect(get(parsed(text), 'ERR-3')).toBe('200');
  });

  it('answers in the sender\'s own encoding characters', () => {
    const msg = parsed('MSH!$r?@!LIP!LIPF!LB!LBF!20111207121030!!ADT$A01!430102!D!2.5');
    const text = serialise(buildAck(msg, 'AA', undefined, 'X', NOW));
    expect(text.startsWith('MSH!$r?@!LB!LBF!LIP!LIPF!')).toBe(true);
    expect(get(parsed(text), 'MSA-2')).toBe('430102');
  });

  it.each([
    ['MSH|^\n~\\&|LAB^1.2^ISO|CAV|DEST|NHSW|20190514||ORU^R01|5051095-2019|T|2.5.1\nPID|1', 'LAB', '5051095-2019', '100'],
    ['MSH|^~\\&|SEND|FAC|REC|RFAC|2020|||CTRL9|P|2.6', 'SEND', 'CTRL9', '101'],
    ['MSH|^^^^|SEND|FAC|REC|RFAC|2020|||CTRL9|P|2.6', 'SEND', 'CTRL9', '100'],
    ['garbage with no header at all', undefined, undefined, '100'],
    ['', undefined, undefined, '100'],
  ])('produces a usable AR for unparseable input (%#)', (text, sender, control, errCode) => {
    const r = parse(text);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const ack = parsed(serialise(buildAck(sniffHeader(text), 'AR', r.error, 'OHC-9', NOW)));
    expect(get(ack, 'MSA-1')).toBe('AR');
    expect(get(ack, 'MSA-2')).toBe(control);
    expect(get(ack, 'MSH-5')).toBe(sender);
    expect(get(ack, 'MSH-10')).toBe('OHC-9');
    expect(get(ack, 'ERR-3')).toBe(errCode);
    expect(get(ack, 'ERR-8')).toBe(r.error.message);
  });

  it.each([
    ['unsupported-message-type', '200'],
    ['unsupported-event', '201'],
    ['required-field-missing', '101'],
    ['invalid-value', '102'],
    ['invalid-segment', '100'],
    ['duplicate-key', '205'],
    ['something-else', '207'],
  ])('maps %s to HL7 table 0357 code %s', (code, hl7) => {
    expect(hl7ErrorCondition(code).code).toBe(hl7);
  });
});
