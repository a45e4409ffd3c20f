/** A progress bar on standard error (only when it is a terminal); stdout stays clean for --json. */
import type { CliContext } from './context.ts';

export function progressBar(ctx: CliContext, unit: string): { update(done: number, total: number): void; done(): void } {
  const tty = !ctx.forwarded && process.stderr.isTTY;
  let last = 0;
  return {
    update(done, total) {
      if (!tty) return;
      const t = Date.now();
      if (t - last < 100 && done < total) return;
      last = t;
      const width = 30;
      const filled = total === 0 ? width : Math.round((done / total) * width);
      ctx.err(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} ${unit}`);
    },
    done() {
      if (tty) ctx.err('\n');
    },
  };
}
