import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/core/tf/backend';
import { GraphBuilder } from '../../src/core/graph/builder';
import { Graph } from '../../src/core/graph/ir';
import { DeviationMeter, kernelPositions, relaxTrain, RelaxPoint, toEfcn } from '../../src/core/analyses/efcn';
import { CancelledError } from '../../src/core/errors';
import { source, teacherData } from './helpers/connectivity';
import { mulberry32, randn } from './helpers/random';

before(async () => {
  await initBackend({ preference: 'cpu' });
});

/** A small CNN on 8×8×1: conv3×3(4, same) → relu → conv3×3 stride 2 (4) → relu → flatten → dense 3 → softmax. */
function smallCnn(seed: number): Graph {
  const r = mulberry32(seed);
  const rnd = (n: number, s: number) => Float32Array.from(randn(r, n), (v) => v * s);
  const b = new GraphBuilder('/mem/small.json', 'tfjs-layers', { framework: 'keras', name: 'test' }, 'small');
  let x = b.input('x', [null, 8, 8, 1], 'nhwc', [8, 8, 1]);
  x = b.node('relu1', { op: 'relu' }, [b.node('conv1', { op: 'conv2d', strides: [1, 1], padding: 'same', dilations: [1, 1], groups: 1 }, [x], { kernel: b.param('k1', 'kernel', [3, 3, 1, 4], rnd(36, 0.5)), bias: b.param('b1', 'bias', [4], rnd(4, 0.1)) })]);
  x = b.node('relu2', { op: 'relu' }, [b.node('conv2', { op: 'conv2d', strides: [2, 2], padding: 'same', dilations: [1, 1], groups: 1 }, [x], { kernel: b.param('k2', 'kernel', [3, 3, 4, 4], rnd(144, 0.3)), bias: b.param('b2', 'bias', [4], rnd(4, 0.1)) })]);
  x = b.node('flat', { op: 'flatten', order: 'nhwc' }, [x]);
  x = b.node('fc', { op: 'dense' }, [x], { kernel: b.param('k3', 'kernel', [64, 3], rnd(192, 0.2)), bias: b.param('b3', 'bias', [3], rnd(3, 0.1)) });
  b.output(b.node('soft', { op: 'softmax', axis: -1 }, [x]), 'p', [null, 3], 'flat');
  return b.build();
}

test('relax training: zero deviation at the embedding, growing off-pattern and non-shared weight, finite losses, no leaks', async () => {
  const cnn = smallCnn(1);
  const teacher = smallCnn(2);
  const train = source(teacherData(3, 200, [8, 8, 1], teacher));
  const test = source(teacherData(4, 100, [8, 8, 1], teacher));
  const streamed: RelaxPoint[] = [];
  const before = tf.memory().numTensors;
  const r = await relaxTrain(cnn, train, { steps: 8, lr: 0.5, batchSize: 50, testData: test, evalEvery: 4, onPoint: (p) => { streamed.push(p); } });
  assert.equal(tf.memory().numTensors, before, 'relax training leaked tensors');
  assert.equal(r.points.length, 9);
  assert.deepEqual(streamed.map((p) => p.step), [0, 1, 2, 3, 4, 5, 6, 7, 8]);
  const [p0] = r.points;
  assert.equal(p0.trainLoss, undefined);
  assert.ok(Number.isFinite(p0.testLoss));
  for (const l of p0.layers) {
    assert.equal(l.offPattern, 0, `${l.layer} off-pattern at step 0`);
    assert.equal(l.nonShared, 0, `${l.layer} non-shared at step 0`);
    assert.equal(l.biasNonShared, 0);
  }
  for (const p of r.points.slice(1)) {
    assert.ok(Number.isFinite(p.trainLoss), `train loss at ${p.step}`);
    for (const l of p.layers) assert.ok(l.offPattern > 0 && l.nonShared > 0, `${l.layer} at step ${p.step}: ${l.offPattern}, ${l.nonShared}`);
  }
  assert.ok(r.points[4].testLoss !== undefined && r.points[8].testLoss !== undefined && r.points[3].testLoss === undefined);
  const first = r.points[1].layers;
  const last = r.points[8].layers;
  first.forEach((l, i) => assert.ok(last[i].offPattern > l.offPattern, `${l.layer} off-pattern ${l.offPattern} -> ${last[i].offPattern}`));
  assert.equal(r.layers.length, 2);
  assert.ok(r.estimatedBytes > 0);
});

test('the deviation meter measures exactly: one off-pattern entry, one on-pattern entry', async () => {
  const efcn = toEfcn(smallCnn(5));
  const layer = efcn.layers[0];
  const w = Float32Array.from(efcn.graph.params.get(layer.kernelKey)!.data);
  const norm = (a: Float32Array) => Math.sqrt(a.reduce((s, v) => s + v * v, 0));
  const on = new Set(kernelPositions(layer.embedding));
  let offIdx = 0;
  while (on.has(offIdx)) offIdx++;
  const delta = 0.25;
  const meter = new DeviationMeter(efcn.layers);
  const other = efcn.graph.params.get(efcn.layers[1].kernelKey)!;
  const measure = async (values: Float32Array) => {
    const params = new Map([[layer.kernelKey, tf.tensor(values, [...efcn.graph.params.get(layer.kernelKey)!.shape])], [other.key, tf.tensor(other.data, [...other.shape])]]);
    const r = await meter.measure(params);
    tf.dispose([...params.values()]);
    return r[0];
  };
  const off = Float32Array.from(w);
  off[offIdx] += delta;
  const a = await measure(off);
  assert.ok(Math.abs(a.offPattern - delta / norm(off)) < 1e-6, `off-pattern ${a.offPattern}`);
  assert.ok(a.nonShared < 1e-9);
  // An on-pattern entry of a tap shared by m entries: its group's deviation is δ·√((m−1)/m).
  const e = layer.embedding;
  const pos = kernelPositions(e);
  const k = 10;
  const m = Array.from(e.tap).filter((t) => t === e.tap[k]).length;
  const shared = Float32Array.from(w);
  shared[pos[k]] += delta;
  const b = await measure(shared);
  assert.ok(b.offPattern < 1e-9);
  assert.ok(Math.abs(b.nonShared - (delta * Math.sqrt((m - 1) / m)) / norm(shared)) < 1e-6, `non-shared ${b.nonShared} (m = ${m})`);
  meter.dispose();
});

test('relax training stops within one step of a cancel and frees everything', async () => {
  const cnn = smallCnn(6);
  const data = source(teacherData(7, 200, [8, 8, 1], smallCnn(8)));
  let cancel = false;
  const before = tf.memory().numTensors;
  await assert.rejects(
    relaxTrain(cnn, data, { steps: 20, batchSize: 20, onPoint: (p) => { if (p.step === 2) cancel = true; } }, { cancelled: () => cancel }),
    (e: unknown) => e instanceof CancelledError,
  );
  assert.equal(tf.memory().numTensors, before);
});
