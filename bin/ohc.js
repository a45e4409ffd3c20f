#!/usr/bin/env node
// The `ohc` command. Runs the TypeScript sources through tsx so that `npx ohc` works straight
// after `npm install`, with no build step.
import { register } from 'tsx/esm/api';

register();
// A reader that goes away early (`ohc feeds | head`) is not an error: stop quietly, as Unix tools do.
process.stdout.on('error', (err) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});
const { main } = await import('../src/cli/main.ts');
let code;
try {
  code = await main(process.argv.slice(2));
} catch (err) {
  process.stderr.write(`ohc: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  code = 1;
}
// Exit once output is flushed, even if a library left a handle open: a finished command must
// never hang (and never keep the embedded database locked).
process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
