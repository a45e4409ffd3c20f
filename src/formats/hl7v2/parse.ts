/**
 * Parsing HL7 v2 text into the message model, and batch files (FHS/BHS … BTS/FTS) into messages.
 * Encoding characters come from each header segment (MSH-1/MSH-2), never assumed. Segments end at
 * CR, LF or CRLF. Failures are values naming the segment, field and reason; the parser never throws
 * on any input and runs in time linear in the input.
 */
import type { IngestError } from '../../ingest/sourceAction.ts';
import { HEADER_SEGMENTS, type Hl7Encoding, type Hl7Field, type Hl7Message, type Hl7Repetition, type Hl7Segment } from './model.ts';

export type ParseResult = { ok: true; message: Hl7Message } | { ok: false; error: IngestError };

export interface ParseOptions {
  /** Refuse input longer than this many characters (default 64 MiB). */
  maxLength?: number;
}

const DEFAULT_MAX_LENGTH = 64 * 1024 * 1024;
const SEGMENT_NAME = /^[A-Z][A-Z0-9]{2}$/;

function fail(code: string, message: string, where: IngestError['where'], hl7AckCode: 'AE' | 'AR' = 'AR'): { ok: false; error: IngestError } {
  return { ok: false, error: { code, message, where, hl7AckCode } };
}

/** Physical lines of the input: CR, LF and CRLF all end a segment; blank lines are dropped. */
export function splitSegments(text: string): { text: string; line: number }[] {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const out: { text: string; line: number }[] = [];
  // Most messages end segments with CR alone (the standard); a plain split is then the same as the pattern's.
  const lines = body.includes('\n') ? body.split(/\r\n|\r|\n/) : body.split('\r');
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i] as string;
    if (l.trim() === '') continue;
    out.push({ text: l, line: i + 1 });
  }
  return out;
}

/** Reads the field separator and encoding characters of an MSH/BHS/FHS line. */
export function readEncoding(line: string, segmentIndex = 1): { ok: true; encoding: Hl7Encoding } | { ok: false; error: IngestError } {
  const name = line.slice(0, 3);
  if (line.length < 4) {
    return fail('truncated-message', `${name} ends before its field separator (${name}-1)`, { segment: name, segmentIndex, field: `${name}-1` });
  }
  const field = line[3] as string;
  if (field === '\r' || field === '\n' || /[A-Za-z0-9 ]/.test(field)) {
    return fail('invalid-encoding-characters', `${name}-1 field separator is not a usable character`, { segment: name, segmentIndex, field: `${name}-1` });
  }
  const end = line.indexOf(field, 4);
  const chars = end < 0 ? line.slice(4) : line.slice(4, end);
  const where = { segment: name, segmentIndex, field: `${name}-2` };
  if (chars.length !== 4 && chars.length !== 5) {
    return fail('invalid-encoding-characters', `${name}-2 must hold 4 or 5 encoding characters, found ${chars.length}`, where);
  }
  const all = field + chars;
  if (new Set(all).size !== all.length) {
    return fail('invalid-encoding-characters', `${name}-2 encoding characters are not distinct from each other and from ${name}-1`, where);
  }
  if (/[\s]/.test(chars)) {
    return fail('invalid-encoding-characters', `${name}-2 encoding characters include white space`, where);
  }
  const [component, repetition, escape, subcomponent, truncation] = [...chars] as [string, string, string, string, string | undefined];
  return { ok: true, encoding: { field, component, repetition, escape, subcomponent, truncation } };
}

// Empty fields are most fields of most segments: they share one tree instead of three new arrays
// each. Frozen, so that nothing can change every empty field at once.
const EMPTY_FIELD: Hl7Field = Object.freeze([Object.freeze([Object.freeze([''])])]) as unknown as Hl7Field;

/** One field's wire text as its tree of repetitions, components and subcomponents (leaves stay wire text). */
export function splitField(raw: string, enc: Hl7Encoding): Hl7Field {
  if (raw === '') return EMPTY_FIELD;
  // Fast path: most fields hold a single value, and a multi-megabyte Base64 OBX-5 has no separators.
  if (!raw.includes(enc.repetition) && !raw.includes(enc.component) && !raw.includes(enc.subcomponent)) {
    return [[[raw]]];
  }
  // Loops rather than nested map callbacks: every field of every message received comes through here.
  const reps = raw.split(enc.repetition);
  const field: Hl7Field = new Array<Hl7Repetition>(reps.length);
  for (let i = 0; i < reps.length; i++) {
    const comps = (reps[i] as string).split(enc.component);
    const rep: Hl7Repetition = new Array<string[]>(comps.length);
    for (let j = 0; j < comps.length; j++) {
      const comp = comps[j] as string;
      rep[j] = comp.includes(enc.subcomponent) ? comp.split(enc.subcomponent) : [comp];
    }
    field[i] = rep;
  }
  return field;
}

/** One segment line under a known encoding. Header segments keep MSH-1 and MSH-2 as single leaves. */
export function parseSegment(line: string, enc: Hl7Encoding): Hl7Segment {
  const parts = line.split(enc.field);
  const name = parts[0] as string;
  if (HEADER_SEGMENTS.has(name)) {
    const chars = parts[1] ?? '';
    const fields: Hl7Field[] = [[[[enc.field]]], [[[chars]]]];
    for (let i = 2; i < parts.length; i++) fields.push(splitField(parts[i] as string, enc));
    return { name, fields };
  }
  const fields: Hl7Field[] = new Array<Hl7Field>(parts.length - 1);
  for (let i = 1; i < parts.length; i++) fields[i - 1] = splitField(parts[i] as string, enc);
  return { name, fields };
}

function checkName(line: string, enc: Hl7Encoding, segmentIndex: number, lineNo: number): IngestError | null {
  const name = line.slice(0, 3);
  if (!SEGMENT_NAME.test(name) || (line.length > 3 && line[3] !== enc.field)) {
    return {
      code: 'invalid-segment',
      message: `line ${lineNo} does not start with a segment name followed by the field separator (a line break inside a field?)`,
      where: { segmentIndex, line: lineNo },
      hl7AckCode: 'AE',
    };
  }
  return null;
}

/** Builds a message from its segment lines (the first must be MSH). */
function parseLines(lines: { text: string; line: number }[]): ParseResult {
  const first = lines[0];
  if (!first) return fail('empty-input', 'the input holds no segments', {});
  if (!first.text.startsWith('MSH')) {
    const batchy = /^(FHS|BHS)/.test(first.text) ? ' (it starts a batch file: use parseBatch)' : '';
    return fail('missing-msh', `the message does not start with an MSH segment${batchy}`, { segmentIndex: 1, line: first.line });
  }
  const encResult = readEncoding(first.text, 1);
  if (!encResult.ok) return encResult;
  const enc = encResult.encoding;
  const segments: Hl7Segment[] = [];
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i] as { text: string; line: number };
    const bad = checkName(l.text, enc, i + 1, l.line);
    if (bad) return { ok: false, error: bad };
    const seg = parseSegment(l.text, enc);
    if (i > 0 && (HEADER_SEGMENTS.has(seg.name) || seg.name === 'BTS' || seg.name === 'FTS')) {
      return fail(
        'unexpected-segment',
        `${seg.name} at segment ${i + 1} belongs to a batch or another message; use parseBatch for files holding many messages`,
        { segment: seg.name, segmentIndex: i + 1, line: l.line },
        'AE',
      );
    }
    segments.push(seg);
  }
  const msh = segments[0] as Hl7Segment;
  if (msh.fields.length < 9) {
    return fail('truncated-message', `MSH ends after ${msh.fields.length} fields, before MSH-9 (message type)`, { segment: 'MSH', segmentIndex: 1, field: 'MSH-9' });
  }
  const type = msh.fields[8]?.[0]?.[0]?.[0] ?? '';
  if (type === '') {
    return fail('missing-message-type', 'MSH-9 (message type) is empty', { segment: 'MSH', segmentIndex: 1, field: 'MSH-9' });
  }
  return { ok: true, message: { encoding: enc, segments } };
}

/** Parses exactly one message. */
export function parse(text: string, options: ParseOptions = {}): ParseResult {
  if (typeof text !== 'string') return fail('empty-input', 'the input is not text', {});
  const max = options.maxLength ?? DEFAULT_MAX_LENGTH;
  if (text.length > max) return fail('input-too-large', `the input is longer than ${max} characters`, {});
  return parseLines(splitSegments(text));
}

export interface BatchItem {
  /** The message's own segments joined with CR: what to store as a dead letter or replay. */
  text: string;
  result: ParseResult;
}

export interface Hl7Batch {
  fileHeader?: Hl7Segment | undefined;
  fileTrailer?: Hl7Segment | undefined;
  batchHeaders: Hl7Segment[];
  batchTrailers: Hl7Segment[];
  messages: BatchItem[];
  /** Tolerated irregularities: a missing trailer, a trailer count that disagrees. */
  warnings: string[];
}

export type BatchResult = { ok: true; batch: Hl7Batch } | { ok: false; error: IngestError };

/**
 * Splits a file or batch into messages. A plain run of messages (no FHS/BHS) is accepted too, so
 * this is the entry point for any file. Each message gets its own parse result, so one bad message
 * does not sink its neighbours; a broken envelope (nested headers, segments outside any message)
 * fails the whole batch.
 */
export function parseBatch(text: string, options: ParseOptions = {}): BatchResult {
  if (typeof text !== 'string') return fail('empty-input', 'the input is not text', {});
  const max = options.maxLength ?? DEFAULT_MAX_LENGTH;
  if (text.length > max) return fail('input-too-large', `the input is longer than ${max} characters`, {});
  const lines = splitSegments(text);
  if (lines.length === 0) return fail('empty-input', 'the input holds no segments', {});
  const batch: Hl7Batch = { batchHeaders: [], batchTrailers: [], messages: [], warnings: [] };
  let inBatch = false;
  let batchCount = 0;
  let current: { text: string; line: number }[] | null = null;
  let messagesInBatch = 0;
  let fileClosed = false;
  let lastEnc: Hl7Encoding | null = null;
  const flush = (): void => {
    if (current) {
      const result = parseLines(current);
      if (result.ok) lastEnc = result.message.encoding;
      batch.messages.push({ text: current.map((l) => l.text).join('\r'), result });
      messagesInBatch++;
      current = null;
    }
  };
  const structure = (message: string, segmentIndex: number, line: number, segment?: string): BatchResult =>
    fail('batch-structure', message, { segment, segmentIndex, line }, 'AR');

  for (let i = 0; i < lines.length; i++) {
    const l = lines[i] as { text: string; line: number };
    const name = l.text.slice(0, 3);
    const idx = i + 1;
    if (fileClosed) return structure(`${name} follows the file trailer FTS`, idx, l.line, name);
    if (name === 'FHS' || name === 'BHS') {
      flush();
      const enc = readEncoding(l.text, idx);
      if (!enc.ok) return enc;
      lastEnc = enc.encoding;
      const seg = parseSegment(l.text, enc.encoding);
      if (name === 'FHS') {
        if (i !== 0) return structure('FHS (file header) appears after the start of the file', idx, l.line, name);
        batch.fileHeader = seg;
      } else {
        if (inBatch) return structure('BHS opens a batch before the previous batch was closed by BTS', idx, l.line, name);
        inBatch = true;
        batchCount++;
        messagesInBatch = 0;
        batch.batchHeaders.push(seg);
      }
      continue;
    }
    if (name === 'MSH') {
      flush();
      current = [l];
      continue;
    }
    if (name === 'BTS' || name === 'FTS') {
      flush();
      const enc: Hl7Encoding | null = lastEnc;
      const seg = enc ? parseSegment(l.text, enc) : { name, fields: [] };
      const count = seg.fields[0]?.[0]?.[0]?.[0];
      if (name === 'BTS') {
        if (!inBatch) batch.warnings.push(`BTS at segment ${idx} closes a batch that had no BHS`);
        if (count !== undefined && count !== '' && Number(count) !== messagesInBatch) {
          batch.warnings.push(`BTS-1 says ${count} messages, the batch holds ${messagesInBatch}`);
        }
        if (!inBatch) batchCount++;
        inBatch = false;
        batch.batchTrailers.push(seg);
      } else {
        if (!batch.fileHeader) batch.warnings.push(`FTS at segment ${idx} closes a file that had no FHS`);
        if (inBatch) {
          batch.warnings.push('the last batch has no BTS');
          inBatch = false;
        }
        const expected = batchCount > 0 ? batchCount : batch.messages.length;
        if (count !== undefined && count !== '' && Number(count) !== expected) {
          batch.warnings.push(`FTS-1 says ${count}, the file holds ${expected} ${batchCount > 0 ? 'batches' : 'messages'}`);
        }
        batch.fileTrailer = seg;
        fileClosed = true;
      }
      messagesInBatch = name === 'BTS' ? 0 : messagesInBatch;
      continue;
    }
    if (!current) {
      return structure(`${SEGMENT_NAME.test(name) ? name : 'a line'} at segment ${idx} lies outside any message (no MSH before it)`, idx, l.line, SEGMENT_NAME.test(name) ? name : undefined);
    }
    current.push(l);
  }
  flush();
  if (inBatch) batch.warnings.push('the last batch has no BTS');
  if (batch.fileHeader && !batch.fileTrailer) batch.warnings.push('the file has no FTS');
  if (batch.messages.length === 0) return fail('missing-msh', 'the input holds no MSH segment', {});
  return { ok: true, batch };
}
