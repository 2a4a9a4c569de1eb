import * as tf from '@tensorflow/tfjs-core';
import { UserError } from '../errors';
import { throwIfCancelled, type WorkContext } from '../progress';
import { applyPreprocess, type PreprocessPlan } from './preprocess';
import type { Batch, Dataset, LabelSet, SampleSource } from './types';

/** One Float32Array holds at most this many values (and one batch should never be bigger). */
const MAX_BATCH_VALUES = 2 ** 30;

/**
 * A UserError for the first NaN or ±Inf among the samples `indices` (rows of `raw`), if any. Every
 * analysis sums over its inputs, so one such value would turn a whole curve or map into NaN
 * without saying why; a file that holds one is refused where it is read, naming the sample.
 */
function nonFiniteError(raw: Float32Array, indices: readonly number[], elems: number, file: string, path?: string): UserError | undefined {
  for (let i = 0; i < raw.length; i++) {
    const v = raw[i];
    // v - v is 0 for every finite v, NaN for NaN and ±Inf: one test, no function call.
    if (v - v !== 0) {
      const k = Math.floor(i / elems);
      return new UserError(`${file}: sample ${indices[k]} holds ${v} at position ${i - k * elems} of its ${elems} values; the analyses need finite inputs.`, path);
    }
  }
  return undefined;
}

/** Puts a reader, its labels, the preprocessing plan and the subset together as a Dataset. */
export function makeDataset(opts: {
  source: SampleSource;
  labels?: LabelSet;
  plan: PreprocessPlan;
  /** Ascending file indices of the subset; all samples when absent. */
  subset?: number[];
  /** Extra cleanup (other open files) run by close(). */
  onClose?: () => void;
  path?: string;
}): Dataset {
  const { source, labels, plan, subset } = opts;
  const size = subset ? subset.length : source.size;
  const storedElems = source.sampleShape.reduce((a, b) => a * b, 1);
  const outElems = plan.outShape.reduce((a, b) => a * b, 1);
  let closed = false;

  const indexAt = (k: number): number => (subset ? subset[k] : k);

  const toTensors = (raw: Float32Array, indices: number[]): Batch => {
    const x = tf.tidy(() => applyPreprocess(tf.tensor(raw, [indices.length, ...source.sampleShape], 'float32'), plan));
    if (!labels) return { x, indices };
    return { x, y: tf.tensor1d(Int32Array.from(indices, (i) => labels.labels[i]), 'int32'), indices };
  };

  async function* batches(batchSize: number, ctx?: WorkContext): AsyncGenerator<Batch> {
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`batch size must be a positive integer, not ${batchSize}`);
    if (batchSize * Math.max(storedElems, outElems) > MAX_BATCH_VALUES) {
      throw new UserError(
        `${source.file}: a batch of ${batchSize} samples of shape [${source.sampleShape.join(', ')}] is too large to hold; use a smaller batch size.`,
        opts.path,
      );
    }
    const read = (start: number): Promise<{ raw: Float32Array; indices: number[] }> => {
      const indices: number[] = [];
      for (let k = start; k < Math.min(size, start + batchSize); k++) indices.push(indexAt(k));
      if (closed) return Promise.reject(new Error(`${source.file}: the dataset was closed`));
      return source.read(indices).then((raw) => {
        const bad = nonFiniteError(raw, indices, storedElems, source.file, opts.path);
        if (bad) throw bad;
        return { raw, indices };
      });
    };
    // The next batch is read from disk while the consumer works on this one.
    let pending: Promise<{ raw: Float32Array; indices: number[] }> | undefined = size > 0 ? read(0) : undefined;
    try {
      for (let start = 0; start < size; start += batchSize) {
        throwIfCancelled(ctx);
        const cur = await (pending as Promise<{ raw: Float32Array; indices: number[] }>);
        pending = start + batchSize < size ? read(start + batchSize) : undefined;
        const batch = toTensors(cur.raw, cur.indices);
        ctx?.progress?.(Math.min(size, start + batchSize) / size, `Reading ${source.file}`);
        yield batch;
      }
    } finally {
      // Stopped early (break, cancel, error): nobody awaits the prefetch, so silence its failure.
      pending?.catch(() => undefined);
    }
  }

  return {
    name: source.file,
    size,
    fileSize: source.size,
    sampleShape: [...plan.outShape],
    numClasses: labels?.numClasses,
    classNames: labels?.classNames,
    hasLabels: labels !== undefined,
    batches,
    async sample(i: number) {
      if (!Number.isInteger(i) || i < 0 || i >= source.size) {
        throw new UserError(`${source.file}: sample ${i} does not exist; the file holds samples 0 to ${source.size - 1}.`, opts.path);
      }
      if (closed) throw new Error(`${source.file}: the dataset was closed`);
      const raw = await source.read([i]);
      const bad = nonFiniteError(raw, [i], storedElems, source.file, opts.path);
      if (bad) throw bad;
      const x = tf.tidy(() => applyPreprocess(tf.tensor(raw, [1, ...source.sampleShape], 'float32'), plan));
      try {
        const values = (await x.data()) as Float32Array;
        return labels ? { x: values, y: labels.labels[i] } : { x: values };
      } finally {
        x.dispose();
      }
    },
    close() {
      if (closed) return;
      closed = true;
      source.close();
      opts.onClose?.();
    },
  };
}
