/**
 * Acknowledgements in original mode: an ACK whose MSH swaps the sender and receiver of the
 * original, MSA echoing its control id, and for AE/AR an ERR segment naming segment, field and
 * reason in both the v2.4 (ERR-1) and v2.5+ (ERR-2, -3, -4, -8) layouts, so that either generation
 * of interface engine can read it. Works from a parsed message or, when the input was too broken to
 * parse, from whatever header fields `sniffHeader` could recover.
 */
import type { IngestError } from '../../ingest/sourceAction.ts';
import { escape } from './escape.ts';
import { fieldText, makeSegment, segment, value } from './access.ts';
import { formatHl7Timestamp } from './datetime.ts';
import { STANDARD_ENCODING, type Hl7Encoding, type Hl7Field, type Hl7Message, type Hl7Segment } from './model.ts';
import { readEncoding, splitField } from './parse.ts';

const KNOWN_SEGMENT = /^(EVN|PID|PD1|PV1|PV2|NK1|OBR|OBX|ORC|NTE|MSA|ERR|TXA|MRG|AL1|DG1|PR1|IN1|GT1|SPM|TQ1|QRD|QPD|QAK|RGS|SCH|BHS|BTS|FHS|FTS|MSH|Z[A-Z0-9]{2})[|^~\\&]/;

/** Header fields of the original message as wire text in `encoding` (each may be absent). */
export interface AckHeaderInfo {
  encoding: Hl7Encoding;
  sendingApplication?: string | undefined;
  sendingFacility?: string | undefined;
  receivingApplication?: string | undefined;
  receivingFacility?: string | undefined;
  controlId?: string | undefined;
  processingId?: string | undefined;
  version?: string | undefined;
  trigger?: string | undefined;
}

export type AckCode = 'AA' | 'AE' | 'AR';

/** HL7 table 0357 (message error condition codes) for our error codes. */
export function hl7ErrorCondition(code: string): { code: string; text: string } {
  switch (code) {
    case 'unsupported-message-type':
      return { code: '200', text: 'Unsupported message type' };
    case 'unsupported-event':
      return { code: '201', text: 'Unsupported event code' };
    case 'unsupported-processing-id':
      return { code: '202', text: 'Unsupported processing id' };
    case 'unsupported-version':
      return { code: '203', text: 'Unsupported version id' };
    case 'unknown-key':
    case 'unknown-sender':
      return { code: '204', text: 'Unknown key identifier' };
    case 'duplicate-key':
      return { code: '205', text: 'Duplicate key identifier' };
    case 'required-field-missing':
    case 'missing-message-type':
      return { code: '101', text: 'Required field missing' };
    case 'invalid-value':
    case 'invalid-field':
    case 'invalid-date':
      return { code: '102', text: 'Data type error' };
    case 'unknown-code':
      return { code: '103', text: 'Table value not found' };
    case 'missing-msh':
    case 'invalid-segment':
    case 'unexpected-segment':
    case 'truncated-message':
    case 'invalid-encoding-characters':
    case 'batch-structure':
    case 'empty-input':
    case 'segment-sequence':
      return { code: '100', text: 'Segment sequence error' };
    default:
      return { code: '207', text: 'Application internal error' };
  }
}

/** Header fields of a parsed message. */
export function headerInfo(msg: Hl7Message): AckHeaderInfo {
  const msh = segment(msg, 'MSH') as Hl7Segment;
  const enc = msg.encoding;
  return {
    encoding: enc,
    sendingApplication: fieldText(msh, enc, 3),
    sendingFacility: fieldText(msh, enc, 4),
    receivingApplication: fieldText(msh, enc, 5),
    receivingFacility: fieldText(msh, enc, 6),
    controlId: fieldText(msh, enc, 10),
    processingId: fieldText(msh, enc, 11),
    version: value(msh, enc, 12),
    trigger: value(msh, enc, 9, 2),
  };
}

/**
 * Best effort on input that failed to parse: finds a line starting MSH and reads what it can. When
 * the encoding characters are unusable, fields are split on the separator after `MSH` only and
 * carried as plain text (escaped into the standard encoding), so the ACK is always well formed.
 */
export function sniffHeader(text: string): AckHeaderInfo {
  const src = typeof text === 'string' ? text.slice(0, 64 * 1024) : '';
  const start = src.indexOf('MSH');
  if (start < 0 || start + 3 >= src.length) return { encoding: STANDARD_ENCODING };
  const rest = src.slice(start);
  const lines = rest.split(/\r\n|\r|\n/);
  let line = lines[0] ?? '';
  if (!readEncoding(line).ok) {
    // A header broken by stray line breaks (copied from a PDF): rejoin until the next real segment.
    for (let i = 1; i < lines.length && !KNOWN_SEGMENT.test(lines[i] ?? ''); i++) line += lines[i] ?? '';
  }
  const sep: string | undefined = line[3];
  if (sep === undefined || /[A-Za-z0-9\s]/.test(sep)) return { encoding: STANDARD_ENCODING };
  const parts = line.split(sep);
  const enc = readEncoding(line);
  const usable = enc.ok ? enc.encoding : undefined;
  const take = (n: number): string | undefined => {
    const raw = parts[n - 1];
    if (raw === undefined || raw === '') return undefined;
    return usable ? raw : escape(raw, STANDARD_ENCODING);
  };
  const trig = parts[8];
  const comp = usable?.component;
  return {
    encoding: usable ?? STANDARD_ENCODING,
    sendingApplication: take(3),
    sendingFacility: take(4),
    receivingApplication: take(5),
    receivingFacility: take(6),
    controlId: take(10),
    processingId: take(11),
    version: usable ? take(12)?.split(usable.component)[0] : undefined,
    trigger: comp && trig ? trig.split(comp)[1] : undefined,
  };
}

function rawField(text: string | undefined, enc: Hl7Encoding): Hl7Field {
  return text === undefined ? [[['']]] : splitField(text, enc);
}

/** `PID-3`, `PID-3.1`, `PID-3[2].1` → numbers for ERR locations. */
function locate(field: string | undefined): { segment?: string; field?: number; repetition?: number; component?: number; subcomponent?: number } {
  if (!field) return {};
  const m = /^([A-Z][A-Z0-9]{2})(?:\[\d+\])?-(\d+)(?:\[(\d+)\])?(?:\.(\d+))?(?:\.(\d+))?/.exec(field);
  if (!m) return {};
  const num = (s: string | undefined): number | undefined => (s === undefined ? undefined : Number(s));
  return { segment: m[1], field: Number(m[2]), repetition: num(m[3]), component: num(m[4]), subcomponent: num(m[5]) };
}

/**
 * The ACK for `source`. `controlId` is the ACK's own MSH-10; `now` its MSH-7. The error is required
 * in spirit for AE/AR (without one a generic ERR is still written so the sender sees a reason).
 */
export function buildAck(source: Hl7Message | AckHeaderInfo, code: AckCode, error: IngestError | undefined, controlId: string, now: Date): Hl7Message {
  const info = 'segments' in source ? headerInfo(source) : source;
  const enc = info.encoding;
  const trigger = info.trigger;
  const version = info.version ?? '2.4';
  const msh: Hl7Segment = {
    name: 'MSH',
    fields: [
      [[[enc.field]]],
      [[[enc.component + enc.repetition + enc.escape + enc.subcomponent + (enc.truncation ?? '')]]],
      rawField(info.receivingApplication, enc),
      rawField(info.receivingFacility, enc),
      rawField(info.sendingApplication, enc),
      rawField(info.sendingFacility, enc),
      [[[formatHl7Timestamp(now)]]],
      [[['']]],
      trigger ? [[[escape('ACK', enc)], [escape(trigger, enc)], ['ACK']]] : [[['ACK']]],
      [[[escape(controlId, enc)]]],
      rawField(info.processingId ?? 'P', enc),
      [[[escape(version, enc)]]],
    ],
  };
  const err = code === 'AA' ? undefined : (error ?? { code: code === 'AR' ? 'rejected' : 'application-error', message: 'the message was not accepted', where: {} });
  const msa = makeSegment('MSA', enc, [code, undefined, err?.message]);
  msa.fields[1] = rawField(info.controlId, enc);
  if (err?.message === undefined) msa.fields.length = 2;
  const segments = [msh, msa];
  if (err) {
    const where = err.where;
    const loc = locate(where.field);
    const segName = loc.segment ?? where.segment;
    const occurrence = 'segments' in source ? occurrenceOf(source, segName, where.segmentIndex) : 1;
    const cond = hl7ErrorCondition(err.code);
    const n = (x: number | undefined): string | undefined => (x === undefined ? undefined : String(x));
    const seq = segName ? String(occurrence) : undefined;
    segments.push(
      makeSegment('ERR', enc, [
        // ERR-1 (v2.4 ELD): segment ^ sequence ^ field ^ error code (CE in subcomponents).
        segName ? [segName, seq, n(loc.field), [cond.code, cond.text, 'HL70357']] : [undefined, undefined, undefined, [cond.code, cond.text, 'HL70357']],
        // ERR-2 (v2.5 ERL): segment ^ sequence ^ field ^ repetition ^ component ^ subcomponent.
        segName ? [segName, seq, n(loc.field), n(loc.field === undefined ? undefined : (loc.repetition ?? 1)), n(loc.component), n(loc.subcomponent)] : undefined,
        [cond.code, cond.text, 'HL70357'],
        'E',
        [err.code, undefined, 'OHC'],
        undefined,
        undefined,
        err.message,
      ]),
    );
  }
  return { encoding: enc, segments };
}

function occurrenceOf(msg: Hl7Message, name: string | undefined, segmentIndex: number | undefined): number {
  if (!name || segmentIndex === undefined) return 1;
  let seen = 0;
  for (let i = 0; i < msg.segments.length && i < segmentIndex; i++) if (msg.segments[i]?.name === name) seen++;
  return Math.max(seen, 1);
}
