import * as tf from '@tensorflow/tfjs-core';
import { UserError } from '../../errors';
import { Executor, ParamTensors } from '../../graph/executor';
import { Graph, Node } from '../../graph/ir';
import { checkpoint, WorkContext } from '../../progress';
import { finalSoftmax } from '../interpreter';
import { Correction, hasBatchNorm, repair, repairGoals, repairStatistics, resetBatchNorm } from './batchNorm';
import { BatchSource, DEFAULT_BATCH, forEachBatch } from './data';
import { alphaGrid, asArchitectureOf, interpolate, paramTensors } from './interpolate';

/**
 * Layerwise linear feature connectivity (Zhou et al., NeurIPS 2023): at every layer, are the
 * features of the interpolated network the interpolation of the features,
 * f_ℓ(θ(α); x) ≈ (1−α) f_ℓ(θ_A; x) + α f_ℓ(θ_B; x), up to scale?
 */

/** A place where features are compared: the output of a layer (or of its affine part). */
export interface FeatureLayer {
  /** The model's own layer name. */
  readonly layer: string;
  readonly node: string;
  readonly op: Node['op']['op'];
  /** 'post': the layer's output; 'pre': the output of its affine part, when a unit follows inside the same layer. */
  readonly stage: 'pre' | 'post';
}

const UNITS = new Set(['relu', 'leakyRelu', 'prelu', 'clip', 'elu', 'selu', 'gelu', 'silu', 'sigmoid', 'tanh', 'softplus', 'softsign', 'hardSigmoid', 'softmax']);

/**
 * The layers compared: every model layer (Node.layer) with parameters or a unit, at its output
 * and, when the layer holds both an affine part and a unit (Dense(activation='relu')), also at
 * the affine part's output. A final softmax is left out (the logits are compared instead).
 */
export function featureLayers(graph: Graph): FeatureLayer[] {
  const skip = finalSoftmax(graph);
  const byLayer = new Map<string, Node[]>();
  for (const n of graph.nodes) {
    if (n.op.op === 'input' || n === skip) continue;
    const k = n.layer || n.id;
    if (!byLayer.has(k)) byLayer.set(k, []);
    byLayer.get(k)!.push(n);
  }
  const out: FeatureLayer[] = [];
  for (const [layer, nodes] of byLayer) {
    const hasParams = nodes.some((n) => Object.values(n.params).some((k) => k !== undefined));
    if (!hasParams && !nodes.some((n) => UNITS.has(n.op.op))) continue;
    const last = nodes[nodes.length - 1];
    const affine = nodes.find((n) => Object.values(n.params).some((k) => k !== undefined) && n.op.op !== 'prelu');
    if (affine && affine !== last) out.push({ layer, node: affine.id, op: affine.op.op, stage: 'pre' });
    out.push({ layer, node: last.id, op: last.op.op, stage: 'post' });
  }
  return out;
}

/** Cosine dissimilarity 1 − |⟨u, v⟩|/(‖u‖‖v‖) over samples, plus the whole-matrix form. */
export interface Dissimilarity {
  /** Mean over samples. */
  readonly mean: number;
  /** Standard deviation over samples. */
  readonly std: number;
  /** Over all samples' features as one vector. */
  readonly whole: number;
  /** Samples counted (both vectors zero counts as 0; exactly one zero is skipped). */
  readonly count: number;
  /** Samples where exactly one of the two feature vectors was zero: the cosine is undefined there. */
  readonly skipped: number;
}

export interface LlfcLayerPoint extends FeatureLayer {
  /** dist(f(θ(α)), (1−α)f(θ_A) + αf(θ_B)). */
  readonly dist: Dissimilarity;
  /** Least-squares scale c = ⟨f_α, f_int⟩/‖f_int‖² over all samples: LLFC holds up to this factor. */
  readonly scale: number;
}

export interface LlfcPoint {
  readonly alpha: number;
  readonly layers: LlfcLayerPoint[];
}

export interface LlfcResult {
  readonly layers: FeatureLayer[];
  readonly points: LlfcPoint[];
  /** dist(f_A, f_B) per layer: how different the endpoints' features are to begin with. */
  readonly baseline: (FeatureLayer & { readonly dist: Dissimilarity })[];
  readonly correction: Correction;
  readonly samples: number;
  readonly notes: string[];
}

export interface LlfcOptions {
  readonly alphas?: readonly number[];
  /** Grid size when `alphas` is not given (default 11: α = 0, 0.1, …, 1). */
  readonly points?: number;
  readonly batchSize?: number;
  /** 'none' (default, the reference: every state entry interpolated, no reset), 'reset' or 'repair'. */
  readonly correction?: Correction;
  readonly statsData?: BatchSource;
  /** Only these feature nodes (default: every feature layer). */
  readonly nodes?: readonly string[];
  /** Upper bound on parameter values held at once for the α values of one data pass (default 2²⁴). */
  readonly maxParamValues?: number;
  /** Called with each α point once it is complete. */
  readonly onPoint?: (point: LlfcPoint, index: number, total: number) => void;
}

/** Running sums of the per-sample and whole-matrix cosine terms, in float64. */
class CosineAcc {
  sum = 0;
  sumSq = 0;
  count = 0;
  skipped = 0;
  dot = 0;
  uu = 0;
  vv = 0;

  add(dots: ArrayLike<number>, uu: ArrayLike<number>, vv: ArrayLike<number>): void {
    for (let i = 0; i < dots.length; i++) {
      this.dot += dots[i];
      this.uu += uu[i];
      this.vv += vv[i];
      let d: number;
      if (uu[i] === 0 && vv[i] === 0) d = 0;
      else if (uu[i] === 0 || vv[i] === 0) {
        this.skipped++;
        continue;
      } else d = Math.max(0, 1 - Math.abs(dots[i]) / Math.sqrt(uu[i] * vv[i]));
      this.sum += d;
      this.sumSq += d * d;
      this.count++;
    }
  }

  result(): Dissimilarity {
    const n = Math.max(this.count, 1);
    const mean = this.sum / n;
    const whole = this.uu === 0 && this.vv === 0 ? 0 : this.uu === 0 || this.vv === 0 ? 1 : Math.max(0, 1 - Math.abs(this.dot) / Math.sqrt(this.uu * this.vv));
    return { mean, std: Math.sqrt(Math.max(this.sumSq / n - mean * mean, 0)), whole, count: this.count, skipped: this.skipped };
  }

  /** ⟨u, v⟩/‖v‖² with v the interpolated features. */
  scale(): number {
    return this.vv > 0 ? this.dot / this.vv : this.uu === 0 ? 1 : NaN;
  }
}

/** Per-sample ⟨u, v⟩, ‖u‖², ‖v‖² of two [b, ...] feature batches, read back. */
async function cosineTerms(u: tf.Tensor, v: tf.Tensor): Promise<[Float32Array, Float32Array, Float32Array]> {
  const ts = tf.tidy(() => {
    const b = u.shape[0];
    const uf = tf.reshape(u, [b, -1]);
    const vf = tf.reshape(v, [b, -1]);
    return [tf.sum(tf.mul(uf, vf), 1), tf.sum(tf.square(uf), 1), tf.sum(tf.square(vf), 1)];
  });
  const r = (await Promise.all(ts.map((t) => t.data()))) as Float32Array[];
  tf.dispose(ts);
  return [r[0], r[1], r[2]];
}

/** LLFC of A and B (B must have A's architecture) at every feature layer and α. */
export async function llfc(a: Graph, b: Graph, data: BatchSource, opts: LlfcOptions = {}, ctx?: WorkContext): Promise<LlfcResult> {
  const bb = asArchitectureOf(a, b);
  const alphas = opts.alphas ? [...opts.alphas] : alphaGrid(opts.points ?? 11);
  let layers = featureLayers(a);
  if (opts.nodes) {
    const want = new Set(opts.nodes);
    layers = layers.filter((l) => want.has(l.node));
    for (const id of want) if (!layers.some((l) => l.node === id)) throw new UserError(`${a.file}: "${id}" is not a layer whose features LLFC compares.`, a.file);
  }
  if (!layers.length) throw new UserError(`${a.file}: the model has no layers with parameters or units to compare.`, a.file);
  const batchSize = opts.batchSize ?? DEFAULT_BATCH;
  const notes: string[] = [];
  let correction = opts.correction ?? 'none';
  if (correction === 'reset' && !hasBatchNorm(a)) {
    notes.push('The model has no batch-norm layers: BN reset changes nothing, so none was applied.');
    correction = 'none';
  }
  const stats = opts.statsData ?? data;
  const taps = [...new Set(layers.map((l) => l.node))];
  let paramCount = 0;
  for (const p of a.params.values()) paramCount += p.data.length;
  const chunk = Math.max(1, Math.min(alphas.length, Math.floor((opts.maxParamValues ?? 2 ** 24) / Math.max(paramCount, 1))));
  const chunks = Math.ceil(alphas.length / chunk);
  const pre = correction === 'repair' ? 0.05 : 0;
  const ends = correction === 'repair' ? await repairStatistics(a, bb, stats, { batchSize, span: { from: 0, to: pre } }, ctx) : undefined;

  const pa = paramTensors(a);
  const pb = paramTensors(bb);
  const exA = new Executor(a);
  const exB = new Executor(bb);
  const points: LlfcPoint[] = [];
  const baseline = layers.map(() => new CosineAcc());
  let samples = 0;
  try {
    for (let ci = 0; ci < chunks; ci++) {
      const from = pre + ((1 - pre) * ci) / chunks;
      const to = pre + ((1 - pre) * (ci + 1)) / chunks;
      const prepShare = correction === 'none' ? 0 : (to - from) / 2;
      const chunkAlphas = alphas.slice(ci * chunk, (ci + 1) * chunk);
      // The networks of this chunk's α values: θ(α), corrected when asked.
      const nets: { alpha: number; ex: Executor; params?: ParamTensors; own: tf.Tensor[]; ownsEx: boolean }[] = [];
      try {
        for (const [k, alpha] of chunkAlphas.entries()) {
          const f0 = from + (prepShare * k) / chunkAlphas.length;
          const f1 = from + (prepShare * (k + 1)) / chunkAlphas.length;
          const theta = interpolate(pa, pb, alpha);
          if (correction === 'none') {
            nets.push({ alpha, ex: exA, params: theta, own: [...theta.values()], ownsEx: false });
          } else if (correction === 'reset') {
            try {
              const reset = await resetBatchNorm(a, theta, stats, { batchSize, span: { from: f0, to: f1, message: `α = ${alpha.toFixed(3)}: batch-norm reset` } }, ctx);
              nets.push({ alpha, ex: exA, params: reset, own: [...reset.values()], ownsEx: false });
            } finally {
              tf.dispose([...theta.values()]);
            }
          } else {
            try {
              const fixed = await repair(a, theta, repairGoals(ends!.sa, ends!.sb, alpha), stats, { batchSize, span: { from: f0, to: f1, message: `α = ${alpha.toFixed(3)}: REPAIR` } }, ctx);
              nets.push({ alpha, ex: new Executor(fixed.graph), own: [], ownsEx: true });
            } finally {
              tf.dispose([...theta.values()]);
            }
          }
        }
        const accs = nets.map(() => layers.map(() => new CosineAcc()));
        const seen = await forEachBatch(a, data, batchSize, ctx, async ({ x }) => {
          const ra = exA.run([x], { taps, outputs: [] });
          const rb = exB.run([x], { taps, outputs: [] });
          try {
            if (ci === 0) {
              for (const [li, l] of layers.entries()) {
                const [d, uu, vv] = await cosineTerms(ra.taps.get(l.node)!, rb.taps.get(l.node)!);
                baseline[li].add(d, uu, vv);
              }
            }
            for (const [ni, net] of nets.entries()) {
              // One batch through every α takes seconds on a CPU: look for a cancel between networks.
              await checkpoint(ctx);
              const rn = net.ex.run([x], { taps, outputs: [], params: net.params });
              try {
                for (const [li, l] of layers.entries()) {
                  const fInt = tf.tidy(() => tf.add(tf.mul(ra.taps.get(l.node)!, 1 - net.alpha), tf.mul(rb.taps.get(l.node)!, net.alpha)));
                  try {
                    const [d, uu, vv] = await cosineTerms(rn.taps.get(l.node)!, fInt);
                    accs[ni][li].add(d, uu, vv);
                  } finally {
                    fInt.dispose();
                  }
                }
              } finally {
                tf.dispose([...rn.taps.values()]);
              }
            }
          } finally {
            tf.dispose([...ra.taps.values(), ...rb.taps.values()]);
          }
        }, { from: from + prepShare, to, message: `LLFC α ${chunkAlphas.map((x) => x.toFixed(2)).join(', ')}` });
        samples = seen;
        for (const [ni, net] of nets.entries()) {
          const point: LlfcPoint = {
            alpha: net.alpha,
            layers: layers.map((l, li) => ({ ...l, dist: accs[ni][li].result(), scale: accs[ni][li].scale() })),
          };
          points.push(point);
          opts.onPoint?.(point, points.length - 1, alphas.length);
        }
      } finally {
        for (const net of nets) {
          tf.dispose(net.own);
          if (net.ownsEx) net.ex.dispose();
        }
      }
    }
  } finally {
    exA.dispose();
    exB.dispose();
    tf.dispose([...pa.values(), ...pb.values()]);
  }
  ctx?.progress?.(1, 'LLFC: done');
  return { layers, points, baseline: layers.map((l, li) => ({ ...l, dist: baseline[li].result() })), correction, samples, notes };
}
