import { describe, it, expect } from 'vitest';
import { CSV_DATASETS, detectDataset } from './datasets.ts';

const persons = [...CSV_DATASETS.persons];
const involvements = [...CSV_DATASETS.involvements];

describe('detectDataset', () => {
  it.each([
    ['persons in the documented order', persons, 'persons'],
    ['persons in another order', [...persons].reverse(), 'persons'],
    ['involvements', involvements, 'involvements'],
  ])('names %s', (_name, header, dataset) => {
    const d = detectDataset(header);
    expect(d).toEqual({ ok: true, dataset, columns: header });
  });

  it.each([
    ['a missing persons column', persons.filter((c) => c !== 'postcode'), 'missing-column', 'postcode'],
    ['a missing local_id', persons.filter((c) => c !== 'local_id'), 'missing-column', 'local_id'],
    ['an unknown extra column', [...persons, 'email'], 'unknown-column', 'email'],
    ['a column of another dataset', [...persons, 'involvement_id'], 'unknown-column', 'involvement_id'],
    ['a missing involvements column', involvements.filter((c) => c !== 'status'), 'missing-column', 'status'],
    ['a duplicated column', [...persons, 'phone'], 'duplicate-column', 'phone'],
  ])('refuses %s, naming the column', (_name, header, code, column) => {
    const d = detectDataset(header, 1);
    expect(d.ok).toBe(false);
    if (!d.ok) expect(d.problem).toMatchObject({ code, column, line: 1 });
  });

  it.each([
    ['a data row instead of a header', ['P1', '9434765919', 'SMITH', 'Jo']],
    ['only local_id', ['local_id']],
    ['an empty header', ['']],
  ])('finds no dataset for %s and does not echo its cells', (_name, header) => {
    const d = detectDataset(header, 1);
    expect(d.ok).toBe(false);
    if (!d.ok) {
      expect(d.problem.code).toBe('unknown-dataset');
      for (const cell of header.filter((c) => c.length > 2)) expect(d.problem.message).not.toContain(cell);
    }
  });
});
