import { describe, it, expect } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { parse, parseBatch } from './parse.ts';
import { serialise } from './serialise.ts';

const ROOT = new URL('../../../../shared/data/hl7v2/', import.meta.url);
const read = (f: string): string => readFileSync(new URL(f, ROOT), 'latin1');

/** Every shared file → `messages:N` (parseBatch gives N messages, all parse) or the error code and field. */
const EXPECTED: Record<string, string> = {
  'hl7apy/parser_L184_m.hl7': 'error invalid-encoding-characters MSH-2',
  'hl7apy/parser_L187_m.hl7': 'error invalid-encoding-characters MSH-2',
  'hl7apy/parser_L192_m.hl7': 'error invalid-encoding-characters MSH-2',
  'hl7apy/parser_L200_m.hl7': 'error invalid-encoding-characters MSH-2',
  'hl7apy/parser_L203_m.hl7': 'error invalid-encoding-characters MSH-2',
  'hl7apy/parser_L211_m.hl7': 'error missing-message-type MSH-9',
  'hl7apy/parser_L215_m.hl7': 'error invalid-encoding-characters MSH-2',
  'hl7apy/parser_L218_m.hl7': 'error invalid-encoding-characters MSH-2',
  // Lines broken by copying from a PDF: MSH-2 itself is cut after "^".
  'nhs-itk-v24-examples/DHCW-Example-Pathology-Report-HL7v2ORU.hl7': 'error invalid-encoding-characters MSH-2',
  'nhs-itk-v24-examples/DHCW-Example-PathologyReport-withAttachementsAndRanges-HL7v2ORU.hl7': 'error invalid-encoding-characters MSH-2',
  'python-hl7/sample_bad_batch.hl7': 'error batch-structure',
  'python-hl7/sample_bad_batch1.hl7': 'error batch-structure',
  'python-hl7/sample_bad_file.hl7': 'error batch-structure',
  'python-hl7/sample_bad_file1.hl7': 'error batch-structure',
  'python-hl7/sample_bad_file2.hl7': 'error batch-structure',
  'python-hl7/sample_bad_file3.hl7': 'error batch-structure',
  'python-hl7/sample_batch1.hl7': 'messages:2',
  'python-hl7/sample_batch2.hl7': 'messages:2',
  'python-hl7/sample_file1.hl7': 'messages:3',
  'python-hl7/sample_file2.hl7': 'messages:2',
};

const files = readdirSync(ROOT, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .flatMap((d) => readdirSync(new URL(`${d.name}/`, ROOT)).map((f) => `${d.name}/${f}`))
  .sort();

function outcome(text: string): string {
  const b = parseBatch(text);
  if (!b.ok) return `error ${b.error.code}${b.error.where.field ? ` ${b.error.where.field}` : ''}`;
  const bad = b.batch.messages.find((m) => !m.result.ok)?.result;
  if (bad && !bad.ok) return `error ${bad.error.code}${bad.error.where.field ? ` ${bad.error.where.field}` : ''}`;
  return `messages:${b.batch.messages.length}`;
}

describe('every shared HL7 v2 file parses or fails precisely', () => {
  it('covers all 72 shared files', () => {
    expect(files.length).toBe(72);
  });

  it.each(files)('%s', (f) => {
    const text = read(f);
    expect(outcome(text)).toBe(EXPECTED[f] ?? 'messages:1');
  });

  it.each(files.filter((f) => !EXPECTED[f]?.startsWith('error')))('%s: every message serialises back to its own text', (f) => {
    const b = parseBatch(read(f));
    if (!b.ok) throw new Error(b.error.message);
    for (const item of b.batch.messages) {
      if (!item.result.ok) throw new Error(item.result.error.message);
      expect(serialise(item.result.message)).toBe(item.text + '\r');
      const again = parse(serialise(item.result.message));
      expect(again.ok && again.message).toEqual(item.result.message);
    }
  });
});
