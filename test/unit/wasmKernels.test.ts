import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/core/tf/backend';
import { mulberry32, randn, maxRelDiff } from './helpers/random';

type Pad = 'same' | 'valid' | [[number, number], [number, number], [number, number], [number, number]];

/** Gradients of a conv loss w.r.t. input and filter on one backend. */
async function grads(backend: 'wasm' | 'cpu', xs: Float32Array, xShape: [number, number, number, number], ws: Float32Array, wShape: [number, number, number, number], kind: 'conv' | 'dw', stride: number, pad: Pad) {
  await initBackend({ preference: backend });
  assert.equal(tf.getBackend(), backend);
  return tf.tidy(() => {
    const x = tf.tensor(xs, xShape) as tf.Tensor4D;
    const w = tf.tensor(ws, wShape) as tf.Tensor4D;
    const f = (a: tf.Tensor4D, b: tf.Tensor4D) => {
      const y = kind === 'conv' ? tf.conv2d(a, b, stride, pad) : tf.depthwiseConv2d(a, b, stride, pad);
      return tf.sum(tf.mul(y, tf.sin(y)));
    };
    const [gx, gw] = tf.grads(f as (...a: tf.Tensor[]) => tf.Tensor)([x, w]);
    return { gx: gx.dataSync().slice(), gw: gw.dataSync().slice() };
  });
}

test('WASM conv and depthwise gradients (kernels of our own) equal the CPU backend', async () => {
  await initBackend({ preference: 'wasm' });
  const rnd = mulberry32(5);
  for (const [kind, stride, pad, c, m] of [
    ['conv', 1, 'same', 3, 4], ['conv', 2, 'same', 2, 5], ['conv', 2, 'valid', 3, 2], ['conv', 1, 'valid', 1, 1],
    ['dw', 1, 'same', 3, 2], ['dw', 2, 'same', 2, 1], ['dw', 1, 'valid', 4, 3],
    ['conv', 3, 'valid', 2, 3], ['conv', 3, 'same', 2, 3], ['conv', 2, [[0, 0], [2, 0], [0, 1], [0, 0]], 3, 4], ['conv', 1, [[0, 0], [1, 2], [3, 0], [0, 0]], 2, 2],
    ['dw', 3, 'same', 2, 2], ['dw', 2, [[0, 0], [1, 0], [0, 2], [0, 0]], 3, 1],
  ] as [string, number, Pad, number, number][]) {
    const xShape: [number, number, number, number] = [2, 7, 6, c];
    const wShape: [number, number, number, number] = [3, 3, c, m];
    const xs = Float32Array.from(randn(rnd, xShape.reduce((a, d) => a * d, 1)));
    const ws = Float32Array.from(randn(rnd, wShape.reduce((a, d) => a * d, 1)));
    const before = tf.memory().numTensors;
    const a = await grads('wasm', xs, xShape, ws, wShape, kind as 'conv' | 'dw', stride, pad);
    assert.equal(tf.memory().numTensors, before, 'wasm gradient kernels leaked tensors');
    const b = await grads('cpu', xs, xShape, ws, wShape, kind as 'conv' | 'dw', stride, pad);
    assert.ok(maxRelDiff(a.gw, b.gw) < 1e-4, `${kind} s${stride} ${JSON.stringify(pad)}: filter gradient differs by ${maxRelDiff(a.gw, b.gw)}`);
    assert.ok(maxRelDiff(a.gx, b.gx) < 1e-4, `${kind} s${stride} ${JSON.stringify(pad)}: input gradient differs by ${maxRelDiff(a.gx, b.gx)}`);
  }
});

test('WASM matMul with transposed operands (our fast path) equals the CPU backend, batched and broadcast', async () => {
  const rnd = mulberry32(7);
  const cases: [number[], number[], boolean, boolean][] = [
    [[5, 3], [5, 4], true, false], [[3, 5], [4, 5], false, true], [[5, 3], [4, 5], true, true],
    [[2, 5, 3], [2, 5, 4], true, false], [[2, 3, 5], [1, 4, 5], false, true], [[1, 5, 3], [3, 4, 5], true, true],
    [[64, 3], [64, 200], true, false], [[7, 200], [9, 200], false, true],
  ];
  for (const [sa, sb, ta, tb] of cases) {
    const av = Float32Array.from(randn(rnd, sa.reduce((a, d) => a * d, 1)));
    const bv = Float32Array.from(randn(rnd, sb.reduce((a, d) => a * d, 1)));
    const run = async (backend: 'wasm' | 'cpu') => {
      await initBackend({ preference: backend });
      return tf.tidy(() => tf.matMul(tf.tensor(av, sa), tf.tensor(bv, sb), ta, tb).dataSync().slice());
    };
    const before = tf.memory().numTensors;
    const w = await run('wasm');
    assert.equal(tf.memory().numTensors, before);
    const c = await run('cpu');
    assert.ok(maxRelDiff(w, c) < 1e-5, `[${sa}]${ta ? 'ᵀ' : ''}·[${sb}]${tb ? 'ᵀ' : ''} differs by ${maxRelDiff(w, c)}`);
  }
});
