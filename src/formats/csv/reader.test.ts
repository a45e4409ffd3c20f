import { describe, it, expect } from 'vitest';
import { readCsvExtract, type CsvEvent } from './reader.ts';
import { CSV_DATASETS } from './datasets.ts';

const PERSONS = CSV_DATASETS.persons.join(',');
const row = (id: string, extra = ',,,,,,,,,,') => `${id}${extra}`;

async function collect(source: Parameters<typeof readCsvExtract>[0]): Promise<CsvEvent[]> {
  const out: CsvEvent[] = [];
  for await (const e of readCsvExtract(source)) out.push(e);
  return out;
}

describe('readCsvExtract', () => {
  it('detects the dataset and yields rows keyed by column with physical line numbers', async () => {
    const text = `${PERSONS}\n${row('P1')}\n"P2","","SMITH","Jo ""Jay""\nAnn",,,,,,,\n\n${row('P3')}\n`;
    const events = await collect(text);
    expect(events[0]).toEqual({ kind: 'header', dataset: 'persons', columns: [...CSV_DATASETS.persons], line: 1 });
    const rows = events.filter((e) => e.kind === 'row');
    expect(rows.map((e) => e.row.line)).toEqual([2, 3, 6]);
    expect(rows[1]?.row.values).toMatchObject({ local_id: 'P2', family_name: 'SMITH', given_names: 'Jo "Jay"\nAnn', phone: '' });
  });

  it.each([
    ['a UTF-8 byte order mark', `\uFEFF${PERSONS}\n${row('P1')}\n`],
    ['CRLF line ends', `${PERSONS}\r\n${row('P1')}\r\n`],
    ['no final newline', `${PERSONS}\n${row('P1')}`],
  ])('accepts %s', async (_name, text) => {
    const events = await collect(text);
    expect(events.map((e) => e.kind)).toEqual(['header', 'row']);
    const r = events[1];
    expect(r?.kind === 'row' && r.row.values.local_id).toBe('P1');
  });

  it('streams from chunks split anywhere, including inside a multi-byte character', async () => {
    const bytes = new TextEncoder().encode(`${PERSONS}\nP1,,Ó Súilleabháin,,,,,,,,\n`);
    const chunks = Array.from({ length: bytes.length }, (_v, i) => bytes.slice(i, i + 1));
    const events = await collect(chunks);
    const r = events[1];
    expect(r?.kind === 'row' && r.row.values.family_name).toBe('Ó Súilleabháin');
  });

  it.each([
    ['too few fields', `${PERSONS}\n${row('P1')}\nP2,,\n${row('P3')}\n`, 3],
    ['too many fields', `${PERSONS}\n${row('P1')}\n${row('P2')},x\n${row('P3')}\n`, 3],
  ])('reports a row with %s on its line and carries on', async (_name, text, line) => {
    const events = await collect(text);
    expect(events.map((e) => e.kind)).toEqual(['header', 'row', 'row-problem', 'row']);
    expect(events[2]).toMatchObject({ kind: 'row-problem', line, problem: { code: 'wrong-field-count', line } });
  });

  it('reports bytes that are not UTF-8 with line and column', async () => {
    const head = new TextEncoder().encode(`${PERSONS}\nP1,,`);
    const tail = new TextEncoder().encode(',,,,,,,,\n');
    const bytes = new Uint8Array([...head, 0xff, 0xfe, ...tail]);
    const events = await collect(bytes);
    expect(events[1]).toMatchObject({ kind: 'row-problem', problem: { code: 'invalid-encoding', line: 2, column: 'family_name' } });
  });

  it.each([
    ['an unclosed quote', `${PERSONS}\n${row('P1')}\nP2,"999,,,,,,,,,\n${row('P3')}\n`, 3, 'nhs_number'],
    ['a quote inside an unquoted field', `${PERSONS}\n${row('P1')}\nP2,,SM"ITH,,,,,,,,\n`, 3, 'family_name'],
    ['text after a closing quote', `${PERSONS}\n${row('P1')}\n${row('P2')}\nP3,,"SMITH"x,,,,,,,,\n`, 4, 'family_name'],
  ])('ends the file at %s with line and column, without echoing the value', async (_name, text, line, column) => {
    const events = await collect(text);
    const last = events.at(-1);
    expect(last).toMatchObject({ kind: 'file-problem', problem: { code: 'malformed-quoting', line, column } });
    expect(last?.kind === 'file-problem' && last.problem.message).not.toMatch(/SMITH|999/);
  });

  it.each([
    ['an empty file', '', 'empty-file'],
    ['a header with an unknown column', `${PERSONS},email\n${row('P1')},x\n`, 'unknown-column'],
    ['a header missing a column', `${CSV_DATASETS.persons.slice(0, -1).join(',')}\n`, 'missing-column'],
    ['a headerless file', `${row('P1')}\n`, 'unknown-dataset'],
  ])('refuses %s as a whole', async (_name, text, code) => {
    const events = await collect(text);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ kind: 'file-problem', problem: { code, line: 1 } });
  });

  it('reads the involvements dataset', async () => {
    const text = `${CSV_DATASETS.involvements.join(',')}\nP1,I1,adult-social-care,North,social worker,2024-01-02,,open\n`;
    const events = await collect(text);
    expect(events[1]).toMatchObject({ kind: 'row', dataset: 'involvements', row: { line: 2, values: { involvement_id: 'I1', status: 'open' } } });
  });
});
