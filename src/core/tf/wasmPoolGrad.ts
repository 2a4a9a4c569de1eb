import * as tf from '@tensorflow/tfjs-core';
import { asKernelOutput } from './wasmKernels';

/**
 * tfjs-backend-wasm 4.22's MaxPoolGrad is wrong when a window holds negative values (seen as a
 * 99% relative error on random normal inputs, exact on non-negative ones): gradients through
 * max-pool after batch-norm, and so CNN training and autodiff Jacobians on the embedded backend,
 * would be silently wrong. This replacement routes each output gradient to the first maximum
 * of its window, as TensorFlow does, in plain JS on the data read back from WASM memory.
 */

interface PoolAttrs {
  filterSize: number | [number, number];
  strides: number | [number, number];
  pad: 'same' | 'valid' | number;
  dimRoundingMode?: string;
}

function pair(v: number | [number, number]): [number, number] {
  return typeof v === 'number' ? [v, v] : v;
}

/** dx of a max-pool (NHWC): each dy goes to the first maximum of its window. */
export function maxPoolGradJs(x: Float32Array, xShape: readonly number[], dy: Float32Array, dyShape: readonly number[], a: PoolAttrs): Float32Array {
  const [b, h, w, c] = xShape;
  const [, oh, ow] = dyShape;
  const [kh, kw] = pair(a.filterSize);
  const [sh, sw] = pair(a.strides);
  let top = 0;
  let left = 0;
  if (a.pad === 'same') {
    top = Math.floor(Math.max((oh - 1) * sh + kh - h, 0) / 2);
    left = Math.floor(Math.max((ow - 1) * sw + kw - w, 0) / 2);
  } else if (typeof a.pad === 'number') {
    top = a.pad;
    left = a.pad;
  }
  const dx = new Float32Array(x.length);
  for (let n = 0; n < b; n++) {
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        for (let ch = 0; ch < c; ch++) {
          let best = -Infinity;
          let at = -1;
          for (let i = 0; i < kh; i++) {
            const y = oy * sh - top + i;
            if (y < 0 || y >= h) continue;
            for (let j = 0; j < kw; j++) {
              const xx = ox * sw - left + j;
              if (xx < 0 || xx >= w) continue;
              const idx = ((n * h + y) * w + xx) * c + ch;
              if (x[idx] > best) {
                best = x[idx];
                at = idx;
              }
            }
          }
          if (at >= 0) dx[at] += dy[((n * oh + oy) * ow + ox) * c + ch];
        }
      }
    }
  }
  return dx;
}

let registered = false;

/** Replaces the WASM backend's MaxPoolGrad with the exact one above (idempotent). */
export function registerWasmMaxPoolGrad(): void {
  if (registered) return;
  registered = true;
  tf.unregisterKernel('MaxPoolGrad', 'wasm');
  tf.registerKernel({
    kernelName: 'MaxPoolGrad',
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const be = backend as unknown as { readSync(id: object): Float32Array };
      const x = inputs.input!;
      const dy = inputs.dy!;
      const dx = maxPoolGradJs(be.readSync(x.dataId), x.shape, be.readSync(dy.dataId), dy.shape, attrs as unknown as PoolAttrs);
      return asKernelOutput(backend, () => tf.tensor(dx, x.shape, 'float32'));
    },
  });
}
