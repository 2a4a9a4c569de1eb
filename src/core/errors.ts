/**
 * A mistake the user can fix (a broken or unsupported file, a bad option). Its message names the
 * file and says what is wrong and what to do; it is shown as-is, never with a stack trace.
 * Anything that is not a UserError is a bug in Linear Lens.
 */
export class UserError extends Error {
  override readonly name = 'UserError';
  constructor(message: string, readonly file?: string) {
    super(message);
  }
}

/** Thrown when the caller cancelled the work; the work stops between batches. */
export class CancelledError extends Error {
  override readonly name = 'CancelledError';
  constructor() {
    super('Cancelled');
  }
}

/** True for errors that carry a user-facing message rather than a bug. */
export function isUserError(e: unknown): e is UserError {
  return e instanceof Error && e.name === 'UserError';
}

/** Throws a UserError about `file` when `cond` is false. */
export function check(cond: unknown, file: string, message: string): asserts cond {
  if (!cond) throw new UserError(`${file}: ${message}`, file);
}
