import type { WorkContext } from '../../core/progress';

/** What a job handler gets besides its params: progress, partial results, cancellation. */
export interface JobContext<Partial> extends WorkContext {
  readonly jobId: string;
  progress(fraction: number, message?: string): void;
  readonly cancelled: () => boolean;
  /** Streams one piece of the result to the client before the job ends. */
  partial(data: Partial): void;
  /**
   * Gives the event loop a turn (and waits `ms` more when given). Work must await it between
   * batches: the cancel message can only be read while the job is not holding the thread.
   */
  pause(ms?: number): Promise<void>;
}

/** Sends progress at most every `intervalMs`, plus the first and the last, so a tight loop cannot flood the channel. */
export function throttledProgress(send: (fraction: number, message?: string) => void, intervalMs = 50): (fraction: number, message?: string) => void {
  let last = -Infinity;
  let lastMessage: string | undefined;
  return (fraction, message) => {
    const now = Date.now();
    const f = Math.min(1, Math.max(0, Number.isFinite(fraction) ? fraction : 0));
    if (f >= 1 || message !== lastMessage || now - last >= intervalMs) {
      last = now;
      lastMessage = message;
      send(f, message);
    }
  };
}

/** A promise that settles after the event loop has run its pending I/O, then `ms` more. */
export function pause(ms = 0): Promise<void> {
  return new Promise((resolve) => (ms > 0 ? setTimeout(resolve, ms) : setImmediate(resolve)));
}
