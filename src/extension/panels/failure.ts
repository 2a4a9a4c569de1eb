/**
 * Why a computation failed, sorted by who can act: the user (a bad file: the host's message
 * alone), nobody (the compute host died: say so, it restarts), a cancel (quiet), or us (a bug: a
 * short message in the view, the stack in the output channel).
 */
import { HostRequestError } from '../../host/client/hostError';
import type { HostState } from '../services';

export type FailureKind = 'user' | 'host' | 'cancelled' | 'bug';

export interface Failure {
  readonly kind: FailureKind;
  /** What the view shows: one or two sentences, never a stack. */
  readonly message: string;
  /** For the log: the stack of a bug, the host's own words for a crash. */
  readonly detail?: string;
}

export interface FailureWording {
  /** "computing", "reading the model": completes "The compute host stopped while …". */
  readonly activity: string;
}

/** Sorts an error from HostService.run (or from an analysis' own code) into a Failure. */
export function classifyFailure(e: unknown, host: HostState, wording: FailureWording): Failure {
  const kind = errorKind(e);
  const message = e instanceof Error ? e.message : String(e);
  switch (kind) {
    case 'user':
      return { kind: 'user', message };
    case 'cancelled':
      return { kind: 'cancelled', message: 'Cancelled.' };
    case 'connection':
      // A host that could not be brought back says itself what to do (restart it, fix a setting).
      if (host.status === 'failed') return { kind: 'host', message, detail: message };
      return { kind: 'host', message: `The compute host stopped while ${wording.activity}; it has been restarted.`, detail: message };
    default: {
      const stack = e instanceof HostRequestError ? e.hostStack : e instanceof Error ? e.stack : undefined;
      return { kind: 'bug', message: `${message} (This is a bug in Linear Lens; the details are in the output channel "Linear Lens".)`, ...(stack ? { detail: stack } : {}) };
    }
  }
}

/** HostRequestError's kind; vscode's CancellationError counts as a cancel. */
function errorKind(e: unknown): 'user' | 'cancelled' | 'connection' | 'bug' {
  if (e instanceof HostRequestError) return e.kind;
  if (e instanceof Error && (e.name === 'Canceled' || e.name === 'CancellationError')) return 'cancelled';
  // Another copy of the class (a second bundle) still carries the kind.
  const k = typeof e === 'object' && e !== null ? (e as { kind?: unknown }).kind : undefined;
  if (k === 'user' || k === 'cancelled' || k === 'connection' || k === 'bug') return k;
  return 'bug';
}
