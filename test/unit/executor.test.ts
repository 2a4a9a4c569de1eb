import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/core/tf/backend';
import { GraphBuilder } from '../../src/core/graph/builder';
import { Executor } from '../../src/core/graph/executor';
import { Graph, OpSpec } from '../../src/core/graph/ir';
import { mulberry32, randn, maxRelDiff } from './helpers/random';

before(async () => {
  await initBackend({ preference: 'cpu' });
});

const P: [number, number] = [1, 1];

/** A random small graph of the op families that batch independently. */
function randomGraph(seed: number): { graph: Graph; inShape: number[] } {
  const rnd = mulberry32(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
  const h = 5 + Math.floor(rnd() * 4);
  const c = 1 + Math.floor(rnd() * 3);
  const b = new GraphBuilder('/mem/random.json', 'tfjs-layers', { framework: 'unknown', name: 'test' }, `random${seed}`);
  let cur = b.input('x', [null, h, h, c], 'nhwc', [h, h, c]);
  let k = 0;
  const param = (role: 'kernel' | 'bias' | 'gamma' | 'beta' | 'movingMean' | 'movingVariance' | 'alpha', shape: number[], positive = false) =>
    b.param(`p${k++}`, role, shape, Float32Array.from(randn(rnd, shape.reduce((a, d) => a * d, 1)), (v) => (positive ? 0.5 + Math.abs(v) : v)));
  for (let i = 0; i < 4; i++) {
    const [hh, ww, cc] = b.shapeOf(cur);
    const kind = pick(['conv', 'conv', 'dw', 'bn', 'act', 'pool', 'res', 'cat']);
    if (kind === 'conv' || (kind === 'res' && false)) {
      const groups = cc % 2 === 0 && rnd() < 0.4 ? 2 : 1;
      const cout = groups * (1 + Math.floor(rnd() * 3));
      const ks = pick([1, 2, 3]);
      const stride = pick([1, 1, 2]);
      const dil = stride === 1 ? pick([1, 2]) : pick([1, 2]);
      const padding = pick(['same', 'valid', { top: 1, bottom: 0, left: 0, right: 2 }] as const);
      const op: OpSpec = { op: 'conv2d', strides: [stride, stride], padding, dilations: [dil, dil], groups };
      const eff = dil * (ks - 1) + 1;
      if (hh < eff + 2) continue;
      cur = b.node(`conv${i}`, op, [cur], { kernel: param('kernel', [ks, ks, cc / groups, cout]), bias: param('bias', [cout]) });
    } else if (kind === 'dw') {
      if (hh < 4) continue;
      cur = b.node(`dw${i}`, { op: 'depthwiseConv2d', strides: [1, 1], padding: 'same', dilations: P }, [cur], { kernel: param('kernel', [3, 3, cc, 2]) });
    } else if (kind === 'bn') {
      cur = b.node(`bn${i}`, { op: 'batchNorm', epsilon: 1e-3 }, [cur], {
        gamma: param('gamma', [cc]), beta: param('beta', [cc]), movingMean: param('movingMean', [cc]), movingVariance: param('movingVariance', [cc], true),
      });
    } else if (kind === 'act') {
      const op = pick<OpSpec>([{ op: 'relu' }, { op: 'leakyRelu', alpha: 0.1 }, { op: 'elu', alpha: 0.7 }, { op: 'gelu', approximate: false }, { op: 'silu' }, { op: 'clip', min: -0.5, max: 0.7 }, { op: 'hardSigmoid', alpha: 0.2, beta: 0.5 }, { op: 'tanh' }, { op: 'softsign' }]);
      cur = b.node(`act${i}`, op, [cur]);
    } else if (kind === 'pool') {
      if (hh < 3) continue;
      const op = pick<OpSpec>([
        { op: 'maxPool', poolSize: [2, 2], strides: [2, 2], padding: 'same' },
        { op: 'maxPool', poolSize: [3, 3], strides: [1, 1], padding: { top: 1, bottom: 1, left: 1, right: 1 } },
        { op: 'avgPool', poolSize: [2, 2], strides: [1, 1], padding: 'same', countIncludePad: false },
        { op: 'avgPool', poolSize: [3, 3], strides: [2, 2], padding: { top: 1, bottom: 1, left: 1, right: 1 }, countIncludePad: false },
        { op: 'avgPool', poolSize: [3, 3], strides: [2, 2], padding: { top: 1, bottom: 1, left: 1, right: 1 }, countIncludePad: true },
      ]);
      cur = b.node(`pool${i}`, op, [cur]);
    } else if (kind === 'res') {
      const branch = b.node(`rconv${i}`, { op: 'conv2d', strides: P, padding: 'same', dilations: P, groups: 1 }, [cur], { kernel: param('kernel', [3, 3, cc, cc]) });
      cur = b.node(`add${i}`, { op: 'add' }, [cur, b.node(`ract${i}`, { op: 'relu' }, [branch])]);
    } else {
      const other = b.node(`cconv${i}`, { op: 'conv2d', strides: P, padding: 'same', dilations: P, groups: 1 }, [cur], { kernel: param('kernel', [1, 1, cc, 2]) });
      cur = b.node(`cat${i}`, { op: 'concat', axis: -1 }, [cur, other]);
    }
    void ww;
  }
  const f = b.node('flat', { op: 'flatten', order: pick(['nhwc', 'nchw'] as const) }, [cur]);
  const n = b.shapeOf(f)[0];
  const logits = b.node('dense', { op: 'dense' }, [f], { kernel: param('kernel', [n, 4]), bias: param('bias', [4]) });
  const out = b.node('softmax', { op: 'softmax', axis: -1 }, [logits]);
  b.output(out, 'probs', [null, 4], 'flat');
  return { graph: b.build(), inShape: [h, h, c] };
}

test('random graphs give the same outputs batched and one sample at a time', () => {
  for (let seed = 1; seed <= 40; seed++) {
    const { graph, inShape } = randomGraph(seed);
    const ex = new Executor(graph);
    ex.params();
    const before = tf.memory().numTensors;
    const rnd = mulberry32(1000 + seed);
    const batch = 5;
    const xData = Float32Array.from(randn(rnd, batch * inShape.reduce((a, d) => a * d, 1)));
    const x = tf.tensor(xData, [batch, ...inShape]);
    const all = ex.predict(x);
    const allData = all.dataSync();
    const per = all.shape[1]!;
    for (let i = 0; i < batch; i++) {
      const one = tf.tidy(() => ex.predict(tf.slice(x, [i, 0, 0, 0], [1, ...inShape])));
      const d = maxRelDiff(one.dataSync(), allData.subarray(i * per, (i + 1) * per));
      one.dispose();
      assert.ok(d < 1e-5, `seed ${seed} sample ${i}: batched and single differ by ${d}`);
    }
    all.dispose();
    x.dispose();
    assert.equal(tf.memory().numTensors, before, `seed ${seed}: tensors leaked`);
    ex.dispose();
  }
});

function tinyMlp(): Graph {
  const b = new GraphBuilder('/mem/mlp.json', 'tfjs-layers', { framework: 'unknown', name: 'test' }, 'mlp');
  const x = b.input('x', [null, 3], 'flat', [3]);
  const k1 = b.param('d1/kernel', 'kernel', [3, 2], Float32Array.from([1, -1, 2, 0.5, -1, 1]));
  const b1 = b.param('d1/bias', 'bias', [2], Float32Array.from([0.1, -0.2]));
  const h = b.node('d1', { op: 'dense' }, [x], { kernel: k1, bias: b1 }, { layerType: 'Dense' });
  const r = b.node('d1_relu', { op: 'relu' }, [h], {}, { layer: 'd1', layerType: 'Dense' });
  const k2 = b.param('d2/kernel', 'kernel', [2, 1], Float32Array.from([3, -2]));
  const y = b.node('d2', { op: 'dense' }, [r], { kernel: k2 });
  b.output(y, 'y', [null, 1], 'flat');
  return b.build();
}

test('dense + relu computes by hand; taps, hooks and parameter swaps work', () => {
  const g = tinyMlp();
  const ex = new Executor(g);
  const x = tf.tensor2d([[1, 2, 3]]);
  // h = x·k1 + b1 = [1 + 4 - 3 + 0.1, -1 + 1 + 3 - 0.2] = [2.1, 2.8]; y = 3·2.1 − 2·2.8 = 0.7
  const r = ex.run([x], { taps: ['d1', 'd1_relu'] });
  assert.ok(Math.abs(r.outputs[0].dataSync()[0] - 0.7) < 1e-5);
  assert.deepEqual(Array.from(r.taps.get('d1')!.dataSync()).map((v) => +v.toFixed(4)), [2.1, 2.8]);
  tf.dispose([...r.outputs, ...r.taps.values()]);
  // hook: gate the relu off entirely
  const y0 = ex.predict(x, { hook: (n, ins) => (n.op.op === 'relu' ? tf.zerosLike(ins[0]) : undefined) });
  assert.equal(y0.dataSync()[0], 0);
  y0.dispose();
  // swapped parameters: a second kernel for d2
  const alt = new Map([['d2/kernel', tf.tensor2d([[1], [1]])]]);
  const y1 = ex.predict(x, { params: alt });
  assert.ok(Math.abs(y1.dataSync()[0] - 4.9) < 1e-5);
  tf.dispose([y1, ...alt.values(), x]);
  ex.dispose();
});

test('the executor is differentiable: tf.grad through it matches finite differences', () => {
  const { graph, inShape } = randomGraph(7);
  const ex = new Executor(graph);
  const rnd = mulberry32(99);
  const x = tf.tensor(Float32Array.from(randn(rnd, inShape.reduce((a, d) => a * d, 1))), [1, ...inShape]);
  const f = (t: tf.Tensor) => tf.sum(tf.mul(ex.predict(t), tf.tensor1d([1, -2, 0.5, 3])));
  const g = tf.grad(f)(x);
  const gd = g.dataSync();
  const xd = x.dataSync();
  const eps = 1e-2;
  for (const i of [0, 3, 7, xd.length - 1]) {
    const plus = Float32Array.from(xd);
    const minus = Float32Array.from(xd);
    plus[i] += eps;
    minus[i] -= eps;
    const fp = tf.tidy(() => f(tf.tensor(plus, x.shape)).dataSync()[0]);
    const fm = tf.tidy(() => f(tf.tensor(minus, x.shape)).dataSync()[0]);
    const fd = (fp - fm) / (2 * eps);
    assert.ok(Math.abs(fd - gd[i]) < 2e-2 * Math.max(1, Math.abs(fd)), `d/dx${i}: autodiff ${gd[i]} vs finite difference ${fd}`);
  }
  tf.dispose([g, x]);
  ex.dispose();
});

test('shape errors name the node and the file', () => {
  const b = new GraphBuilder('/models/bad.onnx', 'onnx', { framework: 'pytorch', name: 'pytorch' }, 'bad');
  const x = b.input('x', [null, 4], 'flat', [4]);
  const k = b.param('k', 'kernel', [5, 2], new Float32Array(10));
  assert.throws(() => b.node('fc1', { op: 'dense' }, [x], { kernel: k }), (e: Error) => e.name === 'UserError' && /bad\.onnx/.test(e.message) && /fc1/.test(e.message));
});
