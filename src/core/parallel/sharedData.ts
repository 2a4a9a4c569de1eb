import * as tf from '@tensorflow/tfjs-core';
import type { Batch, BatchSource } from '../analyses/connectivity/data';
import { batchSource, forEachBatch } from '../analyses/connectivity/data';
import { Graph } from '../graph/ir';
import { openDataset } from '../data';
import type { DatasetSpec } from '../data/types';
import { WorkContext } from '../progress';

type Values = Float32Array | Int32Array;

/** One tensor of a batch, its values in shared memory. */
export interface SharedTensor {
  readonly values: Values;
  readonly shape: readonly number[];
  readonly dtype: 'float32' | 'int32';
}

/**
 * One pass of a BatchSource, read once in the parent into SharedArrayBuffers, so every worker
 * replays exactly the batches the serial path sees (same samples, same order, same batch
 * boundaries) without a copy per worker. A BatchSource is code (a generator over files), so it
 * cannot cross threads; its batches can.
 */
export interface SharedBatches {
  readonly batches: readonly { readonly x: SharedTensor; readonly y?: SharedTensor }[];
  readonly samples: number;
  readonly bytes: number;
  /** The batch size they were read with; a replay gives these batches only. */
  readonly batchSize: number;
}

/** Above this many bytes the data is not copied for workers and the job runs in one thread. */
export const MAX_SHARED_BYTES = 256 * 2 ** 20;

class TooLarge extends Error {}

async function share(t: tf.Tensor): Promise<SharedTensor> {
  const dtype = t.dtype === 'int32' ? 'int32' : 'float32';
  const src = dtype === 'int32' ? await t.data<'int32'>() : Float32Array.from(await t.data());
  const values = dtype === 'int32' ? new Int32Array(new SharedArrayBuffer(src.length * 4)) : new Float32Array(new SharedArrayBuffer(src.length * 4));
  values.set(src);
  return { values, shape: [...t.shape], dtype };
}

/**
 * Reads one pass of `data` in batches of `batchSize` into shared memory (checking the samples
 * fit `graph`, as the serial pass would). Undefined when it would take more than `maxBytes`.
 */
export async function shareBatches(
  graph: Graph,
  data: BatchSource,
  batchSize: number,
  ctx?: WorkContext,
  span: { from: number; to: number; message?: string } = { from: 0, to: 1, message: 'reading data' },
  maxBytes = MAX_SHARED_BYTES,
): Promise<SharedBatches | undefined> {
  const batches: { x: SharedTensor; y?: SharedTensor }[] = [];
  let bytes = 0;
  try {
    const samples = await forEachBatch(graph, data, batchSize, ctx, async ({ x, y }) => {
      bytes += (x.size + (y?.size ?? 0)) * 4;
      if (bytes > maxBytes) throw new TooLarge();
      batches.push({ x: await share(x), ...(y ? { y: await share(y) } : {}) });
    }, span);
    return { batches, samples, bytes, batchSize };
  } catch (e) {
    if (e instanceof TooLarge) return undefined;
    throw e;
  }
}

function tensorOf(s: SharedTensor): tf.Tensor {
  // A private copy: some backends (cpu) keep the array they are given as the tensor's storage.
  return tf.tensor(s.values.slice(), [...s.shape], s.dtype);
}

/** A BatchSource over shared batches: every call replays them in order (the batch size was fixed when they were read). */
export function replaySource(shared: SharedBatches): BatchSource {
  const source = async function* (batchSize: number, _ctx?: WorkContext): AsyncGenerator<Batch> {
    if (batchSize !== shared.batchSize) throw new Error(`replaySource: batches were read ${shared.batchSize} at a time, asked for ${batchSize}`);
    for (const b of shared.batches) yield { x: tensorOf(b.x), ...(b.y ? { y: tensorOf(b.y) } : {}) };
  };
  return Object.assign(source, { samples: shared.samples });
}

/**
 * How a job's data reaches its workers. A dataset file goes as its spec and every worker opens
 * it (memory stays bounded by the batch, whatever the dataset's size, and the samples and their
 * order are the same); any other source goes as one pass of shared batches, when that pass fits
 * in `maxBytes`.
 */
export type DataWire = { readonly kind: 'dataset'; readonly spec: DatasetSpec } | { readonly kind: 'shared'; readonly batches: SharedBatches };

/** The wire form of `data` for workers; undefined when it is neither a dataset nor small enough to share. */
export async function wireData(
  graph: Graph,
  data: BatchSource,
  batchSize: number,
  ctx?: WorkContext,
  span?: { from: number; to: number; message?: string },
  maxBytes = MAX_SHARED_BYTES,
): Promise<DataWire | undefined> {
  if (data.spec) return { kind: 'dataset', spec: data.spec };
  const batches = await shareBatches(graph, data, batchSize, ctx, span, maxBytes);
  return batches ? { kind: 'shared', batches } : undefined;
}

/** A worker's BatchSource for a wired dataset, and how to release it. */
export async function openWired(w: DataWire): Promise<{ source: BatchSource; close(): void }> {
  if (w.kind === 'shared') return { source: replaySource(w.batches), close: () => undefined };
  const ds = await openDataset(w.spec);
  return { source: batchSource(ds), close: () => ds.close() };
}
