/**
 * Throughput of the person index: `npx tsx src/mpi/match/measure.ts [persons...]` generates a
 * synthetic county, estimates parameters, adds every source record and prints records per
 * second with the linkage quality. Not a test: timings depend on the machine.
 */
import { estimateParameters } from './estimate.ts';
import { evaluate } from './evaluate.ts';
import { PersonIndex } from './personIndex.ts';
import { seededRandom, sequentialPersonIds } from './random.ts';
import { sourceRecordKey } from './sourceRecord.ts';
import { generateCounty } from './syntheticCounty.ts';

const sizes = process.argv.slice(2).map(Number).filter((n) => n > 0);
for (const persons of sizes.length > 0 ? sizes : [10_000, 100_000]) {
  const county = generateCounty(persons, 42);
  let t = performance.now();
  const parameters = estimateParameters(county.records, { random: seededRandom(7) });
  const estimateMs = performance.now() - t;
  const index = new PersonIndex({ newPersonId: sequentialPersonIds(), parameters });
  t = performance.now();
  for (const r of county.records) index.add(r);
  const addMs = performance.now() - t;
  const links = index.links().map((l) => ({ key: sourceRecordKey(l.feedId, l.localId), personId: l.personId, how: l.how }));
  const e = evaluate(links, county.truth);
  console.log(
    JSON.stringify({
      persons,
      records: county.records.length,
      estimateSeconds: +(estimateMs / 1000).toFixed(1),
      addSeconds: +(addMs / 1000).toFixed(1),
      recordsPerSecond: Math.round(county.records.length / (addMs / 1000)),
      precision: +e.precision.toFixed(5),
      recall: +e.recall.toFixed(5),
      f1: +e.f1.toFixed(5),
      reviewRecords: e.reviewQueue,
      reviewItems: index.reviewQueue().length,
      heapMB: Math.round(process.memoryUsage().heapUsed / 1e6),
    }),
  );
}
