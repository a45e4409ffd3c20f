import { describe, expect, it } from 'vitest';
import { escapeHl7, message, msh, segment } from './hl7.ts';

describe('HL7 writing', () => {
  it.each([
    ['plain', 'plain'],
    ['U&E', 'U\\T\\E'],
    ['a|b', 'a\\F\\b'],
    ['x^y~z', 'x\\S\\y\\R\\z'],
    ['C:\\path', 'C:\\E\\path'],
    ['line\nbreak\r', 'line\\X0A\\break\\X0D\\'],
  ])('escapes %j as %j', (input, expected) => {
    expect(escapeHl7(input)).toBe(expected);
  });

  it('builds components, subcomponents and repetitions, dropping empty trailing fields', () => {
    expect(segment('PID', '1', '', { repeat: [['999', '', '', 'NHS', 'NH'], ['N1', '', '', 'RJE', 'PI']] }, '', ['O&Brien', 'Ann'], '', '', ''))
      .toBe('PID|1||999^^^NHS^NH~N1^^^RJE^PI||O\\T\\Brien^Ann');
    expect(segment('ZZZ', [['a', 'b'], 'c'])).toBe('ZZZ|a&b^c');
  });

  it('never escapes MSH-1 and MSH-2, and ends every segment with CR', () => {
    const m = message([msh({ sendingApplication: 'PAS', sendingFacility: 'RJE', receivingApplication: 'OHC', receivingFacility: 'OHC', time: '20250101120000', type: ['ADT', 'A01', 'ADT_A01'], controlId: 'RJE1' }), 'EVN|A01']);
    expect(m).toBe('MSH|^~\\&|PAS|RJE|OHC|OHC|20250101120000||ADT^A01^ADT_A01|RJE1|P|2.4|||AL|NE|GBR|UNICODE|EN\rEVN|A01\r');
  });
});
