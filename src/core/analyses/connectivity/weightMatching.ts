import { Graph, Param } from '../../graph/ir';
import { linearAssignment } from '../../linalg/lap';
import { CrossProduct, PermutedTensors, UnitSlots } from '../../linalg/permuted';
import { throwIfCancelled, WorkContext } from '../../progress';
import { mulberry32 } from '../../random';
import { asArchitectureOf } from './interpolate';
import {
  AxisPerm,
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

/** Gives the event loop a turn (the host's pause when it has one) so a cancel request can arrive. */
const yieldToEvents = (ctx?: WorkContext) => (ctx?.pause ? ctx.pause() : new Promise<void>((r) => setImmediate(r)));

/** One (parameter, axis) pair that carries a permutation, with what the steps reuse. */
interface Carrier {
  readonly key: string;
  readonly axis: number;
  readonly slots: UnitSlots;
  /** The permutations on the parameter's other axes: the product depends on these alone. */
  readonly others: readonly string[];
  /**
   * Its product C_k,j = ⟨row k of A, row j of π(B)⟩ (float32, n×n), made on first use, and the
   * versions of `others` it was last computed with.
   */
  product?: CrossProduct;
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
        const others = axes.flatMap((o, i) => (i === axis || !o ? [] : o.names));
        list.push({ key, axis, slots: axisSlots(ax, n)!, others });
      }),
    );
  }
  const touched = new Map(names.map((n) => [n, [...new Set(carriers.get(n)!.map((c) => c.key))]]));
  // Bumped whenever a permutation changes, so a product whose inputs did not change is reused.
  const versions = new Map(names.map((n) => [n, 0]));

  // The job's weights, A's and B's of each matched parameter, copied to where the kernels read
  // them (WebAssembly memory): the objective terms, the cost products and the aligned B are
  // computed there.
  const held = new PermutedTensors(keys.flatMap((k) => [a.params.get(k)!, bb.params.get(k)!]));
  const heldIndex = new Map(keys.map((k, i) => [k, 2 * i]));
  // Each axis's gather map, remade (by axisGather) only when one of its permutations was
  // replaced: a step replaces the permutation's array, and a rejected step puts the old one back.
  const mapCache = new Map<AxisPerm, { from: (Int32Array | undefined)[]; map: Int32Array | null }>();
  const gatherMap = (ax: AxisPerm | null): Int32Array | null => {
    if (!ax) return null;
    const from = ax.names.map((n) => perms.get(n));
    const e = mapCache.get(ax);
    if (e && from.every((p, i) => p === e.from[i])) return e.map;
    const map = axisGather(ax, perms);
    mapCache.set(ax, { from, map });
    return map;
  };
  /** ⟨W_A, π(W_B)⟩ of one parameter under the current permutations. */
  const term = (key: string): number => {
    const i = heldIndex.get(key)!;
    return held.dot(i, i + 1, (spec.axes.get(key) ?? []).map(gatherMap));
  };
  const terms = new Map<string, number>();
  const total = () => {
    let s = 0;
    for (const v of terms.values()) s += v;
    return s;
  };

  /**
   * C[k, j] = Σ over carriers of ⟨row k of W_A, row j of W_B⟩, in float32, summed in carrier order:
   * a view into the kernels' memory, valid until their next call. Each carrier's product is what
   * tf.matMul(A_rows, π(B)_rowsᵀ) gives on the wasm backend, bit for bit, recomputed only when a
   * permutation of its parameter's other axes changed.
   */
  const costMatrix = (name: string, n: number): Float32Array => {
    const list = carriers.get(name)!;
    for (const cr of list) {
      const productKey = cr.others.map((o) => versions.get(o) ?? 0).join(',');
      if (cr.product && cr.productKey === productKey) continue;
      const i = heldIndex.get(cr.key)!;
      cr.product ??= held.crossProduct(i, i + 1, cr.axis, cr.slots);
      cr.product.update((spec.axes.get(cr.key) ?? []).map(gatherMap));
      cr.productKey = productKey;
    }
    return held.sum(list.map((cr) => cr.product!), n);
  };

  const objective: number[] = [];
  let aligned: Graph;
  const steps: WeightMatchingStep[] = [];
  let sweeps = 0;
  let converged = false;
  // Each permutation's last solution: its potentials warm-start the next solve of that permutation.
  const lastSolution = new Map<string, { rowToCol: Int32Array; v: Float64Array }>();
  try {
    for (const key of keys) terms.set(key, term(key));
    objective.push(total());
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
        const c = costMatrix(name, n);
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
    // applyPermutation(bb, spec, perms), with the matched parameters gathered by the kernels.
    const params = new Map<string, Param>();
    for (const [key, p] of bb.params) {
      const maps = (spec.axes.get(key) ?? []).map(gatherMap);
      const i = heldIndex.get(key);
      params.set(key, !maps.some((m) => m) ? p : { ...p, data: i !== undefined ? held.permuted(i + 1, maps) : gatherAxes(p.data, p.shape, maps) });
    }
    aligned = { ...bb, params };
  } finally {
    held.release();
  }
  return { spec, perms, objective, steps, sweeps, converged, aligned };
}
