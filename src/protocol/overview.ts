/**
 * Messages between the extension and the model overview (the read-only custom editor of a model
 * file). Pure types: the overview page bundles this file.
 *
 * The extension keeps the whole state of the page and sends all of it on every change; the page
 * only draws it. A page that is hidden and shown again sends `ready` anew and gets the state again.
 */
import type { ModelSummary } from './model';
import type { ReadyMessage } from './webview';

/** An analysis the overview offers a button for (only those that are registered). */
export interface OverviewAnalysis {
  readonly kind: string;
  readonly title: string;
  readonly description?: string;
}

export interface OverviewFile {
  /** The file name, e.g. "model.onnx". */
  readonly name: string;
  /** Workspace-relative when inside a workspace folder, else absolute. */
  readonly path: string;
}

/** Why the summary could not be shown. */
export interface OverviewError {
  /** One or two sentences for the user; never a stack. */
  readonly message: string;
  /** 'user': the file's fault (fix the file); 'host': the compute host stopped; 'bug': ours (see the log). */
  readonly kind: 'user' | 'host' | 'bug';
  readonly retry: boolean;
}

export interface OverviewState {
  readonly file: OverviewFile;
  readonly phase: 'loading' | 'ready' | 'error';
  /** The last summary; kept while a changed file is read again. */
  readonly summary?: ModelSummary;
  readonly error?: OverviewError;
  readonly analyses: readonly OverviewAnalysis[];
  /** The dataset analyses would use now, in words ("data/fashion-mnist, 2000 samples"); absent when none. */
  readonly dataset?: string;
}

/** Extension -> overview page. */
export interface OverviewStateMessage {
  readonly type: 'overview/state';
  readonly state: OverviewState;
}

export type OverviewRequest =
  | { readonly type: 'overview/retry' }
  | { readonly type: 'overview/runAnalysis'; readonly kind: string }
  | { readonly type: 'overview/selectDataset' }
  | { readonly type: 'overview/showLog' };

/** Overview page -> extension. */
export type OverviewToExtensionMessage = ReadyMessage | OverviewRequest;

/** A structural check of what the overview page sent; anything else is ignored. */
export function isOverviewMessage(data: unknown): data is OverviewToExtensionMessage {
  if (typeof data !== 'object' || data === null) return false;
  const m = data as Record<string, unknown>;
  switch (m.type) {
    case 'ready': return typeof m.protocol === 'number';
    case 'overview/retry':
    case 'overview/selectDataset':
    case 'overview/showLog': return true;
    case 'overview/runAnalysis': return typeof m.kind === 'string';
    default: return false;
  }
}

/** A structural check of what the extension sent to the overview page. */
export function isOverviewStateMessage(data: unknown): data is OverviewStateMessage {
  if (typeof data !== 'object' || data === null) return false;
  const m = data as Record<string, unknown>;
  const s = m.state as Record<string, unknown> | undefined;
  return m.type === 'overview/state' && typeof s === 'object' && s !== null && typeof s.phase === 'string';
}
