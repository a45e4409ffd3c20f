/**
 * Pairwise evaluation of a linkage against a truth mapping: precision, recall and F1 over pairs
 * of source records, counted from cluster sizes (n choose 2) and the contingency of predicted
 * and true clusters, so memory grows with the number of records, never with pairs.
 */

export interface EvaluatedLink {
  key: string;
  personId: string;
  /** When given, records with how = 'review' are counted as the review queue. */
  how?: string;
}

export interface TruthLink {
  key: string;
  trueKey: string;
}

export interface Evaluation {
  precision: number;
  recall: number;
  f1: number;
  /** Pairs of records that are the same person in truth. */
  truePairs: number;
  /** Pairs the linkage put in one person. */
  predictedPairs: number;
  /** Pairs in both. */
  correctPairs: number;
  /** Records awaiting review. */
  reviewQueue: number;
}

function pairs(n: number): number {
  return (n * (n - 1)) / 2;
}

/** Records missing from the truth count as persons of their own. */
export function evaluate(links: readonly EvaluatedLink[], truth: readonly TruthLink[]): Evaluation {
  const trueOf = new Map<string, string>();
  for (const t of truth) trueOf.set(t.key, t.trueKey);
  const predictedSizes = new Map<string, number>();
  const trueSizes = new Map<string, number>();
  const joint = new Map<string, number>();
  let reviewQueue = 0;
  for (const l of links) {
    const t = trueOf.get(l.key) ?? `\u0000${l.key}`;
    predictedSizes.set(l.personId, (predictedSizes.get(l.personId) ?? 0) + 1);
    trueSizes.set(t, (trueSizes.get(t) ?? 0) + 1);
    const j = `${l.personId}\u0000${t}`;
    joint.set(j, (joint.get(j) ?? 0) + 1);
    if (l.how === 'review') reviewQueue++;
  }
  let predictedPairs = 0;
  let truePairs = 0;
  let correctPairs = 0;
  for (const n of predictedSizes.values()) predictedPairs += pairs(n);
  for (const n of trueSizes.values()) truePairs += pairs(n);
  for (const n of joint.values()) correctPairs += pairs(n);
  const precision = predictedPairs === 0 ? 1 : correctPairs / predictedPairs;
  const recall = truePairs === 0 ? 1 : correctPairs / truePairs;
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return { precision, recall, f1, truePairs, predictedPairs, correctPairs, reviewQueue };
}
