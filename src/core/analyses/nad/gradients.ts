import * as tf from '@tensorflow/tfjs-core';
import { UserError } from '../../errors';
import { Executor } from '../../graph/executor';
import { Graph, sizeOf } from '../../graph/ir';
import { deriveSeed, InitScheme, initPlan, Rng, samplePlan } from '../../init';
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
}

/** Seed stream of x0, apart from the networks' streams. */
const X0_STREAM = 0x7830;

/** The default evaluation point: N(0, I) from the seed. */
export function defaultX0(d: number, seed: number): Float32Array {
  return new Rng(deriveSeed(seed, X0_STREAM)).fillNormal(new Float32Array(d));
}

/** Bytes of perturbed inputs kept across networks; above it they are rebuilt per network. */
const KEEP_BATCHES_BYTES = 128 * 2 ** 20;

/**
 * Central finite-difference input gradients of `networks` freshly initialised copies of `graph`
 * at one shared point x0: row k holds (f_k(x0 + s·e_i) − f_k(x0 − s·e_i)) / 2s for every input
 * coordinate i (model layout), f_k the chosen score of network k in inference mode.
 * Network k is drawn from deriveSeed(seed, k), so any subset of networks is reproducible.
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
  const score = scoreNode(graph);
  const half = Math.max(1, Math.floor((opts.batchSize ?? 2048) / 2));
  const chunks: [number, number][] = [];
  for (let i = 0; i < d; i += half) chunks.push([i, Math.min(i + half, d)]);
  const plan = initPlan(graph, opts.scheme);
  const fresh = new Set(plan.map((r) => r.key));
  // Parameters the scheme leaves alone (constants) are shared by every network.
  const fixed = new Map<string, tf.Tensor>();
  for (const p of graph.params.values()) if (!fresh.has(p.key)) fixed.set(p.key, tf.tensor(p.data, [...p.shape], 'float32'));
  const ex = new Executor({ ...graph, params: new Map() });
  const x0t = tf.tensor(x0, [1, d]);
  const batch = ([a, b]: [number, number]): tf.Tensor =>
    tf.tidy(() => {
      const e = tf.mul(tf.oneHot(tf.range(a, b, 1, 'int32'), d), s);
      return tf.reshape(tf.concat([tf.add(x0t, e), tf.sub(x0t, e)], 0), [2 * (b - a), ...shape]);
    });
  const kept = 2 * d * d * 4 <= KEEP_BATCHES_BYTES ? chunks.map(batch) : undefined;
  const gradients = new Float32Array(networks * d);
  const span = opts.span ?? { from: 0, to: 1 };
  try {
    for (let k = 0; k < networks; k++) {
      await checkpoint(ctx);
      const values = samplePlan(graph, plan, deriveSeed(seed, k));
      const params = new Map(fixed);
      for (const [key, v] of values) params.set(key, tf.tensor(v, [...graph.params.get(key)!.shape], 'float32'));
      try {
        for (let c = 0; c < chunks.length; c++) {
          const [a, b] = chunks[c];
          const g = tf.tidy(() => {
            const xb = kept ? kept[c] : batch(chunks[c]);
            const out = ex.run([xb], { params, outputs: [score.id] }).outputs[0];
            const f = tf.reshape(tf.slice(tf.reshape(out, [out.shape[0], -1]), [0, index], [-1, 1]), [2, b - a]);
            const [plus, minus] = tf.unstack(f);
            return tf.div(tf.sub(plus, minus), 2 * s);
          });
          gradients.set((await g.data()) as Float32Array, k * d + a);
          g.dispose();
        }
      } finally {
        for (const [key, t] of params) if (!fixed.has(key)) t.dispose();
      }
      ctx?.progress?.(span.from + ((span.to - span.from) * (k + 1)) / networks, `network ${k + 1}/${networks}`);
    }
  } finally {
    if (kept) tf.dispose(kept);
    tf.dispose([...fixed.values(), x0t]);
    ex.dispose();
  }
  return { gradients, x0, networks };
}
