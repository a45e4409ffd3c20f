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

const DTM = /^(\d{4})(?:(\d{2})(?:(\d{2})(?:(\d{2})(?:(\d{2})(?:(\d{2})(?:\.(\d{1,4}))?)?)?)?)?)?([+-]\d{4})?$/;

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

export function parseHl7DateTime(raw: string | undefined): Hl7DateTime {
  if (raw === undefined) return { ok: false, reason: 'malformed' };
  const m = DTM.exec(raw.trim());
  if (!m) return { ok: false, reason: 'malformed' };
  const y = Number(m[1]);
  const mo = m[2] === undefined ? undefined : Number(m[2]);
  const d = m[3] === undefined ? undefined : Number(m[3]);
  const h = m[4] === undefined ? undefined : Number(m[4]);
  const mi = m[5] === undefined ? undefined : Number(m[5]);
  const s = m[6] === undefined ? undefined : Number(m[6]);
  const frac = m[7];
  const zone = m[8];
  if (mo !== undefined && (mo < 1 || mo > 12)) return { ok: false, reason: 'impossible' };
  if (d !== undefined && mo !== undefined && (d < 1 || d > daysInMonth(y, mo))) return { ok: false, reason: 'impossible' };
  if (h !== undefined && h > 23) return { ok: false, reason: 'impossible' };
  if (mi !== undefined && mi > 59) return { ok: false, reason: 'impossible' };
  if (s !== undefined && s > 59) return { ok: false, reason: 'impossible' };
  let offset = 0;
  if (zone !== undefined) {
    const zh = Number(zone.slice(1, 3));
    const zm = Number(zone.slice(3, 5));
    if (zh > 14 || zm > 59) return { ok: false, reason: 'impossible' };
    offset = (zone[0] === '-' ? -1 : 1) * (zh * 60 + zm);
  }
  const date = mo === undefined ? pad(y, 4) : d === undefined ? `${pad(y, 4)}-${pad(mo)}` : `${pad(y, 4)}-${pad(mo)}-${pad(d)}`;
  if (h === undefined || d === undefined || mo === undefined) {
    return { ok: true, date, dateTime: date, utc: `${pad(y, 4)}-${pad(mo ?? 1)}-${pad(d ?? 1)}T00:00:00.000Z`, hasTime: false };
  }
  const minute = mi ?? 0;
  if (zone === undefined) offset = ukOffsetMinutes(y, mo, d, h, minute);
  const ms = frac === undefined ? 0 : Math.round(Number(`0.${frac}`) * 1000);
  const t = new Date(0);
  t.setUTCFullYear(y, mo - 1, d);
  t.setUTCHours(h, minute, s ?? 0, ms);
  const instant = t.getTime() - offset * 60000;
  if (Number.isNaN(instant) || instant < -62135596800000 || instant > 253402300799999) return { ok: false, reason: 'impossible' };
  const sign = offset < 0 ? '-' : '+';
  const abs = Math.abs(offset);
  const fracText = frac === undefined ? '' : `.${frac}`;
  const dateTime = `${date}T${pad(h)}:${pad(minute)}:${pad(s ?? 0)}${fracText}${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
  return { ok: true, date, dateTime, utc: new Date(instant).toISOString(), hasTime: true };
}

/** HL7 TS for `now`, in UTC with an explicit offset: YYYYMMDDHHMMSS+0000. */
export function formatHl7Timestamp(now: Date): string {
  return (
    pad(now.getUTCFullYear(), 4) + pad(now.getUTCMonth() + 1) + pad(now.getUTCDate()) + pad(now.getUTCHours()) + pad(now.getUTCMinutes()) + pad(now.getUTCSeconds()) + '+0000'
  );
}
