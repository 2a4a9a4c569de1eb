import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/core/tf/backend';
import { GraphBuilder } from '../../src/core/graph/builder';
import { Graph } from '../../src/core/graph/ir';
import { learningRate, memorySource, train, StepInfo } from '../../src/core/analyses/train';
import { CancelledError } from '../../src/core/errors';
import { mlp } from './helpers/connectivity';
import { mulberry32, randn } from './helpers/random';

before(async () => {
  await initBackend({ preference: 'cpu' });
});

/** Two Gaussian blobs in d dimensions, labels 0/1, separable along the first axis. */
function blobs(n: number, d: number, seed: number): { x: Float32Array; y: Int32Array } {
  const r = mulberry32(seed);
  const x = Float32Array.from(randn(r, n * d));
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = i % 2;
    x[i * d] += y[i] ? 2 : -2;
  }
  return { x, y };
}

test('the linear schedule is the reference interpolation: step k of T runs at lr·(1 − k/T)', () => {
  assert.equal(learningRate('linear', 0.5, 1, 10), 0.45);
  assert.equal(learningRate('linear', 0.5, 10, 10), 0);
  assert.equal(learningRate('constant', 0.5, 7, 10), 0.5);
  assert.ok(Math.abs(learningRate('cosine', 1, 1, 4) - 1) < 1e-12);
});

test('SGD and Adam reduce the loss on a separable toy problem, without leaking tensors', async () => {
  const { x, y } = blobs(256, 6, 1);
  for (const optimizer of ['sgd', 'adam'] as const) {
    const g = mlp(3, [6, 16, 2]);
    const before = tf.memory().numTensors;
    const r = await train(g, memorySource(x, y, [6], { shuffleSeed: 1 }), { optimizer, lr: optimizer === 'sgd' ? 0.1 : 0.01, momentum: 0.9, epochs: 8, batchSize: 32, clipNorm: 5, schedule: 'linear' });
    assert.equal(tf.memory().numTensors, before, `${optimizer} leaked tensors`);
    assert.equal(r.steps, 64);
    const first = r.losses.slice(0, 8).reduce((a, v) => a + v, 0) / 8;
    const last = r.losses.slice(-8).reduce((a, v) => a + v, 0) / 8;
    assert.ok(last < first * 0.5, `${optimizer}: loss ${first} -> ${last}`);
    assert.ok(r.lastEpoch.accuracy > 0.9, `${optimizer}: accuracy ${r.lastEpoch.accuracy}`);
  }
});

/** A logistic regression: one dense on d inputs to 2 logits. */
function logreg(d: number, w: Float32Array, b: Float32Array): Graph {
  const gb = new GraphBuilder('/mem/lr.json', 'onnx', { framework: 'pytorch', name: 'test' }, 'lr');
  const x = gb.input('x', [null, d], 'flat', [d]);
  const out = gb.node('fc', { op: 'dense' }, [x], { kernel: gb.param('k', 'kernel', [d, 2], w), bias: gb.param('b', 'bias', [2], b) });
  gb.output(out, 'y', [null, 2], 'flat');
  return gb.build();
}

test('one SGD step with clipping equals the hand-computed update (torch semantics)', async () => {
  const d = 3;
  const w = Float32Array.from([0.5, -1, 2, 0.3, -0.2, 1.5]);
  const b = Float32Array.from([0.1, -0.1]);
  const x = Float32Array.from([1, 2, 3, -1, 0.5, 2]);
  const y = Int32Array.from([1, 0]);
  const g = logreg(d, w, b);
  const clip = 0.5;
  const lr = 0.3;
  const r = await train(g, memorySource(x, y, [d]), { lr, clipNorm: clip, batchSize: 2, steps: 1 });
  const want = tf.tidy(() => {
    const xs = tf.tensor2d(x, [2, d]);
    const f = (k: tf.Tensor, bb: tf.Tensor) => tf.losses.softmaxCrossEntropy(tf.oneHot(tf.tensor1d(y, 'int32'), 2), tf.add(tf.matMul(xs, k), bb));
    const [gk, gbias] = tf.grads(f)([tf.tensor2d(w, [d, 2]), tf.tensor1d(b)]);
    const norm = Math.sqrt(tf.sum(tf.square(gk)).dataSync()[0] + tf.sum(tf.square(gbias)).dataSync()[0]);
    const coef = Math.min(1, clip / (norm + 1e-6));
    assert.ok(coef < 1, 'the test should exercise clipping');
    return { k: tf.sub(tf.tensor2d(w, [d, 2]), tf.mul(gk, lr * coef)).dataSync(), b: tf.sub(tf.tensor1d(b), tf.mul(gbias, lr * coef)).dataSync() };
  });
  const got = r.values.get('k')!;
  for (let i = 0; i < got.length; i++) assert.ok(Math.abs(got[i] - want.k[i]) < 1e-6, `kernel[${i}] ${got[i]} vs ${want.k[i]}`);
  const gotB = r.values.get('b')!;
  for (let i = 0; i < 2; i++) assert.ok(Math.abs(gotB[i] - want.b[i]) < 1e-6);
});

test('training stops within one batch of a cancel and frees everything', async () => {
  const { x, y } = blobs(512, 4, 2);
  const g = mlp(4, [4, 8, 2]);
  let cancel = false;
  const seen: StepInfo[] = [];
  const before = tf.memory().numTensors;
  await assert.rejects(
    train(g, memorySource(x, y, [4]), { lr: 0.1, epochs: 5, batchSize: 16, onStep: (s) => { seen.push(s); if (s.step === 3) cancel = true; } }, { cancelled: () => cancel }),
    (e: unknown) => e instanceof CancelledError,
  );
  assert.equal(seen.length, 3);
  assert.equal(tf.memory().numTensors, before, 'a cancelled training leaked tensors');
});

test('batch-norm trains on batch statistics and moves its running statistics (PyTorch momentum 0.1)', async () => {
  const gb = new GraphBuilder('/mem/bn.json', 'onnx', { framework: 'pytorch', name: 'test' }, 'bn');
  const x = gb.input('x', [null, 2], 'flat', [2]);
  const fc = gb.node('fc', { op: 'dense' }, [x], { kernel: gb.param('k', 'kernel', [2, 2], Float32Array.from([1, 0, 0, 1])) });
  const bn = gb.node('bn', { op: 'batchNorm', epsilon: 1e-5 }, [fc], {
    gamma: gb.param('g', 'gamma', [2], Float32Array.from([1, 1])),
    beta: gb.param('be', 'beta', [2], Float32Array.from([0, 0])),
    movingMean: gb.param('m', 'movingMean', [2], Float32Array.from([0, 0])),
    movingVariance: gb.param('v', 'movingVariance', [2], Float32Array.from([1, 1])),
  });
  gb.output(bn, 'y', [null, 2], 'flat');
  const g = gb.build();
  const xs = Float32Array.from([1, 2, 3, 6, 5, 10, 7, 14]);
  const r = await train(g, memorySource(xs, Int32Array.from([0, 1, 0, 1]), [2]), { lr: 1e-9, steps: 1, batchSize: 4 });
  const m = r.values.get('m')!;
  const v = r.values.get('v')!;
  // batch mean [4, 8]; unbiased variance [20/3, 80/3]
  assert.ok(Math.abs(m[0] - 0.4) < 1e-5 && Math.abs(m[1] - 0.8) < 1e-5, `running mean ${m}`);
  assert.ok(Math.abs(v[0] - (0.9 + 0.1 * 20 / 3)) < 1e-4 && Math.abs(v[1] - (0.9 + 0.1 * 80 / 3)) < 1e-4, `running variance ${v}`);
});
