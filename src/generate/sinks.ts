/**
 * Streaming output: text appended to buffered file sinks and written with backpressure, and a
 * feed's files rotated every N persons (HL7 messages, a FHIR batch Bundle per file, or a pair of
 * CSV datasets), so memory stays flat however large the county.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import { join } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { BUNDLE_CLOSING, bundleOpening } from './fhirCommon.ts';

const FLUSH_AT = 1 << 16;

export class FileSink {
  private readonly stream: WriteStream;
  private buf = '';
  private failure: Error | null = null;
  bytes = 0;

  constructor(readonly path: string) {
    this.stream = createWriteStream(path);
    this.stream.on('error', (e) => { this.failure = e; });
  }

  append(text: string): void {
    this.buf += text;
  }

  get full(): boolean {
    return this.buf.length >= FLUSH_AT;
  }

  async flush(): Promise<void> {
    if (this.failure) throw this.failure;
    if (this.buf.length === 0) return;
    const chunk = this.buf;
    this.buf = '';
    this.bytes += Buffer.byteLength(chunk);
    if (!this.stream.write(chunk)) await once(this.stream, 'drain');
  }

  async close(): Promise<void> {
    await this.flush();
    this.stream.end();
    await finished(this.stream);
    if (this.failure) throw this.failure;
  }
}

/** RFC 4180 rows with CRLF endings, quoted only where needed. */
export function csvLines(rows: readonly (readonly string[])[]): string {
  return stringify(rows as string[][], { record_delimiter: '\r\n' });
}

export type FeedLayout =
  | { format: 'hl7v2' }
  | { format: 'fhir'; bundlePrefix: string; timestamp: string; preamble: readonly string[] }
  | { format: 'csv'; datasets: readonly { name: string; header: readonly string[] }[] };

/** One feed's folder: files numbered 00001…, a new one every `personsPerFile` persons. */
export class FeedFiles {
  /** Parts opened (a CSV part is one file per dataset). */
  files = 0;
  fileCount = 0;
  closedBytes = 0;
  private personsInFile = 0;
  private sinks: FileSink[] = [];
  private firstEntry = true;

  constructor(readonly dir: string, private readonly layout: FeedLayout, private readonly personsPerFile: number) {}

  /** Call before writing a person's records; opens the next file when the current one is full. */
  async beginPerson(): Promise<void> {
    if (this.sinks.length > 0 && this.personsInFile < this.personsPerFile) {
      this.personsInFile++;
      return;
    }
    await this.closeFiles();
    this.files++;
    const n = String(this.files).padStart(5, '0');
    const l = this.layout;
    if (l.format === 'hl7v2') {
      this.sinks = [new FileSink(join(this.dir, `${n}.hl7`))];
    } else if (l.format === 'fhir') {
      const sink = new FileSink(join(this.dir, `${n}.json`));
      sink.append(bundleOpening(`${l.bundlePrefix}-${n}`, l.timestamp));
      this.sinks = [sink];
      this.firstEntry = true;
      for (const e of l.preamble) this.entry(e);
    } else {
      // Numbered so that sorting the names gives persons before the datasets that refer to them.
      this.sinks = l.datasets.map((d, i) => {
        const sink = new FileSink(join(this.dir, `${n}-${i + 1}-${d.name}.csv`));
        sink.append(csvLines([d.header]));
        return sink;
      });
    }
    this.fileCount += this.sinks.length;
    this.personsInFile = 1;
  }

  /** HL7: one message (segments ended by CR), then LF. */
  message(text: string): void {
    this.sinks[0]?.append(`${text}\n`);
  }

  /** FHIR: one serialised batch entry. */
  entry(json: string): void {
    const sink = this.sinks[0];
    if (!sink) return;
    sink.append(this.firstEntry ? `\n${json}` : `,\n${json}`);
    this.firstEntry = false;
  }

  /** CSV: rows of dataset `i`. */
  rows(i: number, rows: readonly (readonly string[])[]): void {
    if (rows.length > 0) this.sinks[i]?.append(csvLines(rows));
  }

  async flushIfFull(): Promise<void> {
    for (const s of this.sinks) if (s.full) await s.flush();
  }

  get bytes(): number {
    return this.closedBytes + this.sinks.reduce((n, s) => n + s.bytes, 0);
  }

  async closeFiles(): Promise<void> {
    if (this.layout.format === 'fhir' && this.sinks[0]) this.sinks[0].append(`\n${BUNDLE_CLOSING}`);
    for (const s of this.sinks) {
      await s.close();
      this.closedBytes += s.bytes;
    }
    this.sinks = [];
  }
}
