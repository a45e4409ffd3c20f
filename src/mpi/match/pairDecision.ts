/**
 * The decision for one pair of source records, with the safety rules of the person index:
 * - two different valid NHS numbers are never linked automatically;
 * - a valid NHS number that agrees, with the same date of birth, links deterministically;
 * - an agreeing NHS number where both the name and the date of birth disagree is a review,
 *   never a link (most often one person's number typed into another's record);
 * - otherwise Fellegi–Sunter: above the link threshold link, between the thresholds review.
 * Guards keep the commonest false links in a shared care record (twins, parent and child of the
 * same name at one address) out of automatic linking: a clearly different given name or date of
 * birth caps an otherwise high score at review.
 */
import { compareRecords, FIELD_INDEX, type ComparisonVector } from './comparison.ts';
import type { Scorer } from './parameters.ts';
import type { PreparedRecord } from './sourceRecord.ts';

export interface MatchPolicy {
  /** Scores (log2 Bayes factor) at or above this link automatically. */
  linkThreshold: number;
  /** Scores at or above this (and below the link threshold) go to review. */
  reviewThreshold: number;
  /** A clearly different first given name prevents an automatic link. */
  givenNameGuard: boolean;
  /** A clearly different date of birth prevents an automatic link. */
  birthDateGuard: boolean;
  /** A probabilistic link between two records of one feed needs this many bits above linkThreshold. */
  sameFeedMargin: number;
  /** Blocks bigger than this are not used to find candidates (they say too little to be worth it). */
  maxBlockSize: number;
}

export const DEFAULT_POLICY: MatchPolicy = {
  linkThreshold: 21,
  reviewThreshold: 13,
  givenNameGuard: true,
  birthDateGuard: true,
  sameFeedMargin: 2,
  maxBlockSize: 1000,
};

export type ReviewReason =
  | 'uncertain-score'
  | 'nhs-number-disagrees-with-name-and-birth-date'
  | 'nhs-number-conflict'
  | 'given-name-differs'
  | 'birth-date-differs'
  | 'same-feed-duplicate';

export type PairDecision =
  | { kind: 'nhs-number'; score: number; vector: ComparisonVector }
  | { kind: 'link'; score: number; vector: ComparisonVector }
  | { kind: 'review'; score: number; vector: ComparisonVector; reason: ReviewReason }
  | { kind: 'none'; score: number; vector: ComparisonVector };

const GIVEN_DIFFERENT = 7;
const DOB_EXACT = 0;
const DOB_DIFFERENT = 4;
const FAMILY_DIFFERENT = 6;

export function decidePair(a: PreparedRecord, b: PreparedRecord, scorer: Scorer, policy: MatchPolicy): PairDecision {
  // Compare in key order so the decision cannot depend on which record arrived first.
  const [x, y] = a.key <= b.key ? [a, b] : [b, a];
  const vector = compareRecords(x, y);
  const levels = vector.levels;
  const given = levels[FIELD_INDEX.given] ?? -1;
  const family = levels[FIELD_INDEX.family] ?? -1;
  const dob = levels[FIELD_INDEX.birthDate] ?? -1;

  if (vector.nhs === 'conflict') {
    // Evidence without the NHS number: only a near-certain match of everything else is worth a look.
    const score = scorer.score(vector, FIELD_INDEX.nhsNumber);
    const clean = given !== GIVEN_DIFFERENT && dob !== DOB_DIFFERENT;
    if (score >= policy.linkThreshold && clean) return { kind: 'review', score, vector, reason: 'nhs-number-conflict' };
    return { kind: 'none', score, vector };
  }

  const score = scorer.score(vector);
  if (vector.nhs === 'agree') {
    if (dob === DOB_EXACT) return { kind: 'nhs-number', score, vector };
    const nameDisagrees = family === FAMILY_DIFFERENT || given === GIVEN_DIFFERENT;
    if (dob !== -1 && nameDisagrees) return { kind: 'review', score, vector, reason: 'nhs-number-disagrees-with-name-and-birth-date' };
    // Otherwise the doubtful number is weighed with everything else below.
  }

  if (score >= policy.linkThreshold) {
    if (vector.nhs !== 'agree') {
      if (policy.givenNameGuard && given === GIVEN_DIFFERENT) return { kind: 'review', score, vector, reason: 'given-name-differs' };
      if (policy.birthDateGuard && dob === DOB_DIFFERENT) return { kind: 'review', score, vector, reason: 'birth-date-differs' };
    }
    return { kind: 'link', score, vector };
  }
  if (score >= policy.reviewThreshold) return { kind: 'review', score, vector, reason: 'uncertain-score' };
  return { kind: 'none', score, vector };
}
