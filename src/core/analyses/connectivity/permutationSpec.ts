import { Graph, Node, Param, sizeOf } from '../../graph/ir';
import { mulberry32 } from '../../random';

/**
 * Permutation specs: which parameter axes move together when the hidden units of a network are
 * relabelled. Derived from the graph alone, by following every node's channel axis (the last
 * axis, NHWC) from the producers of hidden channels (dense units, conv filters) to their
 * consumers:
 * - a dense / conv layer starts a new permutation on its output channels (kernel out-axis, bias)
 *   and takes its input's permutation on its kernel in-axis;
 * - per-channel parameters (batch-norm γ, β, running mean and variance; layer/instance-norm γ, β;
 *   PReLU α; per-channel constants of elementwise ops) take the permutation of their channels;
 * - elementwise units, pools, upsampling, softmax and norms pass the channels through; pad adds
 *   fixed channels where it pads the channel axis;
 * - a residual add (any elementwise op of full-width operands, or a concat along a non-channel
 *   axis) ties the permutations of its operands into one (union-find);
 * - concat along channels concatenates permutations (block structure);
 * - flatten repeats the channel permutation at every spatial position: NHWC index
 *   (h·W + w)·C + c, or with order 'nchw' c·H·W + h·W + w; a reshape that keeps or tiles the
 *   channel axis does the same;
 * - a depthwise conv passes its input's permutation through (channel c keeps its filter;
 *   output channel c·mult + m follows input channel c);
 * - a grouped conv (groups > 1, not depthwise) would need permutations that stay within
 *   groups; its input and output channels are treated as unpermutable instead (simple and
 *   always correct, at the price of aligning less);
 * - anything that moves or splits the channel axis (a transpose, a reshape that splits it),
 *   the model inputs and outputs, and permutations that cannot be tied consistently are fixed.
 * Each axis is described position by position (which permutation, which unit), so any mix of
 * the above is represented exactly.
 */

/** One permutation: a set of interchangeable hidden units. */
export interface PermGroup {
  /** The id of the first node that produces these channels (tied producers share one group). */
  readonly name: string;
  readonly size: number;
  /** Nodes whose output channels (last axis) are exactly these units in order: the places to measure activations. */
  readonly nodes: readonly string[];
  /** The layers with parameters whose output channels start this group (several when tied by a residual add). */
  readonly producers: readonly string[];
}

/**
 * How one parameter axis moves: position i holds unit `unit[i]` of permutation
 * `names[perm[i]]`, or never moves when `perm[i]` is −1. For a plain axis (one permutation in
 * unit order) `names` has one entry and `label` is its name.
 */
export interface AxisPerm {
  /** Short text for tables: "dense_1", "conv_2 ×49 (flatten nhwc)", "[a | b]". */
  readonly label: string;
  readonly names: readonly string[];
  readonly perm: Int32Array;
  readonly unit: Int32Array;
}

export interface PermutationSpec {
  readonly perms: readonly PermGroup[];
  /** Every parameter of the graph: per axis, how it moves (null: never). */
  readonly axes: ReadonlyMap<string, readonly (AxisPerm | null)[]>;
  /** Why some hidden channels were left fixed. */
  readonly notes: readonly string[];
}

/**
 * Permutations by group name. perm[k] = j means: after permuting, unit k of the network holds
 * what unit j held before (new = old gathered at perm).
 */
export type Permutations = ReadonlyMap<string, Int32Array>;

/** The last axis of a node output: class id (−1: fixed) and unit per position. */
interface Lay {
  readonly cls: Int32Array;
  readonly unit: Int32Array;
}

class Classes {
  readonly parent: number[] = [];
  readonly size: number[] = [];
  readonly frozen: boolean[] = [];
  readonly producers: string[][] = [];

  make(size: number, producer: string): number {
    const id = this.parent.length;
    this.parent.push(id);
    this.size.push(size);
    this.frozen.push(false);
    this.producers.push([producer]);
    return id;
  }

  find(c: number): number {
    let r = c;
    while (this.parent[r] !== r) r = this.parent[r];
    while (this.parent[c] !== r) {
      const next = this.parent[c];
      this.parent[c] = r;
      c = next;
    }
    return r;
  }

  union(a: number, b: number): void {
    const ra = this.find(a);
    const rb = this.find(b);
    if (ra === rb) return;
    // The older class stays root, so a group is named after its first producer.
    const [root, child] = ra < rb ? [ra, rb] : [rb, ra];
    this.parent[child] = root;
    this.frozen[root] = this.frozen[root] || this.frozen[child];
    this.producers[root].push(...this.producers[child]);
  }

  freeze(c: number): void {
    this.frozen[this.find(c)] = true;
  }
}

function fixedLay(size: number): Lay {
  return { cls: new Int32Array(size).fill(-1), unit: new Int32Array(size).fill(-1) };
}

function plainLay(cls: number, size: number): Lay {
  return { cls: new Int32Array(size).fill(cls), unit: Int32Array.from({ length: size }, (_, i) => i) };
}

/** Every position repeated `times` in a row: channel c → c·times + m (depthwise multiplier, NCHW flatten). */
function expandLay(l: Lay, times: number): Lay {
  const n = l.cls.length * times;
  const cls = new Int32Array(n);
  const unit = new Int32Array(n);
  for (let c = 0; c < l.cls.length; c++) {
    for (let m = 0; m < times; m++) {
      cls[c * times + m] = l.cls[c];
      unit[c * times + m] = l.unit[c];
    }
  }
  return { cls, unit };
}

/** The whole axis repeated `times` (NHWC flatten, tiling reshape): s·C + c. */
function tileLay(l: Lay, times: number): Lay {
  const n = l.cls.length;
  const cls = new Int32Array(n * times);
  const unit = new Int32Array(n * times);
  for (let s = 0; s < times; s++) {
    cls.set(l.cls, s * n);
    unit.set(l.unit, s * n);
  }
  return { cls, unit };
}

function concatLays(ls: readonly Lay[]): Lay {
  const n = ls.reduce((a, l) => a + l.cls.length, 0);
  const cls = new Int32Array(n);
  const unit = new Int32Array(n);
  let off = 0;
  for (const l of ls) {
    cls.set(l.cls, off);
    unit.set(l.unit, off);
    off += l.cls.length;
  }
  return { cls, unit };
}

/** Ops that act on each channel alike (or, like softmax, commute with permuting the channels). */
const PASS_THROUGH = new Set([
  'identity', 'maxPool', 'avgPool', 'globalAvgPool', 'globalMaxPool', 'upsample', 'relu', 'sigmoid', 'tanh', 'silu',
  'softplus', 'selu', 'softsign', 'leakyRelu', 'clip', 'hardSigmoid', 'elu', 'gelu', 'softmax',
]);

/** Derives the permutation spec of a graph (see the file comment for the rules). */
export function permutationSpec(graph: Graph): PermutationSpec {
  const uf = new Classes();
  const lays = new Map<string, Lay>();
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  const axisLays = new Map<string, (Lay | null)[]>();
  const notes: string[] = [];

  const freezeLay = (l: Lay) => {
    for (const c of l.cls) if (c >= 0) uf.freeze(c);
  };
  const note = (s: string) => {
    if (!notes.includes(s)) notes.push(s);
  };

  /** Ties two layouts of the same positions; what cannot be tied consistently is fixed. */
  const unify = (a: Lay, b: Lay): Lay => {
    if (a.cls.length !== b.cls.length) {
      freezeLay(a);
      freezeLay(b);
      return a;
    }
    for (let i = 0; i < a.cls.length; i++) {
      const ca = a.cls[i];
      const cb = b.cls[i];
      if (ca < 0 && cb < 0) continue;
      if (ca < 0 || cb < 0) {
        uf.freeze(ca < 0 ? cb : ca);
        continue;
      }
      if (a.unit[i] !== b.unit[i] || uf.size[uf.find(ca)] !== uf.size[uf.find(cb)]) {
        uf.freeze(ca);
        uf.freeze(cb);
        continue;
      }
      uf.union(ca, cb);
    }
    return a;
  };

  const param = (n: Node, slot: keyof Node['params']): Param | undefined => {
    const k = n.params[slot];
    return k === undefined ? undefined : graph.params.get(k);
  };

  const setAxis = (p: Param, axis: number, l: Lay | null) => {
    let rec = axisLays.get(p.key);
    if (!rec) {
      rec = p.shape.map(() => null);
      axisLays.set(p.key, rec);
    }
    if (!l) return;
    if (p.shape[axis] !== l.cls.length) {
      // A parameter whose axis does not match its channels cannot follow them.
      freezeLay(l);
      return;
    }
    // A shared parameter (a layer called twice) ties the channels of both uses.
    rec[axis] = rec[axis] ? unify(rec[axis]!, l) : l;
  };

  /** A per-channel parameter: its last axis follows the channels when it has their size; size 1 broadcasts. */
  const perChannel = (p: Param | undefined, l: Lay) => {
    if (!p) return;
    setAxis(p, 0, null);
    const last = p.shape.length - 1;
    if (last < 0 || p.shape[last] === 1) return;
    if (p.shape[last] === l.cls.length) setAxis(p, last, l);
    else freezeLay(l);
  };

  for (const n of graph.nodes) {
    const op = n.op;
    const ins = n.inputs.map((i) => lays.get(i)!);
    const inp = ins[0];
    const C = n.shape.length ? n.shape[n.shape.length - 1] : 1;
    for (const k of Object.values(n.params)) if (k !== undefined && graph.params.has(k)) setAxis(graph.params.get(k)!, 0, null);
    let out: Lay;
    switch (op.op) {
      case 'input':
        out = fixedLay(C);
        break;
      case 'dense': {
        const k = param(n, 'kernel')!;
        setAxis(k, 0, inp);
        const cls = uf.make(C, n.id);
        out = plainLay(cls, C);
        setAxis(k, 1, out);
        const b = param(n, 'bias');
        if (b) setAxis(b, b.shape.length - 1, out);
        break;
      }
      case 'conv2d': {
        const k = param(n, 'kernel')!;
        const cin = inp.cls.length;
        if (op.groups === 1) {
          setAxis(k, 2, inp);
          out = plainLay(uf.make(C, n.id), C);
          setAxis(k, 3, out);
        } else if (op.groups === cin && k.shape[2] === 1) {
          // Runs as a depthwise conv: output channel c·mult + m follows input channel c.
          out = expandLay(inp, C / cin);
          setAxis(k, 3, out);
        } else {
          freezeLay(inp);
          out = fixedLay(C);
          note(`conv2d "${n.id}" has groups = ${op.groups}: its input and output channels are kept in place, since a permutation would have to stay within each group.`);
        }
        const b = param(n, 'bias');
        if (b) setAxis(b, b.shape.length - 1, out);
        break;
      }
      case 'depthwiseConv2d': {
        const k = param(n, 'kernel')!;
        setAxis(k, 2, inp);
        out = expandLay(inp, k.shape[3]);
        const b = param(n, 'bias');
        if (b) setAxis(b, b.shape.length - 1, out);
        break;
      }
      case 'batchNorm':
      case 'instanceNorm':
      case 'prelu':
        for (const s of ['gamma', 'beta', 'movingMean', 'movingVariance', 'alpha'] as const) perChannel(param(n, s), inp);
        out = inp;
        break;
      case 'layerNorm': {
        const rank = n.shape.length;
        const channelNormalised = op.axes.some((a) => (a < 0 ? a + rank : a) === rank - 1);
        for (const s of ['gamma', 'beta'] as const) {
          const p = param(n, s);
          if (!p) continue;
          // Statistics over the channel axis do not change when channels are permuted; γ and β
          // follow the channels only when they are laid over them.
          if (channelNormalised) perChannel(p, inp);
          else setAxis(p, 0, null);
        }
        out = inp;
        break;
      }
      case 'add':
      case 'sub':
      case 'mul':
      case 'div':
      case 'maximum':
      case 'minimum': {
        const full = n.inputs.map((id, i) => ({ l: ins[i], d: byId.get(id)!.shape })).filter(({ d }) => (d.length ? d[d.length - 1] : 1) === C && C !== 1);
        out = full.length ? full.slice(1).reduce((acc, f) => unify(acc, f.l), full[0].l) : fixedLay(C);
        const c = param(n, 'constant');
        if (c) perChannel(c, out);
        break;
      }
      case 'concat': {
        const rank = n.shape.length;
        const axis = op.axis < 0 ? op.axis + rank : op.axis;
        out = axis === rank - 1 ? concatLays(ins) : ins.slice(1).reduce((acc, l) => unify(acc, l), inp);
        break;
      }
      case 'flatten': {
        const s = byId.get(n.inputs[0])!.shape;
        const spatial = sizeOf(s.slice(0, -1));
        if (s.length <= 1) out = inp;
        else out = op.order === 'nchw' ? expandLay(inp, spatial) : tileLay(inp, spatial);
        break;
      }
      case 'reshape': {
        const cin = inp.cls.length;
        if (C === cin) out = inp;
        else if (C % cin === 0) out = tileLay(inp, C / cin);
        else {
          freezeLay(inp);
          out = fixedLay(C);
          if (inp.cls.some((c) => c >= 0)) note(`reshape "${n.id}" splits the channel axis: the channels before it are kept in place.`);
        }
        break;
      }
      case 'transpose': {
        const r = op.perm.length;
        if (op.perm[r - 1] === r - 1) out = inp;
        else {
          freezeLay(inp);
          out = fixedLay(C);
          if (inp.cls.some((c) => c >= 0)) note(`transpose "${n.id}" moves the channel axis: the channels before it are kept in place.`);
        }
        break;
      }
      case 'pad': {
        const [before, after] = op.pads[op.pads.length - 1] ?? [0, 0];
        out = before === 0 && after === 0 ? inp : concatLays([fixedLay(before), inp, fixedLay(after)]);
        break;
      }
      default:
        if (PASS_THROUGH.has(op.op)) {
          out = inp;
          break;
        }
        for (const l of ins) freezeLay(l);
        out = fixedLay(C);
    }
    if (out.cls.length !== C) {
      // Shape inference disagrees with the channel bookkeeping (an op this file does not model):
      // keep everything that reaches it in place rather than guess.
      for (const l of ins) freezeLay(l);
      out = fixedLay(C);
    }
    lays.set(n.id, out);
  }
  for (const o of graph.outputs) freezeLay(lays.get(o.node)!);

  // A group must occupy every axis it is on uniformly (each unit equally often); check, then name.
  const allLays = [...lays.values(), ...[...axisLays.values()].flatMap((r) => r.filter((l): l is Lay => !!l))];
  for (const l of allLays) {
    const counts = new Map<number, Int32Array>();
    for (let i = 0; i < l.cls.length; i++) {
      if (l.cls[i] < 0) continue;
      const r = uf.find(l.cls[i]);
      if (uf.frozen[r]) continue;
      let cnt = counts.get(r);
      if (!cnt) counts.set(r, (cnt = new Int32Array(uf.size[r])));
      cnt[l.unit[i]]++;
    }
    for (const [r, cnt] of counts) if (cnt.some((v) => v !== cnt[0])) uf.frozen[r] = true;
  }

  const used = new Set<number>();
  for (const rec of axisLays.values()) for (const l of rec) if (l) for (const c of l.cls) if (c >= 0 && !uf.frozen[uf.find(c)]) used.add(uf.find(c));
  const roots = [...used].sort((a, b) => a - b);
  const nameOf = new Map(roots.map((r) => [r, uf.producers[r][0]]));

  const perms: PermGroup[] = roots.map((r) => {
    const size = uf.size[r];
    const nodes = graph.nodes
      .filter((n) => {
        const l = lays.get(n.id)!;
        if (l.cls.length !== size) return false;
        for (let i = 0; i < size; i++) if (l.cls[i] < 0 || uf.find(l.cls[i]) !== r || l.unit[i] !== i) return false;
        return true;
      })
      .map((n) => n.id);
    return { name: nameOf.get(r)!, size, nodes, producers: [...uf.producers[r]] };
  });

  const resolve = (l: Lay): AxisPerm | null => {
    const names: string[] = [];
    const index = new Map<number, number>();
    const perm = new Int32Array(l.cls.length).fill(-1);
    const unit = new Int32Array(l.cls.length).fill(-1);
    for (let i = 0; i < l.cls.length; i++) {
      if (l.cls[i] < 0) continue;
      const r = uf.find(l.cls[i]);
      if (uf.frozen[r]) continue;
      let k = index.get(r);
      if (k === undefined) {
        k = names.length;
        index.set(r, k);
        names.push(nameOf.get(r)!);
      }
      perm[i] = k;
      unit[i] = l.unit[i];
    }
    if (!names.length) return null;
    return { label: axisLabel(names, perm, unit), names, perm, unit };
  };

  const axes = new Map<string, (AxisPerm | null)[]>();
  for (const p of graph.params.values()) {
    const rec = axisLays.get(p.key);
    axes.set(p.key, p.shape.map((_, a) => (rec?.[a] ? resolve(rec[a]!) : null)));
  }
  return { perms, axes, notes };
}

function axisLabel(names: readonly string[], perm: Int32Array, unit: Int32Array): string {
  const n = perm.length;
  if (names.length === 1 && perm.every((p) => p === 0)) {
    let plain = true;
    for (let i = 0; i < n && plain; i++) plain = unit[i] === i;
    if (plain) return names[0];
    // Repeated: find the period (NHWC flatten) or the run length (NCHW flatten, depthwise multiplier).
    let size = 0;
    for (let i = 0; i < n; i++) size = Math.max(size, unit[i] + 1);
    const times = n / size;
    let tiled = true;
    for (let i = 0; i < n && tiled; i++) tiled = unit[i] === i % size;
    if (tiled) return `${names[0]} ×${times} (tiled)`;
    let runs = true;
    for (let i = 0; i < n && runs; i++) runs = unit[i] === Math.floor(i / times);
    if (runs) return `${names[0]} ×${times} (each repeated)`;
    return `${names[0]} (mixed)`;
  }
  const parts: string[] = [];
  let i = 0;
  while (i < n) {
    let j = i;
    while (j < n && perm[j] === perm[i]) j++;
    const name = perm[i] < 0 ? `fixed` : names[perm[i]];
    parts.push(`${name}:${j - i}`);
    i = j;
    if (parts.length > 8) {
      parts.push('…');
      break;
    }
  }
  return `[${parts.join(' | ')}]`;
}

/**
 * Where the units of one permutation sit on an axis: `times` copies per unit (spatial positions
 * after a flatten, repeats after a concat), `pos[k·times + t]` the t-th position of unit k, in
 * increasing order, so copy t of one unit lines up with copy t of every other.
 */
export function axisSlots(axis: AxisPerm, name: string): { times: number; pos: Int32Array; size: number } | null {
  const ni = axis.names.indexOf(name);
  if (ni < 0) return null;
  let size = 0;
  let count = 0;
  for (let i = 0; i < axis.perm.length; i++) {
    if (axis.perm[i] !== ni) continue;
    size = Math.max(size, axis.unit[i] + 1);
    count++;
  }
  const times = count / size;
  const pos = new Int32Array(count);
  const fill = new Int32Array(size);
  for (let i = 0; i < axis.perm.length; i++) {
    if (axis.perm[i] !== ni) continue;
    const k = axis.unit[i];
    pos[k * times + fill[k]++] = i;
  }
  return { times, pos, size };
}

/** The gather map of one axis under the given permutations (new[i] = old[map[i]]), or null when nothing moves. */
export function axisGather(axis: AxisPerm | null, perms: Permutations): Int32Array | null {
  if (!axis) return null;
  let map: Int32Array | null = null;
  for (const name of axis.names) {
    const p = perms.get(name);
    if (!p) continue;
    const s = axisSlots(axis, name)!;
    if (p.length !== s.size) throw new Error(`permutation ${name} has ${p.length} entries; the group has ${s.size} units`);
    if (!map) {
      // A plain loop: Int32Array.from with a callback is slow, and weight matching asks often.
      map = new Int32Array(axis.perm.length);
      for (let i = 0; i < map.length; i++) map[i] = i;
    }
    for (let k = 0; k < s.size; k++) {
      if (p[k] === k) continue;
      for (let t = 0; t < s.times; t++) map[s.pos[k * s.times + t]] = s.pos[p[k] * s.times + t];
    }
  }
  return map;
}

/** Gathers `data` (row-major over `shape`) along each axis that has a map. */
export function gatherAxes(data: Float32Array, shape: readonly number[], maps: readonly (Int32Array | null)[]): Float32Array {
  let cur = data;
  for (let a = 0; a < shape.length; a++) {
    const m = maps[a];
    if (!m) continue;
    const d = shape[a];
    const inner = sizeOf(shape.slice(a + 1));
    const outer = data.length / (d * inner);
    const next = new Float32Array(cur.length);
    for (let o = 0; o < outer; o++) {
      const base = o * d * inner;
      if (inner === 1) {
        for (let i = 0; i < d; i++) next[base + i] = cur[base + m[i]];
        continue;
      }
      for (let i = 0; i < d; i++) {
        const src = base + m[i] * inner;
        next.set(cur.subarray(src, src + inner), base + i * inner);
      }
    }
    cur = next;
  }
  return cur;
}

/** Permuted copies of the parameters (those no permutation touches are shared, not copied). */
export function permuteParams(params: ReadonlyMap<string, Param>, spec: PermutationSpec, perms: Permutations): Map<string, Param> {
  const out = new Map<string, Param>();
  for (const [key, p] of params) {
    const axes = spec.axes.get(key);
    const maps = axes ? axes.map((a) => axisGather(a, perms)) : [];
    out.set(key, maps.some((m) => m) ? { ...p, data: gatherAxes(p.data, p.shape, maps) } : p);
  }
  return out;
}

/** The same network with its hidden units relabelled: computes the same function (π(θ)). */
export function applyPermutation(graph: Graph, spec: PermutationSpec, perms: Permutations): Graph {
  return { ...graph, params: permuteParams(graph.params, spec, perms) };
}

/** The identity permutation of every group. */
export function identityPermutations(spec: PermutationSpec): Map<string, Int32Array> {
  return new Map(spec.perms.map((g) => [g.name, Int32Array.from({ length: g.size }, (_, i) => i)]));
}

/** perm⁻¹ of each permutation: applying p then its inverse gives the original back. */
export function invertPermutations(perms: Permutations): Map<string, Int32Array> {
  const out = new Map<string, Int32Array>();
  for (const [name, p] of perms) {
    const inv = new Int32Array(p.length);
    p.forEach((j, k) => (inv[j] = k));
    out.set(name, inv);
  }
  return out;
}

/** Seeded random permutations of every group (Fisher–Yates on a small PRNG): for planted tests and checks. */
export function randomPermutations(spec: PermutationSpec, seed: number): Map<string, Int32Array> {
  const rnd = mulberry32(seed);
  const out = new Map<string, Int32Array>();
  for (const g of spec.perms) {
    const p = Int32Array.from({ length: g.size }, (_, i) => i);
    for (let i = g.size - 1; i > 0; i--) {
      const j = Math.floor(rnd() * (i + 1));
      const t = p[i];
      p[i] = p[j];
      p[j] = t;
    }
    out.set(g.name, p);
  }
  return out;
}

