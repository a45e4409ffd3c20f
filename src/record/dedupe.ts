/**
 * The same fact from two sources, shown once: entries of the same type from different feeds that
 * share a coded concept (same system and code) and whose dates are equal or overlap are one item.
 * Grouping is transitive (A≈B and B≈C make one item of three). Pure.
 */
import { factSpan, mainCodes } from './facts.ts';
import type { StoredEntry } from './types.ts';

function overlaps(a: { lo: number; hi: number } | null, b: { lo: number; hi: number } | null): boolean {
  // Undated copies of the same code are the same fact only when neither states a date.
  if (!a || !b) return a === b;
  return a.lo < b.hi && b.lo < a.hi;
}

/** Groups of entries that are the same fact; every entry appears in exactly one group, input order kept. */
export function groupSameFacts(entries: readonly StoredEntry[]): StoredEntry[][] {
  const parent = entries.map((_, i) => i);
  const find = (i: number): number => {
    let r = i;
    while (parent[r] !== r) r = parent[r]!;
    let k = i;
    while (parent[k] !== r) {
      const next = parent[k]!;
      parent[k] = r;
      k = next;
    }
    return r;
  };
  const codes = entries.map((e) => mainCodes(e.resource));
  // Dates are read only for entries that share a code with another: most share none.
  const spans = new Map<number, { lo: number; hi: number } | null>();
  const spanOf = (i: number): { lo: number; hi: number } | null => {
    let span = spans.get(i);
    if (span === undefined) {
      span = factSpan(entries[i]!.resource);
      spans.set(i, span);
    }
    return span;
  };
  const byCode = new Map<string, number[]>();
  entries.forEach((e, i) => {
    for (const c of new Set(codes[i])) {
      const key = `${e.resourceType}\u0000${c}`;
      const list = byCode.get(key);
      if (list) list.push(i);
      else byCode.set(key, [i]);
    }
  });
  for (const list of byCode.values()) {
    for (let x = 0; x < list.length; x++) {
      for (let y = x + 1; y < list.length; y++) {
        const i = list[x]!;
        const j = list[y]!;
        // One source listing a fact twice means it holds two facts: only copies from different feeds merge.
        if (entries[i]!.feedId === entries[j]!.feedId) continue;
        if (overlaps(spanOf(i), spanOf(j))) parent[find(i)] = find(j);
      }
    }
  }
  const groups = new Map<number, StoredEntry[]>();
  entries.forEach((e, i) => {
    const root = find(i);
    const g = groups.get(root);
    if (g) g.push(e);
    else groups.set(root, [e]);
  });
  return [...groups.values()];
}
