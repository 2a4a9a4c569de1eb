import { CancelledError } from './errors';

/** How long work reports progress and learns it was cancelled. Checked between batches. */
export interface WorkContext {
  /** Fraction done in [0, 1] and a short message. */
  progress?(fraction: number, message?: string): void;
  /** True once the caller asked to stop. */
  readonly cancelled?: () => boolean;
}

/** Throws CancelledError when the context was cancelled; call it between batches. */
export function throwIfCancelled(ctx: WorkContext | undefined): void {
  if (ctx?.cancelled?.()) throw new CancelledError();
}

/** A context that does nothing, for callers that need neither progress nor cancel. */
export const noWork: WorkContext = {};
