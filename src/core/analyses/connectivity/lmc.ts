import * as tf from '@tensorflow/tfjs-core';
import { UserError } from '../../errors';
import { Executor } from '../../graph/executor';
import { Graph } from '../../graph/ir';
import { WorkContext } from '../../progress';
import { Correction, hasBatchNorm, repair, repairGoals, repairStatistics, resetBatchNorm } from './batchNorm';
import { BatchSource, DEFAULT_BATCH } from './data';
import { evaluate } from './evaluate';
import { alphaGrid, asArchitectureOf, interpolate, paramTensors } from './interpolate';

/** One point of the loss / accuracy curve along θ(α) = (1−α)θ_A + αθ_B. */
export interface LmcPoint {
  readonly alpha: number;
  readonly loss: number;
  readonly accuracy: number;
}

/** The four barrier numbers of a curve, and the α where each is reached. */
export interface Barriers {
  /** max_α L(α) − ½(L(0) + L(1)) (Git Re-Basin's plots). */
  readonly loss: number;
  /** max_α [L(α) − ((1−α)L(0) + αL(1))] (Frankle et al., Entezari et al.). */
  readonly lossLinear: number;
  /** ½(Acc(0) + Acc(1)) − min_α Acc(α): the accuracy drop. */
  readonly accuracy: number;
  /** max_α [((1−α)Acc(0) + αAcc(1)) − Acc(α)]. */
  readonly accuracyLinear: number;
  readonly at: { readonly loss: number; readonly lossLinear: number; readonly accuracy: number; readonly accuracyLinear: number };
}

/** Barriers of a curve whose α values include 0 and 1. */
export function barriers(points: readonly LmcPoint[]): Barriers {
  const p0 = points.find((p) => p.alpha === 0);
  const p1 = points.find((p) => p.alpha === 1);
  if (!p0 || !p1) throw new UserError('The barrier needs the curve at α = 0 and α = 1.');
  let loss = -Infinity;
  let lossLinear = -Infinity;
  let minAcc = Infinity;
  let accuracyLinear = -Infinity;
  const at = { loss: 0, lossLinear: 0, accuracy: 0, accuracyLinear: 0 };
  for (const p of points) {
    const a = p.alpha;
    if (p.loss > loss) [loss, at.loss] = [p.loss, a];
    const ll = p.loss - ((1 - a) * p0.loss + a * p1.loss);
    if (ll > lossLinear) [lossLinear, at.lossLinear] = [ll, a];
    if (p.accuracy < minAcc) [minAcc, at.accuracy] = [p.accuracy, a];
    const al = (1 - a) * p0.accuracy + a * p1.accuracy - p.accuracy;
    if (al > accuracyLinear) [accuracyLinear, at.accuracyLinear] = [al, a];
  }
  return {
    loss: loss - 0.5 * (p0.loss + p1.loss),
    lossLinear,
    accuracy: 0.5 * (p0.accuracy + p1.accuracy) - minAcc,
    accuracyLinear,
    at,
  };
}

export type { Correction } from './batchNorm';

export interface LmcOptions {
  /** α values to evaluate; must include 0 and 1. Default: `points` evenly spaced values. */
  readonly alphas?: readonly number[];
  /** Grid size when `alphas` is not given (default 25, as the reference code). */
  readonly points?: number;
  readonly batchSize?: number;
  readonly correction?: Correction;
  /** Data for BN reset / REPAIR statistics (the reference uses the training split); default: `data`. */
  readonly statsData?: BatchSource;
  /** Called with each point as soon as it is computed. */
  readonly onPoint?: (point: LmcPoint, index: number, total: number) => void;
}

export interface LmcResult {
  readonly points: LmcPoint[];
  readonly barriers: Barriers;
  readonly correction: Correction;
  readonly notes: string[];
}

/** Loss and accuracy along the straight path from A to B (B must have A's architecture), with barriers. */
export async function lmc(a: Graph, b: Graph, data: BatchSource, opts: LmcOptions = {}, ctx?: WorkContext): Promise<LmcResult> {
  const bb = asArchitectureOf(a, b);
  const alphas = opts.alphas ? [...opts.alphas] : alphaGrid(opts.points ?? 25);
  if (!alphas.includes(0) || !alphas.includes(1)) throw new UserError('The α values must include 0 and 1, the two endpoints the barrier is measured against.');
  const batchSize = opts.batchSize ?? DEFAULT_BATCH;
  const notes: string[] = [];
  let correction = opts.correction ?? 'none';
  if (correction === 'reset' && !hasBatchNorm(a)) {
    notes.push('The model has no batch-norm layers: BN reset changes nothing, so none was applied.');
    correction = 'none';
  }
  const stats = opts.statsData ?? data;
  // Progress: a share for the fixed statistics, the rest split evenly among the α points.
  const pre = correction === 'repair' ? 0.1 : 0;
  const ends = correction === 'repair' ? await repairStatistics(a, bb, stats, { batchSize, span: { from: 0, to: pre } }, ctx) : undefined;
  const pa = paramTensors(a);
  const pb = paramTensors(bb);
  const ex = new Executor(a);
  const points: LmcPoint[] = [];
  try {
    for (const [i, alpha] of alphas.entries()) {
      const from = pre + ((1 - pre) * i) / alphas.length;
      const to = pre + ((1 - pre) * (i + 1)) / alphas.length;
      const mid = correction === 'none' ? from : (from + to) / 2;
      const message = `α = ${alpha.toFixed(3)}`;
      const theta = interpolate(pa, pb, alpha);
      let ev;
      try {
        if (correction === 'reset') {
          const reset = await resetBatchNorm(a, theta, stats, { batchSize, span: { from, to: mid, message: `${message}: batch-norm reset` } }, ctx);
          try {
            ev = await evaluate(ex, data, { params: reset, batchSize, span: { from: mid, to, message } }, ctx);
          } finally {
            tf.dispose([...reset.values()]);
          }
        } else if (correction === 'repair') {
          const fixed = await repair(a, theta, repairGoals(ends!.sa, ends!.sb, alpha), stats, { batchSize, span: { from, to: mid, message: `${message}: REPAIR` } }, ctx);
          ev = await evaluate(fixed.graph, data, { batchSize, span: { from: mid, to, message } }, ctx);
        } else {
          ev = await evaluate(ex, data, { params: theta, batchSize, span: { from, to, message } }, ctx);
        }
      } finally {
        tf.dispose([...theta.values()]);
      }
      const point = { alpha, loss: ev.loss, accuracy: ev.accuracy };
      points.push(point);
      opts.onPoint?.(point, i, alphas.length);
    }
  } finally {
    ex.dispose();
    tf.dispose([...pa.values(), ...pb.values()]);
  }
  ctx?.progress?.(1, 'linear mode connectivity: done');
  return { points, barriers: barriers(points), correction, notes };
}
