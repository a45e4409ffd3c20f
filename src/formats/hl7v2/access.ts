/**
 * Reading values out of a parsed message by HL7 path, e.g. `PID-3[2].1` (field 3, second
 * repetition, first component) or `OBX[2]-5.1.1` (second OBX). Levels left out default to the first
 * (HAPI terser convention): `PID-5` is the family name. Values come back decoded; empty is undefined.
 */
import { unescape, escape } from './escape.ts';
import type { Hl7Encoding, Hl7Field, Hl7Message, Hl7Repetition, Hl7Segment } from './model.ts';

export interface Hl7Path {
  segment: string;
  /** 1-based occurrence of the segment. */
  occurrence: number;
  field: number;
  repetition: number;
  component: number;
  subcomponent: number;
}

const PATH = /^([A-Z][A-Z0-9]{2})(?:\[(\d+)\])?-(\d+)(?:\[(\d+)\])?(?:\.(\d+))?(?:\.(\d+))?$/;

export function parsePath(path: string): Hl7Path | null {
  const m = PATH.exec(path);
  if (!m) return null;
  const n = (s: string | undefined): number => (s === undefined ? 1 : Number(s));
  const p = { segment: m[1] as string, occurrence: n(m[2]), field: Number(m[3]), repetition: n(m[4]), component: n(m[5]), subcomponent: n(m[6]) };
  if (p.occurrence < 1 || p.field < 1 || p.repetition < 1 || p.component < 1 || p.subcomponent < 1) return null;
  return p;
}

export function segments(msg: Hl7Message, name: string): Hl7Segment[] {
  return msg.segments.filter((s) => s.name === name);
}

export function segment(msg: Hl7Message, name: string, occurrence = 1): Hl7Segment | undefined {
  let seen = 0;
  for (const s of msg.segments) if (s.name === name && ++seen === occurrence) return s;
  return undefined;
}

/** The field's tree, or undefined when the segment has fewer fields. */
export function field(seg: Hl7Segment, n: number): Hl7Field | undefined {
  return seg.fields[n - 1];
}

/** Decoded leaf of a segment; undefined when absent or empty. */
export function value(seg: Hl7Segment, enc: Hl7Encoding, fieldNo: number, component = 1, subcomponent = 1, repetition = 1): string | undefined {
  const raw = seg.fields[fieldNo - 1]?.[repetition - 1]?.[component - 1]?.[subcomponent - 1];
  if (raw === undefined || raw === '') return undefined;
  return unescape(raw, enc);
}

/** Number of repetitions the field holds (0 when absent or empty). */
export function repetitionCount(seg: Hl7Segment, fieldNo: number): number {
  const f = seg.fields[fieldNo - 1];
  if (!f) return 0;
  if (f.length === 1 && f[0]?.length === 1 && f[0][0]?.length === 1 && f[0][0][0] === '') return 0;
  return f.length;
}

/** A view of one repetition of one field, reading decoded components by number. */
export interface Hl7Value {
  /** Component n (1-based), subcomponent s; undefined when empty. */
  c(component: number, subcomponent?: number): string | undefined;
  /** The repetition is empty. */
  readonly empty: boolean;
}

// A class, not an object of closures: mapping reads every field of every message received through
// these views, and one prototype method costs nothing per repetition where a closure allocated one.
class RepetitionView implements Hl7Value {
  constructor(private readonly rep: Hl7Repetition, private readonly enc: Hl7Encoding) {}

  c(component: number, subcomponent = 1): string | undefined {
    const raw = this.rep[component - 1]?.[subcomponent - 1];
    return raw === undefined || raw === '' ? undefined : unescape(raw, this.enc);
  }

  get empty(): boolean {
    return isEmptyRepetition(this.rep);
  }
}

export function isEmptyRepetition(rep: Hl7Repetition): boolean {
  for (const comp of rep) for (const s of comp) if (s !== '') return false;
  return true;
}

export function repetitions(seg: Hl7Segment | undefined, enc: Hl7Encoding, fieldNo: number): Hl7Value[] {
  if (!seg) return [];
  const f = seg.fields[fieldNo - 1];
  if (!f) return [];
  const out = new Array<Hl7Value>(f.length);
  for (let i = 0; i < f.length; i++) out[i] = new RepetitionView(f[i] as Hl7Repetition, enc);
  return out;
}

export function get(msg: Hl7Message, path: string): string | undefined {
  const p = parsePath(path);
  if (!p) return undefined;
  const seg = segment(msg, p.segment, p.occurrence);
  if (!seg) return undefined;
  return value(seg, msg.encoding, p.field, p.component, p.subcomponent, p.repetition);
}

/** The whole field as wire text (separators and escapes intact), or undefined when absent. */
export function fieldText(seg: Hl7Segment, enc: Hl7Encoding, fieldNo: number): string | undefined {
  const f = seg.fields[fieldNo - 1];
  if (!f) return undefined;
  return f.map((rep) => rep.map((comp) => comp.join(enc.subcomponent)).join(enc.component)).join(enc.repetition);
}

/** MSH-9 split into its parts. */
export function messageType(msg: Hl7Message): { code: string; trigger: string; structure: string } {
  // Read straight from the header rather than by path: every message received asks this.
  const msh = segment(msg, 'MSH');
  if (!msh) return { code: '', trigger: '', structure: '' };
  const enc = msg.encoding;
  return { code: value(msh, enc, 9, 1) ?? '', trigger: value(msh, enc, 9, 2) ?? '', structure: value(msh, enc, 9, 3) ?? '' };
}

/**
 * A segment from decoded values: each field is a string (one component), an array of components,
 * or an array of arrays for subcomponents; `repeat` wraps repetitions. Values are escaped here.
 */
export type FieldInput = string | undefined | (string | undefined | (string | undefined)[])[] | { repeat: FieldInput[] };

export function makeSegment(name: string, enc: Hl7Encoding, fields: FieldInput[]): Hl7Segment {
  const esc = (s: string | undefined): string => (s === undefined ? '' : escape(s, enc));
  const toRep = (f: FieldInput): Hl7Field => {
    if (f === undefined || typeof f === 'string') return [[[esc(f)]]];
    if (Array.isArray(f)) return [f.map((c) => (Array.isArray(c) ? c.map(esc) : [esc(c)]))];
    return f.repeat.flatMap(toRep);
  };
  return { name, fields: fields.map(toRep) };
}
