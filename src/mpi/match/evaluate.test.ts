import { describe, it, expect } from 'vitest';
import { evaluate } from './evaluate.ts';

const truth = ['a1', 'a2', 'a3', 'b1', 'b2', 'c1'].map((key) => ({ key, trueKey: key[0] ?? '' }));
const link = (groups: string[][], review: string[] = []) =>
  groups.flatMap((g, i) => g.map((key) => ({ key, personId: `P${i}`, how: review.includes(key) ? 'review' : 'probabilistic' })));

describe('evaluate', () => {
  it.each([
    ['perfect', [['a1', 'a2', 'a3'], ['b1', 'b2'], ['c1']], 1, 1, 4, 4],
    ['all singletons', [['a1'], ['a2'], ['a3'], ['b1'], ['b2'], ['c1']], 1, 0, 4, 0],
    ['one split', [['a1', 'a2'], ['a3'], ['b1', 'b2'], ['c1']], 1, 0.5, 4, 2],
    ['one false join', [['a1', 'a2', 'a3'], ['b1', 'b2', 'c1']], 4 / 6, 1, 4, 6],
  ])('%s', (_name, groups, precision, recall, truePairs, predictedPairs) => {
    const e = evaluate(link(groups), truth);
    expect(e.precision).toBeCloseTo(precision, 10);
    expect(e.recall).toBeCloseTo(recall, 10);
    expect(e.truePairs).toBe(truePairs);
    expect(e.predictedPairs).toBe(predictedPairs);
    expect(e.f1).toBeCloseTo(precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall), 10);
  });

  it('counts records awaiting review', () => {
    expect(evaluate(link([['a1', 'a2', 'a3'], ['b1'], ['b2'], ['c1']], ['b2']), truth).reviewQueue).toBe(1);
  });
});
