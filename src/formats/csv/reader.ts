/**
 * Streaming reader for CSV extracts: RFC 4180 via csv-parse, the dataset named by the header, and
 * every row with the physical line it starts on. Nothing is relaxed silently: a row with the wrong
 * number of fields is reported as that row's problem, and malformed quoting ends the file with an
 * error naming the line and column (after it the parser cannot know where records begin).
 */
import { parse, CsvError } from 'csv-parse';
import { detectDataset, type CsvDatasetName, type CsvProblem } from './datasets.ts';

export interface CsvRow {
  /** 1-based physical line the record starts on (a quoted field may span several lines). */
  line: number;
  /** Cell values by header name, exactly as sent (no trimming). */
  values: Record<string, string>;
}

export type CsvEvent =
  | { kind: 'header'; dataset: CsvDatasetName; columns: string[]; line: number }
  | { kind: 'row'; dataset: CsvDatasetName; row: CsvRow }
  | { kind: 'row-problem'; dataset: CsvDatasetName; line: number; problem: CsvProblem }
  /** Terminal: nothing follows a file problem. */
  | { kind: 'file-problem'; problem: CsvProblem };

export type CsvSource = string | Uint8Array | AsyncIterable<string | Uint8Array> | Iterable<string | Uint8Array>;

interface ParsedRecord {
  record: string[];
  info: { lines: number; empty_lines: number };
}

const QUOTING_CODES = new Set(['CSV_QUOTE_NOT_CLOSED', 'INVALID_OPENING_QUOTE', 'CSV_INVALID_CLOSING_QUOTE']);

/** Reads one extract; yields its header, then its rows and row problems, or one file problem. */
export async function* readCsvExtract(source: CsvSource): AsyncGenerator<CsvEvent> {
  const chunks: AsyncIterable<string | Uint8Array> | Iterable<string | Uint8Array> =
    typeof source === 'string' || source instanceof Uint8Array ? [source] : source;
  // Records are taken as csv-parse recognises them (on_record), not from its readable side: a
  // stream iterator drops records still buffered when the parser fails, and those rows are good.
  const parsed: ParsedRecord[] = [];
  let failure: unknown = null;
  const parser = parse({
    bom: true,
    encoding: 'utf8',
    // We check the field count ourselves so that the row is reported with its line, not dropped.
    relax_column_count: true,
    // Blank lines carry no record (a trailing newline is the usual case); line numbers still count them.
    skip_empty_lines: true,
    on_record: (record: string[], context: { lines: number; empty_lines: number }) => {
      parsed.push({ record, info: { lines: context.lines, empty_lines: context.empty_lines } });
      return null;
    },
  });
  parser.on('error', (e) => {
    failure ??= e;
  });
  parser.resume();

  const state: ReaderState = { header: null, lastEndLine: 0, lastEmptyLines: 0 };
  for await (const chunk of chunks) {
    await new Promise<void>((resolve) => parser.write(chunk, () => resolve()));
    for (const event of drain(parsed, state)) {
      yield event;
      if (event.kind === 'file-problem') return;
    }
    if (failure) break;
  }
  if (!failure) {
    await new Promise<void>((resolve) => {
      parser.once('finish', resolve);
      parser.once('error', () => resolve());
      parser.end();
    });
    for (const event of drain(parsed, state)) {
      yield event;
      if (event.kind === 'file-problem') return;
    }
  }
  if (failure) {
    yield { kind: 'file-problem', problem: parserProblem(failure, state) };
    return;
  }
  if (!state.header) yield { kind: 'file-problem', problem: { code: 'empty-file', message: 'the file has no header row', line: 1 } };
}

interface ReaderState {
  header: { dataset: CsvDatasetName; columns: string[] } | null;
  lastEndLine: number;
  lastEmptyLines: number;
}

function* drain(parsed: ParsedRecord[], state: ReaderState): Generator<CsvEvent> {
  while (parsed.length > 0) {
    const { record, info } = parsed.shift() as ParsedRecord;
    const line = state.lastEndLine + 1 + (info.empty_lines - state.lastEmptyLines);
    state.lastEndLine = info.lines;
    state.lastEmptyLines = info.empty_lines;

    if (!state.header) {
      const detected = detectDataset(record, line);
      if (!detected.ok) {
        yield { kind: 'file-problem', problem: detected.problem };
        return;
      }
      state.header = { dataset: detected.dataset, columns: detected.columns };
      yield { kind: 'header', dataset: detected.dataset, columns: detected.columns, line };
      continue;
    }
    const { dataset, columns } = state.header;
    if (record.length !== columns.length) {
      yield {
        kind: 'row-problem',
        dataset,
        line,
        problem: { code: 'wrong-field-count', message: `line ${line} has ${record.length} fields where the header has ${columns.length}`, line },
      };
      continue;
    }
    const values: Record<string, string> = {};
    let badColumn: string | undefined;
    columns.forEach((name, i) => {
      const v = record[i] ?? '';
      // U+FFFD is what the decoder leaves for bytes that are not UTF-8.
      if (badColumn === undefined && v.includes('\uFFFD')) badColumn = name;
      values[name] = v;
    });
    if (badColumn !== undefined) {
      yield {
        kind: 'row-problem',
        dataset,
        line,
        problem: { code: 'invalid-encoding', message: `${badColumn} on line ${line} is not valid UTF-8`, line, column: badColumn },
      };
      continue;
    }
    yield { kind: 'row', dataset, row: { line, values } };
  }
}

function parserProblem(e: unknown, state: ReaderState): CsvProblem {
  // The failing record starts after the last complete one; csv-parse's own line is where it gave up.
  const line = state.lastEndLine + 1;
  if (e instanceof CsvError && QUOTING_CODES.has(e.code)) {
    const index = typeof e.index === 'number' ? e.index : undefined;
    const column = state.header && index !== undefined ? state.header.columns[index] : undefined;
    const where = column ? `field ${column}` : index !== undefined ? `field ${index + 1}` : 'a field';
    return {
      code: 'malformed-quoting',
      message: `malformed quoting in ${where} of the record starting on line ${line} (${describeQuoting(e.code)})`,
      line,
      column,
    };
  }
  const code = e instanceof CsvError ? e.code : 'unreadable';
  return { code: 'malformed-csv', message: `the file is not valid CSV (${code}) from line ${line}`, line };
}

function describeQuoting(code: string): string {
  if (code === 'CSV_QUOTE_NOT_CLOSED') return 'a quote is opened and never closed';
  if (code === 'INVALID_OPENING_QUOTE') return 'a quote appears inside an unquoted field';
  return 'a closing quote is followed by something other than a separator';
}
