import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GraphBuilder } from '../../src/core/graph/builder';
import { Framework, Graph } from '../../src/core/graph/ir';
import { defaultScheme, initialValues, initPlan, kernelFans, reinitialize } from '../../src/core/init';

/** conv [5,5,16,64] + bias, depthwise [3,3,8,2] + bias, BN(64), dense [300,100] + bias, from `framework`. */
function net(framework: Framework): Graph {
  const b = new GraphBuilder('/mem/init.json', framework === 'pytorch' ? 'onnx' : 'tfjs-layers', { framework, name: framework }, 'init');
  const z = (n: number) => new Float32Array(n).fill(7);
  let x = b.input('x', [null, 12, 12, 16], 'nhwc', [12, 12, 16]);
  x = b.node('conv', { op: 'conv2d', strides: [1, 1], padding: 'same', dilations: [1, 1], groups: 1 }, [x], { kernel: b.param('conv.w', 'kernel', [5, 5, 16, 64], z(25600)), bias: b.param('conv.b', 'bias', [64], z(64)) });
  x = b.node('bn', { op: 'batchNorm', epsilon: 1e-5 }, [x], { gamma: b.param('bn.g', 'gamma', [64], z(64)), beta: b.param('bn.b', 'beta', [64], z(64)), movingMean: b.param('bn.m', 'movingMean', [64], z(64)), movingVariance: b.param('bn.v', 'movingVariance', [64], z(64)) });
  const y = b.node('dw', { op: 'depthwiseConv2d', strides: [1, 1], padding: 'same', dilations: [1, 1] }, [b.node('slice', { op: 'conv2d', strides: [1, 1], padding: 'same', dilations: [1, 1], groups: 1 }, [x], { kernel: b.param('sl.w', 'kernel', [1, 1, 64, 8], z(512)) })], { kernel: b.param('dw.w', 'kernel', [3, 3, 8, 2], z(144)), bias: b.param('dw.b', 'bias', [16], z(16)) });
  const f = b.node('flat', { op: 'flatten', order: 'nhwc' }, [b.node('gap', { op: 'globalAvgPool', keepDims: false }, [y])]);
  const d = b.node('fc', { op: 'dense' }, [b.node('pad', { op: 'dense' }, [f], { kernel: b.param('pad.w', 'kernel', [16, 300], z(4800)) })], { kernel: b.param('fc.w', 'kernel', [300, 100], z(30000)), bias: b.param('fc.b', 'bias', [100], z(100)) });
  b.output(d, 'y', [null, 100], 'flat');
  return b.build();
}

function moments(a: Float32Array): { mean: number; variance: number; maxAbs: number } {
  let s = 0;
  let m = 0;
  for (const v of a) {
    s += v;
    m = Math.max(m, Math.abs(v));
  }
  const mean = s / a.length;
  let q = 0;
  for (const v of a) q += (v - mean) ** 2;
  return { mean, variance: q / a.length, maxAbs: m };
}

const close = (got: number, want: number, rel: number, what: string) => assert.ok(Math.abs(got - want) <= rel * want, `${what}: ${got} vs ${want}`);

test('PyTorch default: kaiming_uniform(a=√5) kernels have Var = 1/(3·fan_in) within U(±1/√fan_in), bias U(±1/√fan_in)', () => {
  const g = net('pytorch');
  assert.equal(defaultScheme(g), 'pytorch');
  const v = initialValues(g, { seed: 1 });
  const conv = moments(v.get('conv.w')!);
  close(conv.variance, 1 / (3 * 400), 0.03, 'conv kernel variance');
  assert.ok(conv.maxAbs <= 1 / Math.sqrt(400) && conv.maxAbs > 0.99 / Math.sqrt(400));
  assert.ok(Math.abs(conv.mean) < 0.002);
  const bias = moments(v.get('conv.b')!);
  assert.ok(bias.maxAbs <= 1 / Math.sqrt(400));
  const fc = moments(v.get('fc.w')!);
  close(fc.variance, 1 / (3 * 300), 0.03, 'dense kernel variance');
  // depthwise as a grouped conv: fan_in = kh·kw·1
  assert.ok(moments(v.get('dw.w')!).maxAbs <= 1 / 3 && moments(v.get('dw.w')!).maxAbs > 0.8 / 3);
  assert.ok(moments(v.get('dw.b')!).maxAbs <= 1 / 3);
  for (const [k, want] of [['bn.g', 1], ['bn.b', 0], ['bn.m', 0], ['bn.v', 1]] as const) assert.ok(v.get(k)!.every((x) => x === want), k);
});

test('Keras default: glorot-uniform kernels (Var = 2/(fan_in + fan_out)), zero bias; Keras fans for depthwise', () => {
  const g = net('tfjs');
  assert.equal(defaultScheme(g), 'keras');
  const v = initialValues(g, { seed: 2 });
  close(moments(v.get('conv.w')!).variance, 2 / (400 + 1600), 0.03, 'conv kernel variance');
  close(moments(v.get('fc.w')!).variance, 2 / 400, 0.03, 'dense kernel variance');
  assert.ok(v.get('fc.b')!.every((x) => x === 0));
  // Keras depthwise [3,3,8,2]: fan_in = 9·8, fan_out = 9·2, limit √(6/90)
  const dw = moments(v.get('dw.w')!);
  assert.ok(dw.maxAbs <= Math.sqrt(6 / 90) && dw.maxAbs > 0.8 * Math.sqrt(6 / 90));
  const node = g.nodes.find((n) => n.id === 'dw')!;
  assert.deepEqual(kernelFans(node, [3, 3, 8, 2], 'keras'), { fanIn: 72, fanOut: 18 });
  assert.deepEqual(kernelFans(node, [3, 3, 8, 2], 'pytorch'), { fanIn: 9, fanOut: 144 });
});

test('he and glorot (normal) schemes, overriding the producer; seeded and reproducible', () => {
  const g = net('keras');
  const he = initialValues(g, { scheme: 'he', seed: 3 });
  close(moments(he.get('conv.w')!).variance, 2 / 400, 0.04, 'he variance');
  const gl = initialValues(g, { scheme: 'glorot', seed: 3 });
  close(moments(gl.get('fc.w')!).variance, 2 / 400, 0.04, 'glorot variance');
  assert.deepEqual(initialValues(g, { scheme: 'pytorch', seed: 5 }).get('fc.w'), initialValues(g, { scheme: 'pytorch', seed: 5 }).get('fc.w'));
  assert.notDeepEqual(initialValues(g, { seed: 5 }).get('fc.w'), initialValues(g, { seed: 6 }).get('fc.w'));
  const fresh = reinitialize(g, { seed: 1 });
  assert.notEqual(fresh.params.get('conv.w')!.data[0], 7);
  assert.equal(g.params.get('conv.w')!.data[0], 7, 'the original graph is untouched');
  assert.equal(initPlan(g, 'keras').length, 12);
});
