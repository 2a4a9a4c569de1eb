/**
 * Float32 tensors read through permutation maps (one map per axis, new[i] = old[map[i]], null for
 * none), as weight matching reads a network's weights under candidate permutations of its units:
 * the float64 inner product ⟨A, π(B)⟩ and the "unit rows" of π(B) along one axis, without
 * materialising π(B).
 *
 * Also the products that weight matching's cost matrices are made of, C = rows(A)·rows(π(B))ᵀ in
 * float32, exactly as tf.matMul computes them on the wasm backend (each entry a float32 sum, in
 * order, of float32 products), and their float32 sums.
 *
 * A PermutedTensors holds one job's tensors in its own WebAssembly instance (wasm/permuted.c), so
 * each call moves only a few offsets; where WebAssembly is missing it runs the TypeScript versions
 * below, which give the same numbers (the tests compare them bit for bit).
 */
import { linalgWasmInstance } from './wasmModule';

/** The gather maps of a tensor's axes (null: the axis is not permuted). */
export type AxisMaps = readonly (Int32Array | null)[];

/** Which positions of an axis belong to one permutation's units: unit k's copies t are at pos[k·times + t]. */
export interface UnitSlots {
  readonly times: number;
  readonly pos: Int32Array;
  readonly size: number;
}

export interface HeldTensor {
  readonly data: Float32Array;
  readonly shape: readonly number[];
}

/**
 * The flat offsets of the axes [from, to) of `shape` under their maps: entry f (row-major over
 * those axes) is where index f reads from, in units of the stride of axis to−1.
 */
function gatherOffsets(shape: readonly number[], maps: AxisMaps, from: number, to: number): Int32Array {
  let offs = new Int32Array(1);
  for (let ax = from; ax < to; ax++) {
    const d = shape[ax];
    const m = maps[ax];
    const next = new Int32Array(offs.length * d);
    for (let f = 0; f < offs.length; f++) for (let i = 0; i < d; i++) next[f * d + i] = offs[f] * d + (m ? m[i] : i);
    offs = next;
  }
  return offs;
}

/**
 * Σ_p a[p]·π(b)[p] in float64, p in row-major order (π: the maps of b's axes): each product is exact,
 * and they are added one after the other, so the value is that of the plain loop over π(b).
 */
export function dotPermutedJs(a: Float32Array, b: Float32Array, shape: readonly number[], maps: AxisMaps): number {
  const r = shape.length;
  if (a.length === 0) return 0;
  const dl = r === 0 ? 1 : shape[r - 1];
  const rowOff = gatherOffsets(shape, maps, 0, Math.max(r - 1, 0));
  const last = r === 0 ? null : maps[r - 1];
  let s = 0;
  let p = 0;
  for (let q = 0; q < rowOff.length; q++) {
    const base = rowOff[q] * dl;
    if (last) for (let i = 0; i < dl; i++) s += a[p++] * b[base + last[i]];
    else for (let i = 0; i < dl; i++) s += a[p++] * b[base + i];
  }
  return s;
}

/**
 * The unit rows of π(data) along axis `a` (its own map ignored): for unit k, its copies t and all
 * other axes flattened, [size, len]; or transposed, [len, size] (column k holds unit k's row).
 */
export function unitRowsJs(data: Float32Array, shape: readonly number[], a: number, slots: UnitSlots, maps: AxisMaps, transposed: boolean): Float32Array {
  const d = shape[a];
  const outerOff = gatherOffsets(shape, maps, 0, a);
  const innerOff = gatherOffsets(shape, maps, a + 1, shape.length);
  const outer = outerOff.length;
  const inner = innerOff.length;
  const block = outer * inner;
  const len = slots.times * block;
  const dst = new Float32Array(slots.size * len);
  const [sk, sl] = transposed ? [1, slots.size] : [len, 1];
  for (let k = 0; k < slots.size; k++) {
    for (let t = 0; t < slots.times; t++) {
      const p = slots.pos[k * slots.times + t];
      const o0 = k * sk + t * block * sl;
      for (let o = 0; o < outer; o++) {
        const src = (outerOff[o] * d + p) * inner;
        const w = o0 + o * inner * sl;
        for (let q = 0; q < inner; q++) dst[w + q * sl] = data[src + innerOff[q]];
      }
    }
  }
  return dst;
}

/**
 * c[i·n + j] = Σ_l x[i·K + l]·y[j·K + l] (x: m rows, y: n rows, both of length K), each sum taken in
 * float32 from 0 in order of l, each product rounded to float32: tf.matMul(x, yᵀ) on the wasm
 * backend, bit for bit. (A float64 sum or product of float32 values rounds to float32 exactly as
 * float32 arithmetic does.)
 */
export function crossProductJs(x: Float32Array, y: Float32Array, m: number, n: number, K: number): Float32Array {
  const c = new Float32Array(m * n);
  const f = Math.fround;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let l = 0; l < K; l++) s = f(s + f(x[i * K + l] * y[j * K + l]));
      c[i * n + j] = s;
    }
  }
  return c;
}

/** A cost product of one (tensor, axis): C[k, j] = ⟨unit row k of A, unit row j of π(B)⟩, n×n. */
export class CrossProduct {
  constructor(
    readonly n: number,
    /** @internal Where C is (zeros until the first update): an offset in the instance's memory, or the array without WebAssembly. */
    public result: number | Float32Array,
    private readonly compute: (mapsB: AxisMaps) => number | Float32Array,
  ) {}

  /** Recomputes C for these maps of B's axes. */
  update(mapsB: AxisMaps): void {
    this.result = this.compute(mapsB);
  }
}

interface PermutedWasm {
  readonly memory: WebAssembly.Memory;
  readonly heap_base: () => number;
  readonly dot_permuted: (a: number, b: number, nOuter: number, dl: number, rowOff: number, lastOff: number) => number;
  readonly gather_units: (
    src: number,
    d: number,
    outer: number,
    inner: number,
    size: number,
    times: number,
    pos: number,
    outerOff: number,
    innerOff: number,
    out: number,
    kHi: number,
    kLo: number,
    sl: number,
  ) => void;
  readonly gemm: (x: number, w: number, c: number, m: number, K: number, n: number) => void;
  readonly add_into: (dst: number, src: number, size: number, first: number) => void;
}

const align16 = (x: number) => (x + 15) & ~15;

/**
 * An instance a finished job gave back, for the next job: a fresh one costs a page fault per
 * 64 kB as its memory fills (about 1 ms for an MLP's weights). Only one is kept, and only while
 * its memory is at most POOL_MAX_BYTES.
 */
let idle: PermutedWasm | null = null;
const POOL_MAX_BYTES = 64 * 2 ** 20;

/** Output layouts of gather_units: the rows, their transpose, or panels of 8 rows for gemm. */
type Layout = 'rows' | 'transposed' | 'panels';

/** A job's tensors, held where the kernels read them. */
export class PermutedTensors {
  private w: PermutedWasm | null;
  private released = false;
  /** Byte offset of each tensor in the instance's memory. */
  private readonly at: number[] = [];
  /** The end of what is kept (tensors, then products); per-call scratch starts here. */
  private top = 0;
  /** The float32 sums, one buffer per size (an offset, or an array without WebAssembly). */
  private readonly sums = new Map<number, number | Float32Array>();

  /** opts.wasm = false runs the TypeScript versions (as where WebAssembly is missing), for tests. */
  constructor(
    private readonly tensors: readonly HeldTensor[],
    opts: { wasm?: boolean } = {},
  ) {
    if (opts.wasm === false) this.w = null;
    else {
      this.w = idle ?? linalgWasmInstance<PermutedWasm>();
      idle = null;
    }
    if (!this.w) return;
    let p = align16(this.w.heap_base());
    for (const t of tensors) {
      this.at.push(p);
      p = align16(p + t.data.length * 4);
    }
    this.top = p;
    this.reserve(p);
    const buf = this.w.memory.buffer;
    tensors.forEach((t, i) => new Float32Array(buf, this.at[i], t.data.length).set(t.data));
  }

  /** Whether the kernels run as WebAssembly (else in TypeScript). */
  get wasm(): boolean {
    return this.w !== null;
  }

  /** Hands the instance on to the next job; this object may not be used after. */
  release(): void {
    if (this.w && this.w.memory.buffer.byteLength <= POOL_MAX_BYTES) idle = this.w;
    this.w = null;
    this.released = true;
  }

  private check(): void {
    if (this.released) throw new Error('PermutedTensors: used after release()');
  }

  /** Grows the memory to at least `bytes`. */
  private reserve(bytes: number): void {
    const mem = this.w!.memory;
    if (bytes > mem.buffer.byteLength) mem.grow(Math.ceil((bytes - mem.buffer.byteLength) / 65536));
  }

  /** Keeps `bytes` for the rest of the job; returns their offset. */
  private keep(bytes: number): number {
    const p = this.top;
    this.top = align16(p + bytes);
    this.reserve(this.top);
    return p;
  }

  /** Copies int32 tables to the scratch area (from `from`); returns their offsets and the end. */
  private tables(tables: readonly Int32Array[], from = this.top): { at: number[]; end: number } {
    const at: number[] = [];
    let p = from;
    for (const t of tables) {
      at.push(p);
      p = align16(p + t.length * 4);
    }
    this.reserve(p);
    const buf = this.w!.memory.buffer;
    tables.forEach((t, i) => new Int32Array(buf, at[i], t.length).set(t));
    return { at, end: p };
  }

  /** ⟨tensor ia, π(tensor ib)⟩ (same shape), as dotPermutedJs computes it. */
  dot(ia: number, ib: number, maps: AxisMaps): number {
    this.check();
    const a = this.tensors[ia];
    const b = this.tensors[ib];
    if (!this.w) return dotPermutedJs(a.data, b.data, b.shape, maps);
    const shape = b.shape;
    const r = shape.length;
    if (a.data.length === 0) return 0;
    const dl = r === 0 ? 1 : shape[r - 1];
    const rowOff = gatherOffsets(shape, maps, 0, Math.max(r - 1, 0));
    for (let q = 0; q < rowOff.length; q++) rowOff[q] *= dl;
    let last = r > 0 ? maps[r - 1] : null;
    if (!last) {
      last = new Int32Array(dl);
      for (let i = 0; i < dl; i++) last[i] = i;
    }
    const t = this.tables([rowOff, last]);
    return this.w.dot_permuted(this.at[ia], this.at[ib], rowOff.length, dl, t.at[0], t.at[1]);
  }

  /**
   * Gathers tensor i's unit rows in `layout` to `out` (or, when out < 0, to the scratch after the
   * tables); returns where they went and how long a row is.
   */
  private gather(i: number, axis: number, slots: UnitSlots, maps: AxisMaps, layout: Layout, out: number): { at: number; len: number } {
    const shape = this.tensors[i].shape;
    const own = maps.map((m, ax) => (ax === axis ? null : m));
    const outerOff = gatherOffsets(shape, own, 0, axis);
    const innerOff = gatherOffsets(shape, own, axis + 1, shape.length);
    const len = slots.times * outerOff.length * innerOff.length;
    const t = this.tables([slots.pos, outerOff, innerOff]);
    const at = out >= 0 ? out : t.end;
    // Panels: ⌈size/8⌉ panels of 8 rows (the last one padded; gemm ignores the padding).
    if (out < 0) this.reserve(at + (layout === 'panels' ? Math.ceil(slots.size / 8) * 8 : slots.size) * len * 4);
    const [kHi, kLo, sl] = layout === 'rows' ? [8 * len, len, 1] : layout === 'transposed' ? [8, 1, slots.size] : [8 * len, 1, 8];
    this.w!.gather_units(this.at[i], shape[axis], outerOff.length, innerOff.length, slots.size, slots.times, t.at[0], t.at[1], t.at[2], at, kHi, kLo, sl);
    return { at, len };
  }

  /**
   * unitRowsJs of tensor i. The result is a view that the next call overwrites: use it (or copy
   * it) before then.
   */
  unitRows(i: number, axis: number, slots: UnitSlots, maps: AxisMaps, transposed: boolean): Float32Array {
    this.check();
    const { data, shape } = this.tensors[i];
    if (!this.w) return unitRowsJs(data, shape, axis, slots, maps.map((m, ax) => (ax === axis ? null : m)), transposed);
    const g = this.gather(i, axis, slots, maps, transposed ? 'transposed' : 'rows', -1);
    return new Float32Array(this.w.memory.buffer, g.at, slots.size * g.len);
  }

  /** π(tensor i), a new array: gatherAxes(data, shape, maps). */
  permuted(i: number, maps: AxisMaps): Float32Array {
    this.check();
    const { data, shape } = this.tensors[i];
    if (shape.length === 0) return data.slice();
    const pos = maps[0] ?? Int32Array.from({ length: shape[0] }, (_, k) => k);
    return this.unitRows(i, 0, { times: 1, pos, size: shape[0] }, maps, false).slice();
  }

  /**
   * The cost product of tensors ia (A) and ib (B) along `axis`: C[k, j] = ⟨unit row k of A, unit
   * row j of π(B)⟩, n = slots.size. A's rows are gathered once; update() gathers B's and multiplies.
   */
  crossProduct(ia: number, ib: number, axis: number, slots: UnitSlots): CrossProduct {
    this.check();
    const n = slots.size;
    const a = this.tensors[ia];
    const len = n === 0 ? 0 : (a.data.length * slots.times) / a.shape[axis];
    if (!this.w) {
      const ra = unitRowsJs(a.data, a.shape, axis, slots, [], false);
      const b = this.tensors[ib];
      return new CrossProduct(n, new Float32Array(n * n), (mapsB) => {
        this.check();
        return crossProductJs(ra, unitRowsJs(b.data, b.shape, axis, slots, mapsB.map((m, ax) => (ax === axis ? null : m)), false), n, n, len);
      });
    }
    const ra = this.keep(n * len * 4);
    this.gather(ia, axis, slots, [], 'rows', ra);
    const c = this.keep(n * n * 4);
    new Float32Array(this.w.memory.buffer, c, n * n).fill(0);
    return new CrossProduct(n, c, (mapsB) => {
      this.check();
      const g = this.gather(ib, axis, slots, mapsB, 'panels', -1);
      this.w!.gemm(ra, g.at, c, n, len, n);
      return c;
    });
  }

  /**
   * The float32 sum (0 + C₁) + C₂ + … of products of one size, in order, as float32 tensor adds
   * give it: a view that the next call may overwrite or detach.
   */
  sum(products: readonly CrossProduct[], n: number): Float32Array {
    this.check();
    let acc = this.sums.get(n);
    if (!this.w) {
      if (!acc) this.sums.set(n, (acc = new Float32Array(n * n)));
      const out = acc as Float32Array;
      products.forEach((p, k) => {
        const c = p.result as Float32Array;
        if (k === 0) for (let i = 0; i < out.length; i++) out[i] = 0 + c[i];
        else for (let i = 0; i < out.length; i++) out[i] += c[i];
      });
      if (products.length === 0) out.fill(0);
      return out;
    }
    if (acc === undefined) this.sums.set(n, (acc = this.keep(n * n * 4)));
    const at = acc as number;
    products.forEach((p, k) => this.w!.add_into(at, p.result as number, n * n, k === 0 ? 1 : 0));
    const out = new Float32Array(this.w.memory.buffer, at, n * n);
    if (products.length === 0) out.fill(0);
    return out;
  }
}
