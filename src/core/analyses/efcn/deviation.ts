import * as tf from '@tensorflow/tfjs-core';
import { ParamTensors } from '../../graph/executor';
import { checkpoint, WorkContext } from '../../progress';
import { EfcnLayer } from './graph';
import { kernelPositions } from './embed';

/** How far one eFCN layer has left the CNN's subspace, each relative to ‖W‖. */
export interface LayerDeviation {
  readonly node: string;
  readonly layer: string;
  /** ‖W ⊙ (1 − M)‖ / ‖W‖: the weight off the conv's sparsity pattern M. */
  readonly offPattern: number;
  /** ‖W_on − W̄_shared‖ / ‖W‖: the on-pattern weight minus its projection onto the weight-shared subspace (each entry minus the mean of the entries that copy the same conv weight). */
  readonly nonShared: number;
  /** The same for the bias: ‖b − b̄_channel‖ / ‖b‖, b̄ the per-channel mean over positions. */
  readonly biasNonShared?: number;
}

/**
 * Measures the deviation of eFCN dense layers from the CNN subspace. Holds each layer's nonzero
 * positions on the device; `dispose` frees them. Off-pattern weight is taken as W minus its
 * on-pattern entries scattered back, so it is exactly 0 at the embedding.
 */
export class DeviationMeter {
  private readonly positions = new Map<string, tf.Tensor>();
  private readonly counts = new Map<string, Float64Array>();

  constructor(private readonly layers: readonly EfcnLayer[]) {}

  private positionsOf(l: EfcnLayer): tf.Tensor {
    let p = this.positions.get(l.node);
    if (!p) {
      p = tf.tensor1d(kernelPositions(l.embedding), 'int32');
      this.positions.set(l.node, p);
    }
    return p;
  }

  private countsOf(l: EfcnLayer): Float64Array {
    let c = this.counts.get(l.node);
    if (!c) {
      c = new Float64Array(l.embedding.kernelSize);
      for (let k = 0; k < l.embedding.nnz; k++) c[l.embedding.tap[k]]++;
      this.counts.set(l.node, c);
    }
    return c;
  }

  /** Deviations of every layer under the given parameters. */
  async measure(params: ParamTensors, ctx?: WorkContext): Promise<LayerDeviation[]> {
    const out: LayerDeviation[] = [];
    for (const [i, l] of this.layers.entries()) {
      // A layer's dense matrix has ~10^7 entries: a cancel must not wait for every layer.
      if (i > 0) await checkpoint(ctx);
      const w = params.get(l.kernelKey);
      if (!w) throw new Error(`missing eFCN kernel ${l.kernelKey}`);
      const pos = this.positionsOf(l);
      const [total, off, on] = tf.tidy(() => {
        const flat = tf.reshape(w, [-1]);
        const onT = tf.gather(flat, pos);
        const back = tf.scatterND(tf.reshape(pos, [-1, 1]), onT, [flat.size]);
        return [tf.sum(tf.square(flat)), tf.sum(tf.square(tf.sub(flat, back))), onT];
      });
      const [t2, o2, onV] = await Promise.all([total.data(), off.data(), on.data()]);
      tf.dispose([total, off, on]);
      const norm = Math.sqrt(t2[0]);
      // Group means in float64: at the embedding every group holds equal copies, so this is exactly 0 there.
      const e = l.embedding;
      const counts = this.countsOf(l);
      const sums = new Float64Array(e.kernelSize);
      for (let k = 0; k < e.nnz; k++) sums[e.tap[k]] += onV[k];
      let ns = 0;
      for (let k = 0; k < e.nnz; k++) {
        const dlt = onV[k] - sums[e.tap[k]] / counts[e.tap[k]];
        ns += dlt * dlt;
      }
      let biasNonShared: number | undefined;
      const bt = l.biasKey ? params.get(l.biasKey) : undefined;
      if (bt) {
        const b = await bt.data();
        const co = e.outShape[2];
        const mean = new Float64Array(co);
        let bn = 0;
        for (let i = 0; i < b.length; i++) {
          mean[i % co] += b[i];
          bn += b[i] * b[i];
        }
        const positions = b.length / co;
        let dev = 0;
        for (let i = 0; i < b.length; i++) dev += (b[i] - mean[i % co] / positions) ** 2;
        biasNonShared = bn > 0 ? Math.sqrt(dev / bn) : 0;
      }
      out.push({
        node: l.node,
        layer: l.layer,
        offPattern: norm > 0 ? Math.sqrt(o2[0]) / norm : 0,
        nonShared: norm > 0 ? Math.sqrt(ns) / norm : 0,
        ...(biasNonShared !== undefined ? { biasNonShared } : {}),
      });
    }
    return out;
  }

  dispose(): void {
    for (const p of this.positions.values()) p.dispose();
    this.positions.clear();
  }
}
