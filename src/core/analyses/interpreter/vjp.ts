import * as tf from '@tensorflow/tfjs-core';
import { Graph, Node, Param, ParamSlot, sizeOf } from '../../graph/ir';
import { padPairs } from '../../graph/shapes';
import { ConvRoute, derived } from './conv';
import type { Gate, MaskEntries } from './gates';
import { ScatterEntries, ScatterResult, wasmAvailable, scatterChannels, scatterOneChannelWasm } from './loops';

/**
 * A hand-written backward pass of the frozen network F1 (the rows of A, Aᵀ·U), for graphs made
 * only of the ops below. F1 is affine, so its VJP is a chain of explicit linear-map transposes
 * and needs no forward pass: dense → dy·Wᵀ, a gate's mask → a multiply, max-pool → a scatter
 * through its switches, conv → the conv's adjoint. tf.grad instead runs F1 forward on the whole
 * batch to tape it, and pays tfjs's per-op overhead on each of ~50 ops; on WASM that and the
 * batch-10 forward were more than half of an interpret() call.
 *
 * The same pass gives b. b = F1(0) is the sum over the affine nodes of the adjoint map from the
 * node's output to the logits applied to the node's constant term (conv / dense bias, batch-norm
 * shift, a gate's offset c). Row k's dy at a node is that adjoint map for output k, so
 * Σ_nodes ⟨dy_node, constant_node⟩ is b_k: no forward pass for b either.
 *
 * Under a non-overlapping max-pool gate dy stays pooled (dy at the pool's output plus the
 * switches) as far as it can: through ReLUs folded into the pool, other elementwise gates and
 * batch-norm (which scale the switches) down to the conv that feeds them. There the conv's input
 * gradient is a scatter of only the entries the pool lets through (a quarter or less of the
 * full-size dy, and fewer after a ReLU), in WebAssembly (loops.wat): for the one input
 * channel of a grey-scale CNN's first conv, a shape XNNPACK's dense conv handles badly (0.8 ms
 * at batch 10 on 28×28×16), and for input channels in fours, where it does a quarter of a dense
 * conv's work. Other convs run in tfjs (XNNPACK on WASM), one kernel each. Small dense layers
 * and elementwise steps are plain loops over typed arrays. Sums in JS are accumulated in
 * float64, so A and b agree with the tf.grad route to float32 rounding.
 *
 * `planVjp` returns undefined for a graph with any other op (or a shape it does not handle); the
 * interpreter then keeps the tf.grad route, which covers everything.
 */

/** What the plan reads from the interpreter, all frozen at setInput. */
export interface VjpSource {
  readonly graph: Graph;
  readonly end: Node;
  /** Nodes that stream 1 passes through unchanged (the skipped softmax, ReLUs folded into a pool's mask). */
  readonly passThrough: (n: Node) => boolean;
  readonly gate: (id: string) => Gate | undefined;
  readonly conv: (id: string) => ConvRoute | undefined;
  /** The executor's parameter tensors (the kernels that tfjs convs take). */
  readonly paramTensor: (n: Node, slot: ParamSlot) => tf.Tensor | undefined;
}

export interface VjpPlan {
  /** Aᵀ·U for U [B, m] (row-major): [B, n], and ⟨u_r, b⟩ for each row r (b_k itself where u_r is e_k). */
  run(u: Float32Array, b: number): { grad: Float32Array; bias: Float64Array };
}

/** A non-overlapping max-pool gate (or one scaled by the elementwise steps below it), as the backward pass needs it. */
interface TiledPool {
  /** The pool's input [h, w, c] and its output [oh, ow, c]; windows kh×kw, stride = window. */
  readonly h: number;
  readonly w: number;
  readonly c: number;
  readonly oh: number;
  readonly ow: number;
  readonly kh: number;
  readonly kw: number;
  /** Pads before the input (top, left); the mask covers the padded input cropped to ch×cw. */
  readonly pt: number;
  readonly pl: number;
  readonly ch: number;
  readonly cw: number;
  /** Switch mask [ch, cw, c] (ties share 1/count; a ReLU folded in zeroes its dead units). */
  readonly mask: Float32Array;
  /** The gate's own mask as [1, oh, kh, ow, kw, c] for an expansion in tfjs (not for scaled pools). */
  readonly mask6?: () => tf.Tensor;
  /** The mask's entries on real input cells, grouped by cell. */
  readonly entries: MaskEntries;
}

/**
 * dy at a node's output for B rows: in JS [B, size], as a tensor, or pooled (dy at a pool's
 * output and the pool: dy here = unpool(dy) ⊙ mask). Conversions are made on demand and kept.
 */
class Val {
  private js_?: Float32Array;
  private t_?: tf.Tensor;
  readonly pooled?: { dy: Val; pool: TiledPool };

  /** `made` collects every tensor of one run, disposed at its end. */
  constructor(
    readonly b: number,
    readonly shape: readonly number[],
    init: { js?: Float32Array; t?: tf.Tensor; pooled?: { dy: Val; pool: TiledPool } },
    private readonly made: tf.Tensor[],
  ) {
    this.js_ = init.js;
    this.t_ = init.t;
    this.pooled = init.pooled;
    if (init.t) made.push(init.t);
  }

  /** A value of the same run (same rows, same tensor bookkeeping). */
  next(shape: readonly number[], init: { js?: Float32Array; t?: tf.Tensor; pooled?: { dy: Val; pool: TiledPool } }): Val {
    return new Val(this.b, shape, init, this.made);
  }

  js(): Float32Array {
    if (!this.js_) {
      if (this.pooled) this.js_ = unpoolTiled(this.pooled.dy.js(), this.b, this.pooled.pool);
      else this.js_ = this.t_!.dataSync() as Float32Array;
    }
    return this.js_;
  }

  /** As a tensor [B, ...shape]. */
  tensor(): tf.Tensor {
    if (!this.t_) {
      const p = this.pooled?.pool;
      if (p?.mask6 && !this.js_ && p.pt === 0 && p.pl === 0 && p.ch === p.h && p.cw === p.w) {
        // one broadcast multiply; tfjs broadcasts at rank 6 fast on WASM (Tile there is slow)
        const dy = this.pooled!.dy.tensor();
        const { b } = this;
        const m6 = p.mask6();
        this.t_ = tf.tidy(() => tf.reshape(tf.mul(tf.reshape(dy, [b, p.oh, 1, p.ow, 1, p.c]), m6), [b, p.h, p.w, p.c]));
      } else {
        this.t_ = tf.tensor(this.js(), [this.b, ...this.shape]);
      }
      this.made.push(this.t_);
    }
    return this.t_;
  }

  /** The same values as another shape (a reshape or flatten). */
  as(shape: readonly number[]): Val {
    if (this.pooled) return this.next(shape, { js: this.js() });
    return this.next(shape, { js: this.js_, t: this.t_ && tf.reshape(this.t_, [this.b, ...shape]) });
  }
}

/** dy at a node's output → dy at each of its inputs (undefined: no gradient), plus ⟨dy, constant⟩ per row into bias. */
type Step = (dy: Val, bias: Float64Array) => (Val | undefined)[];

/** Above this many multiply-adds a dense layer's dy·Wᵀ goes to tfjs. */
const JS_DENSE_LIMIT = 4e6;

// Every loop is in a module-level function on purpose: a plan is made per input, and a loop in a
// closure made per plan starts in V8's interpreter with fresh feedback on every call, and, once
// optimised on the stack, is thrown away again at the next plan's first property access (the
// first version ran 10× slower that way). Module-level functions are optimised once and stay.

/** Σ_i dy[r, i] · c[i mod c.length] for each row r, added to bias. */
function addBias(dy: Float32Array, b: number, c: Float32Array, bias: Float64Array): void {
  const size = dy.length / b;
  const cl = c.length;
  for (let r = 0; r < b; r++) {
    let s = 0;
    const o = r * size;
    for (let i = 0; i < size; i += cl) for (let j = 0; j < cl; j++) s += dy[o + i + j] * c[j];
    bias[r] += s;
  }
}

/**
 * ⟨dy, c⟩ per row for dy pooled (dy = unpool(dyp) ⊙ mask), c per channel or per input cell and
 * channel (index (cell·C + channel) mod c.length), over the pool's entries.
 */
function addBiasPooled(dyp: Float32Array, b: number, p: TiledPool, c: Float32Array, bias: Float64Array): void {
  const { cells, cell, start, src, share, ch } = p.entries;
  const rowSize = p.oh * p.ow * p.c;
  const cl = c.length;
  for (let r = 0; r < b; r++) {
    let s = 0;
    const o = r * rowSize;
    for (let k = 0; k < cells; k++) {
      const base = cell[k] * p.c;
      for (let q = start[k]; q < start[k + 1]; q++) s += dyp[o + src[q]] * share[q] * c[(base + ch[q]) % cl];
    }
    bias[r] += s;
  }
}

/** dx[i] = dy[i] · g[i mod g.length] (a gate's mask, or a per-channel scale). */
function scale(dy: Float32Array, g: Float32Array): Float32Array {
  const dx = new Float32Array(dy.length);
  const gl = g.length;
  for (let o = 0; o < dy.length; o += gl) for (let i = 0; i < gl; i++) dx[o + i] = dy[o + i] * g[i];
  return dx;
}

/**
 * The pool p with its switches scaled by f (per channel, or per input cell and channel: index
 * (cell·C + channel) mod f.length): unpool(dyp) ⊙ mask ⊙ f = unpool(dyp) ⊙ (mask ⊙ f), so an
 * elementwise step under a pool keeps dy pooled.
 */
function scalePool(p: TiledPool, f: Float32Array): TiledPool {
  const { h, w, c, pt, pl, ch: cropH, cw: cropW } = p;
  const fl = f.length;
  const mask = p.mask.slice();
  for (let y = 0; y < h && y + pt < cropH; y++) {
    for (let x = 0; x < w && x + pl < cropW; x++) {
      const mo = ((y + pt) * cropW + x + pl) * c;
      const fo = (y * w + x) * c;
      for (let k = 0; k < c; k++) mask[mo + k] *= f[(fo + k) % fl];
    }
  }
  const e = p.entries;
  const share = e.share.slice();
  for (let k = 0; k < e.cells; k++) {
    const base = e.cell[k] * c;
    for (let q = e.start[k]; q < e.start[k + 1]; q++) share[q] *= f[(base + e.ch[q]) % fl];
  }
  return { ...p, mask, mask6: undefined, entries: { ...e, share } };
}

/**
 * dx[r, :] = Σ_o dy[r, o]·Wᵀ[o, :] for Wᵀ [nout, nin] (the dense kernel transposed), over the
 * nonzero dy of each row only: a row of the identity, what rows() passes, is one scaled row of
 * Wᵀ. Sums in float64.
 */
function denseT(dy: Float32Array, wt: Float32Array, nin: number, nout: number): Float32Array {
  const rows = dy.length / nout;
  const dx = new Float32Array(rows * nin);
  const acc = new Float64Array(nin);
  for (let r = 0; r < rows; r++) {
    const ro = r * nout;
    const xo = r * nin;
    let nz = 0;
    let last = 0;
    for (let o = 0; o < nout; o++) if (dy[ro + o] !== 0) (nz++, (last = o));
    if (nz === 1) {
      const v = dy[ro + last];
      const wo = last * nin;
      for (let i = 0; i < nin; i++) dx[xo + i] = v * wt[wo + i];
      continue;
    }
    acc.fill(0);
    for (let o = 0; o < nout; o++) {
      const v = dy[ro + o];
      if (v === 0) continue;
      const wo = o * nin;
      for (let i = 0; i < nin; i++) acc[i] += v * wt[wo + i];
    }
    for (let i = 0; i < nin; i++) dx[xo + i] = acc[i];
  }
  return dx;
}

/** The [cols, rows] transpose of a row-major [rows, cols] matrix. */
function transpose(a: Float32Array, rows: number, cols: number): Float32Array {
  const t = new Float32Array(a.length);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) t[j * rows + i] = a[i * cols + j];
  return t;
}

/** 'nchw' flatten backward: output index c·S + s for channel c at spatial position s. */
function unflattenNchw(dy: Float32Array, b: number, sp: number, c: number): Float32Array {
  const dx = new Float32Array(dy.length);
  for (let r = 0; r < b; r++) {
    const o = r * sp * c;
    for (let s = 0; s < sp; s++) for (let k = 0; k < c; k++) dx[o + s * c + k] = dy[o + k * sp + s];
  }
  return dx;
}

/** The sum of two gradients (a node read twice), into a new array: steps pass arrays through and never write to them. */
function sumOf(x: Float32Array, y: Float32Array): Float32Array {
  const s = new Float32Array(x.length);
  for (let i = 0; i < s.length; i++) s[i] = x[i] + y[i];
  return s;
}

/** dx of a non-overlapping max-pool gate: dy of each window times the switch mask (0 outside the crop). */
function unpoolTiled(dy: Float32Array, b: number, p: TiledPool): Float32Array {
  const { h, w, c, oh, ow, kh, kw, pt, pl, ch, cw, mask } = p;
  const dx = new Float32Array(b * h * w * c);
  for (let y = 0; y < h; y++) {
    const yp = y + pt;
    if (yp >= ch) break;
    const q = (yp / kh) | 0;
    for (let x = 0; x < w; x++) {
      const xp = x + pl;
      if (xp >= cw) break;
      const mo = (yp * cw + xp) * c;
      const po = (q * ow + ((xp / kw) | 0)) * c;
      for (let r = 0; r < b; r++) {
        const xo = ((r * h + y) * w + x) * c;
        const yo = r * oh * ow * c + po;
        for (let k = 0; k < c; k++) dx[xo + k] = dy[yo + k] * mask[mo + k];
      }
    }
  }
  return dx;
}

/** Geometry of a conv's (or a pool's) backward pass: input h×w (padded hp×wp, pads top/left), output oh×ow. */
interface ConvGeo {
  readonly h: number; readonly w: number; readonly hp: number; readonly wp: number; readonly pt: number; readonly pl: number;
  readonly oh: number; readonly ow: number; readonly kh: number; readonly kw: number;
  readonly sh: number; readonly sw: number; readonly dh: number; readonly dw: number;
}

/**
 * dx of a one-input-channel conv: each nonzero dy[r, y, x, o] adds dy·W[:, :, o] to its window
 * of the padded input; kt is the kernel as [co, kh·kw]. Adds ⟨dy, bias⟩ on the way. (Dilated
 * kernels only: tfjs's transposed conv takes no dilation.)
 */
function scatterOneChannel(dy: Float32Array, b: number, co: number, kt: Float32Array, cb: Float32Array | undefined, g: ConvGeo, bias: Float64Array): Float32Array {
  const { h, w, hp, wp, pt, pl, oh, ow, kh, kw, sh, sw, dh, dw } = g;
  const taps = kh * kw;
  const acc = new Float64Array(hp * wp);
  const dx = new Float32Array(b * h * w);
  for (let r = 0; r < b; r++) {
    acc.fill(0);
    let s = 0;
    for (let y = 0; y < oh; y++) {
      for (let x = 0; x < ow; x++) {
        const at = ((r * oh + y) * ow + x) * co;
        const origin = y * sh * wp + x * sw;
        for (let o = 0; o < co; o++) {
          const v = dy[at + o];
          if (v === 0) continue;
          if (cb) s += v * cb[o];
          const kb = o * taps;
          for (let i = 0; i < kh; i++) {
            const row = origin + i * dh * wp;
            for (let j = 0; j < kw; j++) acc[row + j * dw] += v * kt[kb + i * kw + j];
          }
        }
      }
    }
    bias[r] += s;
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) dx[(r * h + y) * w + x] = acc[(y + pt) * wp + x + pl];
  }
  return dx;
}

/**
 * A pool's entries, as the scatters read them: its cells (pool input cell = the conv's output
 * cell) with where each cell's window starts in the conv's padded input gradient, in units of
 * `unit` floats (the conv's input channels).
 */
function poolEntries(p: TiledPool, g: ConvGeo, unit: number): ScatterEntries {
  const { cells, cell, start, src, share, ch } = p.entries;
  const origin = new Int32Array(cells);
  for (let k = 0; k < cells; k++) {
    const y = (cell[k] / p.w) | 0;
    origin[k] = (y * g.sh * g.wp + (cell[k] - y * p.w) * g.sw) * unit;
  }
  return { cells, start, origin, src, share, chan: ch };
}

/**
 * The one-channel conv's dx straight from a pooled dy, in JS (where the WebAssembly kernel does
 * not load): per conv output cell, the channels are summed into the tap weights first and the
 * window is updated once, since consecutive updates of the same cells through memory, one per
 * channel, each waited for the last store.
 */
function scatterPooled(dyp: Float32Array, b: number, p: TiledPool, e: ScatterEntries, kt: Float32Array, cb: Float32Array | undefined, g: ConvGeo, bias: Float64Array): Float32Array {
  const { h, w, hp, wp, pt, pl, kh, kw, dh, dw } = g;
  const taps = kh * kw;
  const rowSize = p.oh * p.ow * p.c;
  const acc = new Float64Array(hp * wp);
  const dx = new Float32Array(b * h * w);
  const offs = new Int32Array(taps);
  for (let i = 0; i < kh; i++) for (let j = 0; j < kw; j++) offs[i * kw + j] = i * dh * wp + j * dw;
  const wsum = new Float64Array(taps);
  const { start, origin, cells, src, share, chan } = e;
  for (let r = 0; r < b; r++) {
    acc.fill(0);
    let s = 0;
    const ro = r * rowSize;
    for (let k = 0; k < cells; k++) {
      wsum.fill(0);
      for (let q = start[k]; q < start[k + 1]; q++) {
        const v = dyp[ro + src[q]] * share[q];
        const o = chan[q];
        if (cb) s += v * cb[o];
        const kb = o * taps;
        for (let t = 0; t < taps; t++) wsum[t] += v * kt[kb + t];
      }
      const at = origin[k];
      for (let t = 0; t < taps; t++) acc[at + offs[t]] += wsum[t];
    }
    bias[r] += s;
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) dx[(r * h + y) * w + x] = acc[(y + pt) * wp + x + pl];
  }
  return dx;
}

/** dx of an overlapping max-pool gate: one switch mask [oh, ow, c] per window offset, scattered back. */
function unpoolOverlapping(dy: Float32Array, b: number, c: number, masks: Float32Array[], g: ConvGeo): Float32Array {
  const { h, w, hp, wp, pt, pl, oh, ow, kh, kw, sh, sw } = g;
  const acc = new Float64Array(hp * wp * c);
  const dx = new Float32Array(b * h * w * c);
  for (let r = 0; r < b; r++) {
    acc.fill(0);
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++) {
        const m = masks[i * kw + j];
        for (let y = 0; y < oh; y++) {
          const yp = y * sh + i;
          if (yp >= hp) break; // past the padded input: the window was grown with zeros
          for (let x = 0; x < ow; x++) {
            const xp = x * sw + j;
            if (xp >= wp) break;
            const mo = (y * ow + x) * c;
            const yo = ((r * oh + y) * ow + x) * c;
            const ao = (yp * wp + xp) * c;
            for (let q = 0; q < c; q++) acc[ao + q] += dy[yo + q] * m[mo + q];
          }
        }
      }
    }
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let q = 0; q < c; q++) dx[((r * h + y) * w + x) * c + q] = acc[((y + pt) * wp + x + pl) * c + q];
  }
  return dx;
}

/** dx of a global max-pool gate: dy per channel times the switch mask [size] (c channels). */
function unpoolGlobal(dy: Float32Array, b: number, c: number, mask: Float32Array): Float32Array {
  const size = mask.length;
  const dx = new Float32Array(b * size);
  for (let r = 0; r < b; r++) for (let i = 0; i < size; i += c) for (let k = 0; k < c; k++) dx[r * size + i + k] = dy[r * c + k] * mask[i + k];
  return dx;
}

/** A conv kernel [taps, ci, co] (HWIO) laid out as [co, taps, ci]. */
function kernelByOutput(k: Float32Array, taps: number, ci: number, co: number): Float32Array {
  const out = new Float32Array(k.length);
  for (let t = 0; t < taps; t++) for (let c = 0; c < ci; c++) for (let o = 0; o < co; o++) out[(o * taps + t) * ci + c] = k[(t * ci + c) * co + o];
  return out;
}

/** A one-input-channel kernel [kh, kw, co] (kh, kw ≤ 4) laid out as [co, 4, 4], zero-padded. */
function kernel4x4(k: Float32Array, kh: number, kw: number, co: number): Float32Array {
  const out = new Float32Array(co * 16);
  for (let i = 0; i < kh; i++) for (let j = 0; j < kw; j++) for (let o = 0; o < co; o++) out[o * 16 + i * 4 + j] = k[(i * kw + j) * co + o];
  return out;
}

/** [b, hp, wp, c] → the [b, h, w, c] block at (top, left), always into a new array. */
function crop(full: Float32Array, b: number, hp: number, wp: number, c: number, top: number, left: number, h: number, w: number): Float32Array {
  if (hp === h && wp === w) return full.slice();
  const out = new Float32Array(b * h * w * c);
  for (let r = 0; r < b; r++) for (let y = 0; y < h; y++) out.set(full.subarray(((r * hp + y + top) * wp + left) * c, ((r * hp + y + top) * wp + left + w) * c), ((r * h + y) * w) * c);
  return out;
}

/** The plan for the interpreter's frozen network, or undefined when some node is not covered. */
export function planVjp(src: VjpSource): VjpPlan | undefined {
  const { graph, end } = src;
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  const inputId = graph.inputs[0].node;
  // the nodes the end depends on, in topological order
  const need = new Set<string>([end.id]);
  for (let i = graph.nodes.indexOf(end); i >= 0; i--) {
    const n = graph.nodes[i];
    if (need.has(n.id)) for (const j of n.inputs) need.add(j);
  }
  const order = graph.nodes.filter((n) => need.has(n.id));
  if (order.some((n) => n.op.op === 'input' && n.id !== inputId)) return undefined;
  const steps = new Map<string, Step>();
  try {
    for (const n of order) {
      if (n.op.op === 'input') continue;
      const s = stepFor(n, n.inputs.map((i) => byId.get(i)!), src);
      if (!s) return undefined;
      steps.set(n.id, s);
    }
  } catch {
    return undefined;
  }
  const n = sizeOf(byId.get(inputId)!.shape);
  const m = sizeOf(end.shape);
  const rev = [...order].reverse();
  return {
    run(u: Float32Array, b: number) {
      if (u.length !== b * m) throw new Error(`Aᵀ·U: U has ${u.length} values, expected ${b} × ${m}`);
      const bias = new Float64Array(b);
      const made: tf.Tensor[] = [];
      try {
        const grads = new Map<string, Val>([[end.id, new Val(b, end.shape, { js: u }, made)]]);
        for (const node of rev) {
          if (node.op.op === 'input') continue;
          const dy = grads.get(node.id);
          grads.delete(node.id);
          if (!dy) continue; // no path from here to the logits carries a gradient
          const outs = steps.get(node.id)!(dy, bias);
          node.inputs.forEach((id, k) => {
            const g = outs[k];
            if (!g) return;
            const have = grads.get(id);
            grads.set(id, have ? g.next(g.shape, { js: sumOf(have.js(), g.js()) }) : g);
          });
        }
        const g = grads.get(inputId);
        return { grad: g ? g.js() : new Float32Array(b * n), bias };
      } finally {
        tf.dispose(made);
      }
    },
  };
}

/** The backward step of node n (inputs ins), or undefined when the plan does not cover it. */
function stepFor(n: Node, ins: Node[], src: VjpSource): Step | undefined {
  const op = n.op;
  const same: Step = (dy) => [dy];
  if (src.passThrough(n)) return same;
  const gate = src.gate(n.id);
  if (gate) return gateStep(n, ins, gate);
  const param = (slot: ParamSlot): Param | undefined => {
    const key = n.params[slot];
    return key === undefined ? undefined : src.graph.params.get(key);
  };
  switch (op.op) {
    case 'identity':
      return same;
    case 'reshape':
      return (dy) => [dy.as(ins[0].shape)];
    case 'flatten': {
      const shape = ins[0].shape;
      if (op.order === 'nhwc' || shape.length < 2) return (dy) => [dy.as(shape)];
      const c = shape[shape.length - 1];
      const sp = sizeOf(shape) / c;
      return (dy) => [dy.next(shape, { js: unflattenNchw(dy.js(), dy.b, sp, c) })];
    }
    case 'add': {
      // a sum of same-shaped signals (a residual add): dy goes to every operand
      if (n.params.constant || ins.length < 2 || ins.some((x) => x.shape.join() !== n.shape.join())) return undefined;
      return (dy) => ins.map(() => dy);
    }
    case 'dense':
      return denseStep(n, ins[0], param('kernel'), param('bias'), src);
    case 'batchNorm': {
      const mean = param('movingMean');
      const variance = param('movingVariance');
      const c = n.shape[n.shape.length - 1];
      if (!mean || !variance || mean.data.length !== c || variance.data.length !== c) return undefined;
      const gamma = param('gamma');
      const beta = param('beta');
      if ((gamma && gamma.data.length !== c) || (beta && beta.data.length !== c)) return undefined;
      // y = (x − μ)·γ/√(σ² + ε) + β: the slope per channel, and what y is at x = 0
      const slope = new Float32Array(c);
      const shift = new Float32Array(c);
      for (let k = 0; k < c; k++) {
        slope[k] = (gamma ? gamma.data[k] : 1) / Math.sqrt(variance.data[k] + op.epsilon);
        shift[k] = (beta ? beta.data[k] : 0) - mean.data[k] * slope[k];
      }
      return elementwiseStep(ins[0].shape, slope, shift);
    }
    case 'conv2d':
      return convStep(n, ins[0], param('kernel'), param('bias'), src);
    default:
      return undefined;
  }
}

/**
 * An elementwise affine step y = g ⊙ x + c (a gate, batch-norm): g and c per channel or per
 * element. A pooled dy stays pooled, with the pool's switches scaled by g.
 */
function elementwiseStep(inShape: readonly number[], g: Float32Array, c: Float32Array | undefined): Step {
  let scaled: { from: TiledPool; to: TiledPool } | undefined; // the same gate for every batch of rows
  return (dy, bias) => {
    if (dy.pooled && dy.pooled.pool.h * dy.pooled.pool.w * dy.pooled.pool.c === sizeOf(inShape)) {
      const { pool, dy: dyp } = dy.pooled;
      if (c) addBiasPooled(dyp.js(), dy.b, pool, c, bias);
      if (scaled?.from !== pool) scaled = { from: pool, to: scalePool(pool, g) };
      return [dy.next(inShape, { pooled: { dy: dyp, pool: scaled.to } })];
    }
    const d = dy.js();
    if (c) addBias(d, dy.b, c, bias);
    return [dy.next(inShape, { js: scale(d, g) })];
  };
}

function denseStep(n: Node, inNode: Node, kernel: Param | undefined, biasP: Param | undefined, src: VjpSource): Step | undefined {
  if (!kernel || kernel.shape.length !== 2) return undefined;
  const [nin, nout] = kernel.shape;
  if (inNode.shape[inNode.shape.length - 1] !== nin || (biasP && biasP.data.length !== nout)) return undefined;
  return (dy, bias) => {
    const d = dy.js();
    if (biasP) addBias(d, dy.b, biasP.data, bias);
    const rows = d.length / nout;
    if (rows * nin * nout <= JS_DENSE_LIMIT) return [dy.next(inNode.shape, { js: denseT(d, derived(kernel, 'transposed', () => transpose(kernel.data, nin, nout)), nin, nout) })];
    const g = tf.tensor2d(d, [rows, nout]);
    const dx = tf.matMul(g, src.paramTensor(n, 'kernel') as tf.Tensor2D, false, true);
    g.dispose();
    const out = dy.next(inNode.shape, { t: tf.reshape(dx, [dy.b, ...inNode.shape]) });
    dx.dispose();
    return [out];
  };
}

/**
 * The conv's input gradient. A pooled dy goes to the WebAssembly scatters (loops.wat) where
 * they apply: one input channel and a kernel of at most 4×4, or input channels in fours, with the
 * taps of a kernel row next to each other (no dilation along the width); a one-channel conv
 * without them to the same scatter in JS. Everything else to tfjs: a stride-1 conv with the
 * flipped kernel (conv.ts), or the transposed conv onto the padded input, cropped here; a
 * dilated one-channel conv, which neither takes, to a dense scatter in JS.
 */
function convStep(n: Node, inNode: Node, kernel: Param | undefined, biasP: Param | undefined, src: VjpSource): Step | undefined {
  const op = n.op;
  if (op.op !== 'conv2d' || op.groups !== 1 || !kernel || kernel.shape.length !== 4 || inNode.shape.length !== 3) return undefined;
  const [kh, kw, ci, co] = kernel.shape;
  const [h, w, cin] = inNode.shape;
  const [oh, ow] = n.shape;
  if (cin !== ci || n.shape[2] !== co || (biasP && biasP.data.length !== co)) return undefined;
  const [sh, sw] = op.strides;
  const [dh, dw] = op.dilations;
  const [[pt, pb], [pl, pr]] = padPairs(op.padding, h, w, [kh, kw], op.strides, op.dilations);
  const geo: ConvGeo = { h, w, hp: h + pt + pb, wp: w + pl + pr, pt, pl, oh, ow, kh, kw, sh, sw, dh, dw };
  const route = src.conv(n.id);
  const dilated = dh !== 1 || dw !== 1;
  if (ci > 1 && !route && dilated) return undefined;
  const cb = biasP?.data;
  const taps = kh * kw;
  const wasmKind = dw !== 1 ? undefined : ci === 1 && kh <= 4 && kw <= 4 ? 'one' : ci % 4 === 0 ? 'channels' : undefined;
  // kernel layouts and each pool's entries, made on first use and kept for the plan's batches
  let wk: Float32Array | undefined;
  let kt: Float32Array | undefined;
  let entries: { pool: TiledPool; unit: number; e: ScatterEntries } | undefined;
  const entriesOf = (pool: TiledPool, unit: number) => {
    if (entries?.pool !== pool || entries.unit !== unit) entries = { pool, unit, e: poolEntries(pool, geo, unit) };
    return entries.e;
  };
  return (dy, bias) => {
    const b = dy.b;
    if (dy.pooled && wasmKind && wasmAvailable()) {
      const { pool, dy: dyp } = dy.pooled;
      const args = { dyp: dyp.js(), b, rowSize: pool.oh * pool.ow * pool.c, e: entriesOf(pool, ci), cb, h, w, ci, hp: geo.hp, wp: geo.wp, pt, pl };
      let r: ScatterResult;
      if (wasmKind === 'one') {
        wk ??= derived(kernel, 'co×4×4', () => kernel4x4(kernel.data, kh, kw, co));
        r = scatterOneChannelWasm(args, wk, kh, dh * geo.wp);
      } else {
        wk ??= derived(kernel, 'co×taps×ci', () => kernelByOutput(kernel.data, taps, ci, co));
        r = scatterChannels(args, wk, kh, kw * ci, Int32Array.from({ length: kh }, (_, i) => i * dh * geo.wp * ci));
      }
      for (let k = 0; k < b; k++) bias[k] += r.bias[k];
      return [dy.next(inNode.shape, { js: r.dx })];
    }
    if (ci === 1 && (dy.pooled || dilated)) {
      // A one-input-channel kernel [taps, co] laid out as [co, taps]: its transpose.
      kt ??= derived(kernel, 'co×taps', () => transpose(kernel.data, taps, co));
      if (dy.pooled) return [dy.next(inNode.shape, { js: scatterPooled(dy.pooled.dy.js(), b, dy.pooled.pool, entriesOf(dy.pooled.pool, 1), kt, cb, geo, bias) })];
      return [dy.next(inNode.shape, { js: scatterOneChannel(dy.js(), b, co, kt, cb, geo, bias) })];
    }
    if (cb) {
      if (dy.pooled) addBiasPooled(dy.pooled.dy.js(), b, dy.pooled.pool, cb, bias);
      else addBias(dy.js(), b, cb, bias);
    }
    const g = dy.tensor() as tf.Tensor4D;
    if (route) {
      // stride 1: a conv of dy with the flipped kernel, pads k − 1 − pad (see conv.ts), straight to [b, h, w, ci]
      const [[t, bo], [l, r]] = route.pads;
      return [dy.next(inNode.shape, { t: tf.conv2d(g, route.flipped(), 1, [[0, 0], [kh - 1 - t, kh - 1 - bo], [kw - 1 - l, kw - 1 - r], [0, 0]]) })];
    }
    const full = tf.conv2dTranspose(g, src.paramTensor(n, 'kernel') as tf.Tensor4D, [b, geo.hp, geo.wp, ci], [sh, sw], 'valid');
    // not inside tf.tidy: it would walk the returned typed array element by element
    const data = full.dataSync() as Float32Array;
    full.dispose();
    return [dy.next(inNode.shape, { js: crop(data, b, geo.hp, geo.wp, ci, pt, pl, h, w) })];
  };
}

function gateStep(n: Node, ins: Node[], gate: Gate): Step | undefined {
  const inShape = ins[0].shape;
  switch (gate.kind) {
    case 'elementwise': {
      const g = gate.data ?? (gate.g.dataSync() as Float32Array);
      const c = gate.c ? (gate.c.dataSync() as Float32Array) : undefined;
      const size = sizeOf(n.shape);
      if (g.length !== size || (c && c.length !== size)) return undefined;
      return elementwiseStep(inShape, g, c);
    }
    case 'maxPoolTiled': {
      // stream 1 is Σ over each kh×kw window of (padded z1 cropped to crop) ⊙ mask: dy stays
      // pooled until a step needs it expanded
      if (inShape.length !== 3) return undefined;
      const [h, w, c] = inShape;
      const [kh, kw] = gate.k;
      const [ch, cw] = gate.crop;
      const [[pt], [pl]] = gate.pads;
      const pool: TiledPool = { h, w, c, oh: ch / kh, ow: cw / kw, kh, kw, pt, pl, ch, cw, mask: gate.data, mask6: () => gate.tensors.get().mask6, entries: gate.entries };
      return (dy) => [dy.next(inShape, { pooled: { dy, pool } })];
    }
    case 'maxPool': {
      const op = n.op;
      if (op.op !== 'maxPool' || inShape.length !== 3) return undefined;
      const masks = gate.masks.map((t) => t.dataSync() as Float32Array);
      const [h, w, c] = inShape;
      const [[pt, pb], [pl, pr]] = gate.pads;
      const geo: ConvGeo = { h, w, hp: h + pt + pb, wp: w + pl + pr, pt, pl, oh: n.shape[0], ow: n.shape[1], kh: op.poolSize[0], kw: op.poolSize[1], sh: op.strides[0], sw: op.strides[1], dh: 1, dw: 1 };
      return (dy) => [dy.next(inShape, { js: unpoolOverlapping(dy.js(), dy.b, c, masks, geo) })];
    }
    case 'globalMaxPool': {
      const mask = gate.mask.dataSync() as Float32Array;
      if (mask.length !== sizeOf(inShape)) return undefined;
      const c = inShape[inShape.length - 1];
      return (dy) => [dy.next(inShape, { js: unpoolGlobal(dy.js(), dy.b, c, mask) })];
    }
    default:
      return undefined;
  }
}
