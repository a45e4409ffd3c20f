/**
 * HL7 v2 date/time values (DT, TS, DTM: YYYY[MM[DD[HH[MM[SS[.S…]]]]]][+/-ZZZZ]) read into FHIR forms.
 * A value without an offset is UK local time (the feeds this record serves), so its offset comes
 * from the GMT/BST rule; the result is then exact and sorts correctly as UTC.
 */

export type Hl7DateTime =
  | {
      ok: true;
      /** FHIR `date` at the value's own precision: YYYY, YYYY-MM or YYYY-MM-DD. */
      date: string;
      /** FHIR `dateTime`: the date alone, or a full instant with seconds and offset. */
      dateTime: string;
      /** UTC instant YYYY-MM-DDTHH:MM:SS.sssZ (lexically sortable); start of the period at lower precision. */
      utc: string;
      hasTime: boolean;
    }
  | { ok: false; reason: 'malformed' | 'impossible' };

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

function daysInMonth(y: number, m: number): number {
  if (m === 2) return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(m) ? 30 : 31;
}

function lastSundayUtc(y: number, month: number): number {
  const last = new Date(Date.UTC(y, month, 0));
  return last.getUTCDate() - last.getUTCDay();
}

// Every timestamp received needs its year's BST window; worked out once a year, not per field.
const bstWindows = new Map<number, readonly [number, number]>();
function bstWindow(y: number): readonly [number, number] {
  let w = bstWindows.get(y);
  if (!w) {
    w = [Date.UTC(y, 2, lastSundayUtc(y, 3), 1, 0), Date.UTC(y, 9, lastSundayUtc(y, 10), 1, 0)];
    if (bstWindows.size < 1000) bstWindows.set(y, w);
  }
  return w;
}

/** Minutes east of UTC for a UK wall-clock time (BST from 01:00 UTC on the last Sunday of March to the last Sunday of October). */
export function ukOffsetMinutes(y: number, m: number, d: number, h: number, mi: number): number {
  const asUtc = Date.UTC(y, m - 1, d, h, mi);
  const [start, end] = bstWindow(y);
  // Wall-clock 01:00 GMT = 02:00 BST at the autumn change; compare the wall time shifted by the candidate offset.
  return asUtc - 60 * 60000 >= start && asUtc - 60 * 60000 < end ? 60 : 0;
}

const MALFORMED: Hl7DateTime = Object.freeze({ ok: false, reason: 'malformed' });
const IMPOSSIBLE: Hl7DateTime = Object.freeze({ ok: false, reason: 'impossible' });

/** The number written by `n` ASCII digits from `at`; -1 when any is not a digit. */
function digits(s: string, at: number, n: number): number {
  let v = 0;
  for (let i = at; i < at + n; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  return v;
}

// Read by hand rather than by one regular expression with eight groups: several timestamps of
// every message received come through here, and the match, its substrings and the Date set field
// by field were most of mapping's time spent on dates.
export function parseHl7DateTime(raw: string | undefined): Hl7DateTime {
  if (raw === undefined) return MALFORMED;
  const s = raw.trim();
  let end = s.length;
  // The offset, +HHMM or -HHMM, ends the value.
  let offset: number | undefined;
  let zoneOk = true;
  const sign = end - 5;
  if (sign >= 4 && (s[sign] === '+' || s[sign] === '-')) {
    const zh = digits(s, sign + 1, 2);
    const zm = digits(s, sign + 3, 2);
    if (zh < 0 || zm < 0) return MALFORMED;
    zoneOk = zh <= 14 && zm <= 59;
    offset = (s[sign] === '-' ? -1 : 1) * (zh * 60 + zm);
    end = sign;
  }
  // A fraction of 1–4 digits only after the seconds.
  let frac: string | undefined;
  if (end > 14) {
    if (s[14] !== '.' || end - 15 < 1 || end - 15 > 4 || digits(s, 15, end - 15) < 0) return MALFORMED;
    frac = s.slice(15, end);
    end = 14;
  }
  if (end < 4 || end % 2 !== 0) return MALFORMED;
  const y = digits(s, 0, 4);
  const mo = end >= 6 ? digits(s, 4, 2) : undefined;
  const d = end >= 8 ? digits(s, 6, 2) : undefined;
  const h = end >= 10 ? digits(s, 8, 2) : undefined;
  const mi = end >= 12 ? digits(s, 10, 2) : undefined;
  const sec = end >= 14 ? digits(s, 12, 2) : undefined;
  if (y < 0 || mo === -1 || d === -1 || h === -1 || mi === -1 || sec === -1) return MALFORMED;
  if (mo !== undefined && (mo < 1 || mo > 12)) return IMPOSSIBLE;
  if (d !== undefined && mo !== undefined && (d < 1 || d > daysInMonth(y, mo))) return IMPOSSIBLE;
  if ((h !== undefined && h > 23) || (mi !== undefined && mi > 59) || (sec !== undefined && sec > 59) || !zoneOk) return IMPOSSIBLE;
  // The digits as written are the padded fields.
  const yyyy = s.slice(0, 4);
  const date = mo === undefined ? yyyy : d === undefined ? `${yyyy}-${s.slice(4, 6)}` : `${yyyy}-${s.slice(4, 6)}-${s.slice(6, 8)}`;
  if (h === undefined || d === undefined || mo === undefined) {
    return { ok: true, date, dateTime: date, utc: `${yyyy}-${mo === undefined ? '01' : s.slice(4, 6)}-${d === undefined ? '01' : s.slice(6, 8)}T00:00:00.000Z`, hasTime: false };
  }
  const minute = mi ?? 0;
  const zone = offset ?? ukOffsetMinutes(y, mo, d, h, minute);
  const ms = frac === undefined ? 0 : Math.round(Number(`0.${frac}`) * 1000);
  // Date.UTC reads years 0–99 as 1900–1999; those few go field by field.
  let wall: number;
  if (y >= 100) wall = Date.UTC(y, mo - 1, d, h, minute, sec ?? 0, ms);
  else {
    const t = new Date(0);
    t.setUTCFullYear(y, mo - 1, d);
    t.setUTCHours(h, minute, sec ?? 0, ms);
    wall = t.getTime();
  }
  const instant = wall - zone * 60000;
  if (Number.isNaN(instant) || instant < -62135596800000 || instant > 253402300799999) return IMPOSSIBLE;
  const abs = Math.abs(zone);
  const dateTime = `${date}T${s.slice(8, 10)}:${mi === undefined ? '00' : s.slice(10, 12)}:${sec === undefined ? '00' : s.slice(12, 14)}${frac === undefined ? '' : `.${frac}`}${zone < 0 ? '-' : '+'}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
  return { ok: true, date, dateTime, utc: new Date(instant).toISOString(), hasTime: true };
}

/** HL7 TS for `now`, in UTC with an explicit offset: YYYYMMDDHHMMSS+0000. */
export function formatHl7Timestamp(now: Date): string {
  return (
    pad(now.getUTCFullYear(), 4) + pad(now.getUTCMonth() + 1) + pad(now.getUTCDate()) + pad(now.getUTCHours()) + pad(now.getUTCMinutes()) + pad(now.getUTCSeconds()) + '+0000'
  );
}
