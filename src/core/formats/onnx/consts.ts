import { Const } from './tensor';

/*
 * Arithmetic on tensors known at load time: the shape computations exporters leave in graphs
 * (Shape, Gather, Concat, Slice, Cast, ...) and the re-layout of weights. Integer values may be
 * `null`, "the batch size", which survives copying but not arithmetic other than x*1, x/1, x+0.
 */

/** Why a constant computation cannot be done; the converter adds the node and file. */
export class FoldError extends Error {}

type Elem = number | null;

/** Row-major strides of `dims`. */
export function strides(dims: readonly number[]): number[] {
  const s = new Array<number>(dims.length);
  let acc = 1;
  for (let i = dims.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= dims[i];
  }
  return s;
}

/** Number of elements of `dims`. */
export function count(dims: readonly number[]): number {
  return dims.reduce((a, d) => a * d, 1);
}

/** Largest constant a load-time computation may create; real shape math and weights stay far below. */
const MAX_FOLDED_ELEMENTS = 1 << 26;

function room(n: number): void {
  if (!(n <= MAX_FOLDED_ELEMENTS)) throw new FoldError(`a constant computation would create ${n} values; refused`);
}

function make(kind: Const['kind'], dims: readonly number[], n: number): { dims: number[]; f?: Float32Array; i?: Elem[] } {
  room(n);
  return kind === 'float' ? { dims: [...dims], f: new Float32Array(n) } : { dims: [...dims], i: new Array<Elem>(n) };
}

/** Builds a Const of `kind` whose element k is element `src(k)` of `c`. */
function remap(c: Const, dims: readonly number[], src: (k: number) => number): Const {
  const n = count(dims);
  room(n);
  if (c.kind === 'float') {
    const out = new Float32Array(n);
    for (let k = 0; k < n; k++) out[k] = c.data[src(k)];
    return { kind: 'float', dims: [...dims], data: out };
  }
  const out = new Array<Elem>(n);
  for (let k = 0; k < n; k++) out[k] = c.data[src(k)];
  return { kind: 'int', dims: [...dims], data: out };
}

/** Calls `f` with each multi-index of `dims` in row-major order and its flat position. */
function eachIndex(dims: readonly number[], f: (idx: readonly number[], k: number) => void): void {
  const n = count(dims);
  const idx = new Array<number>(dims.length).fill(0);
  for (let k = 0; k < n; k++) {
    f(idx, k);
    for (let a = dims.length - 1; a >= 0; a--) {
      if (++idx[a] < dims[a]) break;
      idx[a] = 0;
    }
  }
}

/** Transposes a constant: output axis i is input axis perm[i]. */
export function transposeConst(c: Const, perm: readonly number[]): Const {
  if (perm.every((p, i) => p === i)) return c;
  const st = strides(c.dims);
  const dims = perm.map((p) => c.dims[p]);
  room(count(dims));
  const map = new Int32Array(count(dims));
  eachIndex(dims, (idx, k) => {
    let s = 0;
    for (let i = 0; i < idx.length; i++) s += idx[i] * st[perm[i]];
    map[k] = s;
  });
  return remap(c, dims, (k) => map[k]);
}

/** Same data, new dims (the counts must agree). */
export function reshapeConst(c: Const, dims: readonly number[]): Const {
  if (count(dims) !== count(c.dims)) throw new FoldError(`cannot reshape [${c.dims}] to [${dims}]`);
  return c.kind === 'float' ? { kind: 'float', dims: [...dims], data: c.data } : { kind: 'int', dims: [...dims], data: c.data };
}

/** Numpy-style broadcast of two dims lists. */
export function broadcastDims(a: readonly number[], b: readonly number[]): number[] {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const x = a[a.length - rank + i] ?? 1;
    const y = b[b.length - rank + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) throw new FoldError(`shapes [${a}] and [${b}] do not broadcast`);
    out.push(x === 1 ? y : x);
  }
  return out;
}

/** The flat positions in `c` that feed each element of the broadcast shape `dims`. */
function broadcastIndex(from: readonly number[], dims: readonly number[]): Int32Array {
  room(count(dims));
  const st = strides(from);
  const off = dims.length - from.length;
  const map = new Int32Array(count(dims));
  eachIndex(dims, (idx, k) => {
    let s = 0;
    for (let i = 0; i < from.length; i++) if (from[i] !== 1) s += idx[i + off] * st[i];
    map[k] = s;
  });
  return map;
}

export type ArithOp = 'add' | 'sub' | 'mul' | 'div' | 'max' | 'min';

function intArith(op: ArithOp, x: Elem, y: Elem): Elem {
  if (x === null || y === null) {
    // Only identities keep the unknown batch size; anything else would be a dynamic shape.
    if (x === null && y !== null && (((op === 'mul' || op === 'div') && y === 1) || ((op === 'add' || op === 'sub') && y === 0))) return null;
    if (y === null && x !== null && ((op === 'mul' && x === 1) || (op === 'add' && x === 0))) return null;
    throw new FoldError('the computation depends on the batch size, which is only known at run time');
  }
  switch (op) {
    case 'add':
      return x + y;
    case 'sub':
      return x - y;
    case 'mul':
      return x * y;
    case 'div':
      if (y === 0) throw new FoldError('integer division by zero');
      return Math.trunc(x / y);
    case 'max':
      return Math.max(x, y);
    case 'min':
      return Math.min(x, y);
  }
}

function floatArith(op: ArithOp, x: number, y: number): number {
  switch (op) {
    case 'add':
      return x + y;
    case 'sub':
      return x - y;
    case 'mul':
      return x * y;
    case 'div':
      return x / y;
    case 'max':
      return Math.max(x, y);
    case 'min':
      return Math.min(x, y);
  }
}

/** Elementwise arithmetic with numpy broadcasting; float when either side is float. */
export function arithConst(op: ArithOp, a: Const, b: Const): Const {
  const dims = broadcastDims(a.dims, b.dims);
  const ia = broadcastIndex(a.dims, dims);
  const ib = broadcastIndex(b.dims, dims);
  const n = count(dims);
  if (a.kind === 'int' && b.kind === 'int') {
    const out = new Array<Elem>(n);
    for (let k = 0; k < n; k++) out[k] = intArith(op, a.data[ia[k]], b.data[ib[k]]);
    return { kind: 'int', dims, data: out };
  }
  const fa = toFloat(a);
  const fb = toFloat(b);
  const out = new Float32Array(n);
  for (let k = 0; k < n; k++) out[k] = floatArith(op, fa.data[ia[k]], fb.data[ib[k]]);
  return { kind: 'float', dims, data: out };
}

/** The constant as floats; refuses an unknown batch size. */
export function toFloat(c: Const): Extract<Const, { kind: 'float' }> {
  if (c.kind === 'float') return c;
  const out = new Float32Array(c.data.length);
  c.data.forEach((v, i) => {
    if (v === null) throw new FoldError('a value depends on the batch size, which is only known at run time');
    out[i] = v;
  });
  return { kind: 'float', dims: c.dims, data: out };
}

/** The constant as integers (floats truncated toward zero, as ONNX Cast does). */
export function toInt(c: Const): Extract<Const, { kind: 'int' }> {
  if (c.kind === 'int') return c;
  return { kind: 'int', dims: c.dims, data: Array.from(c.data, (v) => Math.trunc(v)) };
}

/** Plain list of integer values; `null` entries are the batch size. */
export function ints(c: Const): Elem[] {
  return [...toInt(c).data];
}

/** Gather along `axis` with the (possibly negative) indices of `idx`. */
export function gatherConst(c: Const, idx: Const, axis: number): Const {
  const indices = ints(idx);
  const n = c.dims[axis];
  const pos = indices.map((i) => {
    if (i === null) throw new FoldError('a Gather index depends on the batch size');
    const j = i < 0 ? i + n : i;
    if (j < 0 || j >= n) throw new FoldError(`Gather index ${i} is out of range for a dimension of ${n}`);
    return j;
  });
  const dims = [...c.dims.slice(0, axis), ...idx.dims, ...c.dims.slice(axis + 1)];
  room(count(dims));
  const st = strides(c.dims);
  const inner = idx.dims.length;
  const map = new Int32Array(count(dims));
  const idxStrides = strides(idx.dims);
  eachIndex(dims, (o, k) => {
    let s = 0;
    for (let i = 0; i < axis; i++) s += o[i] * st[i];
    let flat = 0;
    for (let i = 0; i < inner; i++) flat += o[axis + i] * idxStrides[i];
    s += pos[flat] * st[axis];
    for (let i = axis + 1; i < c.dims.length; i++) s += o[i + inner - 1] * st[i];
    map[k] = s;
  });
  return remap(c, dims, (k) => map[k]);
}

/** Concatenates constants along `axis`. */
export function concatConst(cs: readonly Const[], axis: number): Const {
  const first = cs[0];
  const rank = first.dims.length;
  for (const c of cs) {
    if (c.dims.length !== rank || c.dims.some((d, i) => i !== axis && d !== first.dims[i])) throw new FoldError(`cannot concatenate [${first.dims}] and [${c.dims}] on axis ${axis}`);
  }
  const dims = [...first.dims];
  dims[axis] = cs.reduce((a, c) => a + c.dims[axis], 0);
  const outer = count(dims.slice(0, axis));
  const innerOf = (c: Const) => count(c.dims.slice(axis));
  const anyFloat = cs.some((c) => c.kind === 'float');
  const parts = anyFloat ? cs.map(toFloat) : cs;
  const n = count(dims);
  const out = make(anyFloat ? 'float' : 'int', dims, n);
  let k = 0;
  for (let o = 0; o < outer; o++) {
    for (const c of parts) {
      const w = innerOf(c);
      for (let j = 0; j < w; j++) {
        const v = c.data[o * w + j];
        if (out.f) out.f[k++] = v as number;
        else out.i![k++] = v;
      }
    }
  }
  return out.f ? { kind: 'float', dims, data: out.f } : { kind: 'int', dims, data: out.i! };
}

/** ONNX Slice on a constant (starts / ends clamped as the spec says; negative steps allowed). */
export function sliceConst(c: Const, starts: readonly number[], ends: readonly number[], axes: readonly number[], steps: readonly number[]): Const {
  const rank = c.dims.length;
  const start = c.dims.map(() => 0);
  const step = c.dims.map(() => 1);
  const dims = [...c.dims];
  axes.forEach((ax, i) => {
    const a = ax < 0 ? ax + rank : ax;
    if (a < 0 || a >= rank) throw new FoldError(`Slice axis ${ax} is out of range`);
    const d = c.dims[a];
    const s = steps[i] ?? 1;
    if (s === 0) throw new FoldError('Slice step 0');
    let b = starts[i] < 0 ? starts[i] + d : starts[i];
    let e = ends[i] < 0 ? ends[i] + d : ends[i];
    if (s > 0) {
      b = Math.min(Math.max(b, 0), d);
      e = Math.min(Math.max(e, 0), d);
      dims[a] = Math.max(0, Math.ceil((e - b) / s));
    } else {
      b = Math.min(Math.max(b, -1), d - 1);
      e = Math.min(Math.max(e, -1), d - 1);
      dims[a] = Math.max(0, Math.ceil((b - e) / -s));
    }
    start[a] = b;
    step[a] = s;
  });
  room(count(dims));
  const st = strides(c.dims);
  const map = new Int32Array(count(dims));
  eachIndex(dims, (o, k) => {
    let s = 0;
    for (let i = 0; i < rank; i++) s += (start[i] + o[i] * step[i]) * st[i];
    map[k] = s;
  });
  return remap(c, dims, (k) => map[k]);
}
