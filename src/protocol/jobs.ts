/**
 * Jobs: every long request (a model load, an analysis) runs as a job on the host's queue. The
 * caller names the job with a `jobId` in the request's params, so it can match the progress and
 * partial-result notifications that arrive before the response, and cancel it by id.
 */

/** Params every job request carries. */
export interface JobParams {
  /** Chosen by the caller, unique among its running jobs; the host makes one up when absent. */
  readonly jobId?: string;
}

/** `job/progress` notification, host to client. */
export interface JobProgress {
  readonly jobId: string;
  /** Fraction done in [0, 1]. */
  readonly fraction: number;
  readonly message?: string;
}

/** `job/partial` notification, host to client: one piece of a streamed result (a curve point, a map row). */
export interface JobPartial<T = unknown> {
  readonly jobId: string;
  readonly data: T;
}

/** `job/cancel` request: stops a running or queued job; also done by cancelling the request itself. */
export interface JobCancelParams {
  readonly jobId: string;
}

export interface JobCancelResult {
  /** False when no job of that id was running or queued (already finished, or never existed). */
  readonly found: boolean;
}

/** JSON-RPC error codes of the host's responses. */
export const HostErrorCode = {
  /** The user can fix it (bad file, bad option): show the message alone, without a stack. */
  userError: -32001,
  /** A bug in Linear Lens: the message plus the stack in `data`. */
  bug: -32603,
  /** The request or its job was cancelled (the LSP code). */
  cancelled: -32800,
} as const;

export type HostErrorCode = (typeof HostErrorCode)[keyof typeof HostErrorCode];

/** `data` of a host error response. */
export type HostErrorData =
  | { readonly kind: 'user'; readonly file?: string }
  | { readonly kind: 'bug'; readonly name: string; readonly stack: string }
  | { readonly kind: 'cancelled' };
