import * as tf from '@tensorflow/tfjs-core';
import { UserError } from '../../errors';
import { Graph } from '../../graph/ir';
import type { Dataset, DatasetSpec } from '../../data/types';
import { throwIfCancelled, WorkContext } from '../../progress';

/** One batch of samples in the model's own input layout, batch first; the consumer disposes both. */
export interface Batch {
  readonly x: tf.Tensor;
  /** int32 [b] class labels (or [b, K] one-hot / probabilities), when the data has labels. */
  readonly y?: tf.Tensor;
}

/**
 * Where the connectivity analyses read data: a fresh pass over the same samples on every call,
 * in the same order. `samples`, when the caller knows it, turns batch counts into progress
 * fractions. A Dataset from core/data fits: `Object.assign((b, c) => ds.batches(b, c), { samples: ds.size })`.
 */
export type BatchSource = ((batchSize: number, ctx?: WorkContext) => AsyncIterable<Batch>) & {
  readonly samples?: number;
  /** The dataset it reads, when it reads one: worker threads open it themselves (parallel/sharedData.ts). */
  readonly spec?: DatasetSpec;
};

/** A dataset as the analyses read it (its spec rides along, so worker threads can open it too). */
export function batchSource(ds: Dataset): BatchSource {
  return Object.assign((b: number, c?: WorkContext) => ds.batches(b, c), { samples: ds.size, ...(ds.spec ? { spec: ds.spec } : {}) });
}

/** Samples per batch when the caller does not say. */
export const DEFAULT_BATCH = 256;

/** Throws a UserError unless the model takes exactly one input (what a BatchSource feeds). */
export function requireOneInput(graph: Graph): void {
  if (graph.inputs.length !== 1) {
    throw new UserError(`${graph.file}: the model takes ${graph.inputs.length} inputs; the connectivity analyses feed one dataset into models with one input.`, graph.file);
  }
}

function checkBatch(graph: Graph, x: tf.Tensor): void {
  const want = graph.nodes.find((n) => n.id === graph.inputs[0].node)!.shape;
  const got = x.shape.slice(1);
  if (got.length !== want.length || got.some((d, i) => d !== want[i])) {
    throw new UserError(`${graph.file}: the model takes samples of shape [${want.join(', ')}] (${graph.inputs[0].layout}), but the dataset gives [${got.join(', ')}]. Set the dataset's shape or layout to the model's input.`, graph.file);
  }
}

/**
 * Runs `fn` on every batch of one pass of `data` into `graph`, checking for cancellation before
 * each batch and that the samples fit the model's input, and reporting progress within
 * [from, to] of the caller's scale. Batch tensors are disposed here, also when `fn` throws or
 * the pass is cancelled. Returns the number of samples seen.
 */
export async function forEachBatch(
  graph: Graph,
  data: BatchSource,
  batchSize: number,
  ctx: WorkContext | undefined,
  fn: (batch: Batch) => void | Promise<void>,
  span: { from: number; to: number; message?: string } = { from: 0, to: 1 },
): Promise<number> {
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new UserError(`The batch size must be a positive integer, got ${batchSize}.`);
  requireOneInput(graph);
  throwIfCancelled(ctx);
  let seen = 0;
  let batches = 0;
  for await (const batch of data(batchSize, ctx)) {
    try {
      throwIfCancelled(ctx);
      checkBatch(graph, batch.x);
      await fn(batch);
    } finally {
      batch.x.dispose();
      batch.y?.dispose();
    }
    seen += batch.x.shape[0];
    batches++;
    if (ctx?.progress) {
      const part = data.samples ? Math.min(seen / data.samples, 1) : 0;
      ctx.progress(span.from + (span.to - span.from) * part, `${span.message ? span.message + ': ' : ''}${data.samples ? `${seen}/${data.samples}` : `${batches} batches`}`);
    }
  }
  if (seen === 0) throw new UserError('The dataset yielded no samples.');
  return seen;
}

/** Per-channel mean and (biased) variance, merged over batches in float64. */
export class ChannelMoments {
  private count = 0;
  readonly mean: Float64Array;
  /** Sum of squared deviations from the mean. */
  private readonly m2: Float64Array;

  constructor(readonly channels: number) {
    this.mean = new Float64Array(channels);
    this.m2 = new Float64Array(channels);
  }

  /**
   * Merges one batch's per-channel mean and biased variance over `n` values per channel, by
   * Chan's parallel formula: stable where E[x²] − E[x]² in float32 would cancel.
   */
  add(n: number, mean: ArrayLike<number>, variance: ArrayLike<number>): void {
    if (n <= 0) return;
    const total = this.count + n;
    for (let c = 0; c < this.channels; c++) {
      const delta = mean[c] - this.mean[c];
      this.mean[c] += (delta * n) / total;
      this.m2[c] += variance[c] * n + (delta * delta * this.count * n) / total;
    }
    this.count = total;
  }

  get n(): number {
    return this.count;
  }

  /** Biased variance over everything merged. */
  variance(): Float64Array {
    return this.m2.map((v) => (this.count > 0 ? Math.max(v / this.count, 0) : 0));
  }

  std(): Float64Array {
    return this.variance().map(Math.sqrt);
  }
}

/** Mean and biased variance of t over every axis but the last (channels), as [C] tensors. */
export function channelMoments(t: tf.Tensor): { mean: tf.Tensor; variance: tf.Tensor } {
  return tf.tidy(() => {
    const c = t.shape[t.rank - 1];
    const flat = tf.reshape(t, [-1, c]);
    const m = tf.moments(flat, 0);
    return { mean: m.mean, variance: m.variance };
  });
}
