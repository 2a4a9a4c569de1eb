import * as tf from '@tensorflow/tfjs-core';
import { Executor } from '../../graph/executor';
import { Graph } from '../../graph/ir';
import { linearAssignment } from '../../linalg/lap';
import { WorkContext } from '../../progress';
import { BatchSource, DEFAULT_BATCH, forEachBatch } from './data';
import { asArchitectureOf } from './interpolate';
import { applyPermutation, PermGroup, PermutationSpec, permutationSpec } from './permutationSpec';

/**
 * Activation matching: per permutation group, correlate A's and B's features over data and let
 * a linear assignment pair the units. B's features do not depend on how B's other layers are
 * permuted, so the groups are solved independently, one assignment each.
 */

export type ActivationCost = 'correlation' | 'inner';

export interface ActivationMatchingOptions {
  /**
   * 'correlation' (default): Pearson correlation with σ + 1e-4 in the denominator, as REPAIR
   * does; 'inner': the raw second moment E[a bᵀ], as Git Re-Basin's activation matching.
   */
  readonly cost?: ActivationCost;
  readonly batchSize?: number;
  readonly spec?: PermutationSpec;
}

export interface ActivationGroupResult {
  readonly name: string;
  /** The nodes whose outputs were compared. */
  readonly nodes: readonly string[];
  /** Mean cost of the matched pairs (mean correlation of matched units, for 'correlation'). */
  readonly matched: number;
  /** Mean cost of the identity pairing, for comparison. */
  readonly identity: number;
}

export interface ActivationMatchingResult {
  readonly spec: PermutationSpec;
  /** perm[k] = j: unit k of the aligned B is unit j of B. */
  readonly perms: Map<string, Int32Array>;
  readonly groups: ActivationGroupResult[];
  readonly samples: number;
  /** B with its units permuted onto A (A's nodes and keys). */
  readonly aligned: Graph;
}

const UNITS = new Set(['relu', 'leakyRelu', 'prelu', 'clip', 'elu', 'selu', 'gelu', 'silu', 'sigmoid', 'tanh', 'softplus', 'softsign', 'hardSigmoid']);

/**
 * The nodes at which a group's units are compared: its post-activation outputs (the unit after
 * each layer; for a residual stream, the unit after each add) or, in a group without units,
 * every node that carries it.
 */
export function activationNodes(graph: Graph, group: PermGroup): string[] {
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  const units = group.nodes.filter((id) => UNITS.has(byId.get(id)!.op.op));
  return units.length ? units : [...group.nodes];
}

/** Cross moments of two [rows, n] feature sets, accumulated in float64. */
class CrossMoments {
  rows = 0;
  readonly sa: Float64Array;
  readonly sb: Float64Array;
  readonly saa: Float64Array;
  readonly sbb: Float64Array;
  readonly sab: Float64Array;
  constructor(readonly n: number) {
    this.sa = new Float64Array(n);
    this.sb = new Float64Array(n);
    this.saa = new Float64Array(n);
    this.sbb = new Float64Array(n);
    this.sab = new Float64Array(n * n);
  }

  /** C[k, j] of the chosen cost: rows are A's units, columns B's. */
  cost(kind: ActivationCost): Float64Array {
    const n = this.n;
    const r = Math.max(this.rows, 1);
    const c = new Float64Array(n * n);
    if (kind === 'inner') {
      for (let i = 0; i < n * n; i++) c[i] = this.sab[i] / r;
      return c;
    }
    const ma = this.sa.map((v) => v / r);
    const mb = this.sb.map((v) => v / r);
    const da = ma.map((m, k) => Math.sqrt(Math.max(this.saa[k] / r - m * m, 0)) + 1e-4);
    const db = mb.map((m, k) => Math.sqrt(Math.max(this.sbb[k] / r - m * m, 0)) + 1e-4);
    for (let k = 0; k < n; k++) for (let j = 0; j < n; j++) c[k * n + j] = (this.sab[k * n + j] / r - ma[k] * mb[j]) / (da[k] * db[j]);
    return c;
  }
}

/** Aligns B's hidden units to A's by matching their activations over data. */
export async function activationMatching(a: Graph, b: Graph, data: BatchSource, opts: ActivationMatchingOptions = {}, ctx?: WorkContext): Promise<ActivationMatchingResult> {
  const bb = asArchitectureOf(a, b);
  const spec = opts.spec ?? permutationSpec(a);
  const kind = opts.cost ?? 'correlation';
  const plan = spec.perms.map((g) => ({ group: g, nodes: activationNodes(a, g) }));
  const taps = [...new Set(plan.flatMap((p) => p.nodes))];
  const moments = new Map<string, CrossMoments>();
  for (const p of plan) for (const id of p.nodes) moments.set(`${p.group.name}\u0000${id}`, new CrossMoments(p.group.size));
  const exA = new Executor(a);
  const exB = new Executor(bb);
  try {
    const samples = await forEachBatch(a, data, opts.batchSize ?? DEFAULT_BATCH, ctx, async ({ x }) => {
      const ra = exA.run([x], { taps, outputs: [] });
      const rb = exB.run([x], { taps, outputs: [] });
      try {
        for (const p of plan) {
          for (const id of p.nodes) {
            const m = moments.get(`${p.group.name}\u0000${id}`)!;
            const n = m.n;
            const parts = tf.tidy(() => {
              const fa = tf.reshape(ra.taps.get(id)!, [-1, n]);
              const fb = tf.reshape(rb.taps.get(id)!, [-1, n]);
              return [tf.sum(fa, 0), tf.sum(fb, 0), tf.sum(tf.square(fa), 0), tf.sum(tf.square(fb), 0), tf.matMul(fa, fb, true, false)];
            });
            const vals = await Promise.all(parts.map((t) => t.data()));
            tf.dispose(parts);
            m.rows += ra.taps.get(id)!.size / n;
            const targets = [m.sa, m.sb, m.saa, m.sbb, m.sab];
            targets.forEach((t, i) => {
              const v = vals[i];
              for (let q = 0; q < t.length; q++) t[q] += v[q];
            });
          }
        }
      } finally {
        tf.dispose([...ra.taps.values(), ...rb.taps.values(), ...ra.outputs, ...rb.outputs]);
      }
    }, { from: 0, to: 0.95, message: 'activation matching' });
    const perms = new Map<string, Int32Array>();
    const groups: ActivationGroupResult[] = [];
    for (const p of plan) {
      const n = p.group.size;
      const c = new Float64Array(n * n);
      for (const id of p.nodes) {
        const ci = moments.get(`${p.group.name}\u0000${id}`)!.cost(kind);
        for (let i = 0; i < c.length; i++) c[i] += ci[i];
      }
      const sol = linearAssignment(c, n, { maximize: true });
      perms.set(p.group.name, sol.rowToCol);
      let id = 0;
      for (let k = 0; k < n; k++) id += c[k * n + k];
      const per = n * p.nodes.length;
      groups.push({ name: p.group.name, nodes: p.nodes, matched: sol.value / per, identity: id / per });
    }
    ctx?.progress?.(1, 'activation matching: done');
    return { spec, perms, groups, samples, aligned: applyPermutation(bb, spec, perms) };
  } finally {
    exA.dispose();
    exB.dispose();
  }
}

