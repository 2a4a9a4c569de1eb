import type { WorkContext } from '../core/progress';

/** A WorkContext that draws one progress line on stderr when it is a terminal (never in pipes or CI logs). */
export function terminalProgress(label: string): WorkContext & { done(): void } {
  const tty = process.stderr.isTTY === true;
  let last = 0;
  return {
    progress(fraction, message) {
      if (!tty) return;
      const now = Date.now();
      if (now - last < 100 && fraction < 1) return;
      last = now;
      const line = `${label}: ${(100 * fraction).toFixed(0).padStart(3)}% ${message ?? ''}`;
      process.stderr.write(`\r${line.slice(0, (process.stderr.columns ?? 100) - 1).padEnd((process.stderr.columns ?? 100) - 1)}`);
    },
    done() {
      if (tty) process.stderr.write(`\r${' '.repeat((process.stderr.columns ?? 100) - 1)}\r`);
    },
  };
}
