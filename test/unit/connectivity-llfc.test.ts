import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/core/tf/backend';
import { featureLayers, llfc, LlfcResult } from '../../src/core/analyses/connectivity/llfc';
import { layerGroups, layerwise } from '../../src/core/analyses/connectivity/layerwise';
import { lmc } from '../../src/core/analyses/connectivity/lmc';
import { cnnBn, mlp, resnet, source, teacherData } from './helpers/connectivity';

before(async () => {
  await initBackend({ preference: 'cpu' });
});

const mlpData = teacherData(51, 400, [20], mlp(99, [20, 16, 5]));
const imgData = teacherData(52, 64, [8, 8, 3], cnnBn(99));

function point(r: LlfcResult, alpha: number, node: string) {
  const p = r.points.find((q) => q.alpha === alpha)!;
  return p.layers.find((l) => l.node === node)!;
}

test('feature layers: the model\'s own layers, pre- and post-activation, final softmax left out', () => {
  const layers = featureLayers(mlp(1, [20, 8, 6, 5]));
  assert.deepEqual(layers.map((l) => [l.layer, l.node, l.stage]), [
    ['fc1', 'fc1', 'pre'], ['fc1', 'fc1_relu', 'post'],
    ['fc2', 'fc2', 'pre'], ['fc2', 'fc2_relu', 'post'],
    ['fc3', 'fc3', 'post'],
  ]);
  const c = featureLayers(cnnBn(1)).map((l) => l.node);
  assert.deepEqual(c, ['conv0', 'bn0', 'relu0', 'conv1', 'bn1', 'relu1', 'fc', 'relu_fc', 'logits']);
});

test('LLFC: dist = 0 at α ∈ {0, 1}; the first affine layer has dist = 0 and c = 1 for every α', async () => {
  const before = tf.memory().numTensors;
  const streamed: number[] = [];
  const r = await llfc(mlp(2, [20, 24, 16, 5]), mlp(3, [20, 24, 16, 5]), source(mlpData, { labels: false }), { points: 5, batchSize: 128, onPoint: (p) => streamed.push(p.alpha) });
  assert.equal(tf.memory().numTensors, before, 'tensors leaked');
  assert.deepEqual(streamed, [0, 0.25, 0.5, 0.75, 1]);
  assert.equal(r.samples, mlpData.n);
  for (const alpha of [0, 1]) {
    for (const l of r.points.find((p) => p.alpha === alpha)!.layers) {
      assert.ok(l.dist.mean < 1e-6 && l.dist.whole < 1e-6, `α=${alpha} ${l.node}: ${l.dist.mean}`);
      assert.ok(Math.abs(l.scale - 1) < 1e-5, `α=${alpha} ${l.node}: c = ${l.scale}`);
    }
  }
  for (const alpha of [0.25, 0.5, 0.75]) {
    const f = point(r, alpha, 'fc1');
    assert.equal(f.stage, 'pre');
    assert.ok(f.dist.mean < 1e-6 && f.dist.whole < 1e-6, `α=${alpha}: ${f.dist.mean}`);
    assert.ok(Math.abs(f.scale - 1) < 1e-5, `α=${alpha}: c = ${f.scale}`);
    // Past the first unit the features of the merged net are no longer the merged features.
    assert.ok(point(r, alpha, 'fc2').dist.mean > 1e-4);
  }
  const base = r.baseline.find((l) => l.node === 'fc1_relu')!;
  assert.ok(base.dist.mean > 0.05 && base.dist.std > 0, `baseline ${base.dist.mean}`);
});

test('LLFC of a network with itself is 0 everywhere; chunks of α give the same numbers', async () => {
  const a = cnnBn(4);
  const self = await llfc(a, a, source(imgData), { points: 3, batchSize: 32 });
  for (const p of self.points) for (const l of p.layers) assert.ok(l.dist.mean < 1e-6 && l.dist.whole < 1e-6 && Math.abs(l.scale - 1) < 1e-5, `${p.alpha} ${l.node}`);
  for (const l of self.baseline) assert.ok(l.dist.mean < 1e-6);
  const b = cnnBn(5);
  const one = await llfc(a, b, source(imgData), { points: 4, batchSize: 32 });
  const many = await llfc(a, b, source(imgData), { points: 4, batchSize: 32, maxParamValues: 1 });
  assert.deepEqual(many.points.map((p) => p.alpha), one.points.map((p) => p.alpha));
  one.points.forEach((p, i) => p.layers.forEach((l, j) => assert.ok(Math.abs(l.dist.mean - many.points[i].layers[j].dist.mean) < 1e-9)));
  // The first conv is affine in its parameters: exact for every α.
  for (const p of one.points) assert.ok(p.layers.find((l) => l.node === 'conv0')!.dist.mean < 1e-6);
});

test('LLFC with BN reset and with REPAIR runs and keeps the invariants at the first affine layer', async () => {
  const before = tf.memory().numTensors;
  for (const correction of ['reset', 'repair'] as const) {
    const r = await llfc(resnet(6), resnet(7), source(imgData), { points: 3, batchSize: 32, correction, nodes: ['stem_conv', 'b0_relu2', 'logits'] });
    assert.equal(r.correction, correction);
    assert.deepEqual(r.layers.map((l) => l.node), ['stem_conv', 'b0_relu2', 'logits']);
    for (const p of r.points) assert.ok(point(r, p.alpha, 'stem_conv').dist.mean < 1e-6);
  }
  assert.equal(tf.memory().numTensors, before, 'tensors leaked');
});

test('layer groups: a layer with its batch-norm, in order', () => {
  assert.deepEqual(layerGroups(mlp(1, [20, 8, 6, 5], { bn: true })).map((g) => [g.name, g.nodes]), [['fc1', ['fc1', 'bn1']], ['fc2', ['fc2', 'bn2']], ['fc3', ['fc3']]]);
  const g = layerGroups(resnet(1));
  assert.equal(g.length, 9);
  assert.deepEqual(g[0].nodes, ['stem_conv', 'stem_bn']);
  assert.equal(new Set(g.flatMap((x) => x.params)).size, resnet(1).params.size);
});

test('layer-wise barriers: consistent with the endpoints and the full midpoint', async () => {
  const a = mlp(8, [20, 24, 16, 5]);
  const b = mlp(9, [20, 24, 16, 5]);
  const before = tf.memory().numTensors;
  const entries: string[] = [];
  const r = await layerwise(a, b, source(mlpData), { batchSize: 200, onEntry: (k, e) => entries.push(`${k}:${e.groups.join('+')}`) });
  assert.equal(tf.memory().numTensors, before, 'tensors leaked');
  assert.deepEqual(r.groups.map((g) => g.name), ['fc1', 'fc2', 'fc3']);
  assert.equal(r.single.length, 3);
  assert.deepEqual(entries.slice(0, 3), ['single:fc1', 'single:fc2', 'single:fc3']);
  assert.deepEqual(r.fromInput.map((e) => e.groups.length), [1, 2, 3]);
  assert.deepEqual(r.fromOutput.map((e) => e.groups), [['fc3'], ['fc2', 'fc3'], ['fc1', 'fc2', 'fc3']]);
  const mid = await lmc(a, b, source(mlpData), { alphas: [0, 0.5, 1] });
  assert.ok(Math.abs(r.full.loss - mid.points[1].loss) < 1e-6);
  assert.ok(Math.abs(r.full.barrier - (mid.points[1].loss - 0.5 * (mid.points[0].loss + mid.points[2].loss))) < 1e-6);
  assert.ok(Math.abs(r.a.loss - mid.points[0].loss) < 1e-6 && Math.abs(r.b.loss - mid.points[2].loss) < 1e-6);
  // The first group alone from the input side is the first single entry.
  assert.ok(Math.abs(r.fromInput[0].restA.loss - r.single[0].restA.loss) < 1e-12);
  // At α = 0 every "interpolated" group is A's: rest from A is A itself.
  const zero = await layerwise(a, b, source(mlpData), { alpha: 0, cumulative: false });
  for (const e of zero.single) assert.ok(Math.abs(e.restA.loss - zero.a.loss) < 1e-6 && Math.abs(e.restA.barrier - (zero.a.loss - 0.5 * (zero.a.loss + zero.b.loss))) < 1e-6);
  // A with itself: no barrier anywhere.
  const self = await layerwise(a, a, source(mlpData), { cumulative: false });
  for (const e of self.single) assert.ok(Math.abs(e.restA.barrier) < 1e-6 && Math.abs(e.restB.accuracyDrop) < 1e-9);
});
