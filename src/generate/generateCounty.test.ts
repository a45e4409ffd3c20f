import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { generateCounty, type GenerateSummary } from './generateCounty.ts';
import { countyFeeds } from './partners.ts';
import { fhirSchemaProblems } from '../fhir/schema.ts';
import { isValidNhsNumber } from '../nhs/nhsNumber.ts';

const PERSONS = 400;
const ASOF = '2025-06-30';
let root = '';
let out = '';
let summary: GenerateSummary;

interface Feed { id: string; organisation: string; name: string; kind: string; format: 'hl7v2' | 'fhir' | 'csv' }
let feeds: Feed[] = [];
let truth: Record<string, string>[] = [];
let faults: Record<string, string>[] = [];

async function filesOf(feedId: string): Promise<string[]> {
  return (await readdir(join(out, feedId))).sort().map((f) => join(out, feedId, f));
}

function csv(text: string): Record<string, string>[] {
  return parse<Record<string, string>>(text, { columns: true, skip_empty_lines: true });
}

/** Every message of a feed as its segments, split by the documented layout (LF between messages, CR after segments). */
async function hl7Messages(feedId: string): Promise<{ text: string; segments: string[][] }[]> {
  const out: { text: string; segments: string[][] }[] = [];
  for (const f of await filesOf(feedId)) {
    for (const text of (await readFile(f, 'utf8')).split('\n')) {
      if (text === '') continue;
      out.push({ text, segments: text.split('\r').filter((s) => s !== '').map((s) => s.split('|')) });
    }
  }
  return out;
}

async function bundles(feedId: string): Promise<{ resourceType: string; type: string; entry: { resource: Record<string, unknown>; request: { method: string; url: string } }[] }[]> {
  const out = [];
  for (const f of await filesOf(feedId)) out.push(JSON.parse(await readFile(f, 'utf8')) as Awaited<ReturnType<typeof bundles>>[number]);
  return out;
}

const hasFault = (feedId: string, localId: string, fault: string): boolean =>
  faults.some((f) => f.feed_id === feedId && f.local_id === localId && f.fault === fault);

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'ohc-generate-'));
  out = join(root, 'county');
  summary = await generateCounty({ persons: PERSONS, seed: 'test-county', outDir: out, asOf: ASOF });
  feeds = JSON.parse(await readFile(join(out, 'feeds.json'), 'utf8')) as Feed[];
  truth = csv(await readFile(join(out, 'truth.csv'), 'utf8'));
  faults = csv(await readFile(join(out, 'faults.csv'), 'utf8'));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('generateCounty output layout', () => {
  it('lists every feed in feeds.json with a folder each', async () => {
    expect(feeds).toEqual(countyFeeds({ persons: PERSONS }));
    expect(feeds.map((f) => f.id)).toEqual(expect.arrayContaining(['rje-pas', 'rtg-pas', 'rre-fhir', 'rly-fhir', 'rya-epr', 'staffs-sc', 'stoke-sc', 'chc', 'gp-y90001']));
    const dirs = await readdir(out);
    for (const f of feeds) expect(dirs).toContain(f.id);
    expect(summary.practices).toBe(3);
  });

  it('writes the persons and involvements datasets with exactly the documented headers', async () => {
    for (const f of feeds.filter((x) => x.format === 'csv')) {
      for (const file of await filesOf(f.id)) {
        const header = (await readFile(file, 'utf8')).split('\r\n')[0];
        if (file.endsWith('-persons.csv')) expect(header).toBe('local_id,nhs_number,family_name,given_names,date_of_birth,sex,address_line_1,address_line_2,town,postcode,phone');
        else expect(header).toBe('local_id,involvement_id,service,team,worker_role,start_date,end_date,status');
      }
      for (const file of (await filesOf(f.id)).filter((x) => x.endsWith('-persons.csv'))) {
        for (const row of csv(await readFile(file, 'utf8'))) {
          expect(['male', 'female', 'other', 'unknown']).toContain(row.sex);
          expect(row.date_of_birth).toMatch(/^\d{4}-\d{2}-\d{2}$/);
          expect(row.postcode).toMatch(/^(ST|WS|DE|B)\d{1,2} \d[A-Z]{2}$/);
        }
      }
    }
  });

  it('summarises what it wrote', () => {
    expect(summary.persons).toBe(PERSONS);
    expect(summary.sourceRecords).toBe(truth.length);
    expect(summary.hl7Messages).toBeGreaterThan(PERSONS);
    expect(summary.files).toBeGreaterThan(feeds.length);
    const faultRows = Object.entries(summary.faults).reduce((n, [, c]) => n + c, 0);
    expect(faultRows).toBe(faults.length);
  });
});

describe('HL7 v2 feeds', () => {
  it('every message has a valid MSH: delimiters, the trust as MSH-4, a type, a control id unique but for logged repeats, version 2.4', async () => {
    for (const f of feeds.filter((x) => x.format === 'hl7v2')) {
      const msgs = await hl7Messages(f.id);
      expect(msgs.length).toBeGreaterThan(0);
      const seen = new Map<string, string>();
      for (const m of msgs) {
        const msh = m.segments[0] ?? [];
        expect(m.text.startsWith('MSH|^~\\&|')).toBe(true);
        expect(msh[3]).toBe(f.organisation);
        expect(msh[8]).toMatch(/^(ADT\^A(01|02|03|04|05|08|11|13|28|31|40)\^ADT_A\d\d|ORU\^R01\^ORU_R01|MDM\^T02\^MDM_T02)$/);
        expect(msh[11]).toBe('2.4');
        const id = msh[9] ?? '';
        const before = seen.get(id);
        if (before !== undefined) {
          expect(m.text).toBe(before);
          expect(faults.some((x) => x.feed_id === f.id && x.fault === 'repeated-message' && x.detail === id)).toBe(true);
        }
        seen.set(id, m.text);
      }
    }
  });

  it('writes PID-3 the NHS ITK way and escapes delimiters inside data', async () => {
    const msgs = await hl7Messages('rje-pas');
    const pids = msgs.flatMap((m) => m.segments.filter((s) => s[0] === 'PID'));
    for (const pid of pids) {
      const ids = (pid[3] ?? '').split('~').map((r) => r.split('^'));
      expect(ids.some((c) => c[4] === 'PI' && c[3] === 'RJE')).toBe(true);
      for (const c of ids.filter((x) => x[4] === 'NH')) expect(c[3]).toBe('NHS');
    }
    const ue = msgs.flatMap((m) => m.segments).find((s) => s[0] === 'OBR' && (s[4] ?? '').startsWith('UE^'));
    expect(ue?.[4]).toBe('UE^Urea \\T\\ electrolytes^L');
  });

  it('only the logged malformed messages lack a PID or carry an impossible birth date', async () => {
    for (const f of feeds.filter((x) => x.format === 'hl7v2')) {
      for (const m of await hl7Messages(f.id)) {
        const id = m.segments[0]?.[9] ?? '';
        const pid = m.segments.find((s) => s[0] === 'PID');
        const broken = !pid || /0231$/.test(pid[7] ?? '');
        if (broken) expect(faults.some((x) => x.feed_id === f.id && x.fault === 'malformed-message' && x.detail === id)).toBe(true);
      }
    }
  });

  it('merges every duplicate registration with an A40 naming it in MRG-1', async () => {
    const dups = faults.filter((x) => x.fault === 'duplicate-registration');
    expect(dups.length).toBeGreaterThan(0);
    for (const d of dups) {
      const msgs = await hl7Messages(d.feed_id ?? '');
      const merge = msgs.find((m) => m.segments.some((s) => s[0] === 'MRG' && (s[1] ?? '').startsWith(`${d.local_id}^`)));
      expect(merge?.segments[0]?.[8]).toBe('ADT^A40^ADT_A39');
    }
  });
});

describe('FHIR feeds', () => {
  it('every bundle is a batch of PUTs under the source ids, valid against the R4 schema', async () => {
    for (const f of feeds.filter((x) => x.format === 'fhir')) {
      for (const b of await bundles(f.id)) {
        expect(b.resourceType).toBe('Bundle');
        expect(b.type).toBe('batch');
        for (const e of b.entry) {
          expect(e.request.method).toBe('PUT');
          expect(e.request.url).toBe(`${String(e.resource.resourceType)}/${String(e.resource.id)}`);
          expect(fhirSchemaProblems(e.resource)).toEqual([]);
        }
      }
    }
  });

  it('GP patients are registered with their practice and carry verified NHS numbers', async () => {
    for (const f of feeds.filter((x) => x.id.startsWith('gp-'))) {
      for (const b of await bundles(f.id)) {
        for (const { resource: r } of b.entry.filter((e) => e.resource.resourceType === 'Patient')) {
          const gp = (r.generalPractitioner as { reference: string; identifier: { value: string } }[])[0];
          expect(gp?.reference).toBe(`Organization/${f.organisation}`);
          const nhs = (r.identifier as { system: string; value: string }[]).find((i) => i.system === 'https://fhir.nhs.uk/Id/nhs-number');
          expect(isValidNhsNumber(nhs?.value ?? '')).toBe(true);
        }
      }
    }
  });

  it('histories fit age and sex: no pregnancy for men, no dementia before 65, more conditions with age', async () => {
    const asOfYear = Number(ASOF.slice(0, 4));
    const byAge: { age: number; conditions: number }[] = [];
    for (const f of feeds.filter((x) => x.id.startsWith('gp-'))) {
      for (const b of await bundles(f.id)) {
        const patients = new Map(b.entry.filter((e) => e.resource.resourceType === 'Patient').map((e) => [String(e.resource.id), e.resource]));
        const count = new Map<string, number>();
        for (const { resource: r } of b.entry.filter((e) => e.resource.resourceType === 'Condition')) {
          const pid = String((r.subject as { reference: string }).reference).replace('Patient/', '');
          const p = patients.get(pid);
          const age = asOfYear - Number(String(p?.birthDate).slice(0, 4));
          const code = (r.code as { coding: { code: string }[] }).coding[0]?.code;
          if (code === '77386006') { expect(p?.gender).toBe('female'); expect(age).toBeGreaterThanOrEqual(15); expect(age).toBeLessThanOrEqual(47); }
          if (code === '52448006') expect(age).toBeGreaterThanOrEqual(65);
          if (code === '399068003') expect(p?.gender).toBe('male');
          if (code === '254837009') expect(p?.gender).toBe('female');
          count.set(pid, (count.get(pid) ?? 0) + 1);
        }
        for (const [id, p] of patients) byAge.push({ age: asOfYear - Number(String(p.birthDate).slice(0, 4)), conditions: count.get(id) ?? 0 });
      }
    }
    const mean = (xs: { conditions: number }[]): number => xs.reduce((n, x) => n + x.conditions, 0) / Math.max(1, xs.length);
    expect(mean(byAge.filter((x) => x.age >= 65))).toBeGreaterThan(2 * mean(byAge.filter((x) => x.age < 40)));
  });
});

describe('identity: NHS numbers and the truth file', () => {
  it('every NHS number is in the 999 range and fails modulus 11 only where a mistype was injected', async () => {
    const seen: { feed: string; local: string; nhs: string }[] = [];
    for (const f of feeds) {
      if (f.format === 'hl7v2') {
        for (const m of await hl7Messages(f.id)) {
          const pid = m.segments.find((s) => s[0] === 'PID');
          const ids = (pid?.[3] ?? '').split('~').map((r) => r.split('^'));
          const local = ids.find((c) => c[4] === 'PI')?.[0] ?? '';
          for (const c of ids.filter((x) => x[4] === 'NH')) seen.push({ feed: f.id, local, nhs: c[0] ?? '' });
        }
      } else if (f.format === 'fhir') {
        for (const b of await bundles(f.id)) {
          for (const { resource: r } of b.entry.filter((e) => e.resource.resourceType === 'Patient')) {
            for (const i of (r.identifier as { system: string; value: string }[]).filter((x) => x.system === 'https://fhir.nhs.uk/Id/nhs-number')) seen.push({ feed: f.id, local: String(r.id), nhs: i.value });
          }
        }
      } else {
        for (const file of (await filesOf(f.id)).filter((x) => x.endsWith('-persons.csv'))) {
          for (const row of csv(await readFile(file, 'utf8'))) if (row.nhs_number) seen.push({ feed: f.id, local: row.local_id ?? '', nhs: row.nhs_number });
        }
      }
    }
    expect(seen.length).toBeGreaterThan(PERSONS);
    for (const s of seen) {
      expect(s.nhs).toMatch(/^999\d{7}$/);
      if (!isValidNhsNumber(s.nhs)) expect(hasFault(s.feed, s.local, 'mistyped-nhs-number')).toBe(true);
    }
  });

  it('truth.csv names exactly the local ids found in the files, one real person each', async () => {
    const inFiles = new Set<string>();
    for (const f of feeds) {
      if (f.format === 'hl7v2') {
        for (const m of await hl7Messages(f.id)) {
          for (const s of m.segments) {
            if (s[0] === 'PID') for (const r of (s[3] ?? '').split('~')) { const c = r.split('^'); if (c[4] === 'PI') inFiles.add(`${f.id}|${c[0]}`); }
            if (s[0] === 'MRG') inFiles.add(`${f.id}|${(s[1] ?? '').split('^')[0]}`);
          }
        }
      } else if (f.format === 'fhir') {
        for (const b of await bundles(f.id)) for (const e of b.entry) if (e.resource.resourceType === 'Patient') inFiles.add(`${f.id}|${String(e.resource.id)}`);
      } else {
        for (const file of (await filesOf(f.id)).filter((x) => x.endsWith('-persons.csv'))) for (const row of csv(await readFile(file, 'utf8'))) inFiles.add(`${f.id}|${row.local_id}`);
      }
    }
    const inTruth = new Set(truth.map((t) => `${t.feed_id}|${t.local_id}`));
    expect(inTruth.size).toBe(truth.length);
    expect([...inFiles].sort()).toEqual([...inTruth].sort());
    const keys = new Set(truth.map((t) => t.person_key));
    expect(keys.size).toBe(PERSONS);
    // Everyone is registered with exactly one practice.
    expect(truth.filter((t) => t.feed_id?.startsWith('gp-')).length).toBe(PERSONS);
  });
});

describe('determinism', () => {
  async function snapshot(dir: string): Promise<Map<string, string>> {
    const files = new Map<string, string>();
    const walk = async (d: string, prefix: string): Promise<void> => {
      for (const e of await readdir(d, { withFileTypes: true })) {
        if (e.isDirectory()) await walk(join(d, e.name), `${prefix}${e.name}/`);
        else files.set(`${prefix}${e.name}`, await readFile(join(d, e.name), 'utf8'));
      }
    };
    await walk(dir, '');
    return files;
  }

  it('the same seed and asOf give byte-identical output; another seed differs', async () => {
    const a = join(root, 'a');
    const b = join(root, 'b');
    const c = join(root, 'c');
    await generateCounty({ persons: 120, seed: 'same', outDir: a, asOf: ASOF, personsPerFile: 50 });
    await generateCounty({ persons: 120, seed: 'same', outDir: b, asOf: ASOF, personsPerFile: 50 });
    await generateCounty({ persons: 120, seed: 'other', outDir: c, asOf: ASOF, personsPerFile: 50 });
    const [sa, sb, sc] = await Promise.all([snapshot(a), snapshot(b), snapshot(c)]);
    expect([...sa.keys()].sort()).toEqual([...sb.keys()].sort());
    for (const [name, text] of sa) expect(sb.get(name), name).toBe(text);
    expect(sc.get('truth.csv')).not.toBe(sa.get('truth.csv'));
  });

  it('regenerates over an earlier county but refuses a folder holding anything else', async () => {
    const d = join(root, 'again');
    await generateCounty({ persons: 30, seed: 'x', outDir: d, asOf: ASOF });
    await expect(generateCounty({ persons: 30, seed: 'x', outDir: d, asOf: ASOF })).resolves.toMatchObject({ persons: 30 });
    const other = join(root, 'other');
    await generateCounty({ persons: 5, seed: 'x', outDir: other, asOf: ASOF });
    await rm(join(other, 'feeds.json'));
    await writeFile(join(other, 'notes.txt'), 'keep me');
    await expect(generateCounty({ persons: 5, seed: 'x', outDir: other, asOf: ASOF })).rejects.toThrow(/not empty/);
  });

  it.each([
    [{ persons: 0 }, /persons/],
    [{ asOf: '2025-02-30' }, /calendar date/],
    [{ asOf: '30/06/2025' }, /YYYY-MM-DD/],
    [{ seed: '' }, /seed/],
    [{ faults: { nameTypo: 2 } }, /nameTypo/],
  ])('rejects bad options %o', async (bad, message) => {
    await expect(generateCounty({ persons: 5, seed: 's', outDir: join(root, 'bad'), asOf: ASOF, ...bad })).rejects.toThrow(message);
  });
});
