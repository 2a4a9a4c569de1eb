import { CancelledError, UserError } from '../errors';
import type { BackendOptions } from '../tf/backend';

/** What a worker is started with. */
export interface WorkerSetup {
  /** The parent's backend, so a worker computes with the same kernels (and the same bits). */
  readonly backend: BackendOptions;
}

/** Parent → worker. */
export type ToWorker =
  | { readonly type: 'open'; readonly task: string; readonly setup: unknown }
  | { readonly type: 'run'; readonly id: number; readonly input: unknown };

/** Worker → parent. `id` is absent on an error of the worker itself (backend, open). */
export type FromWorker =
  | { readonly type: 'progress'; readonly id: number; readonly fraction: number; readonly message?: string }
  | { readonly type: 'done'; readonly id: number; readonly output: unknown }
  | { readonly type: 'error'; readonly id?: number; readonly error: WireError };

/** An error as it crosses threads (Error objects lose their class in a structured clone). */
export interface WireError {
  readonly name: string;
  readonly message: string;
  readonly stack?: string;
  readonly file?: string;
}

/** The plain-data form of anything thrown. */
export function toWire(e: unknown): WireError {
  if (e instanceof Error) {
    const file = (e as { file?: unknown }).file;
    return { name: e.name, message: e.message, stack: e.stack, ...(typeof file === 'string' ? { file } : {}) };
  }
  return { name: 'Error', message: String(e) };
}

/**
 * The error to throw in the parent: a UserError stays a UserError with its message and file
 * (shown to the user as is), a cancel stays a cancel; anything else is a bug whose stack is the
 * worker's, so the report points at the code that failed.
 */
export function fromWire(w: WireError): Error {
  if (w.name === 'UserError') return new UserError(w.message, w.file);
  if (w.name === 'CancelledError') return new CancelledError();
  const e = new Error(w.message);
  e.name = w.name;
  if (w.stack) e.stack = `${w.stack}\n    (in a worker thread)`;
  return e;
}
