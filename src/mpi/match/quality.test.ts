import { readFileSync } from 'node:fs';
import { describe, it, expect } from 'vitest';
import { parse } from 'csv-parse/sync';
import { estimateParameters } from './estimate.ts';
import { evaluate } from './evaluate.ts';
import { PersonIndex } from './personIndex.ts';
import { seededRandom, sequentialPersonIds } from './random.ts';
import { sourceRecordKey, type SourceRecordInput } from './sourceRecord.ts';
import { generateCounty } from './syntheticCounty.ts';

function run(records: SourceRecordInput[], truth: { key: string; trueKey: string }[], policy = {}) {
  const parameters = estimateParameters(records, { random: seededRandom(7) });
  const index = new PersonIndex({ newPersonId: sequentialPersonIds(), parameters, policy });
  for (const r of records) index.add(r);
  const links = index.links().map((l) => ({ key: sourceRecordKey(l.feedId, l.localId), personId: l.personId, how: l.how }));
  return { evaluation: evaluate(links, truth), queue: index.reviewQueue().length, parameters };
}

describe('splink fake_1000 (no NHS numbers; city as the address; e-mail as a weak field)', () => {
  const text = readFileSync(new URL('../../../../shared/data/linkage/fake_1000_from_splink_demos.csv', import.meta.url), 'utf8');
  const rows = parse<Record<string, string>>(text, { columns: true, skip_empty_lines: true });
  const records: SourceRecordInput[] = rows.map((r) => ({
    feedId: 'splink',
    localId: r.unique_id ?? '',
    demographics: {
      localId: r.unique_id ?? '',
      given: r.first_name ? [r.first_name] : [],
      family: r.surname || undefined,
      birthDate: r.dob || undefined,
      addressLines: r.city ? [r.city] : [],
      email: r.email || undefined,
    },
  }));
  // One file from one source: the same-feed rule would send every pair to review, so each row is its own feed here.
  const asFeeds = records.map((r) => ({ ...r, feedId: `row${r.localId}` }));
  const truth = rows.map((r, i) => ({ key: sourceRecordKey(asFeeds[i]!.feedId, r.unique_id ?? ''), trueKey: r.cluster ?? '' }));

  it('links with high precision and reasonable recall', () => {
    const safe = run(asFeeds, truth);
    const noDobGuard = run(asFeeds, truth, { birthDateGuard: false });
    const show = (e: typeof safe) => ({ ...e.evaluation, precision: +e.evaluation.precision.toFixed(4), recall: +e.evaluation.recall.toFixed(4), f1: +e.evaluation.f1.toFixed(4), reviewItems: e.queue });
    console.log('splink fake_1000, default policy:', show(safe));
    console.log('splink fake_1000, birth-date guard off:', show(noDobGuard));
    expect(safe.evaluation.precision).toBeGreaterThan(0.98);
    expect(safe.evaluation.recall).toBeGreaterThan(0.55);
    expect(noDobGuard.evaluation.f1).toBeGreaterThan(0.8);
  });
});

describe('synthetic county of 2,000 persons with the default faults', () => {
  it('meets precision ≥ 0.999, recall ≥ 0.99 and a review queue under 1% of records', () => {
    const county = generateCounty(2000, 42);
    const { evaluation, queue } = run(county.records, county.truth);
    console.log('synthetic 2,000 persons:', { records: county.records.length, ...evaluation, reviewItems: queue });
    expect(evaluation.precision).toBeGreaterThanOrEqual(0.999);
    expect(evaluation.recall).toBeGreaterThanOrEqual(0.99);
    expect(evaluation.reviewQueue).toBeLessThan(0.01 * county.records.length);
    expect(queue).toBeLessThan(0.01 * county.records.length);
  });
});
