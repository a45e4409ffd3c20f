/**
 * The public Splink demo file (1,000 records of about 250 people, with typos, missing values and
 * varied dates of birth) ingested through the real pipeline as one CSV extract.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { createTestDatabase, testEngines, type TestDatabase } from '../store/testing.ts';
import { ensureOrganisations } from '../registry/organisations.ts';
import { addFeed } from '../ingest/feeds.ts';
import { drainInbox, ingestFiles } from '../ingest/ingestFiles.ts';
import { evaluateLinks } from './query.ts';

const now = () => new Date('2026-01-02T00:00:00Z');
const SPLINK = new URL('../../../shared/data/linkage/fake_1000_from_splink_demos.csv', import.meta.url);

describe.each(testEngines())('Splink demo file on %s', (engine) => {
  let db: TestDatabase;
  let dir: string;
  beforeAll(async () => {
    db = await createTestDatabase(engine);
    dir = mkdtempSync(path.join(tmpdir(), 'ohc-mpi-splink-'));
  });
  afterAll(async () => {
    await db.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('links the Splink demo file ingested as a CSV extract', async () => {
    const rows = parse<Record<string, string>>(readFileSync(SPLINK), { columns: true, skip_empty_lines: true });
    const header = ['local_id', 'nhs_number', 'family_name', 'given_names', 'date_of_birth', 'sex', 'address_line_1', 'address_line_2', 'town', 'postcode', 'phone'];
    const out = rows.map((r) => [r.unique_id ?? '', '', (r.surname ?? '').trim(), (r.first_name ?? '').trim(), r.dob ?? '', '', '', '', (r.city ?? '').trim(), '', '']);
    const file = path.join(dir, 'splink-persons.csv');
    writeFileSync(file, stringify([header, ...out]));
    await ensureOrganisations(db.db, [{ odsCode: 'SPL01', name: 'Splink demo', kind: 'social-care', isaFrom: '2020-01-01' }]);
    const feed = await addFeed(db.db, { id: 'splink-demo', organisationOds: 'SPL01', format: 'csv' });
    await ingestFiles(db.db, feed, [file], { now, maxRemovalShare: 1 });
    await drainInbox(db.db, now);
    const truth = rows.map((r) => ({ feedId: 'splink-demo', localId: r.unique_id ?? '', personKey: `splink-${r.cluster ?? ''}` }));
    const all = await evaluateLinks(db.db, truth, { feeds: ['splink-demo'] });
    const links = await db.db.selectFrom('source_records').select('local_id').where('feed_id', '=', 'splink-demo').execute();
    expect(links).toHaveLength(1000);
    process.stdout.write(`splink demo (${engine}): ${JSON.stringify({ precision: all.precision, recall: all.recall, f1: all.f1, truePairs: all.truePairs, predictedPairs: all.predictedPairs, reviewItems: all.reviewItems })}\n`);
    // One source, so every pair is a same-feed pair and needs the stronger evidence: precise, and
    // the rest waits in review rather than being linked on thin evidence.
    expect(all.precision).toBeGreaterThanOrEqual(0.98);
    expect(all.recall).toBeGreaterThan(0.45);
    expect(all.unlinked).toBe(0);
  }, 120_000);
});
