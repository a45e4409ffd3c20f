/**
 * Linkage quality through the real ingestion pipeline: a generated county, whose answer key says
 * which source records are one person.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, testEngines, type TestDatabase } from '../store/testing.ts';
import { generateCounty } from '../generate/index.ts';
import { ingestCounty, readTruth } from './county.ts';
import { evaluateLinks } from './query.ts';

const now = () => new Date('2026-01-02T00:00:00Z');

describe.each(testEngines())('linkage quality on %s', (engine) => {
  let db: TestDatabase;
  let dir: string;
  beforeAll(async () => {
    db = await createTestDatabase(engine);
    dir = mkdtempSync(path.join(tmpdir(), 'ohc-mpi-quality-'));
  });
  afterAll(async () => {
    await db.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('links a generated county of 300 persons: precision ≥ 0.999, recall ≥ 0.99, nothing unlinked, review under 1%', async () => {
    const county = path.join(dir, 'county');
    await generateCounty({ persons: 300, seed: 'mpi-quality', outDir: county, asOf: '2026-01-01' });
    await ingestCounty(db.db, county, 300, now);
    const e = await evaluateLinks(db.db, readTruth(path.join(county, 'truth.csv')));
    expect(e.sourceRecords).toBeGreaterThan(300);
    expect(e.precision).toBeGreaterThanOrEqual(0.999);
    expect(e.recall).toBeGreaterThanOrEqual(0.99);
    expect(e.unlinked).toBe(0);
    expect(e.reviewShare).toBeLessThan(0.01);
  }, 120_000);
});
