import { describe, it, expect } from 'vitest';
import { parse, parseBatch } from './parse.ts';
import { serialise } from './serialise.ts';
import { fieldText, get, messageType, repetitionCount, segments } from './access.ts';

const ADT = [
  'MSH|^~\\&|PAS|RCB|ROUTE|ROUTE|201010101418||ADT^A01^ADT_A01|1391320453338055|P|2.4',
  'PID|1||3333333333^^^NHS~L123^^^RCB^PI||SMITH&VAN^FRED\\T\\CO^J^^MR^^L~SMYTH^FREDDIE^^^^^A||196512131515|M',
  'OBX|1|TX|NOTE||a\\F\\b\\S\\c\\R\\d\\E\\e\\H\\bold\\N\\',
  'ZU8|U|1|Yes|',
].join('\r');

describe('parse', () => {
  it.each([
    ['CR', '\r'],
    ['LF', '\n'],
    ['CRLF', '\r\n'],
  ])('splits segments on %s', (_name, eol) => {
    const r = parse(ADT.split('\r').join(eol) + eol);
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.message.segments.map((s) => s.name)).toEqual(['MSH', 'PID', 'OBX', 'ZU8']);
  });

  it('reads values by path, decoding escapes and keeping formatting escapes verbatim', () => {
    const r = parse(ADT);
    if (!r.ok) throw new Error(r.error.message);
    const m = r.message;
    expect.soft(get(m, 'MSH-9')).toBe('ADT');
    expect.soft(get(m, 'MSH-9.2')).toBe('A01');
    expect.soft(get(m, 'MSH-1')).toBe('|');
    expect.soft(get(m, 'MSH-2')).toBe('^~\\&');
    expect.soft(get(m, 'PID-3')).toBe('3333333333');
    expect.soft(get(m, 'PID-3[2].1')).toBe('L123');
    expect.soft(get(m, 'PID-3[2].5')).toBe('PI');
    expect.soft(get(m, 'PID-5.1.2')).toBe('VAN');
    expect.soft(get(m, 'PID-5.2')).toBe('FRED&CO');
    expect.soft(get(m, 'PID-5[2].2')).toBe('FREDDIE');
    expect.soft(get(m, 'PID-5[3].1')).toBeUndefined();
    expect.soft(get(m, 'OBX-5')).toBe('a|b^c~d\\e\\H\\bold\\N\\');
    expect.soft(get(m, 'OBX[2]-5')).toBeUndefined();
    expect.soft(get(m, 'ZU8-3')).toBe('Yes');
    expect.soft(get(m, 'not a path')).toBeUndefined();
    expect.soft(repetitionCount(segments(m, 'PID')[0]!, 3)).toBe(2);
    expect.soft(fieldText(segments(m, 'PID')[0]!, m.encoding, 3)).toBe('3333333333^^^NHS~L123^^^RCB^PI');
    expect.soft(messageType(m)).toEqual({ code: 'ADT', trigger: 'A01', structure: 'ADT_A01' });
  });

  it('reads custom encoding characters from MSH-1 and MSH-2', () => {
    const text = 'MSH!$r?@!LIP!LIP!LB!LB!20111207121030!!RSP$SLI$RSP_K11!430102!D!2.5\rPID!1!!A1@X$$$NHSrB2!!N?F?ME';
    const r = parse(text);
    if (!r.ok) throw new Error(r.error.message);
    expect(r.message.encoding).toMatchObject({ field: '!', component: '$', repetition: 'r', escape: '?', subcomponent: '@' });
    expect(get(r.message, 'MSH-9.2')).toBe('SLI');
    expect(get(r.message, 'PID-3.1.2')).toBe('X');
    expect(get(r.message, 'PID-3[2]')).toBe('B2');
    expect(get(r.message, 'PID-5')).toBe('N!ME');
    expect(serialise(r.message)).toBe(text + '\r');
  });

  it('keeps the v2.7 truncation character as part of the encoding', () => {
    const r = parse('MSH|^~\\&#|A|B|C|D|20200101||ADT^A01|1|P|2.7\rPID|1||X\\P\\Y');
    if (!r.ok) throw new Error(r.error.message);
    expect(r.message.encoding.truncation).toBe('#');
    expect(get(r.message, 'PID-3')).toBe('X#Y');
  });

  it.each([
    ['', 'empty-input', undefined],
    ['\r\n\r\n', 'empty-input', undefined],
    ['PID|1||X', 'missing-msh', undefined],
    ['MSH', 'truncated-message', 'MSH-1'],
    ['MSH|^~', 'invalid-encoding-characters', 'MSH-2'],
    ['MSH|^~\\&|A|B', 'truncated-message', 'MSH-9'],
    ['MSH|^~\\&|A|B|C|D|2020||^A01|1|P|2.4', 'missing-message-type', 'MSH-9'],
    ['MSH|^^\\&|A|B|C|D|2020||ADT^A01|1|P|2.4', 'invalid-encoding-characters', 'MSH-2'],
    ['MSH|^~\\|&|A|B|C|D|2020||ADT^A01|1|P|2.4', 'invalid-encoding-characters', 'MSH-2'],
    ['MSHX^~\\&XAXBXCXDX2020XXADT^A01X1XPX2.4', 'invalid-encoding-characters', 'MSH-1'],
    ['MSH|^~\\&|A|B|C|D|2020||ADT^A01|1|P|2.4\rPID|1\rbroken line', 'invalid-segment', undefined],
    ['MSH|^~\\&|A|B|C|D|2020||ADT^A01|1|P|2.4\rMSH|^~\\&|A|B|C|D|2020||ADT^A01|2|P|2.4', 'unexpected-segment', undefined],
    ['BHS|^~\\&\rMSH|^~\\&|A|B|C|D|2020||ADT^A01|2|P|2.4', 'missing-msh', undefined],
  ])('%j fails with %s', (text, code, field) => {
    const r = parse(text);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.code).toBe(code);
      expect(r.error.where.field).toBe(field);
      expect(r.error.message.length).toBeGreaterThan(10);
    }
  });

  it('names the line of a segment broken by a stray line break', () => {
    const r = parse('MSH|^~\\&|A|B|C|D|2020||ADT^A01|1|P|2.4\rPID|1||X||SMITH^JO\nHN\rPV1|1|I');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.where).toEqual({ segmentIndex: 3, line: 3 });
  });

  it('refuses input over the size bound', () => {
    const r = parse('MSH|^~\\&|A|B|C|D|2020||ADT^A01|1|P|2.4\r', { maxLength: 10 });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.code).toBe('input-too-large');
  });

  it('parses a message with a 6 MB Base64 OBX-5 quickly and keeps it exact', () => {
    const data = Buffer.alloc(4.5 * 1024 * 1024, 7).toString('base64');
    const text = `MSH|^~\\&|LAB|X|Y|Z|20240101120000||ORU^R01|1|P|2.5\rPID|1||1^^^X^MR\rOBR|1||R1|X^Y^L\rOBX|1|ED|PDF^Report^L||^AP^PDF^Base64^${data}||||||F\r`;
    const t0 = performance.now();
    const r = parse(text);
    const elapsed = performance.now() - t0;
    if (!r.ok) throw new Error(r.error.message);
    expect(get(r.message, 'OBX-5.5')?.length).toBe(data.length);
    expect(serialise(r.message)).toBe(text);
    expect(elapsed).toBeLessThan(1500);
  });
});

describe('parseBatch', () => {
  const msg = (id: string): string => `MSH|^~\\&|A|B|C|D|2020||ADT^A01|${id}|P|2.4\rPID|1||X${id}`;

  it('splits FHS/BHS … BTS/FTS into messages with their own text', () => {
    const text = ['FHS|^~\\&|A', 'BHS|^~\\&|A', msg('1'), msg('2'), 'BTS|2', 'BHS|^~\\&|A', msg('3'), 'BTS|1', 'FTS|2'].join('\r');
    const r = parseBatch(text);
    if (!r.ok) throw new Error(r.error.message);
    expect(r.batch.messages.map((m) => m.result.ok && get(m.result.message, 'MSH-10'))).toEqual(['1', '2', '3']);
    expect(r.batch.messages[0]?.text).toBe(msg('1'));
    expect(r.batch.batchHeaders).toHaveLength(2);
    expect(r.batch.warnings).toEqual([]);
  });

  it('keeps a bad message as its own failure without sinking the others', () => {
    const r = parseBatch([msg('1'), 'MSH|^~\\&|A|B|C|D|2020||^A01|2|P|2.4', msg('3')].join('\n'));
    if (!r.ok) throw new Error(r.error.message);
    expect(r.batch.messages.map((m) => m.result.ok)).toEqual([true, false, true]);
  });

  it.each([
    [['BHS|^~\\&', msg('1'), 'BTS|5'], 'BTS-1 says 5 messages, the batch holds 1'],
    [['BHS|^~\\&', msg('1')], 'the last batch has no BTS'],
  ])('warns about irregular trailers (%#)', (lines, warning) => {
    const r = parseBatch(lines.join('\r'));
    expect(r.ok && r.batch.warnings).toEqual([warning]);
  });

  it.each([
    [['BHS|^~\\&', 'EVN|A01', msg('1')], 'batch-structure'],
    [['BHS|^~\\&', msg('1'), 'BHS|^~\\&', msg('2')], 'batch-structure'],
    [[msg('1'), 'FHS|^~\\&'], 'batch-structure'],
    [['FHS|^~\\&', msg('1'), 'FTS|1', msg('2')], 'batch-structure'],
    [['BHS|^~'], 'invalid-encoding-characters'],
    [['BHS|^~\\&', 'BTS|0'], 'missing-msh'],
  ])('rejects a broken envelope (%#)', (lines, code) => {
    const r = parseBatch(lines.join('\r'));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.code).toBe(code);
  });
});
