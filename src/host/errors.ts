import { ResponseError } from 'vscode-jsonrpc';
import { isUserError } from '../core/errors';
import { HostErrorCode, HostErrorData } from '../protocol/jobs';

/** True for the CancelledError of core (checked by name: it may come from another bundle copy). */
export function isCancelled(e: unknown): boolean {
  return e instanceof Error && e.name === 'CancelledError';
}

/** Turns anything a handler threw into the RPC error the client sees: user error, cancellation, or bug with stack. */
export function toResponseError(e: unknown): ResponseError<HostErrorData> {
  if (e instanceof ResponseError) return e as ResponseError<HostErrorData>;
  if (isUserError(e)) {
    const file = (e as { file?: unknown }).file;
    return new ResponseError<HostErrorData>(HostErrorCode.userError, e.message, { kind: 'user', ...(typeof file === 'string' ? { file } : {}) });
  }
  if (isCancelled(e)) return new ResponseError<HostErrorData>(HostErrorCode.cancelled, 'Cancelled', { kind: 'cancelled' });
  const err = e instanceof Error ? e : new Error(String(e));
  return new ResponseError<HostErrorData>(HostErrorCode.bug, err.message, { kind: 'bug', name: err.name, stack: err.stack ?? `${err.name}: ${err.message}` });
}
