import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { createTestDatabase, testEngines, type TestDatabase } from '../store/testing.ts';
import type { SourceDemographics } from '../ingest/sourceAction.ts';
import { transaction } from '../store/db.ts';
import { applySourceMerge } from './link.ts';
import { listReviewQueue, acceptReview, rejectReview } from './review.ts';
import { mergePersons, unmergePersons } from './operations.ts';
import { personDemographics, listLinks } from './query.ts';
import { MpiError } from './resolve.ts';
import { FEEDS, addResource, link, memoryAudit, personOf, registerFixtureFeeds } from './testSupport.ts';

// Valid test-range NHS numbers (modulus 11).
const NHS_A = '9434765919';
const NHS_B = '9434765870';

const base: SourceDemographics = {
  localId: 'x', family: 'Okonkwo', given: ['Adaeze'], birthDate: '1984-06-12', sex: 'female', postcode: 'EX4 3SR', addressLines: ['7 Fore Street'],
};
const d = (localId: string, over: Partial<SourceDemographics>): SourceDemographics => ({ ...base, localId, ...over });

async function reset(db: TestDatabase): Promise<void> {
  await sql`truncate mpi_recheck, mpi_link_events, mpi_parameters, mpi_merges, mpi_separations, mpi_must_links, mpi_pairs, mpi_blocking_keys, mpi_records, resources, source_records, persons cascade`.execute(db.db);
}

describe.each(testEngines())('person index in the database on %s', (engine) => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase(engine);
    await registerFixtureFeeds(db.db);
  });
  afterAll(async () => db.dispose());
  beforeEach(async () => reset(db));

  describe('safety rules', () => {
    it.each([
      ['a valid NHS number agreeing with the birth date links deterministically', { nhsNumber: NHS_A, family: 'Okonkow', postcode: 'EX1 1AA', addressLines: [] }, true, 'nhs-number', null],
      ['a valid NHS number disagreeing with name and birth date goes to review, not a link', { nhsNumber: NHS_A, family: 'Brennan', given: ['Thomas'], birthDate: '1950-01-30', sex: 'male' }, false, 'review', 'nhs-number-disagrees-with-name-and-birth-date'],
      ['two different valid NHS numbers are never linked automatically', { nhsNumber: NHS_B }, false, 'review', 'nhs-number-conflict'],
      ['without NHS numbers, full agreement links probabilistically', { nhsNumber: undefined }, true, 'probabilistic', null],
      ['a twin with another given name is a review, never a link', { nhsNumber: undefined, given: ['Chiamaka'] }, false, 'review', 'given-name-differs'],
      ['an unrelated person is a new person', { nhsNumber: undefined, family: 'Lindqvist', given: ['Soren'], birthDate: '1931-02-02', postcode: 'PL1 2AA', addressLines: ['1 Quay'] }, false, 'new-person', null],
    ] as const)('%s', async (_name, second, same, how, reason) => {
      const firstNhs = 'nhsNumber' in second && second.nhsNumber === undefined ? {} : { nhsNumber: NHS_A, nhsNumberVerified: true };
      await link(db.db, FEEDS.gp, d('g1', firstNhs));
      const r = await link(db.db, FEEDS.acute, d('a1', second as Partial<SourceDemographics>));
      expect(r.personId === (await personOf(db.db, FEEDS.gp, 'g1'))).toBe(same);
      expect(r.how).toBe(how);
      const queue = await listReviewQueue(db.db);
      if (reason === null) expect(queue).toHaveLength(0);
      else {
        expect(queue).toHaveLength(1);
        expect(queue[0]!.reason).toBe(reason);
        expect(queue[0]!.evidence.map((e) => e.field)).toContain('birthDate');
      }
    });

    it('a record without an NHS number never bridges two persons holding different ones', async () => {
      await link(db.db, FEEDS.gp, d('g1', { nhsNumber: NHS_A, nhsNumberVerified: true }));
      await link(db.db, FEEDS.acute, d('a1', { nhsNumber: NHS_B }));
      await link(db.db, FEEDS.council, d('c1', {}));
      const persons = new Set((await listLinks(db.db)).map((l) => l.person_id));
      expect(persons.size).toBe(2);
      const numbers = await db.db.selectFrom('source_records').select(['person_id', 'nhs_number']).where('nhs_number', 'is not', null).execute();
      expect(new Set(numbers.map((n) => n.person_id)).size).toBe(2);
    });

    it('a second local record in the same feed needs stronger evidence: a weaker pair is a review, not a link', async () => {
      await link(db.db, FEEDS.acute, d('a1', {}));
      const weak = await link(db.db, FEEDS.acute, d('a2', { postcode: 'PL1 1AA', addressLines: ['1 Other Road'] }));
      expect(weak.personId).not.toBe(await personOf(db.db, FEEDS.acute, 'a1'));
      expect((await listReviewQueue(db.db))[0]?.reason).toBe('same-feed-duplicate');
      const strong = await link(db.db, FEEDS.acute, d('a3', {}));
      expect(strong).toMatchObject({ personId: await personOf(db.db, FEEDS.acute, 'a1'), how: 'probabilistic' });
    });

    it('a record whose NHS number is corrected moves, with its resources, to the right person', async () => {
      await link(db.db, FEEDS.gp, d('g1', { nhsNumber: NHS_A, nhsNumberVerified: true }));
      await link(db.db, FEEDS.gp, d('g2', { nhsNumber: NHS_B, nhsNumberVerified: true, given: ['Ngozi'], birthDate: '1990-09-09' }));
      await link(db.db, FEEDS.acute, d('a1', { nhsNumber: NHS_A }));
      await addResource(db.db, FEEDS.acute, 'a1', 'allergy-1');
      const r = await link(db.db, FEEDS.acute, d('a1', { nhsNumber: NHS_B, given: ['Ngozi'], birthDate: '1990-09-09' }), new Date('2026-01-02T10:00:00Z'));
      expect(r.personId).toBe(await personOf(db.db, FEEDS.gp, 'g2'));
      expect(r.movedFrom).toBe(await personOf(db.db, FEEDS.gp, 'g1'));
      const res = await db.db.selectFrom('resources').select('person_id').where('source_id', '=', 'allergy-1').executeTakeFirstOrThrow();
      expect(res.person_id).toBe(r.personId);
      const events = await db.db.selectFrom('mpi_link_events').selectAll().where('local_id', '=', 'a1').execute();
      expect(events).toHaveLength(1);
    });

    it('an older version changes nothing', async () => {
      await link(db.db, FEEDS.gp, d('g1', {}), new Date('2026-01-02T00:00:00Z'));
      const r = await link(db.db, FEEDS.gp, d('g1', { family: 'Other' }), new Date('2026-01-01T00:00:00Z'));
      expect(r.applied).toBe(false);
    });
  });

  describe('merges, unmerges and review', () => {
    it('refuses to merge persons with conflicting verified NHS numbers unless confirmed, and undoes a merge', async () => {
      await link(db.db, FEEDS.gp, d('g1', { nhsNumber: NHS_A, nhsNumberVerified: true }));
      await link(db.db, FEEDS.acute, d('a1', { nhsNumber: NHS_B, nhsNumberVerified: true, given: ['Ngozi'] }));
      await addResource(db.db, FEEDS.acute, 'a1', 'allergy-2');
      const p1 = await personOf(db.db, FEEDS.gp, 'g1');
      const p2 = await personOf(db.db, FEEDS.acute, 'a1');
      const audit = memoryAudit();
      const opts = { actor: { userId: 'u-reg-1' }, audit: audit.sink, now: new Date('2026-02-01T09:00:00Z') };
      await expect(mergePersons(db.db, p1, p2, opts)).rejects.toMatchObject({ code: 'nhs-number-conflict' });
      expect(audit.events).toHaveLength(0);

      const merged = await mergePersons(db.db, p1, p2, { ...opts, allowNhsNumberConflict: true });
      expect(merged.changes).toEqual([{ feedId: FEEDS.acute, localId: 'a1', fromPersonId: p2, toPersonId: p1 }]);
      expect(await personOf(db.db, FEEDS.acute, 'a1')).toBe(p1);
      expect((await db.db.selectFrom('resources').select('person_id').where('source_id', '=', 'allergy-2').executeTakeFirstOrThrow()).person_id).toBe(p1);
      expect((await personDemographics(db.db, p2))?.personId).toBe(p1);

      await unmergePersons(db.db, p1, p2, opts);
      expect(await personOf(db.db, FEEDS.acute, 'a1')).toBe(p2);
      expect((await db.db.selectFrom('resources').select('person_id').where('source_id', '=', 'allergy-2').executeTakeFirstOrThrow()).person_id).toBe(p2);
      expect(audit.events.map((e) => [e.action, e.actor.id, e.details.operation])).toEqual([
        ['mpi-link-changed', 'u-reg-1', 'merge'], ['mpi-link-changed', 'u-reg-1', 'unmerge'],
      ]);
      // Kept apart afterwards: a new record cannot re-join them.
      await link(db.db, FEEDS.council, d('c1', {}));
      expect(await personOf(db.db, FEEDS.acute, 'a1')).not.toBe(await personOf(db.db, FEEDS.gp, 'g1'));
    });

    it('follows an A40 from the source and can undo it', async () => {
      await link(db.db, FEEDS.acute, d('a1', {}));
      await link(db.db, FEEDS.acute, d('a2', { given: ['Ada'], birthDate: '1984-06-21' }));
      await addResource(db.db, FEEDS.acute, 'a2', 'allergy-3');
      const survivor = await personOf(db.db, FEEDS.acute, 'a1');
      const retired = await personOf(db.db, FEEDS.acute, 'a2');
      expect(survivor).not.toBe(retired);
      const r = await transaction(db.db, (trx) => applySourceMerge(trx, FEEDS.acute, 'a1', 'a2', new Date('2026-01-03T00:00:00Z')));
      expect(r).toEqual({ personId: survivor, retiredPersonId: retired });
      expect(await personOf(db.db, FEEDS.acute, 'a2')).toBe(survivor);
      expect((await db.db.selectFrom('source_records').select('link_how').where('local_id', '=', 'a2').executeTakeFirstOrThrow()).link_how).toBe('merge');
      expect((await db.db.selectFrom('resources').select('person_id').where('source_id', '=', 'allergy-3').executeTakeFirstOrThrow()).person_id).toBe(survivor);
      const audit = memoryAudit();
      await unmergePersons(db.db, survivor, retired, { actor: { userId: 'u1' }, audit: audit.sink, now: new Date() });
      expect(await personOf(db.db, FEEDS.acute, 'a2')).toBe(retired);
    });

    it('does not follow an A40 across different verified NHS numbers: the pair goes to review', async () => {
      await link(db.db, FEEDS.acute, d('a1', { nhsNumber: NHS_A, nhsNumberVerified: true }));
      await link(db.db, FEEDS.acute, d('a2', { nhsNumber: NHS_B, nhsNumberVerified: true }));
      const r = await transaction(db.db, (trx) => applySourceMerge(trx, FEEDS.acute, 'a1', 'a2', new Date()));
      expect(r.retiredPersonId).toBeNull();
      expect(await personOf(db.db, FEEDS.acute, 'a2')).not.toBe(await personOf(db.db, FEEDS.acute, 'a1'));
      expect((await listReviewQueue(db.db)).map((i) => i.reason)).toEqual(['nhs-number-conflict']);
    });

    it('accepting a review item links the two persons; rejecting keeps them apart', async () => {
      await link(db.db, FEEDS.gp, d('g1', {}));
      await link(db.db, FEEDS.acute, d('a1', { given: ['Chiamaka'] }));
      await link(db.db, FEEDS.council, d('c1', { family: 'Lindqvist', given: ['Soren'], birthDate: '1931-02-02', postcode: 'PL1 2AA', addressLines: ['1 Quay'] }));
      await link(db.db, FEEDS.gp, d('g9', { family: 'Lindqvist', given: ['Sven'], birthDate: '1931-02-02', postcode: 'PL1 2AA', addressLines: ['1 Quay'] }));
      const audit = memoryAudit();
      const opts = { actor: { userId: 'reviewer' }, audit: audit.sink, now: new Date() };
      const queue = await listReviewQueue(db.db);
      expect(queue).toHaveLength(2);
      const twin = queue.find((i) => i.records.some((r) => r.localId === 'a1'))!;
      expect(twin.against).toContain('given');
      expect(twin.for).toContain('birthDate');
      const other = queue.find((i) => i !== twin)!;
      await acceptReview(db.db, twin.id, opts);
      expect(await personOf(db.db, FEEDS.acute, 'a1')).toBe(await personOf(db.db, FEEDS.gp, 'g1'));
      expect((await db.db.selectFrom('source_records').select('link_how').where('local_id', '=', 'a1').executeTakeFirstOrThrow()).link_how).toBe('manual');
      // Reversible: the accepted pair is undone like any merge.
      const survivor = await personOf(db.db, FEEDS.gp, 'g1');
      const retired = twin.records.map((r) => r.personId).find((x) => x !== survivor)!;
      await unmergePersons(db.db, survivor, retired, opts);
      expect(await personOf(db.db, FEEDS.acute, 'a1')).not.toBe(await personOf(db.db, FEEDS.gp, 'g1'));
      await rejectReview(db.db, other.id, opts);
      expect(await listReviewQueue(db.db)).toHaveLength(0);
      expect(audit.events.map((e) => e.details.operation)).toEqual(['review-accept', 'unmerge', 'review-reject']);
      await expect(acceptReview(db.db, 999999, opts)).rejects.toBeInstanceOf(MpiError);
    });
  });

  it('derives demographics with the GP registration first and says where each value came from', async () => {
    await link(db.db, FEEDS.gp, d('g1', { nhsNumber: NHS_A, postcode: 'EX4 3SR' }), new Date('2025-01-01T00:00:00Z'));
    await link(db.db, FEEDS.acute, d('a1', { nhsNumber: NHS_A, nhsNumberVerified: true, postcode: 'EX2 4AB', phone: '01392 000111' }), new Date('2026-01-01T00:00:00Z'));
    const p = await personDemographics(db.db, await personOf(db.db, FEEDS.gp, 'g1'));
    expect(p?.records.map((r) => r.localId)).toEqual(['g1', 'a1']);
    expect(p?.demographics.postcode).toEqual({ value: 'EX4 3SR', basis: 'gp-registration', feedId: FEEDS.gp, localId: 'g1' });
    expect(p?.demographics.phone).toMatchObject({ basis: 'verified-nhs-number', feedId: FEEDS.acute });
    expect(await personDemographics(db.db, '00000000-0000-0000-0000-000000000000')).toBeNull();
  });
});
