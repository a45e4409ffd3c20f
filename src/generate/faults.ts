/**
 * The faults real feeds carry, injected at configurable rates so that matching, merging and
 * error handling can be tested against a known answer. Every injected fault is reported to a
 * FaultLog (written to faults.csv) with the feed, the source's local id and what was changed.
 */
import type { Rng } from './random.ts';
import { NICKNAMES } from './names.ts';

export interface FaultRates {
  /** Per non-GP source record: the NHS number is not sent. */
  missingNhsNumber: number;
  /** Per non-GP source record: one digit of the NHS number mistyped (fails modulus 11). */
  mistypedNhsNumber: number;
  /** Per non-GP source record: one edit (substitution, deletion, doubling, swap) in a name. */
  nameTypo: number;
  /** Per non-GP source record: a nickname instead of the first given name, where one exists. */
  nickname: number;
  /** Per non-GP source record: date of birth with day and month swapped (when both ≤ 12). */
  transposedDob: number;
  /** Per non-GP source record: the source still has the person's previous address. */
  movedAddress: number;
  /** Per acute registration: a second local registration, merged later with ADT^A40. */
  duplicateRegistration: number;
  /** Per inpatient admission: admission entered in error and cancelled (A11). */
  cancelledAdmission: number;
  /** Per discharge: discharge cancelled (A13) and repeated later. */
  cancelledDischarge: number;
  /** Per HL7 message: sent twice with the same control id. */
  repeatedMessage: number;
  /** Per acute registration with an update: an older A08 arrives after a newer one. */
  outOfOrderUpdate: number;
  /** Per HL7 message (not registrations or merges): missing PID, an impossible date or a truncated segment. */
  malformedMessage: number;
}

export const DEFAULT_FAULTS: Readonly<FaultRates> = Object.freeze({
  missingNhsNumber: 0.04,
  mistypedNhsNumber: 0.01,
  nameTypo: 0.03,
  nickname: 0.03,
  transposedDob: 0.01,
  movedAddress: 0.03,
  duplicateRegistration: 0.02,
  cancelledAdmission: 0.02,
  cancelledDischarge: 0.02,
  repeatedMessage: 0.01,
  outOfOrderUpdate: 0.05,
  malformedMessage: 0.005,
});

export type FaultKind =
  | 'missing-nhs-number' | 'mistyped-nhs-number' | 'name-typo' | 'nickname' | 'transposed-dob' | 'moved-address'
  | 'duplicate-registration' | 'cancelled-admission' | 'cancelled-discharge' | 'repeated-message'
  | 'out-of-order-update' | 'malformed-message';

export const FAULT_KINDS: readonly FaultKind[] = [
  'missing-nhs-number', 'mistyped-nhs-number', 'name-typo', 'nickname', 'transposed-dob', 'moved-address',
  'duplicate-registration', 'cancelled-admission', 'cancelled-discharge', 'repeated-message',
  'out-of-order-update', 'malformed-message',
];

export interface FaultLog {
  /** `detail`: the field changed, or the message control id for message faults. */
  record(feedId: string, localId: string, fault: FaultKind, detail: string): void;
}

export function resolveFaults(partial: Partial<FaultRates> | undefined): FaultRates {
  const rates: FaultRates = { ...DEFAULT_FAULTS, ...partial };
  for (const [k, v] of Object.entries(rates)) {
    if (typeof v !== 'number' || !(v >= 0 && v <= 1)) throw new RangeError(`fault rate ${k} must be between 0 and 1`);
  }
  return rates;
}

/** Keys that sit next to each other on a UK keyboard: the usual slip of a finger. */
const NEIGHBOURS: Record<string, string> = {
  a: 'sqz', b: 'vn', c: 'xv', d: 'sf', e: 'wr', f: 'dg', g: 'fh', h: 'gj', i: 'uo', j: 'hk', k: 'jl', l: 'k',
  m: 'n', n: 'bm', o: 'ip', p: 'o', q: 'w', r: 'et', s: 'ad', t: 'ry', u: 'yi', v: 'cb', w: 'qe', x: 'zc', y: 'tu', z: 'x',
};

/** One keyboard edit of a name; always different from the input, never empty. */
export function typo(rng: Rng, name: string): string {
  if (name.length < 3) return name + name.charAt(name.length - 1).toLowerCase();
  // Keep the first letter: clerks rarely mistype the initial, and blocking on it is common.
  const i = rng.int(1, name.length - 1);
  const ch = name.charAt(i);
  const lower = ch.toLowerCase();
  const kind = rng.int(0, 3);
  if (kind === 0 && NEIGHBOURS[lower]) {
    const sub = rng.pick([...(NEIGHBOURS[lower] ?? 'e')]);
    return name.slice(0, i) + (ch === lower ? sub : sub.toUpperCase()) + name.slice(i + 1);
  }
  if (kind === 1 && /[a-z]/i.test(ch)) return name.slice(0, i) + name.slice(i + 1);
  if (kind === 2 && i < name.length - 1 && name.charAt(i + 1) !== ch) {
    return name.slice(0, i) + name.charAt(i + 1) + ch + name.slice(i + 2);
  }
  return name.slice(0, i) + ch + name.slice(i);
}

export function nicknameFor(rng: Rng, given: string): string | null {
  const options = NICKNAMES[given];
  return options && options.length > 0 ? rng.pick(options) : null;
}

/** One digit of the NHS number changed, keeping the 999 prefix: a single-digit error always fails modulus 11. */
export function mistypeNhsNumber(rng: Rng, nhs: string): string {
  const i = rng.int(3, 9);
  const old = Number(nhs.charAt(i));
  const digit = (old + rng.int(1, 9)) % 10;
  return nhs.slice(0, i) + String(digit) + nhs.slice(i + 1);
}

/** YYYY-MM-DD with day and month swapped, or null when the swap would not give another valid date. */
export function transposeDob(iso: string): string | null {
  const [y, m, d] = iso.split('-');
  if (!y || !m || !d || m === d || Number(d) > 12) return null;
  return `${y}-${d}-${m}`;
}
