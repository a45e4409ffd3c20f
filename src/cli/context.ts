/**
 * What a command needs from the world, injected so that the same command runs in the terminal or,
 * forwarded, inside a running server that owns the embedded database.
 */
import type { Config } from '../config/config.ts';
import type { Database } from '../store/db.ts';

export interface CliContext {
  config: Config;
  /** The working directory relative paths are resolved against (the caller's, when forwarded). */
  cwd: string;
  out(text: string): void;
  err(text: string): void;
  /** Standard input as text (for --password-stdin). */
  stdin(): Promise<string>;
  /** The database, opened and migrated on first use. */
  database(): Promise<Database>;
  /** True when running inside the server on behalf of another process. */
  forwarded: boolean;
  /** Keeps the process alive until stopped (serve, demo); absent when forwarded. */
  holdOpen?: (stop: () => Promise<void>) => Promise<void>;
}

/** A usage or input problem: printed as one line `ohc: …`, exit code 1 (2 for usage). */
export class UserError extends Error {
  constructor(message: string, public readonly exitCode = 1) {
    super(message);
    this.name = 'UserError';
  }
}

export function printJson(ctx: CliContext, value: unknown): void {
  ctx.out(`${JSON.stringify(value, null, 2)}\n`);
}

/** A fixed-width table for humans; --json gives the machine form. */
export function printTable(ctx: CliContext, rows: Record<string, unknown>[], columns: string[]): void {
  const cell = (v: unknown): string => {
    if (v === null || v === undefined) return '';
    if (v instanceof Date) return v.toISOString();
    if (typeof v === 'object') return JSON.stringify(v);
    return typeof v === 'string' ? v : JSON.stringify(v);
  };
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (vals: string[]) => vals.map((v, i) => v.padEnd(widths[i]!)).join('  ').trimEnd();
  ctx.out(`${line(columns)}\n`);
  for (const r of rows) ctx.out(`${line(columns.map((c) => cell(r[c])))}\n`);
}
