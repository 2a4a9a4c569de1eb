import * as tf from '@tensorflow/tfjs-core';
import { UserError } from '../../errors';
import { Executor } from '../../graph/executor';
import { Graph } from '../../graph/ir';
import { WorkContext } from '../../progress';
import { WorkerPool } from '../../parallel/pool';
import { ProgressSum } from '../../parallel/progress';
import { DataWire, MAX_SHARED_BYTES, openWired, wireData } from '../../parallel/sharedData';
import { workerPlan, worthWorkers } from '../../parallel/size';
import { ParallelTask } from '../../parallel/task';
import { ChannelStats, Correction, hasBatchNorm, repair, repairGoals, repairStatistics, resetBatchNorm } from './batchNorm';
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

/** The shared-data limit in MiB, for the note that says the curve ran in one thread. */
const MAX_SHARED_MIB = MAX_SHARED_BYTES / 2 ** 20;

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
  /**
   * Worker threads the α points are spread over (default: LINEAR_LENS_WORKERS, else one per
   * core; see parallel/size.ts). 1 computes them one after another in this thread.
   */
  readonly workers?: number;
  /**
   * Called with each point as soon as it is computed, in α order: with workers, a point that
   * finishes before an earlier one waits for it, so callers always see a growing curve.
   */
  readonly onPoint?: (point: LmcPoint, index: number, total: number) => void;
}

export interface LmcResult {
  readonly points: LmcPoint[];
  readonly barriers: Barriers;
  readonly correction: Correction;
  readonly notes: string[];
}

/** REPAIR's per-channel statistics of A and of B, fixed along the path. */
interface EndStats {
  readonly sa: Map<string, ChannelStats>;
  readonly sb: Map<string, ChannelStats>;
}

/** What every α point of one curve shares, in this thread or in a worker. */
interface CurveSetup {
  readonly a: Graph;
  /** B with A's nodes and parameter keys. */
  readonly b: Graph;
  readonly data: BatchSource;
  readonly stats: BatchSource;
  readonly correction: Correction;
  readonly batchSize: number;
  readonly ends?: EndStats;
}

/** A curve ready to evaluate points on: the endpoints' parameters as tensors, and an executor. */
interface Curve extends CurveSetup {
  readonly pa: Map<string, tf.Tensor>;
  readonly pb: Map<string, tf.Tensor>;
  readonly ex: Executor;
}

function openCurve(s: CurveSetup): Curve {
  return { ...s, pa: paramTensors(s.a), pb: paramTensors(s.b), ex: new Executor(s.a) };
}

function closeCurve(c: Curve): void {
  c.ex.dispose();
  tf.dispose([...c.pa.values(), ...c.pb.values()]);
}

/** Loss and accuracy of θ(α), after the curve's correction; progress within `span`. */
async function curvePoint(c: Curve, alpha: number, span: { from: number; to: number }, ctx?: WorkContext): Promise<LmcPoint> {
  const { from, to } = span;
  const { correction, batchSize, stats, data } = c;
  const mid = correction === 'none' ? from : (from + to) / 2;
  const message = `α = ${alpha.toFixed(3)}`;
  const theta = interpolate(c.pa, c.pb, alpha);
  let ev;
  try {
    if (correction === 'reset') {
      const reset = await resetBatchNorm(c.a, theta, stats, { batchSize, span: { from, to: mid, message: `${message}: batch-norm reset` } }, ctx);
      try {
        ev = await evaluate(c.ex, data, { params: reset, batchSize, span: { from: mid, to, message } }, ctx);
      } finally {
        tf.dispose([...reset.values()]);
      }
    } else if (correction === 'repair') {
      const fixed = await repair(c.a, theta, repairGoals(c.ends!.sa, c.ends!.sb, alpha), stats, { batchSize, span: { from, to: mid, message: `${message}: REPAIR` } }, ctx);
      ev = await evaluate(fixed.graph, data, { batchSize, span: { from: mid, to, message } }, ctx);
    } else {
      ev = await evaluate(c.ex, data, { params: theta, batchSize, span: { from, to, message } }, ctx);
    }
  } finally {
    tf.dispose([...theta.values()]);
  }
  return { alpha, loss: ev.loss, accuracy: ev.accuracy };
}

/** A curve's setup as it crosses to a worker: the data as a dataset to open or shared batches. */
export interface CurveWire {
  readonly a: Graph;
  readonly b: Graph;
  readonly data: DataWire;
  /** Absent when the statistics are taken on `data`. */
  readonly stats?: DataWire;
  readonly correction: Correction;
  readonly batchSize: number;
  readonly ends?: EndStats;
}

/** One α point of a curve, in a worker thread; the same code as the serial path. */
export const lmcPointTask: ParallelTask<CurveWire, number, LmcPoint, Curve & { release(): void }> = {
  name: 'lmc.point',
  open: async (w) => {
    const data = await openWired(w.data);
    const stats = w.stats ? await openWired(w.stats) : data;
    return { ...openCurve({ ...w, data: data.source, stats: stats.source }), release: () => { data.close(); stats.close(); } };
  },
  run: (c, alpha, ctx) => curvePoint(c, alpha, { from: 0, to: 1 }, ctx),
  close: (c) => {
    closeCurve(c);
    c.release();
  },
};

/**
 * The α points after the first, spread over the pool's workers, within `span` of the progress
 * scale. Every worker opens the dataset itself (or, for a source that is not a dataset file,
 * replays one pass read into shared memory): it sees the very batches the one-thread path sees,
 * so each point comes out bit for bit as it would there. Undefined when the data is neither a
 * dataset nor small enough to share (the caller goes on in one thread).
 */
async function restInWorkers(
  pool: WorkerPool,
  s: Omit<CurveWire, 'data' | 'stats'>,
  data: BatchSource,
  statsData: BatchSource | undefined,
  alphas: readonly number[],
  span: { from: number; to: number },
  onPoint: (point: LmcPoint, index: number) => void,
  ctx?: WorkContext,
): Promise<LmcPoint[] | undefined> {
  const read = span.from + 0.03 * (span.to - span.from);
  const half = statsData ? (span.from + read) / 2 : read;
  const shared = await wireData(s.a, data, s.batchSize, ctx, { from: span.from, to: half, message: 'reading data for the workers' });
  const sharedStats = shared && statsData ? await wireData(s.a, statsData, s.batchSize, ctx, { from: half, to: read, message: 'reading statistics data for the workers' }) : undefined;
  if (!shared || (statsData && !sharedStats)) return undefined;
  const progress = new ProgressSum(alphas.map(() => 1));
  const ready: (LmcPoint | undefined)[] = [];
  let told = 0;
  return pool.run(lmcPointTask, { ...s, data: shared, ...(sharedStats ? { stats: sharedStats } : {}) }, alphas, {
    onProgress: (i, f, m) => ctx?.progress?.(read + (span.to - read) * progress.set(i, f), m),
    // Points are told in α order: one that finishes early waits for those before it.
    onResult: (p, i) => {
      ready[i] = p;
      for (; told < alphas.length && ready[told]; told++) onPoint(ready[told]!, told);
    },
  }, ctx);
}

/**
 * Loss and accuracy along the straight path from A to B (B must have A's architecture), with
 * barriers. The first point is computed in this thread; the rest go to worker threads when the
 * caller set `workers`, or by default when the first point shows they would take a while
 * (parallel/size.ts).
 *
 * Measured with dist/cli.js, wasm backend, examples/models/cnn-seed1 vs cnn-seed2, 25 points
 * on 2,000 Fashion-MNIST test samples, on a 2-core machine that other jobs kept at a load of
 * 5 to 11: best of 14 runs 11.7 s with LINEAR_LENS_WORKERS=1, 10.0 s with 2 (1.17×), the same
 * curve to the bit; CPU time 11.2–11.9 s either way, so the pool costs ≈0.5 s of CPU (starting
 * the workers, sharing the data) and the rest of the gap to 2× was the other jobs' share of the
 * two cores.
 */
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
  const n = alphas.length;
  const plan = workerPlan(n - 1, opts.workers);
  // A worker count the caller chose starts the workers at once: they load while this thread works.
  let pool = plan.chosen && plan.workers > 1 ? WorkerPool.start(plan.workers) : undefined;
  const points: LmcPoint[] = [];
  try {
    const stats = opts.statsData ?? data;
    // Progress: a share for the fixed statistics, the rest split evenly among the α points.
    const pre = correction === 'repair' ? 0.1 : 0;
    const ends = correction === 'repair' ? await repairStatistics(a, bb, stats, { batchSize, span: { from: 0, to: pre } }, ctx) : undefined;
    const curve = openCurve({ a, b: bb, data, stats, correction, batchSize, ...(ends ? { ends } : {}) });
    try {
      for (const [i, alpha] of alphas.entries()) {
        const from = pre + ((1 - pre) * i) / n;
        const to = pre + ((1 - pre) * (i + 1)) / n;
        const t0 = performance.now();
        const point = await curvePoint(curve, alpha, { from, to }, ctx);
        points.push(point);
        opts.onPoint?.(point, i, n);
        if (i === 0 && worthWorkers(plan, performance.now() - t0, n - 1)) {
          pool ??= WorkerPool.start(plan.workers);
          const wire = { a, b: bb, correction, batchSize, ...(ends ? { ends } : {}) };
          const rest = await restInWorkers(pool, wire, data, opts.statsData, alphas.slice(1), { from: to, to: 1 }, (p, k) => opts.onPoint?.(p, k + 1, n), ctx);
          if (rest) {
            points.push(...rest);
            break;
          }
          notes.push(`The data is too large to share with worker threads (over ${MAX_SHARED_MIB} MiB), so the α points ran one after another.`);
        }
      }
    } finally {
      closeCurve(curve);
    }
  } finally {
    await pool?.close();
  }
  ctx?.progress?.(1, 'linear mode connectivity: done');
  return { points, barriers: barriers(points), correction, notes };
}
