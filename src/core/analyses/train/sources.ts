import * as tf from '@tensorflow/tfjs-core';
import { UserError } from '../../errors';
import { sizeOf } from '../../graph/ir';
import { deriveSeed, Rng } from '../../init/random';
import { Batch, BatchSource } from '../connectivity/data';

/** A seeded permutation of [0, n) (Fisher-Yates). */
export function permutation(n: number, seed: number): Uint32Array {
  const rng = new Rng(seed);
  const p = new Uint32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng.uniform() * (i + 1));
    const t = p[i];
    p[i] = p[j];
    p[j] = t;
  }
  return p;
}

/**
 * Samples held in memory as a training source. With `shuffleSeed`, pass k visits the samples in
 * the seeded order k (a fresh shuffle per epoch, as a shuffling DataLoader does; the passes are
 * repeatable run to run); without it every pass is in storage order.
 */
export function memorySource(x: Float32Array, y: Int32Array, sampleShape: readonly number[], opts: { shuffleSeed?: number } = {}): BatchSource {
  const d = sizeOf(sampleShape);
  const n = y.length;
  if (x.length !== n * d) throw new UserError(`Training data: ${x.length} values do not make ${n} samples of shape [${sampleShape.join(', ')}].`);
  let pass = 0;
  const fn = async function* (batchSize: number): AsyncGenerator<Batch> {
    const order = opts.shuffleSeed !== undefined ? permutation(n, deriveSeed(opts.shuffleSeed, pass)) : undefined;
    pass++;
    for (let s = 0; s < n; s += batchSize) {
      const e = Math.min(s + batchSize, n);
      if (!order) {
        yield { x: tf.tensor(x.subarray(s * d, e * d), [e - s, ...sampleShape]), y: tf.tensor1d(y.subarray(s, e), 'int32') };
        continue;
      }
      const bx = new Float32Array((e - s) * d);
      const by = new Int32Array(e - s);
      for (let i = s; i < e; i++) {
        const j = order[i];
        bx.set(x.subarray(j * d, (j + 1) * d), (i - s) * d);
        by[i - s] = y[j];
      }
      yield { x: tf.tensor(bx, [e - s, ...sampleShape]), y: tf.tensor1d(by, 'int32') };
    }
  };
  return Object.assign(fn, { samples: n });
}
