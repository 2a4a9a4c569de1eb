import * as tf from '@tensorflow/tfjs-core';
import { Node, Padding, Pair } from '../../graph/ir';
import { samePads } from '../../graph/shapes';

/**
 * A faster route for stream 1 through plain convolutions (groups 1, stride 1, no dilation), the
 * bulk of a CNN's rows pass on WASM. The executor pads explicitly (tf.pad) and convolves 'valid':
 * the pad's backward is a Slice and the conv's backward is WASM's Conv2DBackpropInput, both slow
 * there (about 5 ms of the 7 ms a 16→32-channel 14×14 conv took at batch 10). Here the pads go
 * into tf.conv2d itself, and the input gradient is itself a stride-1 conv with the kernel flipped
 * and its channels swapped (the adjoint of a stride-1 correlation), which XNNPACK runs. Same
 * products and sums; the forward is the executor's value exactly.
 */
export interface ConvRoute {
  readonly pads: [Pair, Pair];
  /** The kernel flipped in h and w, cin and cout swapped: [kh, kw, cout, cin]. */
  readonly flipped: tf.Tensor4D;
}

function padAmounts(p: Padding, h: number, w: number, k: Pair): [Pair, Pair] {
  if (p === 'valid') return [[0, 0], [0, 0]];
  if (p === 'same') return [samePads(h, k[0], 1, 1), samePads(w, k[1], 1, 1)];
  return [[p.top, p.bottom], [p.left, p.right]];
}

/** The route for node `n` with kernel `k` and input shape [h, w, c], or undefined when it does not apply. */
export function convRoute(n: Node, k: tf.Tensor | undefined, inShape: readonly number[]): ConvRoute | undefined {
  const op = n.op;
  if (op.op !== 'conv2d' || !k || k.rank !== 4 || inShape.length !== 3) return undefined;
  if (op.groups !== 1 || op.strides[0] !== 1 || op.strides[1] !== 1 || op.dilations[0] !== 1 || op.dilations[1] !== 1) return undefined;
  const [kh, kw] = k.shape;
  const pads = padAmounts(op.padding, inShape[0], inShape[1], [kh, kw]);
  // the adjoint pads are k − 1 − pad on each side; a pad beyond k − 1 would need a crop
  if ([...pads[0], ...pads[1]].some((p, i) => p < 0 || p > (i < 2 ? kh : kw) - 1)) return undefined;
  // flipped in plain JS (a few thousand values): WASM's Reverse + Transpose cost more
  const [, , ci, co] = k.shape;
  const src = k.dataSync() as Float32Array;
  const dst = new Float32Array(src.length);
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      const from = ((kh - 1 - i) * kw + (kw - 1 - j)) * ci * co;
      const to = (i * kw + j) * co * ci;
      for (let a = 0; a < ci; a++) for (let b = 0; b < co; b++) dst[to + b * ci + a] = src[from + a * co + b];
    }
  }
  return { pads, flipped: tf.tensor4d(dst, [kh, kw, co, ci]) };
}

/** conv2d(x, k) + b through the route: same value as the executor, faster input gradient. */
export function applyConvRoute(route: ConvRoute, x: tf.Tensor, k: tf.Tensor, b: tf.Tensor | undefined): tf.Tensor {
  const [[t, bo], [l, r]] = route.pads;
  const [kh, kw] = (k as tf.Tensor4D).shape;
  const f = tf.customGrad(((xs: tf.Tensor) => {
    const value = tf.conv2d(xs as tf.Tensor4D, k as tf.Tensor4D, 1, [[0, 0], [t, bo], [l, r], [0, 0]]);
    const gradFunc = (dy: tf.Tensor) => tf.conv2d(dy as tf.Tensor4D, route.flipped, 1, [[0, 0], [kh - 1 - t, kh - 1 - bo], [kw - 1 - l, kw - 1 - r], [0, 0]]);
    return { value, gradFunc };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  const y = f(x) as tf.Tensor;
  return b ? tf.add(y, b) : y;
}
