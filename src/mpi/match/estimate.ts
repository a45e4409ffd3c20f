/**
 * Estimation of the Fellegi–Sunter parameters from the records themselves.
 * u comes from random pairs (almost all of which are different persons); m comes from
 * expectation–maximisation over candidate pairs, one training pass per blocking rule, each pass
 * leaving out the fields its rule selected on (they agree by construction there, so they would
 * teach nothing true about matches). The priors act as pseudo-counts so that small files give
 * sensible values. Deterministic: randomness is injected and every sum runs in a fixed order.
 */
import { compareRecords, FIELD_LEVELS, FIELDS, type Field } from './comparison.ts';
import { defaultParameters, Scorer, type MatchParameters } from './parameters.ts';
import { prepareRecord, type PreparedRecord, type SourceRecordInput } from './sourceRecord.ts';

export interface EstimateOptions {
  /** Uniform [0, 1) source; seeded in tests so the estimate is reproducible. */
  random: () => number;
  /** Random pairs for u (default 200,000 or fewer when the data is small). */
  randomPairs?: number;
  iterations?: number;
  prior?: MatchParameters;
  /** Weight of the prior in pairs (pseudo-counts). */
  priorStrength?: number;
  /** Blocks larger than this are skipped when making training pairs. */
  maxBlockSize?: number;
}

const LIKELY_MATCH_BITS = 10;

interface Pattern {
  levels: Int8Array;
  count: number;
}

interface TrainingPass {
  key: (r: PreparedRecord) => string | null;
  excluded: Field[];
}

const PASSES: TrainingPass[] = [
  { key: (r) => (r.birthDate ? `d${r.birthDate.digits}` : null), excluded: ['birthDate'] },
  {
    key: (r) => (r.family && r.given[0] ? `n${r.family.code}:${r.given[0].code}` : null),
    excluded: ['family', 'given'],
  },
];

function patternsOf(pairs: Iterable<[PreparedRecord, PreparedRecord]>): Pattern[] {
  const map = new Map<string, Pattern>();
  for (const [a, b] of pairs) {
    const v = compareRecords(a, b);
    const k = v.levels.join(',');
    const p = map.get(k);
    if (p) p.count++;
    else map.set(k, { levels: v.levels, count: 1 });
  }
  return [...map.entries()].sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0)).map((e) => e[1]);
}

function* blockPairs(records: PreparedRecord[], key: (r: PreparedRecord) => string | null, maxBlock: number): Generator<[PreparedRecord, PreparedRecord]> {
  const blocks = new Map<string, PreparedRecord[]>();
  for (const r of records) {
    const k = key(r);
    if (k === null) continue;
    const list = blocks.get(k);
    if (list) list.push(r);
    else blocks.set(k, [r]);
  }
  const keys = [...blocks.keys()].sort();
  for (const k of keys) {
    const list = blocks.get(k) ?? [];
    if (list.length > maxBlock) continue;
    for (let i = 0; i < list.length; i++) for (let j = i + 1; j < list.length; j++) yield [list[i]!, list[j]!];
  }
}

function smoothed(counts: number[], total: number, prior: number[], strength: number): number[] {
  const raw = counts.map((c, i) => (c + strength * (prior[i] ?? 0)) / (total + strength));
  // Keep every level possible, however rare in this data: a zero would make a weight infinite.
  const floored = raw.map((x) => Math.max(x, 1e-7));
  const sum = floored.reduce((s, x) => s + x, 0);
  return floored.map((x) => Math.min(x / sum, 1 - 1e-7));
}

export function estimateParameters(inputs: readonly (SourceRecordInput | PreparedRecord)[], options: EstimateOptions): MatchParameters {
  const prior = options.prior ?? defaultParameters();
  const strength = options.priorStrength ?? 50;
  const iterations = options.iterations ?? 30;
  const maxBlock = options.maxBlockSize ?? 200;
  const records = inputs
    .map((r) => ('key' in r ? r : prepareRecord(r)))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const n = records.length;
  const result: MatchParameters = structuredClone(prior);
  if (n < 2) return result;

  // u from random pairs. In a small file a random pair is the same person often enough to bias u
  // (1 in a few thousand), so pairs the prior already calls a clear match are left out.
  const priorScorer = new Scorer(prior);
  const randomPairs = Math.min(options.randomPairs ?? 200_000, (n * (n - 1)) / 2);
  const uCounts = FIELDS.map((f) => new Array<number>(FIELD_LEVELS[f].length).fill(0));
  const uTotals = new Array<number>(FIELDS.length).fill(0);
  for (let s = 0; s < randomPairs; s++) {
    const i = Math.floor(options.random() * n);
    let j = Math.floor(options.random() * (n - 1));
    if (j >= i) j++;
    const v = compareRecords(records[i]!, records[j]!);
    if (priorScorer.score(v) > LIKELY_MATCH_BITS) continue;
    v.levels.forEach((l, f) => {
      if (l >= 0) {
        uCounts[f]![l]!++;
        uTotals[f]!++;
      }
    });
  }
  FIELDS.forEach((f, fi) => {
    result.fields[f].u = smoothed(uCounts[fi]!, uTotals[fi]!, prior.fields[f].u, strength);
  });

  // m by EM, one pass per blocking rule.
  const mSums = FIELDS.map((f) => new Array<number>(FIELD_LEVELS[f].length).fill(0));
  const mPasses = new Array<number>(FIELDS.length).fill(0);
  let candidatePairs = 0;
  let expectedMatches = 0;
  for (const pass of PASSES) {
    const patterns = patternsOf(blockPairs(records, pass.key, maxBlock));
    const total = patterns.reduce((s, p) => s + p.count, 0);
    if (total === 0) continue;
    candidatePairs += total;
    const used = FIELDS.map((f) => !pass.excluded.includes(f));
    const m = FIELDS.map((f) => [...prior.fields[f].m]);
    const u = FIELDS.map((f) => result.fields[f].u);
    let lambda = 0.1;
    let matches = 0;
    for (let it = 0; it < iterations; it++) {
      const counts = FIELDS.map((f) => new Array<number>(FIELD_LEVELS[f].length).fill(0));
      const totals = new Array<number>(FIELDS.length).fill(0);
      matches = 0;
      for (const p of patterns) {
        let lm = Math.log(lambda);
        let lu = Math.log(1 - lambda);
        p.levels.forEach((l, f) => {
          if (l >= 0 && used[f]) {
            lm += Math.log(m[f]![l]!);
            lu += Math.log(u[f]![l]!);
          }
        });
        const posterior = 1 / (1 + Math.exp(lu - lm));
        const w = posterior * p.count;
        matches += w;
        p.levels.forEach((l, f) => {
          if (l >= 0 && used[f]) {
            counts[f]![l]! += w;
            totals[f]! += w;
          }
        });
      }
      lambda = Math.min(Math.max(matches / total, 1e-6), 1 - 1e-6);
      FIELDS.forEach((f, fi) => {
        if (used[fi]) m[fi] = smoothed(counts[fi]!, totals[fi]!, prior.fields[f].m, strength);
      });
    }
    expectedMatches = Math.max(expectedMatches, matches);
    FIELDS.forEach((_f, fi) => {
      if (!used[fi]) return;
      m[fi]!.forEach((x, l) => (mSums[fi]![l]! += x));
      mPasses[fi]!++;
    });
  }
  FIELDS.forEach((f, fi) => {
    const passes = mPasses[fi]!;
    if (passes > 0) result.fields[f].m = mSums[fi]!.map((x) => x / passes);
  });
  const allPairs = (n * (n - 1)) / 2;
  result.lambda = Math.min(Math.max(expectedMatches / allPairs, 1e-9), 0.5);
  result.estimatedFrom = { records: n, candidatePairs, randomPairs, iterations };
  return result;
}
