/**
 * The HL7 v2 message model: encoding characters and the segment → field → repetition → component
 * → subcomponent tree. Leaves hold wire text (still escaped) so that serialising reproduces the input
 * byte for byte, including escapes we do not interpret (\H\, \N\, \Zxx\); accessors decode on read.
 */

export interface Hl7Encoding {
  field: string;
  component: string;
  repetition: string;
  escape: string;
  subcomponent: string;
  /** v2.7 truncation character (fifth character of MSH-2) when the sender declares one. */
  truncation?: string | undefined;
}

/** Subcomponents of one component; each leaf is wire text (escaped). */
export type Hl7Component = string[];
export type Hl7Repetition = Hl7Component[];
export type Hl7Field = Hl7Repetition[];

export interface Hl7Segment {
  name: string;
  /**
   * fields[0] is SEG-1. For header segments (MSH, BHS, FHS) fields[0] holds the field separator
   * and fields[1] the encoding characters, each as a single unsplit leaf.
   */
  fields: Hl7Field[];
}

export interface Hl7Message {
  encoding: Hl7Encoding;
  segments: Hl7Segment[];
}

export const STANDARD_ENCODING: Hl7Encoding = {
  field: '|',
  component: '^',
  repetition: '~',
  escape: '\\',
  subcomponent: '&',
};

export const HEADER_SEGMENTS: ReadonlySet<string> = new Set(['MSH', 'BHS', 'FHS']);

/** MSH-2 as written: component, repetition, escape, subcomponent and optional truncation. */
export function encodingCharacters(enc: Hl7Encoding): string {
  return enc.component + enc.repetition + enc.escape + enc.subcomponent + (enc.truncation ?? '');
}
