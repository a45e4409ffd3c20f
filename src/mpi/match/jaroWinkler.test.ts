import { describe, it, expect } from 'vitest';
import { jaro, jaroWinkler } from './jaroWinkler.ts';

describe('jaro', () => {
  it.each([
    ['martha', 'marhta', 0.944],
    ['dixon', 'dicksonx', 0.767],
    ['jellyfish', 'smellyfish', 0.896],
    ['abc', 'abc', 1],
    ['abc', 'xyz', 0],
    ['', 'abc', 0],
  ])('jaro(%s, %s) ≈ %f', (a, b, expected) => {
    expect(jaro(a, b)).toBeCloseTo(expected, 3);
  });
});

describe('jaroWinkler', () => {
  it.each([
    ['martha', 'marhta', 0.961],
    ['dwayne', 'duane', 0.84],
    ['dixon', 'dicksonx', 0.813],
    ['smith', 'smith', 1],
    ['', '', 1],
    ['a', '', 0],
  ])('jaroWinkler(%s, %s) ≈ %f', (a, b, expected) => {
    expect(jaroWinkler(a, b)).toBeCloseTo(expected, 3);
  });

  it.each([
    ['williams', 'wiliams'],
    ['thompson', 'thomson'],
    ['macdonald', 'mcdonald'],
  ])('is symmetric for %s / %s', (a, b) => {
    expect(jaroWinkler(a, b)).toBe(jaroWinkler(b, a));
  });
});
