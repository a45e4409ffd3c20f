/**
 * Writing HL7 v2.4 as the trusts send it: the standard encoding characters |^~\&, escapes for
 * data that contains them, and segments ended by CR. The generator's own small writer, kept
 * apart from the ingest parser (src/formats/hl7v2) so each can test the other.
 *
 * File layout: every segment ends with CR (0x0D) and every message is followed by one LF (0x0A),
 * so a file splits into messages on LF and a message into segments on CR. Data never contains
 * either: line breaks inside text are escaped (\X0D\, \X0A\).
 */

/** A component: plain text, or its subcomponents. */
export type Hl7Component = string | readonly string[];
/** A field: plain text, its components, or repetitions of either. */
export type Hl7Field = string | readonly Hl7Component[] | { readonly repeat: readonly (string | readonly Hl7Component[])[] };

/** Escapes the five HL7 delimiters and line breaks (escape character first, so escapes are not re-escaped). */
export function escapeHl7(text: string): string {
  if (!/[|^~\\&\r\n]/.test(text)) return text;
  let out = '';
  for (const ch of text) {
    switch (ch) {
      case '\\': out += '\\E\\'; break;
      case '|': out += '\\F\\'; break;
      case '^': out += '\\S\\'; break;
      case '~': out += '\\R\\'; break;
      case '&': out += '\\T\\'; break;
      case '\r': out += '\\X0D\\'; break;
      case '\n': out += '\\X0A\\'; break;
      default: out += ch;
    }
  }
  return out;
}

function trimTrailing(parts: string[]): string[] {
  let end = parts.length;
  while (end > 0 && parts[end - 1] === '') end--;
  return parts.slice(0, end);
}

function component(c: Hl7Component): string {
  return typeof c === 'string' ? escapeHl7(c) : trimTrailing(c.map(escapeHl7)).join('&');
}

function repetition(r: string | readonly Hl7Component[]): string {
  return typeof r === 'string' ? escapeHl7(r) : trimTrailing(r.map(component)).join('^');
}

export function encodeField(f: Hl7Field): string {
  if (typeof f === 'string') return escapeHl7(f);
  if ('repeat' in f) return f.repeat.map(repetition).join('~');
  return repetition(f);
}

/** A segment (without its CR): `PID|1||…`, empty trailing fields left out. */
export function segment(id: string, ...fields: Hl7Field[]): string {
  return [id, ...trimTrailing(fields.map(encodeField))].join('|');
}

export interface MshFields {
  sendingApplication: string;
  sendingFacility: string;
  receivingApplication: string;
  receivingFacility: string;
  /** YYYYMMDDHHMMSS */
  time: string;
  /** e.g. ['ADT', 'A01', 'ADT_A01'] */
  type: readonly [string, string, string];
  controlId: string;
}

/** MSH: field 1 is the field separator itself and field 2 the encoding characters, never escaped. */
export function msh(m: MshFields): string {
  const rest = [
    m.sendingApplication, m.sendingFacility, m.receivingApplication, m.receivingFacility, m.time, '',
    [m.type[0], m.type[1], m.type[2]], m.controlId, 'P', '2.4', '', '', 'AL', 'NE', 'GBR', 'UNICODE', 'EN',
  ].map((f) => encodeField(f as Hl7Field));
  return `MSH|^~\\&|${rest.join('|')}`;
}

/** A whole message: segments each ended by CR. */
export function message(segments: readonly string[]): string {
  return segments.map((s) => `${s}\r`).join('');
}
