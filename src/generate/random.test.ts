import { describe, expect, it } from 'vitest';
import { createRng } from './random.ts';

describe('seeded randomness', () => {
  it('repeats for a seed and differs between seeds', () => {
    const a = createRng('s');
    const b = createRng('s');
    const c = createRng('t');
    const xs = Array.from({ length: 20 }, () => a.next());
    expect(Array.from({ length: 20 }, () => b.next())).toEqual(xs);
    expect(Array.from({ length: 20 }, () => c.next())).not.toEqual(xs);
    for (const x of xs) { expect(x).toBeGreaterThanOrEqual(0); expect(x).toBeLessThan(1); }
  });

  it('picks by weight and stays inside integer bounds', () => {
    const r = createRng('w');
    const counts = [0, 0];
    for (let i = 0; i < 4000; i++) counts[r.pickCumulative([1, 4])]! += 1;
    expect(counts[1]! / 4000).toBeGreaterThan(0.7);
    for (let i = 0; i < 1000; i++) { const n = r.int(3, 5); expect(n).toBeGreaterThanOrEqual(3); expect(n).toBeLessThanOrEqual(5); }
  });
});
