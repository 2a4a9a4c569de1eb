import * as tf from '@tensorflow/tfjs-core';

/**
 * Gradient kernels for @tensorflow/tfjs-backend-wasm 4.x, built from the kernels it runs fast.
 * Without the missing ones `tf.grad` through a conv fails on the embedded backend, and training
 * (examples, relax training, directional accuracy maps) could not run there; the backend's own
 * Conv2DBackpropInput is a plain C loop, several times slower than its XNNPACK forward conv.
 *
 * Both conv gradients become one forward Conv2D each (XNNPACK):
 * - filter: dW[i, j, c, o] = Σ_{b,y,x} x_pad[b, y·s + i·d, x·s + j·d, c] · dy[b, y, x, o] is a
 *   valid conv of the input with channels and batch swapped ([C, H, W, B]) by dy used as the
 *   filter ([OH, OW, B, O]), with the roles of stride and dilation exchanged;
 * - input: dx is a valid conv of dy, dilated by the stride and padded, with the kernel flipped
 *   and its in/out axes swapped.
 * A matMul with a transposed operand falls to a slow path on WASM (~20× the plain product: kh·kw
 * of them made the filter gradient of a CNN ~10× its forward pass, and a dense layer's backward
 * pass ~20× its forward); the conv form avoids it, and BatchMatMul itself is wrapped so that
 * transposed products become plain ones.
 */

type ExplicitPad = [[number, number], [number, number], [number, number], [number, number]];

interface ConvAttrs {
  strides: number | [number, number];
  pad: 'same' | 'valid' | number | ExplicitPad;
  dilations?: number | [number, number];
  filterShape: [number, number, number, number];
  inputShape: [number, number, number, number];
  dataFormat?: 'NHWC' | 'NCHW';
}

function pair(v: number | [number, number] | undefined, dflt: number): [number, number] {
  if (v === undefined) return [dflt, dflt];
  return typeof v === 'number' ? [v, v] : v;
}

/** Padding [top, bottom], [left, right] of a conv with input size h×w, kernel kh×kw and output oh×ow, as TF.js computes it. */
function padAmounts(pad: ConvAttrs['pad'], h: number, w: number, kh: number, kw: number, s: [number, number], d: [number, number], oh: number, ow: number): [[number, number], [number, number]] {
  if (pad === 'valid') return [[0, 0], [0, 0]];
  if (pad === 'same') {
    const th = Math.max((oh - 1) * s[0] + d[0] * (kh - 1) + 1 - h, 0);
    const tw = Math.max((ow - 1) * s[1] + d[1] * (kw - 1) + 1 - w, 0);
    return [[Math.floor(th / 2), th - Math.floor(th / 2)], [Math.floor(tw / 2), tw - Math.floor(tw / 2)]];
  }
  if (typeof pad === 'number') return [[pad, pad], [pad, pad]];
  return [pad[1], pad[2]];
}

/** Pads (positive amounts) or crops (negative amounts) the two spatial axes of an NHWC tensor. */
function padOrCrop(x: tf.Tensor4D, ph: [number, number], pw: [number, number]): tf.Tensor4D {
  const [b, h, w, c] = x.shape;
  const crop = [Math.max(-ph[0], 0), Math.max(-ph[1], 0), Math.max(-pw[0], 0), Math.max(-pw[1], 0)];
  let y = x;
  if (crop.some((v) => v > 0)) y = tf.slice(y, [0, crop[0], crop[2], 0], [b, h - crop[0] - crop[1], w - crop[2] - crop[3], c]);
  const grow: [number, number][] = [[0, 0], [Math.max(ph[0], 0), Math.max(ph[1], 0)], [Math.max(pw[0], 0), Math.max(pw[1], 0)], [0, 0]];
  return grow.some(([a, z]) => a > 0 || z > 0) ? tf.pad(y, grow) : y;
}

/** The kh·kw windows of x_pad that the kernel taps see, side by side along channels: [B·OH·OW, kh·kw·C]. */
function windows(xp: tf.Tensor4D, kh: number, kw: number, oh: number, ow: number, s: [number, number], d: [number, number]): tf.Tensor2D {
  const b = xp.shape[0];
  const parts: tf.Tensor[] = [];
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      const begin = [0, i * d[0], j * d[1], 0];
      const end = [b, i * d[0] + (oh - 1) * s[0] + 1, j * d[1] + (ow - 1) * s[1] + 1, xp.shape[3]];
      parts.push(tf.stridedSlice(xp, begin, end, [1, s[0], s[1], 1]));
    }
  }
  return tf.reshape(parts.length === 1 ? parts[0] : tf.concat(parts, 3), [b * oh * ow, kh * kw * xp.shape[3]]);
}

/** dW of a conv2d as one forward conv (see the file comment); [kh, kw, Ci, Co]. */
function filterGrad(x: tf.Tensor4D, dy: tf.Tensor4D, a: ConvAttrs): tf.Tensor {
  const [kh, kw, ci, co] = a.filterShape;
  const s = pair(a.strides, 1);
  const d = pair(a.dilations, 1);
  const [b, oh, ow] = dy.shape;
  const [ph, pw] = padAmounts(a.pad, x.shape[1], x.shape[2], kh, kw, s, d, oh, ow);
  const xp = padOrCrop(x, ph, pw);
  const unit = (p: [number, number]) => p[0] === 1 && p[1] === 1;
  if (unit(s) || unit(d)) {
    // TF.js convs take strides > 1 or dilations > 1, not both; the swap keeps that true.
    const xt = tf.transpose(xp, [3, 1, 2, 0]) as tf.Tensor4D;
    const f = tf.transpose(dy, [1, 2, 0, 3]) as tf.Tensor4D;
    const r = tf.conv2d(xt, f, d, 'valid', 'NHWC', s);
    return tf.transpose(tf.slice(r, [0, 0, 0, 0], [ci, kh, kw, co]), [1, 2, 0, 3]);
  }
  // Both > 1: im2col, with the transpose done explicitly so the matMul takes its fast path.
  const cols = windows(xp, kh, kw, oh, ow, s, d);
  return tf.reshape(tf.matMul(tf.transpose(cols), tf.reshape(dy, [b * oh * ow, co])), [kh, kw, ci, co]);
}

/** dx of a conv2d (dilation 1) as one forward conv of the stride-dilated dy with the flipped kernel; [B, H, W, Ci]. */
function inputGrad(dy: tf.Tensor4D, w: tf.Tensor4D, a: ConvAttrs): tf.Tensor {
  const [kh, kw, ci] = w.shape;
  const [b, oh, ow, co] = dy.shape;
  const [, h, wi] = a.inputShape;
  const s = pair(a.strides, 1);
  const d = pair(a.dilations, 1);
  if (d[0] !== 1 || d[1] !== 1) throw new Error('Conv2DBackpropInput with dilation is not supported on wasm');
  const [ph, pw] = padAmounts(a.pad, h, wi, kh, kw, s, d, oh, ow);
  let g = dy;
  if (s[0] > 1 || s[1] > 1) {
    // s−1 zeros between the rows and columns of dy: [B, (OH−1)·s + 1, (OW−1)·s + 1, Co].
    const spread = tf.pad(tf.reshape(dy, [b, oh, 1, ow, 1, co]), [[0, 0], [0, 0], [0, s[0] - 1], [0, 0], [0, s[1] - 1], [0, 0]]);
    g = tf.slice(tf.reshape(spread, [b, oh * s[0], ow * s[1], co]), [0, 0, 0, 0], [b, (oh - 1) * s[0] + 1, (ow - 1) * s[1] + 1, co]) as tf.Tensor4D;
  }
  const lh = (oh - 1) * s[0] + 1;
  const lw = (ow - 1) * s[1] + 1;
  const gp = padOrCrop(g, [kh - 1 - ph[0], h - lh + ph[0]], [kw - 1 - pw[0], wi - lw + pw[0]]);
  const flipped = tf.transpose(tf.reverse(w, [0, 1]), [0, 1, 3, 2]) as tf.Tensor4D;
  return tf.conv2d(gp as tf.Tensor4D, flipped, 1, 'valid');
}

/** dW of a depthwise conv: per tap, Σ over positions of x_window[c] · dy[c·m + k]. */
function depthwiseFilterGrad(x: tf.Tensor4D, dy: tf.Tensor4D, a: ConvAttrs): tf.Tensor {
  const [kh, kw, ci, mult] = a.filterShape;
  const s = pair(a.strides, 1);
  const d = pair(a.dilations, 1);
  const [b, oh, ow] = dy.shape;
  const [ph, pw] = padAmounts(a.pad, x.shape[1], x.shape[2], kh, kw, s, d, oh, ow);
  const cols = tf.reshape(windows(padOrCrop(x, ph, pw), kh, kw, oh, ow, s, d), [b * oh * ow, kh * kw, ci, 1]);
  const dyr = tf.reshape(dy, [b * oh * ow, 1, ci, mult]);
  return tf.reshape(tf.sum(tf.mul(cols, dyr), 0), [kh, kw, ci, mult]);
}

/**
 * A batched matMul with transposed operands through the backend's fast untransposed product.
 * Either transpose the flagged operands, or use (op(A)·op(B))ᵀ = op(B)ᵀ·op(A)ᵀ and transpose the
 * unflagged operands and the result: whichever moves fewer elements (the gradient of a dense
 * layer, Aᵀ·dy and dy·Wᵀ, each take one small transpose this way).
 */
function transposedMatMul(a: tf.Tensor, b: tf.Tensor, ta: boolean, tb: boolean): tf.Tensor {
  // The last two axes are the matrix; any before them are batch axes.
  const t = (x: tf.Tensor) => tf.transpose(x, [...Array.from({ length: x.rank - 2 }, (_, i) => i), x.rank - 1, x.rank - 2]);
  const last = (x: tf.Tensor, k: number) => x.shape[x.rank - k];
  const rows = ta ? last(a, 1) : last(a, 2);
  const cols = tb ? last(b, 2) : last(b, 1);
  const batch = Math.max(a.size / (last(a, 1) * last(a, 2)), b.size / (last(b, 1) * last(b, 2)));
  const direct = (ta ? a.size : 0) + (tb ? b.size : 0);
  const swapped = (ta ? 0 : a.size) + (tb ? 0 : b.size) + batch * rows * cols;
  if (direct <= swapped) return tf.matMul(ta ? t(a) : a, tb ? t(b) : b);
  return t(tf.matMul(tb ? b : t(b), ta ? a : t(a)));
}

/** Runs `f` with tf ops and hands its result to the backend as a kernel output. */
export function asKernelOutput(backend: unknown, f: () => tf.Tensor): tf.TensorInfo {
  const out = tf.tidy(f);
  // The engine wraps the returned data in a new tensor; keep the data alive past our handle.
  (backend as unknown as { incRef(id: object): void }).incRef(out.dataId);
  const info = { dataId: out.dataId, shape: out.shape, dtype: out.dtype };
  out.dispose();
  return info;
}

let registered = false;

/** Registers the gradient kernels on the 'wasm' backend (idempotent); replaces the backend's slow Conv2DBackpropInput. */
export function registerWasmGradKernels(): void {
  if (registered) return;
  registered = true;
  const have = new Set(tf.getKernelsForBackend('wasm').map((k) => k.kernelName));
  const register = (kernelName: string, kernelFunc: tf.KernelFunc) => {
    if (have.has(kernelName)) tf.unregisterKernel(kernelName, 'wasm');
    tf.registerKernel({ kernelName, backendName: 'wasm', kernelFunc });
  };
  const nativeMatMul = tf.getKernel('BatchMatMul', 'wasm');
  if (nativeMatMul) {
    register('BatchMatMul', (args) => {
      const { transposeA, transposeB } = args.attrs as unknown as { transposeA: boolean; transposeB: boolean };
      if (!transposeA && !transposeB) return nativeMatMul.kernelFunc(args);
      return asKernelOutput(args.backend, () => transposedMatMul(args.inputs.a as tf.Tensor, args.inputs.b as tf.Tensor, transposeA, transposeB));
    });
  }
  register('Conv2DBackpropFilter', ({ inputs, backend, attrs }) =>
    asKernelOutput(backend, () => filterGrad(inputs.x as tf.Tensor4D, inputs.dy as tf.Tensor4D, attrs as unknown as ConvAttrs)),
  );
  register('Conv2DBackpropInput', ({ inputs, backend, attrs }) =>
    asKernelOutput(backend, () => inputGrad(inputs.dy as tf.Tensor4D, inputs.filter as tf.Tensor4D, attrs as unknown as ConvAttrs)),
  );
  if (!have.has('DepthwiseConv2dNativeBackpropFilter')) {
    register('DepthwiseConv2dNativeBackpropFilter', ({ inputs, backend, attrs }) =>
      asKernelOutput(backend, () => depthwiseFilterGrad(inputs.x as tf.Tensor4D, inputs.dy as tf.Tensor4D, attrs as unknown as ConvAttrs)),
    );
  }
  if (!have.has('DepthwiseConv2dNativeBackpropInput')) {
    register('DepthwiseConv2dNativeBackpropInput', ({ inputs, backend, attrs }) =>
      asKernelOutput(backend, () => {
        // dx of a depthwise conv as one conv2dTranspose with a block-diagonal kernel (input
        // channel c feeds outputs c·m..c·m+m−1): cheap for the small C we see.
        const a = attrs as unknown as ConvAttrs;
        const dy = inputs.dy as tf.Tensor4D;
        const w = inputs.filter as tf.Tensor4D;
        const [kh, kw, ci, mult] = w.shape;
        const eye = tf.reshape(tf.oneHot(tf.range(0, ci, 1, 'int32'), ci), [1, 1, ci, ci, 1]);
        const full = tf.reshape(tf.mul(tf.reshape(w, [kh, kw, 1, ci, mult]), eye), [kh, kw, ci, ci * mult]) as tf.Tensor4D;
        return inputGrad(dy, full, { ...a, filterShape: [kh, kw, ci, ci * mult] });
      }),
    );
  }
}
