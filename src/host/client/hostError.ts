import { ErrorCodes, ResponseError } from 'vscode-jsonrpc';
import { HostErrorCode, HostErrorData } from '../../protocol/jobs';

export type HostErrorKind = 'user' | 'bug' | 'cancelled' | 'connection';

/** A failed host request, sorted by who can act on it: the user (message only) or us (with the host's stack). */
export class HostRequestError extends Error {
  override readonly name = 'HostRequestError';
  constructor(
    message: string,
    readonly kind: HostErrorKind,
    readonly code: number,
    /** The file the user error is about, when the host named one. */
    readonly file?: string,
    /** The host-side stack of a bug. */
    readonly hostStack?: string,
  ) {
    super(message);
  }
}

// vscode-jsonrpc's own codes for a request that could not be answered because the channel broke.
const CONNECTION_CODES: ReadonlySet<number> = new Set([ErrorCodes.MessageWriteError, ErrorCodes.MessageReadError, ErrorCodes.PendingResponseRejected, ErrorCodes.ConnectionInactive]);

/** Sorts whatever a request rejected with into a HostRequestError. */
export function toHostRequestError(e: unknown): HostRequestError {
  if (e instanceof HostRequestError) return e;
  if (e instanceof ResponseError && CONNECTION_CODES.has(e.code)) return new HostRequestError(`the compute host is gone (${e.message})`, 'connection', e.code);
  if (e instanceof ResponseError) {
    const data = e.data as HostErrorData | undefined;
    if (e.code === HostErrorCode.userError) return new HostRequestError(e.message, 'user', e.code, data?.kind === 'user' ? data.file : undefined);
    if (e.code === HostErrorCode.cancelled) return new HostRequestError(e.message, 'cancelled', e.code);
    return new HostRequestError(e.message, 'bug', e.code, undefined, data?.kind === 'bug' ? data.stack : undefined);
  }
  // No response at all: the host died or the connection was closed under the request.
  return new HostRequestError(e instanceof Error ? e.message : String(e), 'connection', 0);
}
