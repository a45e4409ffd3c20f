/**
 * HL7 v2: exact parsing and serialising, accessors, date/time reading and original-mode ACKs.
 * The public face of src/formats/hl7v2; other folders import from here only.
 */
export type { Hl7Encoding, Hl7Field, Hl7Repetition, Hl7Component, Hl7Segment, Hl7Message } from './model.ts';
export { STANDARD_ENCODING, encodingCharacters } from './model.ts';
export { parse, parseBatch, parseSegment, readEncoding, splitSegments } from './parse.ts';
export type { ParseResult, ParseOptions, BatchResult, Hl7Batch, BatchItem } from './parse.ts';
export { serialise, serialiseSegment, serialiseField } from './serialise.ts';
export { escape, unescape } from './escape.ts';
export { get, segments, segment, field, value, repetitions, isEmptyRepetition, repetitionCount, fieldText, messageType, parsePath, makeSegment } from './access.ts';
export type { Hl7Path, Hl7Value, FieldInput } from './access.ts';
export { parseHl7DateTime, formatHl7Timestamp, ukOffsetMinutes } from './datetime.ts';
export type { Hl7DateTime } from './datetime.ts';
export { buildAck, headerInfo, sniffHeader, hl7ErrorCondition } from './ack.ts';
export type { AckCode, AckHeaderInfo } from './ack.ts';
export { decodeHl7Bytes } from './text.ts';
