/** Timing and memory helpers for `npm run bench`: medians over repeats, after a warm-up. */
import * as tf from '@tensorflow/tfjs-core';

export interface Timing {
  readonly median: number;
  readonly min: number;
  readonly runs: number;
}

/** Runs `f` `warmup` times (default once), then `repeats` times; milliseconds. */
export async function time(f: () => Promise<void> | void, repeats = 7, warmup = 1): Promise<Timing> {
  for (let i = 0; i < warmup; i++) await f();
  const ts: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    await f();
    ts.push(performance.now() - t0);
  }
  ts.sort((a, b) => a - b);
  return { median: ts[Math.floor(ts.length / 2)], min: ts[0], runs: repeats };
}

/** Memory of this process: its peak RSS so far, the wasm heap and the live tensors. */
export interface OursMemory {
  /** Peak resident set size of the whole process (getrusage maxrss), MB. */
  readonly maxRssMB: number;
  /** The main thread's WebAssembly heap (wasm backend; it grows, never shrinks), MB; worker threads have their own. */
  readonly wasmHeapMB?: number;
  /** Bytes held by live tensors (tf.memory().numBytes) after the row, MB: 0 unless something leaks or is cached. */
  readonly liveTensorMB: number;
  /** Peak bytes of live tensors during one run of the row (tf.profile of the warm-up run), MB. */
  readonly tensorPeakMB?: number;
}

const MB = 2 ** 20;

/** The current memory figures of this process. */
export function memoryNow(tensorPeakBytes?: number): OursMemory {
  const backend = tf.backend() as unknown as { wasm?: { HEAPU8?: Uint8Array } };
  const heap = backend.wasm?.HEAPU8?.buffer.byteLength;
  return {
    maxRssMB: process.resourceUsage().maxRSS / 1024,
    ...(heap !== undefined ? { wasmHeapMB: heap / MB } : {}),
    liveTensorMB: tf.memory().numBytes / MB,
    ...(tensorPeakBytes !== undefined ? { tensorPeakMB: tensorPeakBytes / MB } : {}),
  };
}

/** Runs `f` under tf.profile and returns the peak bytes of live tensors during it. */
export async function tensorPeak(f: () => Promise<void>): Promise<number> {
  const info = await tf.profile(async () => {
    await f();
    return [];
  });
  return info.peakBytes;
}

/** What a child process measured for our side of one benchmark. */
export interface OursResult {
  readonly ms: Timing;
  readonly memory: OursMemory;
  /** Throughput or other derived numbers to show beside the time. */
  readonly extra?: Record<string, number | string | boolean>;
  /** Arguments for the PyTorch peer (paths of our outputs it checks against, ...). */
  readonly peerArgs?: Record<string, unknown>;
  readonly notes?: string[];
  /** Kernel profile lines, with --profile. */
  readonly profile?: string[];
}

/** What a PyTorch peer printed. */
export interface PeerResult {
  readonly median_ms: number;
  readonly min_ms: number;
  readonly runs: number;
  readonly torch: string;
  readonly threads: number;
  readonly maxrss_mb: number;
  /** False when the peer's outputs disagree with ours (the row is then marked invalid). */
  readonly valid: boolean;
  readonly check: string;
  readonly extra?: Record<string, number | string | boolean>;
  readonly notes?: string[];
}

/** One row of the benchmark table. */
export interface BenchRow {
  readonly id: string;
  readonly name: string;
  /** What the peer column is, in words. */
  readonly peer: string;
  readonly oursMs: number;
  readonly peerMs?: number;
  /** ours / peer: below 1 is faster than the peer. */
  readonly ratio?: number;
  /** A goal for the ratio, where the issue set one. */
  readonly goal?: number;
  /** False: the peer disagrees with ours, so the ratio means nothing. */
  readonly valid?: boolean;
  readonly check?: string;
  readonly oursMemory?: OursMemory;
  readonly peerMaxRssMB?: number;
  readonly backend: string;
  readonly peerBackend?: string;
  readonly extra?: Record<string, number | string | boolean>;
  readonly peerExtra?: Record<string, number | string | boolean>;
  readonly notes?: string[];
  readonly profile?: string[];
}
