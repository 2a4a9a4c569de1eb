import * as tf from '@tensorflow/tfjs-core';
import { Graph, Param, sizeOf } from '../../graph/ir';
import { linearAssignment } from '../../linalg/lap';
import { throwIfCancelled, WorkContext } from '../../progress';
import { mulberry32 } from '../../random';
import { asArchitectureOf } from './interpolate';
import {
  applyPermutation,
  axisGather,
  axisSlots,
  gatherAxes,
  identityPermutations,
  PermutationSpec,
  permutationSpec,
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
 * dot64(a, gatherAxes(b, shape, maps)) without building the permuted copy: the same products,
 * added in the same order, so the same float64 result.
 */
function dotPermuted(a: Float32Array, b: Float32Array, shape: readonly number[], maps: readonly (Int32Array | null)[]): number {
  const r = shape.length;
  if (a.length === 0) return 0;
  if (r === 0 || maps.every((m) => !m)) return dot64(a, b);
  // offs[ax][i]: where index i of axis ax reads from in b, times the axis stride.
  const offs: Int32Array[] = new Array(r);
  let stride = 1;
  for (let ax = r - 1; ax >= 0; ax--) {
    const d = shape[ax];
    const m = maps[ax];
    const o = new Int32Array(d);
    for (let i = 0; i < d; i++) o[i] = (m ? m[i] : i) * stride;
    offs[ax] = o;
    stride *= d;
  }
  const last = offs[r - 1];
  const dl = shape[r - 1];
  const idx = new Int32Array(r);
  const nOuter = a.length / dl;
  let s = 0;
  let p = 0;
  for (let q = 0; q < nOuter; q++) {
    let base = 0;
    for (let ax = 0; ax < r - 1; ax++) base += offs[ax][idx[ax]];
    for (let i = 0; i < dl; i++) s += a[p++] * b[base + last[i]];
    for (let ax = r - 2; ax >= 0; ax--) {
      if (++idx[ax] < shape[ax]) break;
      idx[ax] = 0;
    }
  }
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

/**
 * unitRows laid out transposed, [len, size]: column k holds unit k's row. This is the right-hand
 * operand of A·Bᵀ as a plain product (a transposed matMul operand is slow on wasm).
 */
export function unitRowsT(data: Float32Array, shape: readonly number[], a: number, slots: { times: number; pos: Int32Array; size: number }): Float32Array {
  const d = shape[a];
  const inner = sizeOf(shape.slice(a + 1));
  const outer = data.length / (d * inner);
  const n = slots.size;
  const out = new Float32Array(slots.times * outer * inner * n);
  for (let k = 0; k < n; k++) {
    for (let t = 0; t < slots.times; t++) {
      const p = slots.pos[k * slots.times + t];
      const l0 = t * outer * inner;
      for (let o = 0; o < outer; o++) {
        const src = (o * d + p) * inner;
        const dst = (l0 + o * inner) * n + k;
        for (let q = 0; q < inner; q++) out[dst + q * n] = data[src + q];
      }
    }
  }
  return out;
}

/** Gives the event loop a turn (the host's pause when it has one) so a cancel request can arrive. */
const yieldToEvents = (ctx?: WorkContext) => (ctx?.pause ? ctx.pause() : new Promise<void>((r) => setImmediate(r)));

/** One (parameter, axis) pair that carries a permutation, with what the steps reuse. */
interface Carrier {
  readonly key: string;
  readonly axis: number;
  readonly slots: { times: number; pos: Int32Array; size: number };
  readonly len: number;
  /** The permutations on the parameter's other axes: the product depends on these alone. */
  readonly others: readonly string[];
  /** A's unit rows [n, len] (fixed for the whole job), made on first use. */
  ra?: tf.Tensor2D;
  /** Its last product A_rows · π(B)_rowsᵀ (float32, n×n), and the versions of `others` it was made with. */
  product?: Float32Array;
  productKey?: string;
}

/** Aligns B's hidden units to A's by weight matching; returns the permutations and the aligned B. */
export async function weightMatching(a: Graph, b: Graph, opts: WeightMatchingOptions = {}, ctx?: WorkContext): Promise<WeightMatchingResult> {
  const bb = asArchitectureOf(a, b);
  const spec = opts.spec ?? permutationSpec(a);
  const maxSweeps = opts.maxSweeps ?? 100;
  const rnd = mulberry32(opts.seed ?? 0);
  const perms = identityPermutations(spec);
  const names = spec.perms.map((g) => g.name);
  const sizes = new Map(spec.perms.map((g) => [g.name, g.size]));
  const keys = [...a.params.values()].filter(matched).map((p) => p.key);

  // (param, axis) pairs that carry each permutation.
  const carriers = new Map<string, Carrier[]>(names.map((n) => [n, []]));
  for (const key of keys) {
    const axes = spec.axes.get(key);
    axes?.forEach((ax, axis) =>
      ax?.names.forEach((n) => {
        const list = carriers.get(n);
        if (!list) return;
        const slots = axisSlots(ax, n)!;
        const shape = a.params.get(key)!.shape;
        const others = axes.flatMap((o, i) => (i === axis || !o ? [] : o.names));
        list.push({ key, axis, slots, len: (slots.times * sizeOf(shape)) / shape[axis], others });
      }),
    );
  }
  const touched = new Map(names.map((n) => [n, [...new Set(carriers.get(n)!.map((c) => c.key))]]));
  // Bumped whenever a permutation changes, so a product whose inputs did not change is reused.
  const versions = new Map(names.map((n) => [n, 0]));

  const permutedB = (key: string, skipAxis: number): Float32Array => {
    const p = bb.params.get(key)!;
    const axes = spec.axes.get(key) ?? [];
    return gatherAxes(p.data, p.shape, axes.map((ax, i) => (i === skipAxis ? null : axisGather(ax, perms))));
  };
  /** ⟨W_A, π(W_B)⟩ of one parameter under the current permutations. */
  const term = (key: string): number => {
    const p = bb.params.get(key)!;
    const axes = spec.axes.get(key) ?? [];
    return dotPermuted(a.params.get(key)!.data, p.data, p.shape, axes.map((ax) => axisGather(ax, perms)));
  };
  const terms = new Map<string, number>();
  for (const key of keys) terms.set(key, term(key));
  const total = () => {
    let s = 0;
    for (const v of terms.values()) s += v;
    return s;
  };

  /** C[k, j] = Σ over carriers of ⟨row k of W_A, row j of W_B⟩, in float32, summed in carrier order. */
  const costMatrix = async (name: string, n: number): Promise<Float64Array> => {
    const acc = new Float32Array(n * n);
    for (const cr of carriers.get(name)!) {
      const productKey = cr.others.map((o) => versions.get(o) ?? 0).join(',');
      if (!cr.product || cr.productKey !== productKey) {
        const pa = a.params.get(cr.key)!;
        cr.ra ??= tf.keep(tf.tensor2d(unitRows(pa.data, pa.shape, cr.axis, cr.slots), [n, cr.len]));
        const rbT = unitRowsT(permutedB(cr.key, cr.axis), pa.shape, cr.axis, cr.slots);
        const m = tf.tidy(() => tf.matMul(cr.ra!, tf.tensor2d(rbT, [cr.len, n])));
        cr.product = (await m.data()) as Float32Array;
        m.dispose();
        cr.productKey = productKey;
      }
      // Float32 sums, as a float32 tensor add would give (each sum rounded to float32 on store).
      const m = cr.product;
      for (let i = 0; i < acc.length; i++) acc[i] += m[i];
    }
    return new Float64Array(acc);
  };

  const objective = [total()];
  const steps: WeightMatchingStep[] = [];
  let sweeps = 0;
  let converged = false;
  // Each permutation's last solution: its potentials warm-start the next solve of that permutation.
  const lastSolution = new Map<string, { rowToCol: Int32Array; v: Float64Array }>();
  try {
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
        const n = sizes.get(name)!;
        // C[k, j] = Σ ⟨row k of W_A, row j of W_B⟩ over the axes carrying this permutation, with
        // every other axis of W_B already permuted (this one is what the assignment decides).
        const c = await costMatrix(name, n);
        const cur = perms.get(name)!;
        let oldL = 0;
        for (let k = 0; k < n; k++) oldL += c[k * n + cur[k]];
        const sol = linearAssignment(c, n, { maximize: true, start: lastSolution.get(name) });
        lastSolution.set(name, sol);
        let stepChanged = false;
        if (sol.value - oldL > 1e-10 * Math.max(Math.abs(oldL), Math.abs(sol.value))) {
          // Accept only what raises the exact (float64) objective: C is float32, and a step that
          // gains nothing real must not count as change, so the sweeps end.
          const before = total();
          const saved = new Map(touched.get(name)!.map((k) => [k, terms.get(k)!]));
          perms.set(name, sol.rowToCol);
          for (const key of touched.get(name)!) terms.set(key, term(key));
          if (total() > before) {
            stepChanged = true;
            versions.set(name, versions.get(name)! + 1);
          } else {
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
        await yieldToEvents(ctx);
      }
      if (!changed) converged = true;
    }
  } finally {
    for (const list of carriers.values()) for (const cr of list) cr.ra?.dispose();
  }
  return { spec, perms, objective, steps, sweeps, converged, aligned: applyPermutation(bb, spec, perms) };
}
