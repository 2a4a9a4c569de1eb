/**
 * Messages between the extension and the Linear Lens side view: the workspace's model files, the
 * compute host, running jobs and recent results. Pure types: the side view page bundles this file.
 *
 * The extension sends only the sections that changed (`sideView/update`); after `ready` it sends
 * them all. The page keeps the last value of each section.
 */
import type { ReadyMessage } from './webview';

export interface SideViewModel {
  /** The file's URI as a string (the page hands it back to open it). */
  readonly uri: string;
  /** Workspace-relative path. */
  readonly path: string;
  readonly name: string;
}

export interface SideViewHost {
  /** 'stopped' | 'starting' | 'running' | 'restarting' | 'failed' (HostService's status). */
  readonly status: string;
  /** What it computes on, in words, once known: "wasm (CPU, SIMD)". */
  readonly device?: string;
  readonly pid?: number;
  /** Resident memory and live tensor bytes of the host, as of its last `host/info` answer. */
  readonly rss?: number;
  readonly tfBytes?: number;
  readonly tfTensors?: number;
  /** Unexpected exits in the restart window. */
  readonly restarts: number;
  readonly reason?: string;
}

export interface SideViewJob {
  readonly id: string;
  readonly title: string;
  readonly fraction: number;
  readonly message?: string;
  readonly started: number;
}

export interface SideViewRecent {
  /** The result's cache key: what `sideView/openResult` names. */
  readonly key: string;
  readonly title: string;
  readonly kind: string;
  readonly models: readonly string[];
  readonly finished: number;
  readonly thumbnail?: string;
}

export interface SideViewUpdate {
  readonly type: 'sideView/update';
  /** Undefined while the first search of the workspace runs. */
  readonly models?: readonly SideViewModel[];
  readonly host?: SideViewHost;
  readonly jobs?: readonly SideViewJob[];
  readonly recent?: readonly SideViewRecent[];
}

export type SideViewRequest =
  | { readonly type: 'sideView/openModel'; readonly uri: string }
  | { readonly type: 'sideView/cancelJob'; readonly jobId: string }
  | { readonly type: 'sideView/openResult'; readonly key: string }
  | { readonly type: 'sideView/restartHost' }
  | { readonly type: 'sideView/showLog' }
  | { readonly type: 'sideView/refreshHost' };

export type SideViewToExtensionMessage = ReadyMessage | SideViewRequest;

/** A structural check of what the side view page sent; anything else is ignored. */
export function isSideViewMessage(data: unknown): data is SideViewToExtensionMessage {
  if (typeof data !== 'object' || data === null) return false;
  const m = data as Record<string, unknown>;
  switch (m.type) {
    case 'ready': return typeof m.protocol === 'number';
    case 'sideView/openModel': return typeof m.uri === 'string';
    case 'sideView/cancelJob': return typeof m.jobId === 'string';
    case 'sideView/openResult': return typeof m.key === 'string';
    case 'sideView/restartHost':
    case 'sideView/showLog':
    case 'sideView/refreshHost': return true;
    default: return false;
  }
}

/** A structural check of what the extension sent to the side view page. */
export function isSideViewUpdate(data: unknown): data is SideViewUpdate {
  return typeof data === 'object' && data !== null && (data as Record<string, unknown>).type === 'sideView/update';
}
