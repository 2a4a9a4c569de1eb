import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/core/tf/backend';
import { Executor } from '../../src/core/graph/executor';
import { GraphBuilder } from '../../src/core/graph/builder';
import { Graph, sizeOf } from '../../src/core/graph/ir';
import { CancelledError, UserError } from '../../src/core/errors';
import { sameArchitecture, asArchitectureOf, interpolate, paramTensors } from '../../src/core/analyses/connectivity/interpolate';
import { evaluate } from '../../src/core/analyses/connectivity/evaluate';
import { lmc, barriers } from '../../src/core/analyses/connectivity/lmc';
import { applyPermutation, invertPermutations, permutationSpec, randomPermutations, Permutations } from '../../src/core/analyses/connectivity/permutationSpec';
import { weightMatching } from '../../src/core/analyses/connectivity/weightMatching';
import { activationMatching } from '../../src/core/analyses/connectivity/activationMatching';
import { mulberry32, randn, maxRelDiff } from './helpers/random';
import { randomCnn } from './helpers/graphs';
import { cnnBn, logistic, mlp, resnet, source, teacherData } from './helpers/connectivity';

before(async () => {
  await initBackend({ preference: 'cpu' });
});

function outputs(g: Graph, x: Float32Array, n: number): Float32Array {
  const ex = new Executor(g);
  const t = tf.tensor(x, [n, ...g.nodes[0].shape]);
  const y = ex.predict(t);
  const out = y.dataSync() as Float32Array;
  tf.dispose([t, y]);
  ex.dispose();
  return out;
}

function inputs(g: Graph, n: number, seed: number): Float32Array {
  return Float32Array.from(randn(mulberry32(seed), n * sizeOf(g.nodes[0].shape)));
}

function sameParams(a: Graph, b: Graph): boolean {
  for (const [k, p] of a.params) {
    const q = b.params.get(k)!;
    for (let i = 0; i < p.data.length; i++) if (p.data[i] !== q.data[i]) return false;
  }
  return true;
}

function assertPermsEqual(got: Permutations, want: Permutations, what: string): void {
  assert.deepEqual([...got.keys()].sort(), [...want.keys()].sort(), `${what}: groups`);
  for (const [k, p] of want) assert.deepEqual([...got.get(k)!], [...p], `${what}: permutation ${k}`);
}

/** Checks that the tensor count is back where it started once `fn` is done. */
async function noLeak<T>(what: string, fn: () => Promise<T>): Promise<T> {
  const before = tf.memory().numTensors;
  const r = await fn();
  assert.equal(tf.memory().numTensors, before, `${what}: tensors leaked`);
  return r;
}

const teacherMlp = mlp(99, [20, 16, 5]);
const mlpData = teacherData(11, 600, [20], teacherMlp);

test('sameArchitecture names the first difference; asArchitectureOf maps keys by position', () => {
  const a = mlp(1, [10, 8, 3]);
  assert.doesNotThrow(() => sameArchitecture(a, mlp(2, [10, 8, 3])));
  assert.throws(() => sameArchitecture(a, mlp(2, [10, 9, 3])), (e: unknown) => e instanceof UserError && /node 1 \("fc1"/.test(e.message) && /\[8\] vs \[9\]/.test(e.message));
  assert.throws(() => sameArchitecture(a, mlp(2, [10, 8, 3], { softmax: false })), (e: unknown) => e instanceof UserError && /nodes/.test(e.message));
  assert.throws(() => sameArchitecture(a, mlp(2, [10, 8, 8, 3])), (e: unknown) => e instanceof UserError && /node 3/.test(e.message));
  assert.throws(() => sameArchitecture(cnnBn(1), resnet(1)), UserError);
  // Same architecture, other parameter keys: B's values land under A's keys.
  const b = mlp(2, [10, 8, 3]);
  const renamed: Graph = { ...b, params: new Map([...b.params].map(([k, p]) => [`other/${k}`, { ...p, key: `other/${k}` }])), nodes: b.nodes.map((n) => ({ ...n, params: Object.fromEntries(Object.entries(n.params).map(([s, k]) => [s, `other/${k}`])) })) };
  const aligned = asArchitectureOf(a, renamed);
  assert.deepEqual([...aligned.params.keys()], [...a.params.keys()]);
  assert.ok(sameParams(aligned, b));
});

test('interpolate: endpoints are exact, the midpoint is the mean, every parameter (BN statistics too) moves', async () => {
  await noLeak('interpolate', async () => {
    const a = cnnBn(1);
    const b = cnnBn(2);
    const pa = paramTensors(a);
    const pb = paramTensors(b);
    const t0 = interpolate(pa, pb, 0);
    const t1 = interpolate(pa, pb, 1);
    const th = interpolate(pa, pb, 0.5);
    for (const [k, p] of a.params) {
      assert.deepEqual(t0.get(k)!.dataSync(), p.data);
      assert.deepEqual(t1.get(k)!.dataSync(), b.params.get(k)!.data);
      const q = b.params.get(k)!.data;
      assert.ok(maxRelDiff(th.get(k)!.dataSync(), p.data.map((v, i) => 0.5 * (v + q[i]))) < 1e-6, k);
    }
    assert.ok([...a.params.values()].some((p) => p.role === 'movingVariance'));
    tf.dispose([...pa.values(), ...pb.values(), ...t0.values(), ...t1.values(), ...th.values()]);
  });
});

test('evaluate: mean cross-entropy from the logits and accuracy match a direct computation', async () => {
  const g = mlp(3, [20, 12, 5]);
  const r = await noLeak('evaluate', () => evaluate(g, source(mlpData), { batchSize: 128 }));
  const logitsModel = mlp(3, [20, 12, 5], { softmax: false });
  const probs = outputs(g, mlpData.x, mlpData.n);
  const logits = outputs(logitsModel, mlpData.x, mlpData.n);
  let loss = 0;
  let correct = 0;
  for (let i = 0; i < mlpData.n; i++) {
    const z = Array.from(logits.subarray(i * 5, i * 5 + 5));
    const m = Math.max(...z);
    const lse = m + Math.log(z.reduce((s, v) => s + Math.exp(v - m), 0));
    loss += lse - z[mlpData.y[i]];
    const p = Array.from(probs.subarray(i * 5, i * 5 + 5));
    if (p.indexOf(Math.max(...p)) === mlpData.y[i]) correct++;
  }
  assert.equal(r.samples, mlpData.n);
  assert.ok(Math.abs(r.loss - loss / mlpData.n) < 1e-5 * (1 + loss / mlpData.n), `loss ${r.loss} vs ${loss / mlpData.n}`);
  assert.equal(r.accuracy, correct / mlpData.n);
  // The same network without its softmax gives the same loss (taken from the logits either way).
  const r2 = await evaluate(logitsModel, source(mlpData), { batchSize: 77 });
  assert.ok(Math.abs(r2.loss - r.loss) < 1e-6);
  await assert.rejects(evaluate(g, source(mlpData, { labels: false })), (e: unknown) => e instanceof UserError && /no labels/.test(e.message));
});

test('barrier(A, A) = 0 in all four forms, and the curve is flat', async () => {
  const a = mlp(4, [20, 16, 5]);
  const seen: number[] = [];
  const r = await noLeak('lmc', () => lmc(a, a, source(mlpData), { points: 5, onPoint: (p) => seen.push(p.alpha) }));
  assert.deepEqual(seen, [0, 0.25, 0.5, 0.75, 1]);
  assert.equal(r.points.length, 5);
  for (const k of ['loss', 'lossLinear', 'accuracy', 'accuracyLinear'] as const) assert.ok(Math.abs(r.barriers[k]) < 1e-6, `${k} = ${r.barriers[k]}`);
  for (const p of r.points) assert.ok(Math.abs(p.loss - r.points[0].loss) < 1e-5);
});

test('barriers() computes the two loss forms and the two accuracy drops', () => {
  const b = barriers([
    { alpha: 0, loss: 1, accuracy: 0.9 },
    { alpha: 0.5, loss: 3, accuracy: 0.5 },
    { alpha: 0.75, loss: 2.5, accuracy: 0.4 },
    { alpha: 1, loss: 2, accuracy: 0.8 },
  ]);
  assert.equal(b.loss, 3 - 1.5);
  assert.equal(b.lossLinear, 3 - 1.5);
  assert.ok(Math.abs(b.accuracy - (0.85 - 0.4)) < 1e-12);
  assert.ok(Math.abs(b.accuracyLinear - (0.825 - 0.4)) < 1e-12);
  assert.equal(b.at.accuracy, 0.75);
});

test('logistic regression is convex along the path: lossLinear ≤ 0', async () => {
  const data = teacherData(12, 500, [20], teacherMlp);
  for (const [sa, sb] of [[1, 2], [3, 4]]) {
    const r = await lmc(logistic(sa, 20, 5), logistic(sb, 20, 5), source(data), { points: 11 });
    assert.ok(r.barriers.lossLinear <= 1e-6, `lossLinear ${r.barriers.lossLinear}`);
    const p0 = r.points[0].loss;
    const p1 = r.points[r.points.length - 1].loss;
    for (const p of r.points) assert.ok(p.loss <= (1 - p.alpha) * p0 + p.alpha * p1 + 1e-6);
  }
});

test('MLP with a planted permutation: weight matching recovers it exactly, barrier(A, π(A)) = 0', async () => {
  const a = mlp(5, [20, 32, 24, 5]);
  const spec = permutationSpec(a);
  assert.deepEqual(spec.perms.map((p) => [p.name, p.size]), [['fc1', 32], ['fc2', 24]]);
  assert.deepEqual(spec.axes.get(a.nodes[1].params.kernel!)!.map((x) => x?.label ?? null), [null, 'fc1']);
  assert.deepEqual(spec.axes.get(a.nodes[3].params.kernel!)!.map((x) => x?.label ?? null), ['fc1', 'fc2']);
  const sigma = randomPermutations(spec, 7);
  const b = applyPermutation(a, spec, sigma);
  assert.ok(!sameParams(a, b), 'the planted permutation must move something');
  const x = inputs(a, 16, 1);
  assert.ok(maxRelDiff(outputs(b, x, 16), outputs(a, x, 16)) < 1e-5, 'f(π(θ)) = f(θ)');
  const wm = await noLeak('weight matching', () => weightMatching(a, b, { seed: 3 }));
  assertPermsEqual(wm.perms, invertPermutations(sigma), 'recovered');
  assert.ok(wm.converged);
  assert.ok(sameParams(wm.aligned, a), 'aligned B is A');
  for (let i = 1; i < wm.objective.length; i++) assert.ok(wm.objective[i] >= wm.objective[i - 1], `objective fell at step ${i}`);
  const r = await lmc(a, wm.aligned, source(mlpData), { points: 5 });
  for (const k of ['loss', 'lossLinear', 'accuracy', 'accuracyLinear'] as const) assert.ok(Math.abs(r.barriers[k]) < 1e-9, `${k} = ${r.barriers[k]}`);
});

test('CNN with batch-norm (NHWC and NCHW flatten): the planted permutation is recovered, running statistics permuted too', async () => {
  for (const order of ['nhwc', 'nchw'] as const) {
    const a = cnnBn(6, { order });
    const spec = permutationSpec(a);
    assert.deepEqual(spec.perms.map((p) => [p.name, p.size]), [['conv0', 8], ['conv1', 8], ['fc', 16]]);
    const fcRows = spec.axes.get(a.nodes.find((n) => n.id === 'fc')!.params.kernel!)![0]!;
    assert.equal(fcRows.label, order === 'nhwc' ? 'conv1 ×16 (tiled)' : 'conv1 ×16 (each repeated)');
    for (const slot of ['gamma', 'beta', 'movingMean', 'movingVariance'] as const) {
      assert.equal(spec.axes.get(a.nodes.find((n) => n.id === 'bn1')!.params[slot]!)![0]!.label, 'conv1');
    }
    const sigma = randomPermutations(spec, 8);
    const b = applyPermutation(a, spec, sigma);
    const x = inputs(a, 6, 2);
    assert.ok(maxRelDiff(outputs(b, x, 6), outputs(a, x, 6)) < 1e-5, `${order}: f(π(θ)) = f(θ)`);
    const wm = await noLeak('weight matching', () => weightMatching(a, b, { seed: 1 }));
    assertPermsEqual(wm.perms, invertPermutations(sigma), `${order}: recovered`);
    assert.ok(sameParams(wm.aligned, a), `${order}: aligned B is A, running statistics included`);
    for (let i = 1; i < wm.objective.length; i++) assert.ok(wm.objective[i] >= wm.objective[i - 1]);
    const data = teacherData(13, 64, [8, 8, 3], cnnBn(99));
    const r = await lmc(a, wm.aligned, source(data), { points: 3, batchSize: 32 });
    assert.ok(Math.abs(r.barriers.loss) < 1e-9 && Math.abs(r.barriers.accuracy) < 1e-9);
  }
});

test('residual net: adds tie the streams; f(π(θ)) = f(θ); weight matching never lowers its objective', async () => {
  const a = resnet(7);
  const spec = permutationSpec(a);
  const stream = spec.perms.find((p) => p.name === 'stem_conv')!;
  assert.deepEqual([...stream.producers].sort(), ['b0_2_conv', 'b1_2_conv', 'stem_conv']);
  assert.ok(stream.nodes.includes('b0_add') && stream.nodes.includes('b1_relu2'));
  const proj = spec.perms.find((p) => p.producers.includes('b2_proj_conv'))!;
  assert.deepEqual([...proj.producers].sort(), ['b2_2_conv', 'b2_proj_conv']);
  assert.equal(spec.perms.length, 5);
  const sigma = randomPermutations(spec, 9);
  const pa = applyPermutation(a, spec, sigma);
  const x = inputs(a, 5, 3);
  assert.ok(maxRelDiff(outputs(pa, x, 5), outputs(a, x, 5)) < 1e-5);
  const b = resnet(8);
  const wm = await noLeak('weight matching', () => weightMatching(a, b, { seed: 2 }));
  assert.ok(wm.steps.some((s) => s.changed), 'matching two different nets changes something');
  assert.ok(wm.objective[wm.objective.length - 1] > wm.objective[0]);
  for (let i = 1; i < wm.objective.length; i++) assert.ok(wm.objective[i] >= wm.objective[i - 1], `objective fell at step ${i}`);
  assert.ok(wm.converged && wm.sweeps <= 100);
  assert.ok(maxRelDiff(outputs(wm.aligned, x, 5), outputs(b, x, 5)) < 1e-5, 'aligned B computes what B computes');
  // A planted permutation of a residual net: matching gets back a network equal to A in function.
  const back = await weightMatching(a, pa, { seed: 4 });
  assert.ok(maxRelDiff(outputs(back.aligned, x, 5), outputs(a, x, 5)) < 1e-5);
});

test('random CNNs (conv, depthwise, pools, residual adds, concat, norms): any permutation keeps the function', () => {
  const units = [{ op: 'relu' }, { op: 'tanh' }, { op: 'leakyRelu', alpha: 0.2 }] as const;
  let permuted = 0;
  for (let seed = 1; seed <= 16; seed++) {
    const g = randomCnn(seed, units, { norms: true, channels: 3 });
    const spec = permutationSpec(g);
    const p = applyPermutation(g, spec, randomPermutations(spec, seed));
    if (!sameParams(g, p)) permuted++;
    const x = inputs(g, 4, seed);
    assert.ok(maxRelDiff(outputs(p, x, 4), outputs(g, x, 4)) < 1e-5, `seed ${seed}`);
  }
  assert.ok(permuted >= 14, `only ${permuted} of 16 networks had anything to permute`);
});

test('depthwise multiplier, channel concat, channel pad, NCHW flatten and grouped convs keep the function', () => {
  const rnd = mulberry32(21);
  const S: [number, number] = [1, 1];
  const b = new GraphBuilder('/mem/mix.json', 'tfjs-layers', { framework: 'unknown', name: 'test' }, 'mix');
  let k = 0;
  const w = (role: 'kernel' | 'bias', shape: number[]) => b.param(`w${k++}`, role, shape, Float32Array.from(randn(rnd, shape.reduce((a, d) => a * d, 1)), (v) => v * 0.4));
  const conv = (id: string, x: string, cin: number, cout: number, groups = 1, kk = 3) => b.node(id, { op: 'conv2d', strides: S, padding: 'same', dilations: S, groups }, [x], { kernel: w('kernel', [kk, kk, cin / groups, cout]), bias: w('bias', [cout]) });
  const x = b.input('x', [null, 6, 6, 4], 'nhwc', [6, 6, 4]);
  const c1 = b.node('r1', { op: 'relu' }, [conv('c1', x, 4, 6)]);
  const dw = b.node('r2', { op: 'relu' }, [b.node('dw', { op: 'depthwiseConv2d', strides: S, padding: 'same', dilations: S }, [c1], { kernel: w('kernel', [3, 3, 6, 2]), bias: w('bias', [12]) })]);
  const c3 = b.node('r3', { op: 'tanh' }, [conv('c3', dw, 12, 5, 1, 1)]);
  const br = b.node('r4', { op: 'relu' }, [conv('branch', c1, 6, 3)]);
  const cat = b.node('cat', { op: 'concat', axis: -1 }, [c3, br]);
  const pad = b.node('pad', { op: 'pad', pads: [[0, 0], [0, 0], [1, 2]], value: 0 }, [cat]);
  const grouped = b.node('r5', { op: 'relu' }, [conv('grouped', pad, 11, 4, 1, 1)]);
  const g2 = b.node('r6', { op: 'relu' }, [conv('g2', grouped, 4, 4, 2)]);
  const flat = b.node('flat', { op: 'flatten', order: 'nchw' }, [b.node('cat2', { op: 'concat', axis: -1 }, [g2, pad])]);
  const hid = b.node('rh', { op: 'relu' }, [b.node('fc', { op: 'dense' }, [flat], { kernel: w('kernel', [b.shapeOf(flat)[0], 7]), bias: w('bias', [7]) })]);
  b.output(b.node('out', { op: 'dense' }, [hid], { kernel: w('kernel', [7, 3]), bias: w('bias', [3]) }), 'out', [null, 3], 'flat');
  const g = b.build();
  const spec = permutationSpec(g);
  const names = spec.perms.map((p) => p.name).sort();
  // 'grouped' feeds a grouped conv: it and the grouped conv itself stay in place.
  assert.deepEqual(names, ['branch', 'c1', 'c3', 'fc']);
  assert.ok(spec.notes.some((n) => /groups = 2/.test(n)));
  assert.equal(spec.axes.get(g.nodes.find((n) => n.id === 'dw')!.params.bias!)![0]!.label, 'c1 ×2 (each repeated)');
  assert.equal(spec.axes.get(g.nodes.find((n) => n.id === 'grouped')!.params.kernel!)![2]!.label, '[fixed:1 | c3:5 | branch:3 | fixed:2]');
  const xs = inputs(g, 3, 5);
  for (let s = 0; s < 4; s++) {
    const p = applyPermutation(g, spec, randomPermutations(spec, 100 + s));
    assert.ok(!sameParams(g, p));
    assert.ok(maxRelDiff(outputs(p, xs, 3), outputs(g, xs, 3)) < 1e-5, `permutation ${s}`);
  }
});

test('activation matching recovers a planted permutation (correlation and inner-product costs)', async () => {
  const a = mlp(10, [20, 32, 24, 5]);
  const spec = permutationSpec(a);
  const sigma = randomPermutations(spec, 11);
  const b = applyPermutation(a, spec, sigma);
  for (const cost of ['correlation', 'inner'] as const) {
    const r = await noLeak('activation matching', () => activationMatching(a, b, source(mlpData, { labels: false }), { cost, batchSize: 128 }));
    assertPermsEqual(r.perms, invertPermutations(sigma), cost);
    assert.ok(sameParams(r.aligned, a));
    assert.deepEqual(r.groups.map((g) => g.nodes), [['fc1_relu'], ['fc2_relu']]);
    if (cost === 'correlation') for (const g of r.groups) assert.ok(g.matched > 0.999, `${g.name}: matched correlation ${g.matched}`);
  }
  const c = cnnBn(12);
  const cs = permutationSpec(c);
  const cp = randomPermutations(cs, 13);
  const data = teacherData(14, 64, [8, 8, 3], cnnBn(99));
  const r = await activationMatching(c, applyPermutation(c, cs, cp), source(data), { batchSize: 32 });
  assertPermsEqual(r.perms, invertPermutations(cp), 'cnn');
});

test('cancellation stops within one batch and leaks nothing', async () => {
  const g = mlp(15, [20, 16, 5]);
  let cancel = false;
  const ctx = { cancelled: () => cancel };
  const before = tf.memory().numTensors;
  const src = source(mlpData, { onBatch: (i) => { if (i === 2) cancel = true; } });
  await assert.rejects(evaluate(g, src, { batchSize: 50 }, ctx), CancelledError);
  assert.ok(src.pulled <= 3, `pulled ${src.pulled} batches after cancelling at the third`);
  cancel = false;
  const src2 = source(mlpData, { onBatch: (i) => { if (i === 4) cancel = true; } });
  await assert.rejects(lmc(g, mlp(16, [20, 16, 5]), src2, { points: 5, batchSize: 100 }, ctx), CancelledError);
  assert.ok(src2.pulled <= 5, `lmc pulled ${src2.pulled}`);
  cancel = true;
  await assert.rejects(weightMatching(g, mlp(16, [20, 16, 5]), {}, ctx), CancelledError);
  cancel = false;
  const src3 = source(mlpData, { onBatch: (i) => { if (i === 1) cancel = true; } });
  await assert.rejects(activationMatching(g, mlp(16, [20, 16, 5]), src3, { batchSize: 64 }, ctx), CancelledError);
  assert.ok(src3.pulled <= 2);
  assert.equal(tf.memory().numTensors, before, 'tensors leaked');
});

test('progress is reported in [0, 1] and ends at 1', async () => {
  const fractions: number[] = [];
  const ctx = { progress: (f: number) => fractions.push(f) };
  await lmc(mlp(17, [20, 16, 5]), mlp(18, [20, 16, 5]), source(mlpData), { points: 3, batchSize: 200 }, ctx);
  assert.ok(fractions.length >= 9);
  assert.ok(fractions.every((f) => f >= 0 && f <= 1));
  for (let i = 1; i < fractions.length; i++) assert.ok(fractions[i] >= fractions[i - 1] - 1e-12, 'progress went back');
  assert.equal(fractions[fractions.length - 1], 1);
});

test('data that does not fit the model, and a model with nothing to permute', async () => {
  const g = mlp(19, [20, 16, 5]);
  const wrong = teacherData(15, 40, [21], mlp(98, [21, 5]));
  await assert.rejects(evaluate(g, source(wrong)), (e: unknown) => e instanceof UserError && /\[20\]/.test(e.message) && /\[21\]/.test(e.message));
  const lr = logistic(20, 20, 5);
  assert.equal(permutationSpec(lr).perms.length, 0);
  const other = logistic(21, 20, 5);
  const wm = await weightMatching(lr, other);
  assert.ok(wm.converged && wm.sweeps === 1 && wm.steps.length === 0);
  assert.ok(sameParams(wm.aligned, other));
});
