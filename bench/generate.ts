/**
 * Benchmark of the synthetic county generator: persons/s, MB/s, files, bytes, wall time and peak
 * memory for each size. `npm run bench -- generate` (or run this file) prints a table and writes
 * bench/results/generate.json.
 */
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateCounty } from '../src/generate/index.ts';

export interface GenerateBenchRow {
  persons: number;
  seconds: number;
  personsPerSecond: number;
  megabytesPerSecond: number;
  files: number;
  bytes: number;
  hl7Messages: number;
  fhirEntries: number;
  csvRows: number;
  /** Highest resident set size sampled during the run, in MB. */
  peakRssMb: number;
}

export interface BenchResult { name: 'generate'; node: string; asOf: string; rows: GenerateBenchRow[] }

export async function run(opts: { sizes?: number[] } = {}): Promise<BenchResult> {
  const sizes = opts.sizes ?? [10_000, 100_000];
  const asOf = '2025-06-30';
  const rows: GenerateBenchRow[] = [];
  for (const persons of sizes) {
    const dir = await mkdtemp(join(tmpdir(), 'ohc-bench-generate-'));
    let peak = process.memoryUsage().rss;
    const timer = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss); }, 50);
    const started = process.hrtime.bigint();
    try {
      const s = await generateCounty({ persons, seed: 'bench', outDir: join(dir, 'county'), asOf });
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      peak = Math.max(peak, process.memoryUsage().rss);
      rows.push({
        persons, seconds: round(seconds), personsPerSecond: Math.round(persons / seconds), megabytesPerSecond: round(s.bytes / 1e6 / seconds),
        files: s.files, bytes: s.bytes, hl7Messages: s.hl7Messages, fhirEntries: s.fhirEntries, csvRows: s.csvRows, peakRssMb: Math.round(peak / 1e6),
      });
    } finally {
      clearInterval(timer);
      await rm(dir, { recursive: true, force: true });
    }
  }
  const result: BenchResult = { name: 'generate', node: process.version, asOf, rows };
  print(result);
  const resultsDir = fileURLToPath(new URL('./results/', import.meta.url));
  await mkdir(resultsDir, { recursive: true });
  await writeFile(join(resultsDir, 'generate.json'), `${JSON.stringify(result, null, 2)}\n`);
  return result;
}

const round = (x: number): number => Math.round(x * 100) / 100;

function print(r: BenchResult): void {
  const head = ['persons', 'persons/s', 'MB/s', 'files', 'MB written', 'wall s', 'peak RSS MB'];
  const lines = r.rows.map((x) => [x.persons, x.personsPerSecond, x.megabytesPerSecond, x.files, round(x.bytes / 1e6), x.seconds, x.peakRssMb].map(String));
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? '').length)));
  const fmt = (cells: string[]): string => cells.map((c, i) => c.padStart(widths[i] ?? 0)).join('  ');
  process.stdout.write(`${fmt(head)}\n${lines.map(fmt).join('\n')}\n`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const sizes = process.argv.slice(2).map(Number).filter((n) => Number.isInteger(n) && n > 0);
  run(sizes.length > 0 ? { sizes } : {}).catch((e: unknown) => {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  });
}
