import * as tf from '@tensorflow/tfjs-core';
import { Graph, Param, sizeOf } from '../../graph/ir';
import { linearAssignment } from '../../linalg/lap';
import { throwIfCancelled, WorkContext } from '../../progress';
import { asArchitectureOf } from './interpolate';
import {
  applyPermutation,
  axisGather,
  axisSlots,
  gatherAxes,
  identityPermutations,
  PermutationSpec,
  permutationSpec,
  seededRandom,
} from './permutationSpec';

/**
 * Weight matching (Git Re-Basin, Ainsworth et al. 2023): coordinate ascent over the
 * permutations of B to maximise Σ⟨W_A, π(W_B)⟩. Each step fixes every permutation but one,
 * which makes the objective linear in that one, so a linear assignment solves it exactly.
 */

export interface WeightMatchingOptions {
  /** Seed of the random sweep order (default 0). */
  readonly seed?: number;
  /** At most this many sweeps over all permutations (default 100). */
  readonly maxSweeps?: number;
  /** A spec to use instead of the one derived from A's graph. */
  readonly spec?: PermutationSpec;
}

export interface WeightMatchingStep {
  readonly sweep: number;
  readonly perm: string;
  /** Whether this step changed the permutation. */
  readonly changed: boolean;
  /** Σ⟨W_A, π(W_B)⟩ after the step. */
  readonly objective: number;
}

export interface WeightMatchingResult {
  readonly spec: PermutationSpec;
  /** perm[k] = j: unit k of the aligned B is unit j of B. */
  readonly perms: Map<string, Int32Array>;
  /** Σ⟨W_A, π(W_B)⟩ at the identity, then after every step; never decreases. */
  readonly objective: number[];
  readonly steps: WeightMatchingStep[];
  readonly sweeps: number;
  /** True when the last sweep changed nothing (false: stopped at maxSweeps). */
  readonly converged: boolean;
  /** B with its units permuted onto A (A's nodes and keys): computes the same function as B. */
  readonly aligned: Graph;
}

/**
 * The parameters that enter the matching objective. Running statistics of batch-norm are
 * permuted with their channels but left out of the objective, as in the reference code
 * (they are not weights, and their scale would swamp γ and β).
 */
function matched(p: Param): boolean {
  return p.role !== 'movingMean' && p.role !== 'movingVariance';
}

function dot64(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/**
 * The rows of `data` along axis `a` that belong to one permutation, one row per unit: for
 * unit k, its copies t (spatial positions after a flatten, ...) and all other axes, flattened.
 */
export function unitRows(data: Float32Array, shape: readonly number[], a: number, slots: { times: number; pos: Int32Array; size: number }): Float32Array {
  const d = shape[a];
  const inner = sizeOf(shape.slice(a + 1));
  const outer = data.length / (d * inner);
  const len = slots.times * outer * inner;
  const out = new Float32Array(slots.size * len);
  for (let k = 0; k < slots.size; k++) {
    for (let t = 0; t < slots.times; t++) {
      const p = slots.pos[k * slots.times + t];
      const dst = k * len + t * outer * inner;
      if (inner === 1) {
        // The out-axis of a kernel: a strided column; copy element by element.
        for (let o = 0; o < outer; o++) out[dst + o] = data[o * d + p];
      } else {
        for (let o = 0; o < outer; o++) {
          const src = (o * d + p) * inner;
          out.set(data.subarray(src, src + inner), dst + o * inner);
        }
      }
    }
  }
  return out;
}

const yieldToEvents = () => new Promise<void>((r) => setTimeout(r, 0));

/** Aligns B's hidden units to A's by weight matching; returns the permutations and the aligned B. */
export async function weightMatching(a: Graph, b: Graph, opts: WeightMatchingOptions = {}, ctx?: WorkContext): Promise<WeightMatchingResult> {
  const bb = asArchitectureOf(a, b);
  const spec = opts.spec ?? permutationSpec(a);
  const maxSweeps = opts.maxSweeps ?? 100;
  const rnd = seededRandom(opts.seed ?? 0);
  const perms = identityPermutations(spec);
  const names = spec.perms.map((g) => g.name);
  const keys = [...a.params.values()].filter(matched).map((p) => p.key);

  // (param, axis) pairs that carry each permutation.
  const carriers = new Map<string, { key: string; axis: number }[]>(names.map((n) => [n, []]));
  for (const key of keys) {
    spec.axes.get(key)?.forEach((ax, axis) => ax?.names.forEach((n) => carriers.get(n)?.push({ key, axis })));
  }
  const touched = new Map(names.map((n) => [n, [...new Set(carriers.get(n)!.map((c) => c.key))]]));

  const permutedB = (key: string, skipAxis = -1): Float32Array => {
    const p = bb.params.get(key)!;
    const axes = spec.axes.get(key) ?? [];
    return gatherAxes(p.data, p.shape, axes.map((ax, i) => (i === skipAxis ? null : axisGather(ax, perms))));
  };
  const terms = new Map<string, number>();
  for (const key of keys) terms.set(key, dot64(a.params.get(key)!.data, permutedB(key)));
  const total = () => {
    let s = 0;
    for (const v of terms.values()) s += v;
    return s;
  };

  const objective = [total()];
  const steps: WeightMatchingStep[] = [];
  let sweeps = 0;
  let converged = false;
  for (let sweep = 0; sweep < maxSweeps && !converged; sweep++) {
    sweeps = sweep + 1;
    const order = [...names];
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(rnd() * (i + 1));
      [order[i], order[j]] = [order[j], order[i]];
    }
    let changed = false;
    for (const [idx, name] of order.entries()) {
      throwIfCancelled(ctx);
      const n = spec.perms.find((g) => g.name === name)!.size;
      // C[k, j] = Σ ⟨row k of W_A, row j of W_B⟩ over the axes carrying this permutation, with
      // every other axis of W_B already permuted (this one is what the assignment decides).
      const cT = tf.tidy(() => {
        let acc: tf.Tensor2D = tf.zeros([n, n]);
        for (const { key, axis } of carriers.get(name)!) {
          const pa = a.params.get(key)!;
          const slots = axisSlots(spec.axes.get(key)![axis]!, name)!;
          const ra = unitRows(pa.data, pa.shape, axis, slots);
          const rb = unitRows(permutedB(key, axis), pa.shape, axis, slots);
          const len = ra.length / n;
          acc = tf.add(acc, tf.matMul(tf.tensor2d(ra, [n, len]), tf.tensor2d(rb, [n, len]), false, true));
        }
        return acc;
      });
      const c = Float64Array.from((await cT.data()) as Float32Array);
      cT.dispose();
      const cur = perms.get(name)!;
      let oldL = 0;
      for (let k = 0; k < n; k++) oldL += c[k * n + cur[k]];
      const sol = linearAssignment(c, n, { maximize: true });
      let stepChanged = false;
      if (sol.value - oldL > 1e-10 * Math.max(Math.abs(oldL), Math.abs(sol.value))) {
        // Accept only what raises the exact (float64) objective: C is float32, and a step that
        // gains nothing real must not count as change, so the sweeps end.
        const before = total();
        const saved = new Map(touched.get(name)!.map((k) => [k, terms.get(k)!]));
        perms.set(name, sol.rowToCol);
        for (const key of touched.get(name)!) terms.set(key, dot64(a.params.get(key)!.data, permutedB(key)));
        if (total() > before) stepChanged = true;
        else {
          perms.set(name, cur);
          for (const [k, v] of saved) terms.set(k, v);
        }
      }
      changed ||= stepChanged;
      const obj = total();
      objective.push(obj);
      steps.push({ sweep, perm: name, changed: stepChanged, objective: obj });
      // The number of sweeps is unknown in advance: the bar approaches 1 geometrically.
      ctx?.progress?.(1 - 0.5 ** (sweep + (idx + 1) / order.length), `weight matching: sweep ${sweep + 1}, ${idx + 1}/${order.length} permutations`);
      await yieldToEvents();
    }
    if (!changed) converged = true;
  }
  return { spec, perms, objective, steps, sweeps, converged, aligned: applyPermutation(bb, spec, perms) };
}
