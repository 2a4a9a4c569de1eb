/**
 * The compute host itself: which backend runs, versions, memory, and its lifecycle.
 * Pure types and string constants: importable from the extension, the webview and node code.
 */

export type BackendName = 'tensorflow' | 'wasm' | 'cpu';
export type BackendPreference = 'auto' | BackendName;

/** Every value a backend preference can take, for settings, flags and validation. */
export const BACKEND_PREFERENCES: readonly BackendPreference[] = ['auto', 'tensorflow', 'wasm', 'cpu'];

/** How a client starts the host process: each becomes a command-line argument of dist/host.js. */
export interface HostLaunchOptions {
  readonly backend?: BackendPreference;
  /** Folder holding an installed @tensorflow/tfjs-node-gpu (or tfjs-node). */
  readonly tfjsNodePath?: string;
  /** Jobs run at once (default 1). */
  readonly concurrency?: number;
}

/** The host's command-line arguments for these launch options (parsed back by the host). */
export function hostArgs(opts: HostLaunchOptions): string[] {
  const args: string[] = [];
  if (opts.backend) args.push('--backend', opts.backend);
  if (opts.tfjsNodePath) args.push('--tfjs-node', opts.tfjsNodePath);
  if (opts.concurrency) args.push('--concurrency', String(opts.concurrency));
  return args;
}

export interface BackendInfo {
  readonly name: BackendName;
  /** What it runs on, in words: "wasm (CPU, SIMD)", "tensorflow (GPU (CUDA, libtensorflow))". */
  readonly device: string;
  /** Why each better backend is not in use. */
  readonly notUsed: readonly { readonly backend: BackendName; readonly reason: string }[];
  readonly tfjsVersion: string;
}

export interface HostVersions {
  readonly node: string;
  readonly tfjs: string;
  readonly linearLens: string;
}

/** Bytes, as Node and TensorFlow.js count them at the moment of the request. */
export interface HostMemory {
  readonly rss: number;
  readonly heapUsed: number;
  /** Bytes held by live TensorFlow.js tensors. */
  readonly tfBytes: number;
  readonly tfTensors: number;
  /** Bytes of ArrayBuffers outside the JS heap (tensor downloads, file reads). */
  readonly arrayBuffers?: number;
  /** Size of the wasm backend's memory on this thread: it grows to its high water and never shrinks. */
  readonly wasmHeap?: number;
}

/** `host/info`: answered at once, even while a job runs. */
export interface HostInfo {
  readonly backend: BackendInfo;
  readonly versions: HostVersions;
  readonly memory: HostMemory;
  readonly pid: number;
  /** Jobs running and waiting right now. */
  readonly jobs: { readonly running: number; readonly queued: number };
}

/**
 * `host/selfTest`: a diagnostic job that multiplies random matrices batch after batch, reporting
 * progress and one partial result per batch. It exercises the job queue, progress, partial
 * results and cancellation end to end without a model; the extension's "host info" and the tests
 * use it. Not an analysis.
 */
export interface SelfTestParams {
  readonly batches: number;
  /** Side of the square matrices multiplied per batch. */
  readonly size?: number;
  /** Pause after each batch, so a test can cancel mid-way on a fast machine. */
  readonly delayMs?: number;
}

export interface SelfTestPartial {
  readonly batch: number;
  /** Mean of the batch's product; deterministic for a given seed and size. */
  readonly mean: number;
}

export interface SelfTestResult {
  readonly batches: number;
  readonly millis: number;
  readonly tfTensorsBefore: number;
  readonly tfTensorsAfter: number;
}
