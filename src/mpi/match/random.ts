/**
 * A small seeded pseudo-random generator (mulberry32) for tests, the synthetic county and
 * parameter estimation: randomness is always injected, never taken from Math.random.
 */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Person ids "P000001", "P000002", … : deterministic ids for tests and measurement. */
export function sequentialPersonIds(prefix = 'P'): () => string {
  let n = 0;
  return () => `${prefix}${String(++n).padStart(6, '0')}`;
}
