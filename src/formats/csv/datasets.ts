/**
 * The CSV extract datasets partners send (INTERFACES.md) and how a file's header names its dataset.
 * A header must be exactly one dataset's column set: a missing or an unknown column is refused for
 * the whole file, because a mis-mapped column would put values in the wrong place on every row.
 */

export const CSV_DATASETS = {
  persons: [
    'local_id',
    'nhs_number',
    'family_name',
    'given_names',
    'date_of_birth',
    'sex',
    'address_line_1',
    'address_line_2',
    'town',
    'postcode',
    'phone',
  ],
  involvements: ['local_id', 'involvement_id', 'service', 'team', 'worker_role', 'start_date', 'end_date', 'status'],
} as const satisfies Record<string, readonly string[]>;

export type CsvDatasetName = keyof typeof CSV_DATASETS;
export type CsvColumn<D extends CsvDatasetName> = (typeof CSV_DATASETS)[D][number];

/** A problem with the file as a whole or one of its rows; `column` is a header name when known. */
export interface CsvProblem {
  code:
    | 'empty-file'
    | 'unknown-dataset'
    | 'missing-column'
    | 'unknown-column'
    | 'duplicate-column'
    | 'malformed-quoting'
    | 'malformed-csv'
    | 'wrong-field-count'
    | 'invalid-encoding';
  message: string;
  line: number;
  column?: string | undefined;
}

export type DatasetDetection =
  | { ok: true; dataset: CsvDatasetName; columns: string[] }
  | { ok: false; problem: CsvProblem };

/** Which dataset a header row names; `line` is the header's physical line (for the error). */
export function detectDataset(header: readonly string[], line = 1): DatasetDetection {
  const seen = new Set(header);

  // The closest dataset is the one sharing most columns; its differences are what we report.
  let best: { dataset: CsvDatasetName; shared: number } | null = null;
  for (const dataset of Object.keys(CSV_DATASETS) as CsvDatasetName[]) {
    const shared = CSV_DATASETS[dataset].filter((c) => seen.has(c)).length;
    if (!best || shared > best.shared) best = { dataset, shared };
  }
  // local_id alone is shared by every dataset, so it names none of them.
  if (!best || best.shared <= 1) {
    return {
      ok: false,
      problem: { code: 'unknown-dataset', message: `the header matches no known dataset (${Object.keys(CSV_DATASETS).join(', ')})`, line },
    };
  }
  const expected: readonly string[] = CSV_DATASETS[best.dataset];
  // Checked only once the row is known to be a header, so that a data row is never echoed back.
  const duplicate = header.find((c, i) => header.indexOf(c) !== i);
  if (duplicate !== undefined) {
    return {
      ok: false,
      problem: { code: 'duplicate-column', message: `column ${duplicate} appears more than once in the header`, line, column: duplicate },
    };
  }
  const missing = expected.find((c) => !seen.has(c));
  if (missing !== undefined) {
    return {
      ok: false,
      problem: { code: 'missing-column', message: `the ${best.dataset} header lacks the required column ${missing}`, line, column: missing },
    };
  }
  const unknown = header.find((c) => !expected.includes(c));
  if (unknown !== undefined) {
    return {
      ok: false,
      problem: { code: 'unknown-column', message: `column ${unknown} is not part of the ${best.dataset} dataset`, line, column: unknown },
    };
  }
  return { ok: true, dataset: best.dataset, columns: [...header] };
}
