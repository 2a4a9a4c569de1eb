import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { mulberry32, permutation } from './prng';

export interface Split {
  /** [n, 28, 28, 1] float32 in [0, 1]. */
  readonly x: tf.Tensor4D;
  /** [n] int32 class ids. */
  readonly labels: tf.Tensor1D;
}

export interface TrainOptions {
  readonly seed: number;
  readonly epochs: number;
  readonly batchSize: number;
  readonly learningRate: number;
  readonly log?: (line: string) => void;
}

/**
 * Trains with Adam on softmax cross-entropy over the logits. The loop is ours, not `fit`: the
 * batch order comes from a seeded PRNG, so a rerun sees the same batches in the same order.
 */
export async function train(model: tfl.LayersModel, data: Split, o: TrainOptions): Promise<void> {
  const n = data.x.shape[0];
  const rand = mulberry32(o.seed * 7919 + 17);
  const opt = tf.train.adam(o.learningRate);
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  for (let epoch = 0; epoch < o.epochs; epoch++) {
    const order = permutation(n, rand);
    let lossSum = 0;
    let batches = 0;
    // A last partial batch is dropped: every step then has the same shape.
    for (let start = 0; start + o.batchSize <= n; start += o.batchSize) {
      const idx = tf.tensor1d(order.subarray(start, start + o.batchSize), 'int32');
      const loss = tf.tidy(() => {
        const xb = tf.gather(data.x, idx);
        const yb = tf.oneHot(tf.gather(data.labels, idx), 10);
        const cost = opt.minimize(() => tf.losses.softmaxCrossEntropy(yb, model.apply(xb, { training: true }) as tf.Tensor) as tf.Scalar, true, vars);
        if (!cost) throw new Error('the optimizer returned no loss');
        return cost;
      });
      idx.dispose();
      lossSum += (await loss.data())[0];
      loss.dispose();
      batches++;
    }
    o.log?.(`  epoch ${epoch + 1}/${o.epochs}: mean loss ${(lossSum / batches).toFixed(4)}`);
  }
  opt.dispose();
}

/** The model's logits on `x`, computed in batches. */
export function predictLogits(model: tfl.LayersModel, x: tf.Tensor4D, batchSize = 500): Float32Array {
  const n = x.shape[0];
  const out = new Float32Array(n * 10);
  for (let s = 0; s < n; s += batchSize) {
    const part = tf.tidy(() => model.predict(tf.slice(x, [s, 0, 0, 0], [Math.min(batchSize, n - s), -1, -1, -1])) as tf.Tensor);
    out.set(part.dataSync() as Float32Array, s * 10);
    part.dispose();
  }
  return out;
}

/** Fraction of rows whose largest logit is at the label. */
export function accuracy(logits: Float32Array, labels: Uint8Array): number {
  let right = 0;
  for (let i = 0; i < labels.length; i++) {
    let best = 0;
    for (let k = 1; k < 10; k++) if (logits[i * 10 + k] > logits[i * 10 + best]) best = k;
    if (best === labels[i]) right++;
  }
  return right / labels.length;
}
