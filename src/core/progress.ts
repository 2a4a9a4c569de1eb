import { CancelledError } from './errors';

/** How long work reports progress and learns it was cancelled. Checked between batches. */
export interface WorkContext {
  /** Fraction done in [0, 1] and a short message. */
  progress?(fraction: number, message?: string): void;
  /** True once the caller asked to stop. */
  readonly cancelled?: () => boolean;
  /** Gives the event loop a turn so a cancel request can arrive; the host's context has one. */
  pause?(): Promise<void>;
}

/**
 * Call between batches: yields to the event loop (so a cancel message can be received while
 * work runs, since awaiting tensor data does not yield), then throws CancelledError if cancelled.
 */
export async function checkpoint(ctx: WorkContext | undefined): Promise<void> {
  if (ctx?.pause) await ctx.pause();
  else await new Promise<void>((resolve) => setImmediate(resolve));
  throwIfCancelled(ctx);
}

/** Throws CancelledError when the context was cancelled; call it between batches. */
export function throwIfCancelled(ctx: WorkContext | undefined): void {
  if (ctx?.cancelled?.()) throw new CancelledError();
}

/** A context that does nothing, for callers that need neither progress nor cancel. */
export const noWork: WorkContext = {};
