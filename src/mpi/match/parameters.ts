/**
 * Fellegi–Sunter parameters: for each field and level, m = P(level | same person) and
 * u = P(level | different persons). Kept as a plain JSON object so they can be stored, reviewed
 * and versioned; the defaults are priors that work on small data and that estimation refines.
 */
import { FIELD_LEVELS, FIELDS, type ComparisonVector, type Field } from './comparison.ts';

export interface FieldParameters {
  /** One probability per level (FIELD_LEVELS order); sums to 1. */
  m: number[];
  u: number[];
}

export interface MatchParameters {
  version: 1;
  /** Prior probability that two records drawn at random are the same person. */
  lambda: number;
  fields: Record<Field, FieldParameters>;
  /** How the parameters were obtained (absent for the built-in priors). */
  estimatedFrom?: { records: number; candidatePairs: number; randomPairs: number; iterations: number };
}

/**
 * Priors from experience of person registers: m reflects typical error rates in hospital and GP
 * systems, u the chance agreement of unrelated people in a county-sized population.
 */
export function defaultParameters(): MatchParameters {
  return {
    version: 1,
    lambda: 1e-6,
    fields: {
      nhsNumber: { m: [0.95, 0.03, 0.02], u: [1e-6, 1e-4, 0.999899] },
      family: { m: [0.86, 0.05, 0.02, 0.01, 0.01, 0.02, 0.03], u: [0.005, 0.003, 0.004, 0.0005, 0.02, 0.0002, 0.9673] },
      given: { m: [0.8, 0.06, 0.05, 0.01, 0.01, 0.01, 0.02, 0.04], u: [0.01, 0.001, 0.005, 0.005, 0.001, 0.002, 0.03, 0.946] },
      birthDate: { m: [0.9, 0.02, 0.04, 0.01, 0.03], u: [0.0001, 0.00005, 0.002, 0.0003, 0.99755] },
      sex: { m: [0.98, 0.02], u: [0.5, 0.5] },
      postcode: { m: [0.75, 0.05, 0.05, 0.05, 0.1], u: [0.0005, 0.005, 0.03, 0.2, 0.7645] },
      address: { m: [0.6, 0.15, 0.1, 0.15], u: [0.0005, 0.002, 0.02, 0.9775] },
      phone: { m: [0.7, 0.3], u: [0.0001, 0.9999] },
      email: { m: [0.8, 0.1, 0.1], u: [0.0001, 0.001, 0.9989] },
    },
  };
}

/** Problems with a parameter object read from storage ([] when usable). */
export function parameterProblems(p: MatchParameters): string[] {
  const problems: string[] = [];
  if (p.version !== 1) problems.push('unsupported parameter version');
  if (!(p.lambda > 0 && p.lambda < 1)) problems.push('lambda must be between 0 and 1');
  for (const f of FIELDS) {
    const fp = p.fields[f];
    const n = FIELD_LEVELS[f].length;
    if (!fp || fp.m.length !== n || fp.u.length !== n) {
      problems.push(`${f}: expected ${n} m and u probabilities`);
      continue;
    }
    if ([...fp.m, ...fp.u].some((x) => !(x > 0 && x < 1))) problems.push(`${f}: probabilities must be strictly between 0 and 1`);
  }
  return problems;
}

export interface FieldEvidence {
  field: Field;
  /** null when either record lacks the value (no evidence either way). */
  level: string | null;
  /** log2(m/u): positive for, negative against. */
  weight: number;
}

const HOUSEHOLD_FIELDS: boolean[] = FIELDS.map((f) => f === 'postcode' || f === 'address' || f === 'phone');

/** Precomputed log2(m/u) per field and level; scoring a vector is then a few additions. */
export class Scorer {
  readonly parameters: MatchParameters;
  private readonly weights: Float64Array[];

  constructor(parameters: MatchParameters) {
    const problems = parameterProblems(parameters);
    if (problems.length > 0) throw new Error(`match parameters are not usable: ${problems.join('; ')}`);
    this.parameters = parameters;
    this.weights = FIELDS.map((f) => {
      const fp = parameters.fields[f];
      return Float64Array.from(fp.m, (m, i) => Math.log2(m / (fp.u[i] ?? 1)));
    });
  }

  weight(fieldIndex: number, level: number): number {
    return level < 0 ? 0 : (this.weights[fieldIndex]?.[level] ?? 0);
  }

  /**
   * Sum of the field weights (log2 Bayes factor), optionally leaving one field out.
   * Postcode, address and telephone are one piece of evidence, not three: everyone in a
   * household shares them, so adding their agreements would make any two members of a family
   * look like one person. Of their agreeing weights only the largest counts; disagreements add.
   */
  score(vector: ComparisonVector, skipField = -1): number {
    let s = 0;
    let household = 0;
    const levels = vector.levels;
    for (let i = 0; i < levels.length; i++) {
      if (i === skipField) continue;
      const l = levels[i] ?? -1;
      if (l < 0) continue;
      const w = this.weights[i]?.[l] ?? 0;
      if (HOUSEHOLD_FIELDS[i] === true && w > 0) household = Math.max(household, w);
      else s += w;
    }
    return s + household;
  }

  /** Probability of the same person given the score and the prior lambda. */
  probability(score: number): number {
    const priorBits = Math.log2(this.parameters.lambda / (1 - this.parameters.lambda));
    return 1 / (1 + Math.pow(2, -(score + priorBits)));
  }

  evidence(vector: ComparisonVector): FieldEvidence[] {
    return FIELDS.map((field, i) => {
      const l = vector.levels[i] ?? -1;
      return { field, level: l < 0 ? null : (FIELD_LEVELS[field][l] ?? null), weight: round(this.weight(i, l)) };
    });
  }
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}
