/**
 * The synthetic county: writes, person by person, what every partner would send about its
 * residents (HL7 v2 from the acute trusts, FHIR batch bundles from GP practices, the community
 * and mental health trusts and the ambulance service, CSV extracts from the councils and
 * continuing healthcare), with the answer key beside it:
 *
 *   outDir/<feed-id>/00001.hl7 | 00001.json | 00001-1-persons.csv + 00001-2-involvements.csv, …
 *   outDir/truth.csv    feed_id,local_id,person_key   every source record and the real person it is
 *   outDir/faults.csv   feed_id,local_id,fault,detail every injected fault
 *   outDir/feeds.json   [{ id, organisation, name, kind, format }]
 *   outDir/organisations.json   every partner with its governance contacts and agreement dates
 *
 * A new file every 500 persons of a feed. Same seed, asOf and options give byte-identical output.
 * Persons beyond the ~909,000 valid test-range NHS numbers have no NHS number anywhere.
 */
import { mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fhirTime, momentAt, parseDay } from './dates.ts';
import { FAULT_KINDS, resolveFaults, type FaultKind, type FaultLog, type FaultRates } from './faults.ts';
import { ACUTE_NORTH, ACUTE_SOUTH, FEED_IDS, countyFeeds, countyPartners, gpFeedId, gpPractices, type FeedSpec } from './partners.ts';
import { makePerson } from './population.ts';
import { sourceRecord } from './sourceRecord.ts';
import { FeedFiles, FileSink, csvLines, type FeedLayout } from './sinks.ts';
import { AcuteFeed, acuteMessages, attendsAcute } from './acuteHl7.ts';
import { gpResources, practiceOrganization } from './gpRecord.ts';
import { putEntry } from './fhirCommon.ts';
import { communityResources, communityServices, mentalHealthServices } from './communityRecord.ts';
import { ambulanceProbability, ambulanceResources } from './ambulanceRecord.ts';
import { INVOLVEMENTS_HEADER, PERSONS_HEADER, chcProbability, involvementRows, personsRow, socialCareProbability } from './careRecord.ts';

export interface GenerateOptions {
  persons: number;
  seed: string;
  outDir: string;
  /** YYYY-MM-DD: every event happens before this day. */
  asOf: string;
  faults?: Partial<FaultRates>;
  onProgress?: (progress: { done: number; total: number }) => void;
  /** Persons per file of each feed (default 500). */
  personsPerFile?: number;
}

export interface FeedSummary { files: number; bytes: number; records: number; items: number }

export interface GenerateSummary {
  persons: number;
  seed: string;
  asOf: string;
  personsWithoutNhsNumber: number;
  practices: number;
  feeds: number;
  files: number;
  bytes: number;
  /** Rows of truth.csv: one per source record (local id) in any feed. */
  sourceRecords: number;
  hl7Messages: number;
  fhirEntries: number;
  csvRows: number;
  faults: Record<FaultKind, number>;
  byFeed: Record<string, FeedSummary>;
}

const PROGRESS_EVERY = 1000;

class CountingFaultLog implements FaultLog {
  readonly counts = Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as Record<FaultKind, number>;
  private pending: string[][] = [];
  constructor(private readonly sink: FileSink) {}
  record(feedId: string, localId: string, fault: FaultKind, detail: string): void {
    this.counts[fault]++;
    this.pending.push([feedId, localId, fault, detail]);
  }
  drain(): void {
    if (this.pending.length > 0) this.sink.append(csvLines(this.pending));
    this.pending = [];
  }
}

/** Refuses to write into a folder that holds anything but an earlier generated county. */
async function prepareOutDir(outDir: string): Promise<void> {
  await mkdir(outDir, { recursive: true });
  const entries = await readdir(outDir);
  if (entries.length === 0) return;
  if (!entries.includes('feeds.json')) {
    throw new Error('the output folder is not empty and holds no generated county (feeds.json); choose an empty folder');
  }
  const previous = JSON.parse(await readFile(join(outDir, 'feeds.json'), 'utf8')) as { id?: unknown }[];
  for (const f of previous) {
    if (typeof f.id === 'string' && /^[a-z0-9-]+$/.test(f.id)) await rm(join(outDir, f.id), { recursive: true, force: true });
  }
  for (const name of ['truth.csv', 'faults.csv', 'feeds.json', 'organisations.json']) await rm(join(outDir, name), { force: true });
}

export async function generateCounty(opts: GenerateOptions): Promise<GenerateSummary> {
  if (!Number.isInteger(opts.persons) || opts.persons < 1) throw new RangeError('persons must be a whole number of at least 1');
  if (typeof opts.seed !== 'string' || opts.seed.length === 0) throw new RangeError('seed must be a non-empty string');
  const asOfDay = parseDay(opts.asOf);
  const rates = resolveFaults(opts.faults);
  const perFile = opts.personsPerFile ?? 500;
  if (!Number.isInteger(perFile) || perFile < 1) throw new RangeError('personsPerFile must be a whole number of at least 1');

  await prepareOutDir(opts.outDir);
  const practices = gpPractices(opts.persons);
  const feeds = countyFeeds({ persons: opts.persons });
  const partnerNames = new Map(countyPartners({ persons: opts.persons }).map((p) => [p.odsCode, p.name]));
  const nameOf = (ods: string): string => partnerNames.get(ods) ?? ods;
  const timestamp = fhirTime(momentAt(asOfDay, 0));

  const files = new Map<string, FeedFiles>();
  const counters = new Map<string, FeedSummary>();
  for (const f of feeds) {
    await mkdir(join(opts.outDir, f.id), { recursive: true });
    const practice = practices.find((p) => gpFeedId(p.odsCode) === f.id);
    const layout: FeedLayout = f.format === 'hl7v2' ? { format: 'hl7v2' }
      : f.format === 'fhir' ? { format: 'fhir', bundlePrefix: f.id, timestamp, preamble: practice ? [putEntry(practiceOrganization(practice))] : [] }
        : { format: 'csv', datasets: [{ name: 'persons', header: PERSONS_HEADER }, { name: 'involvements', header: INVOLVEMENTS_HEADER }] };
    files.set(f.id, new FeedFiles(join(opts.outDir, f.id), layout, perFile));
    counters.set(f.id, { files: 0, bytes: 0, records: 0, items: 0 });
  }
  const feed = (id: string): FeedFiles => {
    const f = files.get(id);
    if (!f) throw new Error(`unknown feed ${id}`);
    return f;
  };
  const count = (id: string, records: number, items: number): void => {
    const c = counters.get(id);
    if (c) { c.records += records; c.items += items; }
  };

  const truth = new FileSink(join(opts.outDir, 'truth.csv'));
  truth.append(csvLines([['feed_id', 'local_id', 'person_key']]));
  const faultSink = new FileSink(join(opts.outDir, 'faults.csv'));
  faultSink.append(csvLines([['feed_id', 'local_id', 'fault', 'detail']]));
  const log = new CountingFaultLog(faultSink);

  const acute = {
    [ACUTE_NORTH]: new AcuteFeed(ACUTE_NORTH, FEED_IDS.rje, 'N', opts.seed),
    [ACUTE_SOUTH]: new AcuteFeed(ACUTE_SOUTH, FEED_IDS.rtg, 'B', opts.seed),
  };
  const localSeq = new Map<string, number>();
  const nextLocal = (feedId: string, prefix: string, width = 7): string => {
    const n = (localSeq.get(feedId) ?? 0) + 1;
    localSeq.set(feedId, n);
    return `${prefix}${String(n).padStart(width, '0')}`;
  };

  let withoutNhs = 0;
  let hl7Messages = 0;
  let fhirEntries = 0;
  let csvRows = 0;
  const touched = new Set<FeedFiles>();

  for (let i = 0; i < opts.persons; i++) {
    const person = makePerson(opts.seed, i, asOfDay, practices);
    const rng = person.rng;
    if (person.nhsNumber === null) withoutNhs++;
    const truthRows: string[][] = [];

    // GP: everyone is registered with one practice; the registration is the reference record.
    const gpId = gpFeedId(person.practice.odsCode);
    const gpLocal = nextLocal(gpId, `${person.practice.odsCode}-`, 6);
    await writeFhir(gpId, gpResources(person, gpLocal, gpId).map(putEntry));
    truthRows.push([gpId, gpLocal, person.key]);

    // Acute trusts by locality; a few people also use the other trust.
    const home = person.town.locality === 'north' ? ACUTE_NORTH : ACUTE_SOUTH;
    const away = home === ACUTE_NORTH ? ACUTE_SOUTH : ACUTE_NORTH;
    for (const ods of [home, away] as const) {
      if (ods === away ? !rng.chance(0.05) : !attendsAcute(rng, person)) continue;
      const trust = acute[ods];
      const { messages, localIds } = acuteMessages(trust, person, rng, rates, log, asOfDay);
      const ff = feed(trust.feedId);
      await ff.beginPerson();
      for (const m of messages) ff.message(m);
      touched.add(ff);
      hl7Messages += messages.length;
      count(trust.feedId, localIds.length, messages.length);
      for (const id of localIds) truthRows.push([trust.feedId, id, person.key]);
    }

    // Community services (RRE county-wide); mental health at RLY in the north, RRE in the south-east.
    const community = communityServices(rng, person);
    const mental = mentalHealthServices(rng, person);
    const rreServices = person.town.locality === 'north' ? community : [...community, ...mental];
    const rlyServices = person.town.locality === 'north' ? mental : [];
    for (const [feedId, ods, services, prefix] of [[FEED_IDS.rre, 'RRE', rreServices, 'RRE-'], [FEED_IDS.rly, 'RLY', rlyServices, 'RLY-']] as const) {
      if (services.length === 0) continue;
      const local = nextLocal(feedId, prefix);
      const rec = sourceRecord(rng, person, feedId, local, rates, log);
      await writeFhir(feedId, communityResources(rng, person, rec, ods, nameOf(ods), services, asOfDay).map(putEntry));
      truthRows.push([feedId, local, person.key]);
    }

    if (rng.chance(ambulanceProbability(person.age))) {
      const local = nextLocal(FEED_IDS.rya, 'RYA-');
      // Crews often cannot get an NHS number at the scene.
      const rec = sourceRecord(rng, person, FEED_IDS.rya, local, rates, log, 3);
      await writeFhir(FEED_IDS.rya, ambulanceResources(rng, person, rec, 'RYA', nameOf('RYA'), asOfDay, { ods: home, name: nameOf(home) }).map(putEntry));
      truthRows.push([FEED_IDS.rya, local, person.key]);
    }

    if (rng.chance(socialCareProbability(person))) {
      const [feedId, prefix] = person.town.stokeCity ? [FEED_IDS.stoke, 'SOT'] : [FEED_IDS.staffs, 'SCC'];
      await writeCare(feedId, prefix, 'social-care');
    }
    if (rng.chance(chcProbability(person))) await writeCare(FEED_IDS.chc, 'CHC', 'chc');

    truth.append(csvLines(truthRows));
    log.drain();
    for (const f of touched) await f.flushIfFull();
    touched.clear();
    if (truth.full) await truth.flush();
    if (faultSink.full) await faultSink.flush();
    if (opts.onProgress && ((i + 1) % PROGRESS_EVERY === 0 || i + 1 === opts.persons)) opts.onProgress({ done: i + 1, total: opts.persons });

    async function writeFhir(feedId: string, entries: string[]): Promise<void> {
      const ff = feed(feedId);
      await ff.beginPerson();
      for (const e of entries) ff.entry(e);
      touched.add(ff);
      fhirEntries += entries.length;
      count(feedId, 1, entries.length);
    }

    async function writeCare(feedId: string, prefix: string, kind: 'social-care' | 'chc'): Promise<void> {
      const local = nextLocal(feedId, prefix);
      const rec = sourceRecord(rng, person, feedId, local, rates, log);
      const rows = involvementRows(rng, person, rec, kind, asOfDay);
      const ff = feed(feedId);
      await ff.beginPerson();
      ff.rows(0, [personsRow(rec)]);
      ff.rows(1, rows);
      touched.add(ff);
      csvRows += 1 + rows.length;
      count(feedId, 1, 1 + rows.length);
      truthRows.push([feedId, local, person.key]);
    }
  }

  let totalFiles = 0;
  let totalBytes = 0;
  for (const [id, ff] of files) {
    await ff.closeFiles();
    const c = counters.get(id);
    if (c) { c.files = ff.fileCount; c.bytes = ff.bytes; }
    totalFiles += ff.fileCount;
    totalBytes += ff.bytes;
  }
  log.drain();
  await truth.close();
  await faultSink.close();
  const feedsJson = `${JSON.stringify(feeds satisfies FeedSpec[], null, 2)}\n`;
  await writeFile(join(opts.outDir, 'feeds.json'), feedsJson);
  // The partners in full (governance contacts, agreement dates), so a loader can register them.
  const orgsJson = `${JSON.stringify(countyPartners({ persons: opts.persons }), null, 2)}\n`;
  await writeFile(join(opts.outDir, 'organisations.json'), orgsJson);
  totalFiles += 4;
  totalBytes += truth.bytes + faultSink.bytes + Buffer.byteLength(feedsJson) + Buffer.byteLength(orgsJson);

  const byFeed: Record<string, FeedSummary> = {};
  for (const [id, c] of counters) byFeed[id] = c;
  return {
    persons: opts.persons, seed: opts.seed, asOf: opts.asOf, personsWithoutNhsNumber: withoutNhs,
    practices: practices.length, feeds: feeds.length, files: totalFiles, bytes: totalBytes,
    sourceRecords: Object.values(byFeed).reduce((n, c) => n + c.records, 0),
    hl7Messages, fhirEntries, csvRows, faults: log.counts, byFeed,
  };
}

