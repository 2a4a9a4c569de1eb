import * as tf from '@tensorflow/tfjs-core';
import { UserError } from '../../errors';
import { Executor } from '../../graph/executor';
import { Graph, sizeOf } from '../../graph/ir';
import { deriveSeed, InitRule, InitScheme, initPlan, Rng, samplePlan } from '../../init';
import { WorkerPool } from '../../parallel/pool';
import { ProgressSum } from '../../parallel/progress';
import { workerPlan, worthWorkers } from '../../parallel/size';
import { ParallelTask } from '../../parallel/task';
import { checkpoint, WorkContext } from '../../progress';
import { checkOutputIndex, scoreNode } from './head';

export interface GradientOptions {
  /** Freshly initialised networks (default 1,000; the reference used 10,000). */
  readonly networks?: number;
  readonly scheme: InitScheme;
  readonly seed?: number;
  /** Finite-difference step s (default 100, as the reference: the large step matters). */
  readonly step?: number;
  /** The evaluation point in the model's own input layout; default x0 ~ N(0, I), seeded. */
  readonly x0?: Float32Array;
  /** Which score of the (softmax-skipped) output is the scalar (default 0: the first logit). */
  readonly outputIndex?: number;
  /** Perturbed inputs per executor run (default 2048: ± of 1,024 pixels). */
  readonly batchSize?: number;
  /** Where this work sits in the caller's progress scale. */
  readonly span?: { from: number; to: number };
  /**
   * Worker threads the networks are shared out to (default: LINEAR_LENS_WORKERS, else one per
   * core; see parallel/size.ts). 1 computes them one after another in this thread.
   */
  readonly workers?: number;
}

/** Seed stream of x0, apart from the networks' streams. */
const X0_STREAM = 0x7830;

/** The default evaluation point: N(0, I) from the seed. */
export function defaultX0(d: number, seed: number): Float32Array {
  return new Rng(deriveSeed(seed, X0_STREAM)).fillNormal(new Float32Array(d));
}

/** Bytes of perturbed inputs kept across networks; above it they are rebuilt per network. */
const KEEP_BATCHES_BYTES = 128 * 2 ** 20;

/** What every network's gradient shares: plain data, the same in this thread or a worker. */
export interface GradientSetup {
  readonly graph: Graph;
  readonly scheme: InitScheme;
  readonly seed: number;
  /** Finite-difference step. */
  readonly step: number;
  readonly x0: Float32Array;
  /** Score index of the output. */
  readonly index: number;
  /** Input coordinates per executor run (half the perturbed batch). */
  readonly half: number;
}

/** A setup made ready to run networks: the constants and perturbed inputs as tensors. */
interface GradientState {
  readonly setup: GradientSetup;
  readonly d: number;
  readonly shape: readonly number[];
  readonly score: string;
  readonly chunks: readonly [number, number][];
  readonly plan: InitRule[];
  readonly fixed: Map<string, tf.Tensor>;
  readonly ex: Executor;
  readonly x0t: tf.Tensor;
  readonly kept?: tf.Tensor[];
}

function openGradients(setup: GradientSetup): GradientState {
  const { graph, x0, half } = setup;
  const shape = graph.nodes.find((n) => n.id === graph.inputs[0].node)!.shape;
  const d = sizeOf(shape);
  const chunks: [number, number][] = [];
  for (let i = 0; i < d; i += half) chunks.push([i, Math.min(i + half, d)]);
  // What can fail on a model (its head, the scheme) is asked before any tensor exists.
  const score = scoreNode(graph).id;
  const plan = initPlan(graph, setup.scheme);
  const fresh = new Set(plan.map((r) => r.key));
  // Parameters the scheme leaves alone (constants) are shared by every network.
  const fixed = new Map<string, tf.Tensor>();
  for (const p of graph.params.values()) if (!fresh.has(p.key)) fixed.set(p.key, tf.tensor(p.data, [...p.shape], 'float32'));
  const ex = new Executor({ ...graph, params: new Map() });
  const x0t = tf.tensor(x0, [1, d]);
  const state: GradientState = { setup, d, shape, score, chunks, plan, fixed, ex, x0t };
  return 2 * d * d * 4 <= KEEP_BATCHES_BYTES ? { ...state, kept: chunks.map((c) => perturbed(state, c)) } : state;
}

/** x0 + s·e_i for i in [a, b), then x0 − s·e_i, as one batch in the model's input shape. */
function perturbed(st: GradientState, [a, b]: readonly [number, number]): tf.Tensor {
  return tf.tidy(() => {
    const e = tf.mul(tf.oneHot(tf.range(a, b, 1, 'int32'), st.d), st.setup.step);
    return tf.reshape(tf.concat([tf.add(st.x0t, e), tf.sub(st.x0t, e)], 0), [2 * (b - a), ...st.shape]);
  });
}

function closeGradients(st: GradientState): void {
  if (st.kept) tf.dispose(st.kept);
  tf.dispose([...st.fixed.values(), st.x0t]);
  st.ex.dispose();
}

/** Network k's gradient row, written to out[offset .. offset + d). Network k is drawn from deriveSeed(seed, k) wherever it runs. */
async function networkGradient(st: GradientState, k: number, out: Float32Array, offset: number): Promise<void> {
  const { graph, seed, step: s, index } = st.setup;
  const values = samplePlan(graph, st.plan, deriveSeed(seed, k));
  const params = new Map(st.fixed);
  for (const [key, v] of values) params.set(key, tf.tensor(v, [...graph.params.get(key)!.shape], 'float32'));
  try {
    for (let c = 0; c < st.chunks.length; c++) {
      const [a, b] = st.chunks[c];
      const g = tf.tidy(() => {
        const xb = st.kept ? st.kept[c] : perturbed(st, st.chunks[c]);
        const out = st.ex.run([xb], { params, outputs: [st.score] }).outputs[0];
        const f = tf.reshape(tf.slice(tf.reshape(out, [out.shape[0], -1]), [0, index], [-1, 1]), [2, b - a]);
        const [plus, minus] = tf.unstack(f);
        return tf.div(tf.sub(plus, minus), 2 * s);
      });
      out.set((await g.data()) as Float32Array, offset + a);
      g.dispose();
    }
  } finally {
    for (const [key, t] of params) if (!st.fixed.has(key)) t.dispose();
  }
}

/** Networks [from, to) of a NAD job, in a worker thread: their gradient rows, row after row. */
export const nadGradientTask: ParallelTask<GradientSetup, readonly [number, number], Float32Array, GradientState> = {
  name: 'nad.gradients',
  open: openGradients,
  run: async (st, [from, to], ctx) => {
    const out = new Float32Array((to - from) * st.d);
    for (let k = from; k < to; k++) {
      await networkGradient(st, k, out, (k - from) * st.d);
      ctx.progress?.((k + 1 - from) / (to - from));
    }
    return out;
  },
  close: closeGradients,
};

/**
 * Networks [first, networks) shared out to the pool's workers in small contiguous runs (about 8
 * per worker, so a slow one does not hold the rest back), written into `gradients`. Every row
 * is the one the serial loop computes: each network's draw depends only on (seed, k).
 */
async function restInWorkers(pool: WorkerPool, setup: GradientSetup, gradients: Float32Array, first: number, networks: number, span: { from: number; to: number }, ctx?: WorkContext): Promise<void> {
  const d = setup.x0.length;
  const size = Math.max(1, Math.ceil((networks - first) / (pool.size * 8)));
  const runs: [number, number][] = [];
  for (let k = first; k < networks; k += size) runs.push([k, Math.min(k + size, networks)]);
  const progress = new ProgressSum(runs.map(([a, b]) => b - a));
  const base = span.from + ((span.to - span.from) * first) / networks;
  await pool.run(nadGradientTask, setup, runs, {
    onProgress: (i, f) => {
      const whole = progress.set(i, f);
      ctx?.progress?.(base + (span.to - base) * whole, `network ${first + Math.round(progress.done())}/${networks}`);
    },
    onResult: (rows, i) => gradients.set(rows, runs[i][0] * d),
  }, ctx);
}

/**
 * Central finite-difference input gradients of `networks` freshly initialised copies of `graph`
 * at one shared point x0: row k holds (f_k(x0 + s·e_i) − f_k(x0 − s·e_i)) / 2s for every input
 * coordinate i (model layout), f_k the chosen score of network k in inference mode.
 * Network k is drawn from deriveSeed(seed, k), so any subset of networks is reproducible, and
 * the rows are the same whichever worker thread computes them.
 */
export async function finiteDifferenceGradients(graph: Graph, opts: GradientOptions, ctx?: WorkContext): Promise<{ gradients: Float32Array; x0: Float32Array; networks: number }> {
  if (graph.inputs.length !== 1) throw new UserError(`${graph.file}: the model takes ${graph.inputs.length} inputs; NADs are computed for models with one input.`, graph.file);
  const networks = opts.networks ?? 1000;
  const s = opts.step ?? 100;
  const seed = opts.seed ?? 0;
  if (!Number.isInteger(networks) || networks < 2) throw new UserError(`NADs need at least 2 networks, got ${networks}.`);
  if (!(s > 0 && Number.isFinite(s))) throw new UserError(`The finite-difference step must be a positive number, got ${s}.`);
  const inNode = graph.nodes.find((n) => n.id === graph.inputs[0].node)!;
  const shape = inNode.shape;
  const d = sizeOf(shape);
  const x0 = opts.x0 ?? defaultX0(d, seed);
  if (x0.length !== d) throw new UserError(`${graph.file}: x0 has ${x0.length} values; the model's input has ${d} ([${shape.join(', ')}]).`, graph.file);
  const index = checkOutputIndex(graph, opts.outputIndex ?? 0);
  const half = Math.max(1, Math.floor((opts.batchSize ?? 2048) / 2));
  const setup: GradientSetup = { graph, scheme: opts.scheme, seed, step: s, x0, index, half };
  const span = opts.span ?? { from: 0, to: 1 };
  const plan = workerPlan(networks - 1, opts.workers);
  // A worker count the caller chose starts the workers at once: they load while this thread works.
  let pool = plan.chosen && plan.workers > 1 ? WorkerPool.start(plan.workers) : undefined;
  const gradients = new Float32Array(networks * d);
  try {
    const st = openGradients(setup);
    try {
      for (let k = 0; k < networks; k++) {
        await checkpoint(ctx);
        const t0 = performance.now();
        await networkGradient(st, k, gradients, k * d);
        ctx?.progress?.(span.from + ((span.to - span.from) * (k + 1)) / networks, `network ${k + 1}/${networks}`);
        // The first network, timed here, tells whether the rest are worth the workers.
        if (k === 0 && worthWorkers(plan, performance.now() - t0, networks - 1)) {
          pool ??= WorkerPool.start(plan.workers);
          await restInWorkers(pool, setup, gradients, 1, networks, span, ctx);
          break;
        }
      }
    } finally {
      closeGradients(st);
    }
  } finally {
    await pool?.close();
  }
  return { gradients, x0, networks };
}
