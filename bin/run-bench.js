#!/usr/bin/env node
// `npm run bench -- NAME [--option value …]`: runs bench/NAME.ts, which prints a table and writes
// bench/results/NAME.json. Options become the bench's `run(opts)` argument; "a,b" lists become
// arrays and numbers become numbers.
import { register } from 'tsx/esm/api';
import { existsSync, readdirSync } from 'node:fs';

register();
const [name, ...rest] = process.argv.slice(2);
const benches = readdirSync(new URL('../bench/', import.meta.url)).filter((f) => /^[a-z]+\.ts$/.test(f)).map((f) => f.slice(0, -3));
if (!name || !benches.includes(name)) {
  process.stderr.write(`usage: npm run bench -- NAME [--option value …]\nbenches: ${benches.join(', ')}\n`);
  process.exit(2);
}
const opts = {};
for (let i = 0; i < rest.length; i++) {
  const m = /^--([a-z][a-zA-Z-]*)$/.exec(rest[i]);
  if (!m) {
    process.stderr.write(`unexpected argument ${rest[i]}\n`);
    process.exit(2);
  }
  const key = m[1].replace(/-([a-z])/g, (_, c) => c.toUpperCase());
  const raw = rest[i + 1] !== undefined && !rest[i + 1].startsWith('--') ? rest[++i] : 'true';
  const conv = (v) => (/^-?\d+(\.\d+)?$/.test(v) ? Number(v) : v === 'true' ? true : v === 'false' ? false : v);
  opts[key] = raw.includes(',') ? raw.split(',').map(conv) : conv(raw);
}
const file = new URL(`../bench/${name}.ts`, import.meta.url);
if (!existsSync(file)) process.exit(2);
const mod = await import(file.href);
await mod.run(opts);
