import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/core/tf/backend';
import { Executor } from '../../src/core/graph/executor';
import { Graph } from '../../src/core/graph/ir';
import { interpolate, paramTensors, withParams } from '../../src/core/analyses/connectivity/interpolate';
import { channelStatistics, repair, repairGoals, repairPoints, repairStatistics, resetBatchNorm } from '../../src/core/analyses/connectivity/batchNorm';
import { lmc } from '../../src/core/analyses/connectivity/lmc';
import { weightMatching } from '../../src/core/analyses/connectivity/weightMatching';
import { mulberry32, randn, maxRelDiff } from './helpers/random';
import { cnnBn, Data, mlp, resnet, source, teacherData } from './helpers/connectivity';

before(async () => {
  await initBackend({ preference: 'cpu' });
});

const mlpData = teacherData(31, 600, [20], mlp(99, [20, 16, 5]));
const imgData = teacherData(32, 96, [8, 8, 3], cnnBn(99));

/** Exact per-channel mean and biased variance of a node's output over the whole data, in float64. */
function exactStats(g: Graph, node: string, data: Data): { mean: Float64Array; variance: Float64Array } {
  const ex = new Executor(g);
  const x = tf.tensor(data.x, [data.n, ...data.shape]);
  const r = ex.run([x], { taps: [node], outputs: [] });
  const t = r.taps.get(node)!;
  const c = t.shape[t.rank - 1];
  const v = t.dataSync();
  tf.dispose([x, t]);
  ex.dispose();
  const rows = v.length / c;
  const mean = new Float64Array(c);
  const variance = new Float64Array(c);
  for (let i = 0; i < v.length; i++) mean[i % c] += v[i] / rows;
  for (let i = 0; i < v.length; i++) variance[i % c] += (v[i] - mean[i % c]) ** 2 / rows;
  return { mean, variance };
}

/** A with each batch-norm's running statistics set, in order, to the exact statistics of its input on `data`. */
function withExactRunningStats(g: Graph, data: Data): Graph {
  let cur = g;
  for (const n of g.nodes.filter((m) => m.op.op === 'batchNorm')) {
    const s = exactStats(cur, n.inputs[0], data);
    cur = withParams(cur, new Map([[n.params.movingMean!, Float32Array.from(s.mean)], [n.params.movingVariance!, Float32Array.from(s.variance)]]));
  }
  return cur;
}

test('BN reset on A reproduces running statistics that were computed on the same data', async () => {
  for (const [g, data] of [[mlp(33, [20, 32, 24, 5], { bn: true }), mlpData], [cnnBn(34), imgData]] as const) {
    const a = withExactRunningStats(g, data);
    const bns = a.nodes.filter((n) => n.op.op === 'batchNorm');
    const before = tf.memory().numTensors;
    // One batch of all the data: train mode normalises with exactly the running statistics.
    const whole = await resetBatchNorm(a, undefined, source(data), { batchSize: data.n });
    for (const n of bns) {
      for (const slot of ['movingMean', 'movingVariance'] as const) {
        const key = n.params[slot]!;
        assert.ok(maxRelDiff(whole.get(key)!.dataSync(), a.params.get(key)!.data) < 1e-4, `${n.id} ${slot} (one batch): ${maxRelDiff(whole.get(key)!.dataSync(), a.params.get(key)!.data)}`);
      }
    }
    // Several batches: the first batch-norm is still exact (its input does not depend on batch
    // statistics), later ones close.
    const batched = await resetBatchNorm(a, undefined, source(data), { batchSize: Math.ceil(data.n / 4) });
    bns.forEach((n, i) => {
      for (const slot of ['movingMean', 'movingVariance'] as const) {
        const key = n.params[slot]!;
        const d = maxRelDiff(batched.get(key)!.dataSync(), a.params.get(key)!.data);
        assert.ok(d < (i === 0 ? 1e-4 : 0.05), `${n.id} ${slot} (batched): ${d}`);
      }
    });
    // Every other parameter is carried over unchanged.
    for (const p of a.params.values()) if (p.role !== 'movingMean' && p.role !== 'movingVariance') assert.deepEqual(batched.get(p.key)!.dataSync(), p.data);
    tf.dispose([...whole.values(), ...batched.values()]);
    assert.equal(tf.memory().numTensors, before, 'tensors leaked');
  }
});

test('BN reset of an interpolated net fixes the collapsed variance', async () => {
  const a = withExactRunningStats(cnnBn(35), imgData);
  const b = withExactRunningStats(cnnBn(36), imgData);
  const pa = paramTensors(a);
  const pb = paramTensors(b);
  const mid = interpolate(pa, pb, 0.5);
  const reset = await resetBatchNorm(a, mid, source(imgData), { batchSize: imgData.n });
  const merged = withParams(a, new Map([...reset].map(([k, t]) => [k, t.dataSync() as Float32Array])));
  // After the reset, each batch-norm's running statistics are its input's statistics in the merged net.
  for (const n of merged.nodes.filter((m) => m.op.op === 'batchNorm')) {
    const s = exactStats(merged, n.inputs[0], imgData);
    assert.ok(maxRelDiff(merged.params.get(n.params.movingVariance!)!.data, s.variance) < 1e-3, n.id);
    assert.ok(maxRelDiff(merged.params.get(n.params.movingMean!)!.data, s.mean) < 1e-3, n.id);
  }
  tf.dispose([...pa.values(), ...pb.values(), ...mid.values(), ...reset.values()]);
});

test('REPAIR: the merged net has the goal mean and std in every corrected channel', async () => {
  const cases: [string, Graph, Graph, Data][] = [
    ['mlp', mlp(37, [20, 32, 24, 5]), mlp(38, [20, 32, 24, 5]), mlpData],
    ['cnn-bn', withExactRunningStats(cnnBn(39), imgData), withExactRunningStats(cnnBn(40), imgData), imgData],
    ['resnet', resnet(41), resnet(42), imgData],
  ];
  for (const [name, a, b, data] of cases) {
    const points = repairPoints(a);
    if (name === 'mlp') assert.deepEqual(points.map((p) => [p.node, p.kind]), [['fc1', 'layer'], ['fc2', 'layer']]);
    if (name === 'cnn-bn') assert.deepEqual(points.map((p) => [p.node, p.kind]), [['bn0', 'batchNorm'], ['bn1', 'batchNorm'], ['fc', 'layer']]);
    if (name === 'resnet') assert.ok(points.length === 8 && points.every((p) => p.kind === 'batchNorm'));
    const before = tf.memory().numTensors;
    const { sa, sb } = await repairStatistics(a, b, source(data), { batchSize: 64 });
    for (const alpha of [0.5, 0.3]) {
      const pa = paramTensors(a);
      const pb = paramTensors(b);
      const theta = interpolate(pa, pb, alpha);
      const goals = repairGoals(sa, sb, alpha);
      const fixed = await repair(a, theta, goals, source(data), { batchSize: 64 });
      tf.dispose([...pa.values(), ...pb.values(), ...theta.values()]);
      const got = await channelStatistics(fixed.graph, undefined, points.map((p) => p.node), source(data), { batchSize: 50 });
      for (const p of points) {
        const g = goals.get(p.node)!;
        const s = got.get(p.node)!;
        for (let c = 0; c < p.channels; c++) {
          const scale = g.std[c] + 1e-3;
          assert.ok(Math.abs(s.mean[c] - g.mean[c]) <= 1e-3 * scale + 1e-5, `${name} α=${alpha} ${p.node}[${c}] mean ${s.mean[c]} vs ${g.mean[c]}`);
          assert.ok(Math.abs(s.std[c] - g.std[c]) <= 1e-3 * scale + 1e-5, `${name} α=${alpha} ${p.node}[${c}] std ${s.std[c]} vs ${g.std[c]}`);
        }
      }
    }
    assert.equal(tf.memory().numTensors, before, `${name}: tensors leaked`);
  }
});

test('REPAIR at α = 0 leaves A as it is; a missing bias is added', async () => {
  const a = mlp(43, [20, 16, 12, 5]);
  // Drop the first layer's bias: the correction needs one and adds it.
  const fc1 = a.nodes.find((n) => n.id === 'fc1')!;
  const noBias: Graph = { ...a, nodes: a.nodes.map((n) => (n === fc1 ? { ...n, params: { kernel: n.params.kernel } } : n)) };
  const b = mlp(44, [20, 16, 12, 5]);
  const bNoBias: Graph = { ...b, nodes: noBias.nodes };
  const { sa, sb } = await repairStatistics(noBias, bNoBias, source(mlpData));
  const fixed = await repair(noBias, undefined, repairGoals(sa, sb, 0), source(mlpData));
  assert.ok(fixed.graph.nodes.find((n) => n.id === 'fc1')!.params.bias);
  const x = tf.tensor(Float32Array.from(randn(mulberry32(1), 8 * 20)), [8, 20]);
  const ex0 = new Executor(noBias);
  const ex1 = new Executor(fixed.graph);
  const y0 = ex0.predict(x);
  const y1 = ex1.predict(x);
  assert.ok(maxRelDiff(y1.dataSync(), y0.dataSync()) < 1e-4);
  tf.dispose([x, y0, y1]);
  ex0.dispose();
  ex1.dispose();
});

test('LMC with BN reset and with REPAIR: the curve is computed, endpoints barely move under REPAIR', async () => {
  const a = withExactRunningStats(cnnBn(45), imgData);
  const b0 = withExactRunningStats(cnnBn(46), imgData);
  const b = (await weightMatching(a, b0)).aligned;
  const before = tf.memory().numTensors;
  const plain = await lmc(a, b, source(imgData), { points: 3, batchSize: 48 });
  const reset = await lmc(a, b, source(imgData), { points: 3, batchSize: 48, correction: 'reset' });
  const fixed = await lmc(a, b, source(imgData), { points: 3, batchSize: 48, correction: 'repair' });
  assert.equal(tf.memory().numTensors, before, 'tensors leaked');
  assert.equal(reset.correction, 'reset');
  assert.equal(fixed.correction, 'repair');
  for (const r of [plain, reset, fixed]) assert.ok(r.points.every((p) => Number.isFinite(p.loss) && p.accuracy >= 0 && p.accuracy <= 1));
  for (const i of [0, 2]) assert.ok(Math.abs(fixed.points[i].loss - plain.points[i].loss) < 1e-3 * (1 + plain.points[i].loss), `endpoint ${i}`);
  // The running statistics were exact on this data, so resetting them at the endpoints changes little.
  for (const i of [0, 2]) assert.ok(Math.abs(reset.points[i].loss - plain.points[i].loss) < 0.05 * (1 + plain.points[i].loss));
  const m = await lmc(mlp(47, [20, 8, 5]), mlp(48, [20, 8, 5]), source(mlpData), { points: 2, correction: 'reset' });
  assert.equal(m.correction, 'none');
  assert.ok(m.notes.some((n) => /no batch-norm/.test(n)));
});
