/**
 * Writing the message model back to HL7 v2 text. Leaves are wire text already, so the output
 * reproduces parsed input exactly apart from the segment terminator (CR unless asked otherwise).
 */
import { HEADER_SEGMENTS, type Hl7Encoding, type Hl7Field, type Hl7Message, type Hl7Segment } from './model.ts';

export function serialiseField(field: Hl7Field, enc: Hl7Encoding): string {
  if (field.length === 1 && field[0]?.length === 1 && field[0][0]?.length === 1) return field[0][0][0] as string;
  return field.map((rep) => rep.map((comp) => comp.join(enc.subcomponent)).join(enc.component)).join(enc.repetition);
}

export function serialiseSegment(seg: Hl7Segment, enc: Hl7Encoding): string {
  if (HEADER_SEGMENTS.has(seg.name)) {
    // MSH-1 is the separator itself, written once, not as a field between separators.
    const chars = seg.fields[1]?.[0]?.[0]?.[0] ?? '';
    const rest = seg.fields.slice(2).map((f) => serialiseField(f, enc));
    return [seg.name + enc.field + chars, ...rest].join(enc.field);
  }
  return [seg.name, ...seg.fields.map((f) => serialiseField(f, enc))].join(enc.field);
}

export function serialise(msg: Hl7Message, terminator: '\r' | '\n' | '\r\n' = '\r'): string {
  return msg.segments.map((s) => serialiseSegment(s, msg.encoding)).join(terminator) + terminator;
}
