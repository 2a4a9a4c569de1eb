/**
 * The compiled loops.wat (see there for what it computes; loopsBinary.ts holds it, made by
 * build-wasm.sh), and a
 * small arena in its memory. WebAssembly runs these loops several times faster than the same
 * loops in JS on the bench machine (no bounds checks, no mispredicted branches on the data, four
 * floats per SIMD instruction), and at a usable speed from the first call, before V8 has
 * optimised any JS. Where WebAssembly or its SIMD is missing, wasmAvailable() is false and the
 * interpreter keeps its other routes: the executor for stream 0 (forward.ts), JS loops for the
 * masks (gates.ts), JS and tfjs for the backward pass (vjp.ts).
 */
import { compileEmbeddedWasm } from '../../wasm';
import { LOOPS_WASM_BASE64 } from './loopsBinary';

type Fn = (...args: number[]) => void;

interface Loaded {
  readonly memory: WebAssembly.Memory;
  readonly scatterC: Fn;
  readonly scatter1: Fn;
  readonly mask2x2: (...args: number[]) => number;
  readonly crop: Fn;
  readonly convForward: Fn;
  readonly reluMask: Fn;
}

let loaded: Loaded | null | undefined;

function load(): Loaded | undefined {
  if (loaded === undefined) {
    const module = compileEmbeddedWasm(LOOPS_WASM_BASE64);
    try {
      const x = module ? new WebAssembly.Instance(module, {}).exports : undefined;
      loaded = x ? { memory: x.mem as WebAssembly.Memory, scatterC: x.scatterC as unknown as Fn, scatter1: x.scatter1 as unknown as Fn, mask2x2: x.mask2x2 as unknown as Loaded['mask2x2'], crop: x.crop as unknown as Fn, convForward: x.convForward as unknown as Fn, reluMask: x.reluMask as unknown as Fn } : null;
    } catch {
      loaded = null;
    }
  }
  return loaded ?? undefined;
}

/** Tests switch the kernels off to check the JS and tfjs routes that take over without them. */
export const wasmKernels = { on: true };

/** True when the kernels can run here (and are not switched off). */
export function wasmAvailable(): boolean {
  return wasmKernels.on && load() !== undefined;
}

/** The entries of a max-pool gate, grouped by conv output cell (see vjp.ts PoolEntries). */
export interface ScatterEntries {
  readonly cells: number;
  readonly start: Int32Array;
  /** Where each cell's window starts in the padded input gradient, in floats. */
  readonly origin: Int32Array;
  readonly src: Int32Array;
  readonly share: Float32Array;
  readonly chan: Int32Array;
}

export interface ScatterArgs {
  /** Pooled dy, [b, rowSize]. */
  readonly dyp: Float32Array;
  readonly b: number;
  readonly rowSize: number;
  readonly e: ScatterEntries;
  /** Per-channel bias whose ⟨dy, bias⟩ is added to the result's bias, if any. */
  readonly cb?: Float32Array;
  /** The conv's input: [h, w, ci], padded to [hp, wp, ci] with (pt, pl) before. */
  readonly h: number;
  readonly w: number;
  readonly ci: number;
  readonly hp: number;
  readonly wp: number;
  readonly pt: number;
  readonly pl: number;
}

/** A scatter's result: the conv's input gradient [b, h, w, ci] and ⟨dy, cb⟩ per row. */
export interface ScatterResult {
  readonly dx: Float32Array;
  readonly bias: Float64Array;
}

/**
 * Several input channels (a multiple of 4), no dilation along the width: wk is the kernel as
 * [co, kh, kw·ci], rowOffs where each kernel row starts relative to a cell's origin (floats).
 */
export function scatterChannels(a: ScatterArgs, wk: Float32Array, kh: number, rowLen: number, rowOffs: Int32Array): ScatterResult {
  return run(a, (k, at, mem) => {
    const w = mem.f32(wk);
    const offs = mem.i32(rowOffs);
    // scratch: v for every row and entry, each entry's weights offset, and one row of slack
    // after acc (a lone last row reads, and then ignores, the row after it)
    const vs = mem.take(a.b * a.e.src.length * 4);
    const wo = mem.take(a.e.src.length * 4);
    mem.take(at.accSize * 4);
    return () => k.scatterC(at.dyp, a.b, a.rowSize, a.e.cells, at.start, at.origin, at.src, at.share, at.chan, w, kh, rowLen, offs, at.cb, at.bias, at.acc, at.accSize, vs, wo);
  });
}

/**
 * One input channel, a kernel of at most 4×4, no dilation along the width: kt44 is the kernel as
 * [co, 4, 4] (kernel rows zero-padded to 4), rowStride the floats between kernel rows in acc.
 */
export function scatterOneChannelWasm(a: ScatterArgs, kt44: Float32Array, kh: number, rowStride: number): ScatterResult {
  return run(a, (k, at, mem) => {
    const kt = mem.f32(kt44);
    return () => k.scatter1(at.dyp, a.b, a.rowSize, a.e.cells, at.start, at.origin, at.src, at.share, at.chan, kt, kh, rowStride, at.cb, at.bias, at.acc, at.accSize);
  });
}

interface Arena {
  take(bytes: number): number;
  f32(d: Float32Array): number;
  i32(d: Int32Array): number;
  /** Makes the memory big enough and copies the inputs in; call after every take(). */
  ready(): ArrayBuffer;
}

/**
 * Byte offsets in the module's memory, 16-aligned, from 16 up (0 can then mean "none"). The
 * sizes come first and the copies after: growing the memory detaches every view made before.
 */
function arena(k: Loaded): Arena {
  const pending: (() => void)[] = [];
  let top = 16;
  const mem: Arena = {
    take(bytes) {
      const at = top;
      top += Math.ceil(bytes / 16) * 16;
      return at;
    },
    f32(d) {
      const at = mem.take(d.length * 4);
      pending.push(() => new Float32Array(k.memory.buffer, at, d.length).set(d));
      return at;
    },
    i32(d) {
      const at = mem.take(d.length * 4);
      pending.push(() => new Int32Array(k.memory.buffer, at, d.length).set(d));
      return at;
    },
    ready() {
      const need = top - k.memory.buffer.byteLength;
      if (need > 0) k.memory.grow(Math.ceil(need / 65536));
      for (const p of pending) p();
      return k.memory.buffer;
    },
  };
  return mem;
}

type Common = Record<'dyp' | 'start' | 'origin' | 'src' | 'share' | 'chan' | 'cb' | 'bias' | 'acc' | 'accSize' | 'dx', number>;

/**
 * Lays a scatter's arguments out in the module's memory, calls the kernel and crops its padded
 * input gradient (in the module too), and returns copies of the gradient and of ⟨dy, cb⟩ per row.
 */
function run(a: ScatterArgs, prepare: (k: Loaded, at: Common, mem: Arena) => () => void): ScatterResult {
  const k = load();
  if (!k) throw new Error('the WebAssembly scatter kernels are not available');
  const mem = arena(k);
  const e = a.e;
  const accSize = a.hp * a.wp * a.ci;
  const dxSize = a.b * a.h * a.w * a.ci;
  const at: Common = {
    dyp: mem.f32(a.dyp),
    start: mem.i32(e.start.subarray(0, e.cells + 1)),
    origin: mem.i32(e.origin.subarray(0, e.cells)),
    src: mem.i32(e.src),
    share: mem.f32(e.share),
    chan: mem.i32(e.chan),
    cb: a.cb ? mem.f32(a.cb) : 0,
    bias: mem.take(a.b * 8),
    // 4 floats of slack: scatter1 adds zeros past the last window
    acc: mem.take(a.b * accSize * 4 + 16),
    accSize,
    dx: mem.take(dxSize * 4),
  };
  const call = prepare(k, at, mem);
  const buf = mem.ready();
  new Float64Array(buf, at.bias, a.b).fill(0);
  call();
  k.crop(at.acc, at.dx, a.b, a.hp, a.wp, a.ci, a.pt, a.pl, a.h, a.w);
  return { dx: new Float32Array(buf, at.dx, dxSize).slice(), bias: new Float64Array(buf, at.bias, a.b).slice() };
}

/** What mask2x2 gives: see loops.wat; the mask md and its entries as in gates.ts MaskEntries. */
export interface Mask2x2 {
  readonly md: Float32Array;
  readonly cells: number;
  readonly cell: Int32Array;
  readonly start: Int32Array;
  readonly src: Int32Array;
  readonly share: Float32Array;
  readonly ch: Int32Array;
}

/** The switch mask of a 2×2 / stride 2 max-pool without pads over z [2·oh, 2·ow, c] (see loops.wat). */
export function mask2x2Wasm(z: Float32Array, oh: number, ow: number, c: number, fold: boolean): Mask2x2 {
  const k = load();
  if (!k) throw new Error('the WebAssembly kernels are not available');
  const w = 2 * ow;
  const mem = arena(k);
  const zAt = mem.f32(z);
  const at = maskScratch(mem, z.length, 4 * oh * ow);
  const buf = mem.ready();
  const cells = k.mask2x2(zAt, w, c, oh, ow, fold ? 1 : 0, at.md, at.cell, at.start, at.src, at.share, at.chan, at.count, 0);
  return readMask(buf, cells, at, z.length);
}

/** One layer of stream 0 in WebAssembly (forward.ts), on one sample. */
export type ForwardLayer =
  /** A conv: input [h, w, ci], kernel k [kh, kw, ci, co] (HWIO), output [oh, ow, co]; relu: max(·, 0) applied too. */
  | { readonly kind: 'conv'; readonly k: Float32Array; readonly bias?: Float32Array; readonly h: number; readonly w: number; readonly ci: number; readonly kh: number; readonly kw: number; readonly co: number; readonly oh: number; readonly ow: number; readonly sh: number; readonly sw: number; readonly pt: number; readonly pl: number; readonly relu: boolean }
  /** A 2×2 / stride 2 max-pool without pads over [h, w, c] (h, w even), its gate's mask with a ReLU folded in when fold. */
  | { readonly kind: 'pool'; readonly h: number; readonly w: number; readonly c: number; readonly fold: boolean }
  /** A ReLU over n values, its gate's mask g = step(z) kept. */
  | { readonly kind: 'relu'; readonly n: number };

/** What the layers give: the last one's output, the pools' gates in order, the ReLUs' masks in order. */
export interface ForwardResult {
  readonly out: Float32Array;
  readonly pools: Mask2x2[];
  readonly relus: Float32Array[];
}

/**
 * Runs the layers on x in the module's memory, each reading the one before without copies in
 * between; returns copies of the last output and of every gate.
 */
export function runForward(x: Float32Array, layers: readonly ForwardLayer[]): ForwardResult {
  const k = load();
  if (!k) throw new Error('the WebAssembly kernels are not available');
  const mem = arena(k);
  let cur = mem.f32(x);
  let size = x.length;
  const calls: (() => void)[] = [];
  const reads: ((buf: ArrayBuffer) => void)[] = [];
  const pools: Mask2x2[] = [];
  const relus: Float32Array[] = [];
  for (const l of layers) {
    const input = cur;
    if (l.kind === 'conv') {
      const kAt = mem.f32(l.k);
      const bias = mem.f32(l.bias ?? new Float32Array(l.co));
      const out = mem.take(l.oh * l.ow * l.co * 4);
      calls.push(() => k.convForward(input, l.h, l.w, l.ci, kAt, l.kh, l.kw, l.co, bias, out, l.oh, l.ow, l.sh, l.sw, l.pt, l.pl, l.relu ? 1 : 0));
      cur = out;
      size = l.oh * l.ow * l.co;
    } else if (l.kind === 'pool') {
      const oh = l.h / 2;
      const ow = l.w / 2;
      const n = l.h * l.w * l.c;
      const at = maskScratch(mem, n, l.h * l.w);
      const out = mem.take(oh * ow * l.c * 4);
      const box: { cells: number } = { cells: 0 };
      calls.push(() => {
        box.cells = k.mask2x2(input, l.w, l.c, oh, ow, l.fold ? 1 : 0, at.md, at.cell, at.start, at.src, at.share, at.chan, at.count, out);
      });
      reads.push((buf) => pools.push(readMask(buf, box.cells, at, n)));
      cur = out;
      size = oh * ow * l.c;
    } else {
      const g = mem.take(l.n * 4);
      calls.push(() => k.reluMask(input, g, l.n));
      reads.push((buf) => relus.push(new Float32Array(buf, g, l.n).slice()));
    }
  }
  const last = cur;
  const lastSize = size;
  const buf = mem.ready();
  for (const c of calls) c();
  for (const r of reads) r(buf);
  return { out: new Float32Array(buf, last, lastSize).slice(), pools, relus };
}

/** Where one mask2x2 call over n values in at most cellsMax cells writes its parts (byte offsets). */
type MaskScratch = Record<'md' | 'cell' | 'start' | 'src' | 'share' | 'chan' | 'count', number>;

function maskScratch(mem: Arena, n: number, cellsMax: number): MaskScratch {
  return {
    md: mem.take(n * 4),
    cell: mem.take(cellsMax * 4),
    start: mem.take((cellsMax + 1) * 4),
    src: mem.take(n * 4),
    share: mem.take(n * 4),
    chan: mem.take(n * 4),
    count: mem.take(4),
  };
}

/** Copies a mask2x2 result out of the module's memory. */
function readMask(buf: ArrayBuffer, cells: number, at: MaskScratch, n: number): Mask2x2 {
  const entries = new Int32Array(buf, at.count, 1)[0];
  const start = new Int32Array(buf, at.start, cells + 1).slice();
  start[cells] = entries;
  return {
    md: new Float32Array(buf, at.md, n).slice(),
    cells,
    cell: new Int32Array(buf, at.cell, cells).slice(),
    start,
    src: new Int32Array(buf, at.src, entries).slice(),
    share: new Float32Array(buf, at.share, entries).slice(),
    ch: new Int32Array(buf, at.chan, entries).slice(),
  };
}
