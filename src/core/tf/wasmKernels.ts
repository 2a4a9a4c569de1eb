import * as tf from '@tensorflow/tfjs-core';

/**
 * Gradient kernels that @tensorflow/tfjs-backend-wasm 4.x lacks, built from kernels it has.
 * Without them `tf.grad` through a conv fails on the embedded backend, and training (examples,
 * relax training, directional accuracy maps) could not run there.
 *
 * The filter gradient of a conv is, per kernel tap (i, j), the product of the strided slice of the
 * padded input that tap sees with the output gradient: kh·kw matrix products, each on the fast
 * WASM matMul.
 */

interface ConvAttrs {
  strides: number | [number, number];
  pad: 'same' | 'valid' | number | [[number, number], [number, number], [number, number], [number, number]];
  dilations?: number | [number, number];
  filterShape: [number, number, number, number];
  dataFormat?: 'NHWC' | 'NCHW';
}

function pair(v: number | [number, number] | undefined, dflt: number): [number, number] {
  if (v === undefined) return [dflt, dflt];
  return typeof v === 'number' ? [v, v] : v;
}

function padInput(x: tf.Tensor4D, pad: ConvAttrs['pad'], kh: number, kw: number, s: [number, number], d: [number, number], oh: number, ow: number): tf.Tensor4D {
  let ph: [number, number];
  let pw: [number, number];
  if (pad === 'valid') {
    return x;
  } else if (pad === 'same') {
    const th = Math.max((oh - 1) * s[0] + d[0] * (kh - 1) + 1 - x.shape[1], 0);
    const tw = Math.max((ow - 1) * s[1] + d[1] * (kw - 1) + 1 - x.shape[2], 0);
    ph = [Math.floor(th / 2), th - Math.floor(th / 2)];
    pw = [Math.floor(tw / 2), tw - Math.floor(tw / 2)];
  } else if (typeof pad === 'number') {
    ph = [pad, pad];
    pw = [pad, pad];
  } else {
    ph = pad[1];
    pw = pad[2];
  }
  return tf.pad(x, [[0, 0], ph, pw, [0, 0]]);
}

/** dW[i, j] = Σ_{b, oh, ow} x_pad[b, oh·s + i·d, ow·s + j·d, :]ᵀ dy[b, oh, ow, :]. */
function filterGrad(x: tf.Tensor4D, dy: tf.Tensor4D, a: ConvAttrs, depthwise: boolean): tf.Tensor {
  const [kh, kw, ci, co] = a.filterShape;
  const s = pair(a.strides, 1);
  const d = pair(a.dilations, 1);
  const [b, oh, ow, oc] = dy.shape;
  const xp = padInput(x, a.pad, kh, kw, s, d, oh, ow);
  const parts: tf.Tensor[] = [];
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      const begin = [0, i * d[0], j * d[1], 0];
      const end = [b, i * d[0] + (oh - 1) * s[0] + 1, j * d[1] + (ow - 1) * s[1] + 1, xp.shape[3]];
      const win = tf.stridedSlice(xp, begin, end, [1, s[0], s[1], 1]) as tf.Tensor4D;
      if (depthwise) {
        // Depthwise: output channel c·m + k reads only input channel c.
        const mult = co;
        const dyr = tf.reshape(dy, [b * oh * ow, ci, mult]);
        const xr = tf.reshape(win, [b * oh * ow, ci, 1]);
        parts.push(tf.sum(tf.mul(xr, dyr), 0));
      } else {
        parts.push(tf.matMul(tf.reshape(win, [b * oh * ow, ci]), tf.reshape(dy, [b * oh * ow, oc]), true, false));
      }
    }
  }
  return tf.reshape(tf.stack(parts), [kh, kw, ci, co]);
}

/** Runs `f` with tf ops and hands its result to the backend as a kernel output. */
function asKernelOutput(backend: unknown, f: () => tf.Tensor): tf.TensorInfo {
  const out = tf.tidy(f);
  // The engine wraps the returned data in a new tensor; keep the data alive past our handle.
  (backend as unknown as { incRef(id: object): void }).incRef(out.dataId);
  const info = { dataId: out.dataId, shape: out.shape, dtype: out.dtype };
  out.dispose();
  return info;
}

let registered = false;

/** Registers the missing gradient kernels on the 'wasm' backend (idempotent). */
export function registerWasmGradKernels(): void {
  if (registered) return;
  registered = true;
  const have = new Set(tf.getKernelsForBackend('wasm').map((k) => k.kernelName));
  if (!have.has('Conv2DBackpropFilter')) {
    tf.registerKernel({
      kernelName: 'Conv2DBackpropFilter',
      backendName: 'wasm',
      kernelFunc: ({ inputs, backend, attrs }) =>
        asKernelOutput(backend, () => filterGrad(inputs.x as tf.Tensor4D, inputs.dy as tf.Tensor4D, attrs as unknown as ConvAttrs, false)),
    });
  }
  if (!have.has('DepthwiseConv2dNativeBackpropFilter')) {
    tf.registerKernel({
      kernelName: 'DepthwiseConv2dNativeBackpropFilter',
      backendName: 'wasm',
      kernelFunc: ({ inputs, backend, attrs }) =>
        asKernelOutput(backend, () => filterGrad(inputs.x as tf.Tensor4D, inputs.dy as tf.Tensor4D, attrs as unknown as ConvAttrs, true)),
    });
  }
  if (!have.has('DepthwiseConv2dNativeBackpropInput')) {
    tf.registerKernel({
      kernelName: 'DepthwiseConv2dNativeBackpropInput',
      backendName: 'wasm',
      kernelFunc: ({ inputs, backend, attrs }) =>
        asKernelOutput(backend, () => {
          // dx of a depthwise conv = a transposed conv per channel; as a grouped conv2dTranspose
          // it is a conv2dTranspose with a block-diagonal kernel, cheap for the small C we see.
          const a = attrs as unknown as ConvAttrs & { inputShape: [number, number, number, number] };
          const dy = inputs.dy as tf.Tensor4D;
          const w = inputs.filter as tf.Tensor4D;
          const [kh, kw, ci, mult] = w.shape;
          const eye = tf.reshape(tf.oneHot(tf.range(0, ci, 1, 'int32'), ci), [1, 1, ci, 1, ci]);
          // full[kh, kw, ci_in, ci*mult]: kernel of input channel c placed on outputs c*mult..c*mult+mult-1
          const full: tf.Tensor4D = tf.reshape(tf.mul(tf.reshape(w, [kh, kw, 1, ci, mult]), tf.reshape(tf.transpose(eye, [0, 1, 4, 2, 3]), [1, 1, ci, ci, 1])), [kh, kw, ci, ci * mult]) as tf.Tensor4D;
          const s = pair(a.strides, 1);
          const d = pair(a.dilations, 1);
          if (d[0] !== 1 || d[1] !== 1) throw new Error('depthwise input gradient with dilation is not supported on wasm');
          if (a.pad !== 'same' && a.pad !== 'valid') throw new Error('depthwise input gradient with explicit padding is not supported on wasm');
          const pad = a.pad;
          return tf.conv2dTranspose(dy, full, a.inputShape as [number, number, number, number], [s[0], s[1]], pad);
        }),
    });
  }
}
