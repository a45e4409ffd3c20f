import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { decidePair, DEFAULT_POLICY } from './pairDecision.ts';
import { defaultParameters, Scorer } from './parameters.ts';
import { PersonIndex } from './personIndex.ts';
import { sequentialPersonIds } from './random.ts';
import { prepareRecord, type MatchDemographics, type SourceRecordInput } from './sourceRecord.ts';
import { evaluate } from './evaluate.ts';
import { generateCounty } from './syntheticCounty.ts';

// Valid test-range numbers (modulus 11).
const NHS_A = '9434765919';
const NHS_B = '9434765870';

const john: MatchDemographics = {
  localId: 'a',
  nhsNumber: NHS_A,
  family: 'Smith',
  given: ['John'],
  birthDate: '1970-03-04',
  sex: 'male',
  postcode: 'LS1 4AP',
  addressLines: ['12 High Street'],
};
const scorer = new Scorer(defaultParameters());
const rec = (feedId: string, localId: string, d: Readonly<Partial<Record<keyof MatchDemographics, unknown>>>): SourceRecordInput => ({
  feedId,
  localId,
  demographics: { ...john, localId, ...(d as Partial<MatchDemographics>) },
});

describe('safety rules for one pair', () => {
  it.each([
    ['valid NHS number and same birth date link deterministically', { family: 'Smyth', postcode: 'BD1 1AA', addressLines: [] }, 'nhs-number', undefined],
    ['two different valid NHS numbers never link', { nhsNumber: NHS_B }, 'review', 'nhs-number-conflict'],
    ['different valid NHS numbers and a different given name are not even a review', { nhsNumber: NHS_B, given: ['Sarah'] }, 'none', undefined],
    ['agreeing NHS number with different name and birth date goes to review', { family: 'Patel', given: ['Amir'], birthDate: '1990-11-20' }, 'review', 'nhs-number-disagrees-with-name-and-birth-date'],
    ['agreeing NHS number with a transposed birth date is weighed, and links', { birthDate: '1970-04-03' }, 'link', undefined],
    ['no NHS number, everything else agrees: probabilistic link', { nhsNumber: undefined }, 'link', undefined],
    ['no NHS number, twin with another given name: review, never a link', { nhsNumber: undefined, given: ['James'] }, 'review', 'given-name-differs'],
    ['no NHS number, same name at the address, another birth date: review', { nhsNumber: undefined, birthDate: '1998-07-21' }, 'review', 'uncertain-score'],
    ['no NHS number, nothing in common: none', { nhsNumber: undefined, family: 'Patel', given: ['Amir'], birthDate: '1990-11-20', postcode: 'BD1 1AA', addressLines: ['3 Mill Lane'] }, 'none', undefined],
  ] as const)('%s', (_name, change, kind, reason) => {
    const a = prepareRecord(rec('gp', 'a', {}));
    const b = prepareRecord(rec('acute', 'b', change));
    const d = decidePair(a, b, scorer, DEFAULT_POLICY);
    expect(d.kind).toBe(kind);
    expect(d.kind === 'review' ? d.reason : undefined).toBe(reason);
    // Symmetric: the same decision whichever record comes first.
    expect(decidePair(b, a, scorer, DEFAULT_POLICY)).toEqual(d);
  });
});

describe('guards', () => {
  const lenient = { ...DEFAULT_POLICY, linkThreshold: 5, reviewThreshold: 0 };
  it.each([
    ['a different given name caps a high score at review', { nhsNumber: undefined, given: ['Peter'] }, 'given-name-differs'],
    ['a different birth date caps a high score at review', { nhsNumber: undefined, birthDate: '1998-07-21' }, 'birth-date-differs'],
  ] as const)('%s', (_name, change, reason) => {
    const d = decidePair(prepareRecord(rec('gp', 'a', {})), prepareRecord(rec('acute', 'b', change)), scorer, lenient);
    expect(d).toMatchObject({ kind: 'review', reason });
  });
});

describe('PersonIndex', () => {
  const newIndex = () => new PersonIndex({ newPersonId: sequentialPersonIds() });

  it('links a second record by NHS number and says how', () => {
    const index = newIndex();
    const first = index.add(rec('gp', 'g1', { nhsNumberVerified: true }));
    expect(first).toMatchObject({ how: 'new-person', personId: 'P000001', relinked: [] });
    const second = index.add(rec('acute', 'h1', { family: 'SMITH ', nhsNumber: '943-476-5919' }));
    expect(second).toMatchObject({ how: 'nhs-number', personId: 'P000001', linkedThrough: { feedId: 'gp', localId: 'g1' } });
    expect(second.evidence.find((e) => e.field === 'nhsNumber')?.level).toBe('exact');
  });

  it('puts a conflicting NHS number in review with evidence, not in the person', () => {
    const index = newIndex();
    index.add(rec('gp', 'g1', {}));
    const d = index.add(rec('acute', 'h1', { nhsNumber: NHS_B }));
    expect(d.how).toBe('review');
    expect(d.personId).toBe('P000002');
    expect(d.reviewCandidates?.[0]).toMatchObject({ personId: 'P000001', reason: 'nhs-number-conflict' });
    const queue = index.reviewQueue();
    expect(queue).toHaveLength(1);
    expect(queue[0]?.evidence.map((e) => e.field)).toContain('birthDate');
  });

  it('never joins two persons with different NHS numbers through a third record', () => {
    const index = newIndex();
    index.add(rec('gp', 'g1', {}));
    index.add(rec('gp2', 'g2', { nhsNumber: NHS_B, given: ['Jon'] }));
    const bridge = index.add(rec('acute', 'h1', { nhsNumber: undefined }));
    const persons = new Set(index.links().map((l) => l.personId));
    expect(persons.size).toBe(2);
    expect(['probabilistic', 'review']).toContain(bridge.how);
  });

  it('treats a second local id from the same feed as a possible duplicate registration', () => {
    const index = newIndex();
    index.add(rec('acute', 'h1', { nhsNumber: undefined }));
    // Just above the link threshold (moved house): not enough for two records of one feed.
    const probabilistic = index.add(rec('acute', 'h2', { nhsNumber: undefined, postcode: 'BD1 1AA', addressLines: ['1 Other Road'] }));
    expect(probabilistic.how).toBe('review');
    expect(probabilistic.reviewCandidates?.[0]?.reason).toBe('same-feed-duplicate');
    // Everything agrees, well above the threshold: linked, and flagged as the source's duplicate.
    const strong = index.add(rec('acute', 'h3', { nhsNumber: undefined }));
    expect(strong).toMatchObject({ how: 'probabilistic', possibleDuplicateRegistration: true });
    const index2 = newIndex();
    index2.add(rec('acute', 'h1', {}));
    const deterministic = index2.add(rec('acute', 'h2', {}));
    expect(deterministic).toMatchObject({ how: 'nhs-number', possibleDuplicateRegistration: true });
  });

  it('merges and unmerges, keeping person ids', () => {
    const index = newIndex();
    index.add(rec('gp', 'g1', {}));
    index.add(rec('acute', 'h1', { nhsNumber: undefined, given: ['Jim'], birthDate: '1970-08-09', postcode: 'YO1 1AA', addressLines: [] }));
    expect(index.person('P000002')).toBeDefined();
    expect(index.merge('P000001', 'P000002')).toEqual({ ok: true, relinked: [{ feedId: 'acute', localId: 'h1', fromPersonId: 'P000002', toPersonId: 'P000001' }] });
    expect(index.decision('acute', 'h1')).toMatchObject({ personId: 'P000001', how: 'merge' });
    expect(index.currentPersonId('P000002')).toBe('P000001');
    expect(index.unmerge('P000001', 'P000002')).toMatchObject({ ok: true });
    expect(index.decision('acute', 'h1')?.personId).toBe('P000002');
    expect(index.unmerge('P000001', 'P000002')).toMatchObject({ ok: false, code: 'no-such-merge' });
  });

  it('refuses to merge persons with different verified NHS numbers unless confirmed', () => {
    const index = newIndex();
    index.add(rec('gp', 'g1', { nhsNumberVerified: true }));
    index.add(rec('gp2', 'g2', { nhsNumber: NHS_B, nhsNumberVerified: true, given: ['Sarah'] }));
    expect(index.merge('P000001', 'P000002')).toMatchObject({ ok: false, code: 'nhs-number-conflict' });
    expect(index.merge('P000001', 'P000002', { allowNhsNumberConflict: true })).toMatchObject({ ok: true });
  });

  it('records a reviewer saying two persons are different', () => {
    const index = newIndex();
    index.add(rec('gp', 'g1', {}));
    index.add(rec('acute', 'h1', { nhsNumber: NHS_B }));
    expect(index.reviewQueue()).toHaveLength(1);
    expect(index.resolveReview({ feedId: 'gp', localId: 'g1' }, { feedId: 'acute', localId: 'h1' }, 'different')).toMatchObject({ ok: true });
    expect(index.reviewQueue()).toHaveLength(0);
    expect(index.decision('acute', 'h1')?.how).toBe('new-person');
  });

  it('derives demographics with GP registration first, then verified NHS number, then recency', () => {
    const index = newIndex();
    index.add({ ...rec('acute', 'h1', { postcode: 'LS6 2QR', phone: '07700 900999' }), recordedAt: '2024-05-01T00:00:00Z' });
    index.add({ ...rec('gp', 'g1', { nhsNumberVerified: true, phone: undefined }), recordedAt: '2023-01-01T00:00:00Z', gpRegistration: true });
    const view = index.person('P000001');
    expect(view?.demographics.postcode).toEqual({ value: 'LS1 4AP', basis: 'gp-registration', feedId: 'gp', localId: 'g1' });
    expect(view?.demographics.phone).toEqual({ value: '07700900999', basis: 'most-recent', feedId: 'acute', localId: 'h1' });
    expect(view?.demographics.nhsNumber?.value).toBe(NHS_A);
    expect(view?.records).toHaveLength(2);
  });

  it('replaces a record sent again and re-links it', () => {
    const index = newIndex();
    index.add(rec('gp', 'g1', {}));
    index.add(rec('acute', 'h1', {}));
    const again = index.add(rec('acute', 'h1', { nhsNumber: undefined, family: 'Patel', given: ['Amir'], birthDate: '1990-11-20', postcode: 'BD1 1AA', addressLines: [] }));
    expect(again.how).toBe('new-person');
    expect(index.size).toBe(2);
  });

  it('survives a snapshot and restore with the same persons', () => {
    const county = generateCounty(60, 5);
    const index = newIndex();
    for (const r of county.records) index.add(r);
    index.merge(index.links()[0]!.personId, index.links()[5]!.personId);
    const restored = PersonIndex.restore(JSON.parse(JSON.stringify(index.snapshot())) as ReturnType<PersonIndex['snapshot']>, { newPersonId: sequentialPersonIds('R') });
    expect(restored.links()).toEqual(index.links());
  });
});

describe('order independence', () => {
  const county = generateCounty(120, 11);
  const partition = (index: PersonIndex): string[] => {
    const byPerson = new Map<string, string[]>();
    for (const l of index.links()) {
      const k = `${l.feedId}/${l.localId}`;
      byPerson.set(l.personId, [...(byPerson.get(l.personId) ?? []), k]);
    }
    return [...byPerson.values()].map((ks) => ks.sort().join(' ')).sort();
  };
  const build = (records: SourceRecordInput[]): PersonIndex => {
    const index = new PersonIndex({ newPersonId: sequentialPersonIds() });
    for (const r of records) index.add(r);
    return index;
  };
  const reference = partition(build(county.records));

  it('gives the same persons whatever order records arrive in', () => {
    fc.assert(
      fc.property(fc.array(fc.integer(), { minLength: county.records.length, maxLength: county.records.length }), (weights) => {
        const order = county.records.map((r, i) => ({ r, w: weights[i] ?? 0, i })).sort((x, y) => x.w - y.w || x.i - y.i).map((x) => x.r);
        const index = build(order);
        expect(partition(index)).toEqual(reference);
        // The incremental state already is the canonical clustering.
        expect(index.resolve()).toEqual([]);
      }),
      { numRuns: 25, seed: 20240601 },
    );
  });

  it('is reasonably accurate on this small county', () => {
    const links = build(county.records).links().map((l) => ({ key: `${l.feedId}\t${l.localId}`, personId: l.personId }));
    expect(evaluate(links, county.truth).precision).toBe(1);
  });
});
