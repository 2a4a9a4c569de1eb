import * as tf from '@tensorflow/tfjs-core';
import { UserError } from '../../errors';
import { applyOp } from '../../graph/executor';
import { Graph, Node, OpName, OpOf, Pair, ParamSlot } from '../../graph/ir';
import { padPairs } from '../../graph/shapes';
import { mask2x2Wasm, wasmAvailable } from './loops';

/**
 * The gates of the linear interpreter: at one input x0 (stream 0) every non-linear unit is
 * replaced by an affine map chosen by x0, so the network run on another input x1 (stream 1)
 * through these maps is exactly affine in x1: F1(x1) = A(x0)·x1 + b(x0).
 *
 * Each gate is exact at x0: applied to stream 0's own pre-activation it returns the unit's output.
 * - piecewise-linear units (ReLU, LeakyReLU, PReLU, clip/ReLU6, hard sigmoid): y1 = f'(z0)·z1 + c,
 *   the unit's local affine piece (for units through the origin, the mask f(z0)/z0);
 * - smooth units, rule 'secant' (default): y1 = f(0) + (f(z0) − f(0))/z0 · z1, the secant through
 *   f(0), so constants such as sigmoid's ½ go to the bias path; rule 'tangent': f'(z0), which
 *   gives the local Jacobian. Near z0 = 0 the secant becomes its limit, the tangent;
 * - max-pool: stream 0's switches (ties share the vote); global max-pool likewise;
 * - layer / instance norm: stream 0's mean and standard deviation, frozen;
 * - products of two signals (mul, div): the second operand frozen at stream 0; maximum/minimum:
 *   the operand stream 0 took.
 */

/** How smooth units are frozen: the secant through f(0) (default) or the tangent f'(z0). */
export type SmoothRule = 'secant' | 'tangent';

/** Elementwise units: y1 = g ⊙ z1 + c. */
const ELEMENTWISE: ReadonlySet<OpName> = new Set<OpName>([
  'relu', 'leakyRelu', 'prelu', 'clip', 'hardSigmoid', 'elu', 'selu', 'sigmoid', 'tanh', 'silu', 'softplus', 'softsign', 'gelu',
]);
const PIECEWISE_LINEAR: ReadonlySet<OpName> = new Set<OpName>(['relu', 'leakyRelu', 'prelu', 'clip', 'hardSigmoid']);
const PRODUCTS: ReadonlySet<OpName> = new Set<OpName>(['mul', 'div', 'maximum', 'minimum']);

/** Below this |z0| the secant (f(z0) − f(0))/z0 is all rounding; its limit, the tangent, is used. */
const SECANT_FLOOR = 1e-4;

export type Gate =
  // c undefined: all zero (ReLU, LeakyReLU, PReLU); data: g's values in JS when they were made there (forward.ts)
  | { kind: 'elementwise'; g: tf.Tensor; c: tf.Tensor | undefined; data?: Float32Array }
  | { kind: 'maxPool'; masks: tf.Tensor[]; pads: [Pair, Pair] }
  // data: the mask's values [crop, C] in JS; tensors: the same as tensors, made on first use;
  // entries: its nonzeros on real input cells (for the hand-written backward pass, vjp.ts)
  | { kind: 'maxPoolTiled'; tensors: MaskTensors; pads: [Pair, Pair]; k: Pair; crop: [number, number]; data: Float32Array; entries: MaskEntries }
  | { kind: 'globalMaxPool'; mask: tf.Tensor }
  | { kind: 'norm'; mean: tf.Tensor; invStd: tf.Tensor }
  | { kind: 'product'; others: tf.Tensor[] } // stream-0 values of every operand but the first
  | { kind: 'select'; mask: tf.Tensor }; // maximum/minimum of two operands: 1 where stream 0 took the first

/**
 * The nonzero entries of a tiled max-pool's mask on real input cells, grouped by cell: cell k of
 * `cells` is at input index cell[k] (y·w + x) and has entries start[k] .. start[k + 1] − 1, each
 * with its index in the pool's output (src: window·C + channel), its share and its channel.
 */
export interface MaskEntries {
  readonly cells: number;
  readonly cell: Int32Array;
  readonly start: Int32Array;
  readonly src: Int32Array;
  readonly share: Float32Array;
  readonly ch: Int32Array;
}

/**
 * A tiled max-pool's mask as tensors, made on first use (kept past any tidy) and disposed with
 * the gate: mask [1, crop, C], and mask6, the same data as [1, oh, kh, ow, kw, C] for the
 * broadcast in the backward pass. The hand-written backward pass (vjp.ts) needs neither, and
 * their upload cost more than the rest of the gate.
 */
export class MaskTensors {
  private t: { mask: tf.Tensor; mask6: tf.Tensor } | undefined;
  constructor(
    private readonly data: Float32Array,
    private readonly shape: [number, number, number, number],
    private readonly shape6: number[],
  ) {}

  get(): { mask: tf.Tensor; mask6: tf.Tensor } {
    if (!this.t) {
      const mask = tf.keep(tf.tensor4d(this.data, this.shape));
      this.t = { mask, mask6: tf.keep(tf.reshape(mask, this.shape6)) };
    }
    return this.t;
  }

  dispose(): void {
    if (this.t) tf.dispose([this.t.mask, this.t.mask6]);
    this.t = undefined;
  }
}

/** True when a node needs a gate: its output is not an affine function of its inputs. */
export function needsGate(n: Node): boolean {
  const op = n.op.op;
  if (ELEMENTWISE.has(op) || op === 'maxPool' || op === 'globalMaxPool' || op === 'layerNorm' || op === 'instanceNorm' || op === 'softmax') return true;
  // a product of a signal and a constant is affine; of two signals, not
  if (PRODUCTS.has(op)) return n.inputs.length >= 2;
  return false;
}

/** Short names of the gate kinds, for the summary the UI shows. */
export function gateKind(n: Node): string {
  const op = n.op.op;
  if (PIECEWISE_LINEAR.has(op)) return 'mask';
  if (ELEMENTWISE.has(op)) return 'smooth';
  if (op === 'maxPool' || op === 'globalMaxPool') return 'switch';
  if (op === 'layerNorm' || op === 'instanceNorm') return 'frozen statistics';
  return 'product';
}

/**
 * The window of a pool at offset (i, j): x[:, i + s·r, j + s·c, :] for r < oh, c < ow. Written
 * with slice + reshape because tfjs has no gradient for stridedSlice, and rows need one.
 */
export function poolWindow(xp: tf.Tensor4D, i: number, j: number, s: Pair, oh: number, ow: number): tf.Tensor4D {
  const [b, h, w, c] = xp.shape;
  const needH = i + oh * s[0];
  const needW = j + ow * s[1];
  const grown = needH > h || needW > w ? tf.pad(xp, [[0, 0], [0, Math.max(needH - h, 0)], [0, Math.max(needW - w, 0)], [0, 0]]) : xp;
  const block = tf.slice(grown, [0, i, j, 0], [b, oh * s[0], ow * s[1], c]);
  if (s[0] === 1 && s[1] === 1) return block as tf.Tensor4D;
  const split = tf.reshape(block, [b, oh, s[0], ow, s[1], c]);
  return tf.reshape(tf.slice(split, [0, 0, 0, 0, 0, 0], [b, oh, 1, ow, 1, c]), [b, oh, ow, c]);
}

/**
 * True when a max-pool's windows do not overlap (stride = window), so one switch mask over its
 * input is its gate ('maxPoolTiled'), and, for an input of shape [h, w, c] that needs no pads
 * and no crop, whether its mask covers the input exactly (a ReLU before it can fold into it).
 */
export function tiledPool(n: Node, inShape: readonly number[]): { tiled: boolean; exact: boolean } {
  const op = n.op;
  if (op.op !== 'maxPool' || inShape.length !== 3) return { tiled: false, exact: false };
  const tiled = op.strides[0] === op.poolSize[0] && op.strides[1] === op.poolSize[1];
  const [[t, b], [l, r]] = padPairs(op.padding, inShape[0], inShape[1], op.poolSize, op.strides);
  const exact = tiled && t + b + l + r === 0 && inShape[0] % op.poolSize[0] === 0 && inShape[1] % op.poolSize[1] === 0;
  return { tiled, exact };
}

/**
 * Builds the gate of `n` from stream 0's inputs `z0` (batch of one). The result's tensors are
 * kept (outside any tidy); the caller disposes them. `foldRelu`: a ReLU whose only reader is
 * this (non-overlapping, exact) max-pool is folded into its mask (see LinearInterpreter).
 */
export function makeGate(graph: Graph, n: Node, z0: tf.Tensor[], param: (slot: 'alpha') => tf.Tensor | undefined, rule: SmoothRule, foldRelu = false): Gate {
  const op = n.op;
  let gate: Gate | undefined;
  // Gate tensors are tf.keep()-ed inside the tidy; everything else made here is freed.
  tf.tidy(() => {
    gate = build();
  });
  return gate!;

  function build(): Gate {
    if (ELEMENTWISE.has(op.op)) {
      const z = z0[0];
      // ReLU: the slope is step(z0), exactly what tf.grad of relu gives, and c = 0; no tf.grad needed
      if (op.op === 'relu') return { kind: 'elementwise', g: tf.keep(tf.step(z)), c: undefined } as Gate;
      const f = (t: tf.Tensor) => applyOp(n, [t], (slot) => (slot === 'alpha' ? param('alpha') : undefined), false);
      const fz = f(z);
      const slope = tf.grad((t: tf.Tensor) => tf.sum(f(t)))(z);
      let g: tf.Tensor;
      // Piecewise-linear units freeze to their local affine piece: slope f'(z0), and what the
      // slope misses (ReLU6's 6, hard sigmoid's offset) goes to the bias path. For units through
      // the origin (ReLU, LeakyReLU, PReLU) this is the mask f(z0)/z0 exactly; for clip it keeps
      // A equal to the Jacobian, where the mask would pass a scaled signal through a saturated unit.
      if (rule === 'tangent' || PIECEWISE_LINEAR.has(op.op)) {
        g = slope;
      } else {
        const f0 = f(tf.zerosLike(z));
        const safe = tf.greater(tf.abs(z), SECANT_FLOOR);
        const secant = tf.div(tf.sub(fz, f0), tf.where(safe, z, tf.onesLike(z)));
        g = tf.where(safe, secant, slope);
      }
      // c is whatever makes the gate exact at z0: f0 for the secant, f(z0) − f'(z0)·z0 for the tangent.
      const c = tf.sub(fz, tf.mul(g, z));
      // ReLU, LeakyReLU and PReLU give c = 0 everywhere: then stream 1 skips the add (x + 0 = x).
      const zero = !tf.any(tf.notEqual(c, 0)).dataSync()[0];
      return { kind: 'elementwise', g: tf.keep(g), c: zero ? undefined : tf.keep(c) } as Gate;
    }
    if (op.op === 'maxPool') {
      const z = z0[0] as tf.Tensor4D;
      const [, h, w] = z.shape;
      const pads = padPairs(op.padding, h, w, op.poolSize, op.strides);
      if (op.strides[0] === op.poolSize[0] && op.strides[1] === op.poolSize[1]) return tiledGate(z, pads);
      const zp = pad4(z, pads, -3.4e38);
      const out = applyOp(n, [z], () => undefined, false) as tf.Tensor4D;
      const [, oh, ow] = out.shape;
      // Switch masks, one per window offset; ties share the vote so the gate stays exact.
      const raw: tf.Tensor[] = [];
      for (let i = 0; i < op.poolSize[0]; i++) for (let j = 0; j < op.poolSize[1]; j++) raw.push(tf.cast(tf.equal(poolWindow(zp, i, j, op.strides, oh, ow), out), 'float32'));
      const count = tf.addN(raw);
      return { kind: 'maxPool', masks: raw.map((m) => tf.keep(tf.div(m, count))), pads } as Gate;
    }
    if (op.op === 'globalMaxPool') {
      const z = z0[0];
      const m = tf.cast(tf.equal(z, tf.max(z, [1, 2], true)), 'float32');
      return { kind: 'globalMaxPool', mask: tf.keep(tf.div(m, tf.sum(m, [1, 2], true))) } as Gate;
    }
    if (op.op === 'layerNorm' || op.op === 'instanceNorm') {
      const axes = op.op === 'layerNorm' ? op.axes.map((a) => a + 1) : [1, 2];
      const m = tf.moments(z0[0], axes, true);
      return { kind: 'norm', mean: tf.keep(m.mean), invStd: tf.keep(tf.rsqrt(tf.add(m.variance, op.epsilon))) } as Gate;
    }
    if (op.op === 'maximum' || op.op === 'minimum') {
      if (z0.length !== 2) throw new UserError(`${graph.file}: node "${n.id}" takes the ${op.op} of ${z0.length} tensors; the linear interpreter handles two.`, graph.file);
      const first = op.op === 'maximum' ? tf.greaterEqual(z0[0], z0[1]) : tf.lessEqual(z0[0], z0[1]);
      return { kind: 'select', mask: tf.keep(tf.cast(first, 'float32')) } as Gate;
    }
    if (op.op === 'mul' || op.op === 'div') {
      return { kind: 'product', others: z0.slice(1).map((t) => tf.keep(tf.clone(t))) } as Gate;
    }
    if (op.op === 'softmax') {
      throw new UserError(`${graph.file}: node "${n.id}" is a softmax inside the network; the linear interpreter stops at the logits, so a softmax may only come last.`, graph.file);
    }
    throw new Error(`no gate for ${op.op}`);
  }

  /**
   * Non-overlapping windows (the usual 2×2/2): one switch mask over the input, so stream 1 is a
   * sum-pool of z1 ⊙ mask. No per-offset slicing, which is slow on WASM. The mask is built
   * outside tfjs from stream 0's values (batch of one, one download; buildTiledMask), window
   * maxima included: WASM's tf.tile at rank 6, which this used to take, cost more than the whole
   * rows pass, and the MaxPool, Step and Multiply kernels that computed the maxima and folded a
   * ReLU in cost more in call overhead than the loop. Cells past the input are the pad value −3.4e38, as in
   * the executor; ties share 1/count. With foldRelu the mask is 0 where z0 ≤ 0: z0 here is the
   * ReLU's output, and relu(z) > 0 exactly where step(z) = 1, so this is mask ⊙ step(z) exactly.
   */
  function tiledGate(z: tf.Tensor4D, pads: [Pair, Pair]): Gate {
    const [, h, w, ch] = z.shape;
    const [kh, kw] = (op as OpOf<'maxPool'>).poolSize;
    const [[pt, pb], [pl, pr]] = pads;
    const oh = Math.floor((h + pt + pb - kh) / kh) + 1;
    const ow = Math.floor((w + pl + pr - kw) / kw) + 1;
    const crop: [number, number] = [oh * kh, ow * kw];
    const zd = z.dataSync() as Float32Array;
    const md = new Float32Array(crop[0] * crop[1] * ch);
    return tiledPoolGate(md, buildTiledMask(zd, h, w, ch, kh, kw, pt, pl, oh, ow, foldRelu, md), pads, [kh, kw], crop, ch);
  }
}

/** The gate of a non-overlapping max-pool from its mask md [crop, ch] and the mask's entries (also forward.ts's). */
export function tiledPoolGate(md: Float32Array, entries: MaskEntries, pads: [Pair, Pair], k: Pair, crop: [number, number], ch: number): Gate {
  const [kh, kw] = k;
  const tensors = new MaskTensors(md, [1, crop[0], crop[1], ch], [1, crop[0] / kh, kh, crop[1] / kw, kw, ch]);
  return { kind: 'maxPoolTiled', tensors, pads, k, crop, data: md, entries };
}

/** Scratch for the entries while a mask is built, reused across calls (grown as needed). */
let scratch = { src: new Int32Array(0), share: new Float32Array(0), ch: new Int32Array(0), cell: new Int32Array(0), start: new Int32Array(0) };

/**
 * The switch mask of a non-overlapping max-pool (see tiledGate) into md [oh·kh, ow·kw, c], and
 * its entries. Module-level functions so that V8 optimises them once, not per gate.
 */
function buildTiledMask(zd: Float32Array, h: number, w: number, ch: number, kh: number, kw: number, pt: number, pl: number, oh: number, ow: number, foldRelu: boolean, md: Float32Array): MaskEntries {
  if (kh === 2 && kw === 2 && pt === 0 && pl === 0 && 2 * oh === h && 2 * ow === w && wasmAvailable()) {
    // the usual 2×2 pool: the same mask, branch-free in WebAssembly (loops.wat), about 4× faster
    // than the loops below, which mispredict a branch on every other cell
    const { md: values, ...entries } = mask2x2Wasm(zd, oh, ow, ch, foldRelu);
    md.set(values);
    return entries;
  }
  const cap = oh * kh * ow * kw * ch;
  if (scratch.src.length < cap) scratch = { src: new Int32Array(cap), share: new Float32Array(cap), ch: new Int32Array(cap), cell: new Int32Array(cap), start: new Int32Array(cap + 1) };
  const { cells, entries } = maskGeneral(zd, h, w, ch, kh, kw, pt, pl, oh, ow, foldRelu, md);
  const start = scratch.start.slice(0, cells + 1);
  start[cells] = entries;
  return { cells, cell: scratch.cell.slice(0, cells), start, src: scratch.src.slice(0, entries), share: scratch.share.slice(0, entries), ch: scratch.ch.slice(0, entries) };
}

/** Any window size and pads: cells past the input hold the pad value −3.4e38, as in the executor. */
function maskGeneral(zd: Float32Array, h: number, w: number, ch: number, kh: number, kw: number, pt: number, pl: number, oh: number, ow: number, foldRelu: boolean, md: Float32Array): { cells: number; entries: number } {
  const { src, share: shareOut, ch: chan, cell, start } = scratch;
  const PAD = -3.4e38;
  const cw = ow * kw;
  // per window, channels innermost (contiguous in NHWC): the maximum and how many cells reach it
  const best = new Float64Array(ch);
  const count = new Int32Array(ch);
  const share = new Float32Array(kh * kw + 1);
  for (let k = 1; k < share.length; k++) share[k] = Math.fround(1 / k);
  let cells = 0;
  let e = 0;
  for (let r = 0; r < oh; r++) {
    for (let q = 0; q < ow; q++) {
      best.fill(-Infinity);
      count.fill(0);
      for (let i = 0; i < kh; i++) {
        const y = r * kh + i - pt;
        for (let j = 0; j < kw; j++) {
          const x = q * kw + j - pl;
          const inside = y >= 0 && y < h && x >= 0 && x < w;
          const base = (y * w + x) * ch;
          for (let c = 0; c < ch; c++) {
            const v = inside ? zd[base + c] : PAD;
            if (v > best[c]) {
              best[c] = v;
              count[c] = 1;
            } else if (v === best[c]) count[c]++;
          }
        }
      }
      const po = (r * ow + q) * ch;
      for (let i = 0; i < kh; i++) {
        const y = r * kh + i - pt;
        for (let j = 0; j < kw; j++) {
          const x = q * kw + j - pl;
          const inside = y >= 0 && y < h && x >= 0 && x < w;
          const base = (y * w + x) * ch;
          const mo = ((r * kh + i) * cw + q * kw + j) * ch;
          const first = e;
          for (let c = 0; c < ch; c++) {
            const n = count[c];
            // no maximum (all NaN), or a dead ReLU folded in
            if (n === 0 || (foldRelu && !(best[c] > 0))) continue;
            if ((inside ? zd[base + c] : PAD) !== best[c]) continue;
            md[mo + c] = share[n];
            if (!inside) continue;
            src[e] = po + c;
            shareOut[e] = share[n];
            chan[e] = c;
            e++;
          }
          if (e === first) continue;
          cell[cells] = y * w + x;
          start[cells++] = first;
        }
      }
    }
  }
  return { cells, entries: e };
}

/** Stream 1 through a gated node: the affine map the gate froze. */
export function applyGate(n: Node, gate: Gate, z1: tf.Tensor[], param: (slot: ParamSlot) => tf.Tensor | undefined): tf.Tensor {
  switch (gate.kind) {
    case 'elementwise':
      return gate.c ? tf.add(tf.mul(gate.g, z1[0]), gate.c) : tf.mul(gate.g, z1[0]);
    case 'maxPool': {
      const op = n.op as Extract<Node['op'], { op: 'maxPool' }>;
      const x = pad4(z1[0] as tf.Tensor4D, gate.pads);
      const [, oh, ow] = gate.masks[0].shape;
      let k = 0;
      const parts: tf.Tensor[] = [];
      for (let i = 0; i < op.poolSize[0]; i++) for (let j = 0; j < op.poolSize[1]; j++) parts.push(tf.mul(poolWindow(x, i, j, op.strides, oh!, ow!), gate.masks[k++]));
      return tf.addN(parts);
    }
    case 'maxPoolTiled': {
      let x = pad4(z1[0] as tf.Tensor4D, gate.pads);
      if (x.shape[1] !== gate.crop[0] || x.shape[2] !== gate.crop[1]) x = tf.slice(x, [0, 0, 0, 0], [x.shape[0], gate.crop[0], gate.crop[1], x.shape[3]]);
      return sumPoolMasked(x, gate);
    }
    case 'globalMaxPool': {
      const keepDims = (n.op as { keepDims: boolean }).keepDims;
      return tf.sum(tf.mul(z1[0], gate.mask), [1, 2], keepDims);
    }
    case 'norm': {
      // statistics frozen at stream 0; γ and β are affine and stay as they are
      let y = tf.mul(tf.sub(z1[0], gate.mean), gate.invStd);
      const flat = n.op.op === 'instanceNorm';
      const gamma = param('gamma');
      const beta = param('beta');
      if (gamma) y = tf.mul(y, flat ? tf.reshape(gamma, [-1]) : gamma);
      if (beta) y = tf.add(y, flat ? tf.reshape(beta, [-1]) : beta);
      return y;
    }
    case 'product': {
      let y = z1[0];
      for (const o of gate.others) y = n.op.op === 'mul' ? tf.mul(y, o) : tf.div(y, o);
      return y;
    }
    case 'select':
      return tf.add(tf.mul(gate.mask, z1[0]), tf.mul(tf.sub(1, gate.mask), z1[1]));
  }
}

/** tf.pad, skipped when every pad is 0 (its backward slice costs as much as the pad). */
function pad4(x: tf.Tensor4D, pads: [Pair, Pair], value = 0): tf.Tensor4D {
  if (pads[0][0] === 0 && pads[0][1] === 0 && pads[1][0] === 0 && pads[1][1] === 0) return x;
  return tf.pad(x, [[0, 0], [...pads[0]], [...pads[1]], [0, 0]], value) as tf.Tensor4D;
}

/**
 * Σ over each non-overlapping kh×kw window of x ⊙ mask. Forward: avgPool × k² as before. Backward
 * (the rows): dx = dy broadcast over each window, ⊙ mask, one rank-6 broadcast multiply, where
 * tfjs's own gradient goes through WASM's AvgPoolGrad (about 5× slower at these sizes).
 */
function sumPoolMasked(x: tf.Tensor4D, gate: Extract<Gate, { kind: 'maxPoolTiled' }>): tf.Tensor {
  const [kh, kw] = gate.k;
  const [b, h, w, c] = x.shape;
  const f = tf.customGrad(((xs: tf.Tensor) => {
    const { mask, mask6 } = gate.tensors.get();
    const value = tf.mul(tf.avgPool(tf.mul(xs, mask) as tf.Tensor4D, [kh, kw], [kh, kw], 'valid'), kh * kw);
    const gradFunc = (dy: tf.Tensor) => tf.reshape(tf.mul(tf.reshape(dy, [b, h / kh, 1, w / kw, 1, c]), mask6), [b, h, w, c]);
    return { value, gradFunc };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return f(x) as tf.Tensor;
}
