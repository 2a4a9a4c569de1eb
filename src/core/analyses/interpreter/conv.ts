import * as tf from '@tensorflow/tfjs-core';
import { Node, Pair, Param } from '../../graph/ir';
import { padPairs } from '../../graph/shapes';

/**
 * Layouts of a weight that the interpreter derives from it (a flipped or transposed kernel),
 * kept with the parameter across calls: an interpreter is made per input, and the layouts depend
 * on the weights only. Parameters are never changed in place (a changed model is a new graph
 * with new Param objects, see connectivity's withParams), so the Param itself is the key.
 */
const layouts = new WeakMap<Param, Map<string, Float32Array>>();

export function derived(p: Param, layout: string, make: () => Float32Array): Float32Array {
  let m = layouts.get(p);
  if (!m) layouts.set(p, (m = new Map()));
  let v = m.get(layout);
  if (!v) m.set(layout, (v = make()));
  return v;
}

/**
 * A faster route for stream 1 through plain convolutions (groups 1, stride 1, no dilation), the
 * bulk of a CNN's rows pass on WASM. The executor pads explicitly (tf.pad) and convolves 'valid':
 * the pad's backward is a Slice and the conv's backward is WASM's Conv2DBackpropInput, both slow
 * there (about 5 ms of the 7 ms a 16→32-channel 14×14 conv took at batch 10). Here the pads go
 * into tf.conv2d itself, and the input gradient is itself a stride-1 conv with the kernel flipped
 * and its channels swapped (the adjoint of a stride-1 correlation), which XNNPACK runs. Same
 * products and sums; the forward is the executor's value exactly.
 */
export class ConvRoute {
  private f: tf.Tensor4D | undefined;

  constructor(
    readonly pads: [Pair, Pair],
    private readonly kernel: Param,
  ) {}

  /**
   * The kernel flipped in h and w, cin and cout swapped: [kh, kw, cout, cin]. Made on first use
   * (the hand-written backward pass, vjp.ts, often needs none) and kept past any tidy until
   * dispose().
   */
  flipped(): tf.Tensor4D {
    if (!this.f) {
      const [kh, kw, ci, co] = this.kernel.shape;
      this.f = tf.keep(tf.tensor4d(derived(this.kernel, 'flipped', () => flip(this.kernel.data, kh, kw, ci, co)), [kh, kw, co, ci]));
    }
    return this.f;
  }

  dispose(): void {
    this.f?.dispose();
    this.f = undefined;
  }
}

/** An HWIO kernel flipped in h and w with cin and cout swapped, in plain JS (a few thousand values): WASM's Reverse + Transpose cost more. */
function flip(src: Float32Array, kh: number, kw: number, ci: number, co: number): Float32Array {
  const dst = new Float32Array(src.length);
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      const from = ((kh - 1 - i) * kw + (kw - 1 - j)) * ci * co;
      const to = (i * kw + j) * co * ci;
      for (let a = 0; a < ci; a++) for (let b = 0; b < co; b++) dst[to + b * ci + a] = src[from + a * co + b];
    }
  }
  return dst;
}

/** The route for node `n` with kernel `k` (the graph's parameter) and input shape [h, w, c], or undefined when it does not apply. */
export function convRoute(n: Node, k: Param | undefined, inShape: readonly number[]): ConvRoute | undefined {
  const op = n.op;
  if (op.op !== 'conv2d' || !k || k.shape.length !== 4 || inShape.length !== 3) return undefined;
  if (op.groups !== 1 || op.strides[0] !== 1 || op.strides[1] !== 1 || op.dilations[0] !== 1 || op.dilations[1] !== 1) return undefined;
  const [kh, kw] = k.shape;
  const pads = padPairs(op.padding, inShape[0], inShape[1], [kh, kw]);
  // the adjoint pads are k − 1 − pad on each side; a pad beyond k − 1 would need a crop
  if ([...pads[0], ...pads[1]].some((p, i) => p < 0 || p > (i < 2 ? kh : kw) - 1)) return undefined;
  return new ConvRoute(pads, k);
}

/**
 * Stream 0's conv (no gradient needed): one fused kernel with the bias, and the ReLU when the
 * ReLU that follows has been folded into a max-pool gate (see LinearInterpreter). On WASM this
 * saves the separate Add and Relu kernels (a quarter of stream 0's kernel time, with their call
 * overhead). XNNPACK starts its sums at the bias instead of adding it last, so the values can
 * differ from the executor's in the last bit; a ReLU mask could only differ where z0 is within
 * a rounding of 0, and exact zeros (the conv of a zero region is 0, plus the bias) stay exact.
 */
export function applyConvForward(route: ConvRoute, x: tf.Tensor, k: tf.Tensor, b: tf.Tensor | undefined, relu: boolean): tf.Tensor {
  const [[t, bo], [l, r]] = route.pads;
  return tf.fused.conv2d({ x: x as tf.Tensor4D, filter: k as tf.Tensor4D, strides: 1, pad: [[0, 0], [t, bo], [l, r], [0, 0]], bias: b, activation: relu ? 'relu' : 'linear' });
}

/** conv2d(x, k) + b through the route: same value as the executor, faster input gradient. */
export function applyConvRoute(route: ConvRoute, x: tf.Tensor, k: tf.Tensor, b: tf.Tensor | undefined): tf.Tensor {
  const [[t, bo], [l, r]] = route.pads;
  const [kh, kw] = (k as tf.Tensor4D).shape;
  const f = tf.customGrad(((xs: tf.Tensor) => {
    const value = tf.conv2d(xs as tf.Tensor4D, k as tf.Tensor4D, 1, [[0, 0], [t, bo], [l, r], [0, 0]]);
    const gradFunc = (dy: tf.Tensor) => tf.conv2d(dy as tf.Tensor4D, route.flipped(), 1, [[0, 0], [kh - 1 - t, kh - 1 - bo], [kw - 1 - l, kw - 1 - r], [0, 0]]);
    return { value, gradFunc };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  const y = f(x) as tf.Tensor;
  return b ? tf.add(y, b) : y;
}
