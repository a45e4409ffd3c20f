import { describe, expect, it } from 'vitest';
import { storedBundleText } from './fhir.ts';

describe('storedBundleText', () => {
  const at = new Date('2025-06-15T10:00:00.123Z');
  it.each([
    ['compact', '{"resourceType":"Bundle","type":"batch","entry":[]}'],
    ['spaced, over lines', ' \n{ "resourceType" : "Bundle",\r\n  "type": "batch" }\n\t'],
    ['escapes and characters beyond ASCII', '{"resourceType":"Bundle","id":"\\"q\\"\\\\ \\u00e9 \\ud83d\\ude00","note":"Zoë 😀 \\n line"}'],
    ['a lone escaped surrogate', '{"resourceType":"Bundle","id":"\\ud800"}'],
  ])('holds the bundle as sent (%s): parsed, the same as the parsed bundle', (_name, raw) => {
    const stored = JSON.parse(storedBundleText(raw, [0, 2], at)) as unknown;
    expect(stored).toEqual({ bundle: JSON.parse(raw) as unknown, accepted: [0, 2], receivedAt: '2025-06-15T10:00:00.123Z' });
  });
});
