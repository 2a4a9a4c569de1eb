import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { initBackend } from '../../src/core/tf/backend';
import { GraphBuilder } from '../../src/core/graph/builder';
import { Executor } from '../../src/core/graph/executor';
import { Graph, ParamRole } from '../../src/core/graph/ir';
import { loadModel } from '../../src/core/formats';
import { toTfjsLayers, writeTfjsLayers } from '../../src/core/formats/writers';
import { equivalenceResidual, toEfcn } from '../../src/core/analyses/efcn';
import { UserError } from '../../src/core/errors';
import { maxRelDiff, mulberry32, randn } from './helpers/random';

let dir: string;
before(async () => {
  await initBackend({ preference: 'cpu' });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'writers-'));
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

function builder(name: string, seed: number): { b: GraphBuilder; p: (key: string, role: ParamRole, shape: number[], positive?: boolean) => string } {
  const r = mulberry32(seed);
  const b = new GraphBuilder(`/mem/${name}.json`, 'tfjs-layers', { framework: 'keras', name: 'keras 2.15.0' }, name);
  const p = (key: string, role: ParamRole, shape: number[], positive = false) =>
    b.param(key, role, shape, Float32Array.from(randn(r, shape.reduce((a, d) => a * d, 1)), (v) => (positive ? 0.5 + Math.abs(v) * 0.3 : v * 0.4)));
  return { b, p };
}

/** Every op the writer maps, in one functional graph with a branch. */
function zoo(): Graph {
  const { b, p } = builder('zoo', 3);
  const x = b.input('image', [null, 10, 9, 3], 'nhwc', [10, 9, 3]);
  const scaled = b.node('scale', { op: 'mul' }, [x], { constant: b.param('scale/c', 'constant', [3], Float32Array.from([0.5, 2, -1])) });
  const shifted = b.node('shift', { op: 'sub' }, [scaled], { constant: b.param('shift/c', 'constant', [1], Float32Array.from([0.25])) });
  const c1 = b.node('conv/explicit', { op: 'conv2d', strides: [2, 1], padding: { top: 1, bottom: 2, left: 0, right: 1 }, dilations: [1, 1], groups: 1 }, [shifted], { kernel: p('c1k', 'kernel', [3, 3, 3, 6]), bias: p('c1b', 'bias', [6]) });
  const bn = b.node('bn', { op: 'batchNorm', epsilon: 1e-3 }, [c1], { gamma: p('g', 'gamma', [6], true), beta: p('be', 'beta', [6]), movingMean: p('mm', 'movingMean', [6]), movingVariance: p('mv', 'movingVariance', [6], true) });
  const a1 = b.node('lrelu', { op: 'leakyRelu', alpha: 0.1 }, [bn]);
  const dw = b.node('dw', { op: 'depthwiseConv2d', strides: [1, 1], padding: 'same', dilations: [2, 2] }, [a1], { kernel: p('dwk', 'kernel', [3, 3, 6, 2]), bias: p('dwb', 'bias', [12]) });
  const g2 = b.node('grouped', { op: 'conv2d', strides: [1, 1], padding: 'valid', dilations: [1, 1], groups: 3 }, [dw], { kernel: p('gk', 'kernel', [1, 1, 4, 6]) });
  const r6 = b.node('relu6', { op: 'clip', min: 0, max: 6 }, [g2]);
  const side = b.node('side', { op: 'conv2d', strides: [1, 1], padding: 'valid', dilations: [1, 1], groups: 1 }, [a1], { kernel: p('sk', 'kernel', [1, 1, 6, 6]) });
  const sum = b.node('sum', { op: 'add' }, [r6, side]);
  const el = b.node('elu', { op: 'elu', alpha: 0.5 }, [sum]);
  const ap = b.node('avg', { op: 'avgPool', poolSize: [2, 2], strides: [2, 2], padding: 'same', countIncludePad: false }, [el]);
  const pad = b.node('pad', { op: 'pad', pads: [[1, 0], [0, 1], [0, 0]], value: 0 }, [ap]);
  const mp = b.node('max', { op: 'maxPool', poolSize: [2, 2], strides: [1, 1], padding: 'valid' }, [pad]);
  const up = b.node('up', { op: 'upsample', size: [2, 2], mode: 'nearest' }, [mp]);
  const cat = b.node('cat', { op: 'concat', axis: -1 }, [up, b.node('tanh', { op: 'tanh' }, [up])]);
  const flat = b.node('flat', { op: 'flatten', order: 'nchw' }, [cat]);
  const n = b.shapeOf(flat)[0];
  const fc = b.node('fc', { op: 'dense' }, [flat], { kernel: p('fk', 'kernel', [n, 8]), bias: p('fb', 'bias', [8]) });
  const rs = b.node('rs', { op: 'reshape', shape: [2, 4] }, [b.node('sig', { op: 'sigmoid' }, [fc])]);
  const tr = b.node('tr', { op: 'transpose', perm: [1, 0] }, [rs]);
  const out = b.node('soft', { op: 'softmax', axis: -1 }, [b.node('flat2', { op: 'flatten', order: 'nhwc' }, [tr])]);
  b.output(out, 'probs', [null, 8], 'flat');
  return b.build();
}

test('a graph of every mapped op round-trips through the TF.js layers writer and loadModel', async () => {
  const g = zoo();
  const w = writeTfjsLayers(g, path.join(dir, 'zoo'));
  assert.ok(fs.existsSync(w.weightsFile));
  const loaded = await loadModel(w.modelJson);
  const ops = new Set(loaded.nodes.map((n) => n.op.op));
  for (const op of ['mul', 'add', 'pad', 'conv2d', 'batchNorm', 'leakyRelu', 'depthwiseConv2d', 'clip', 'elu', 'avgPool', 'maxPool', 'upsample', 'concat', 'tanh', 'transpose', 'flatten', 'dense', 'sigmoid', 'reshape', 'softmax']) {
    assert.ok(ops.has(op as never), `the loaded graph has no ${op}`);
  }
  assert.ok(loaded.nodes.some((n) => n.op.op === 'conv2d' && n.op.groups === 3), 'grouped conv lost');
  const r = await equivalenceResidual(g, loaded, { samples: 4, seed: 9 });
  assert.ok(r.maxRel < 1e-5, `round-trip residual ${r.maxRel}`);
});

test('tfjs-layers itself loads a written eFCN and computes the same outputs', async () => {
  const { b, p } = builder('cnn', 5);
  let x = b.input('x', [null, 8, 8, 2], 'nhwc', [8, 8, 2]);
  x = b.node('conv1', { op: 'conv2d', strides: [1, 1], padding: 'same', dilations: [1, 1], groups: 1 }, [x], { kernel: p('k1', 'kernel', [3, 3, 2, 4]), bias: p('b1', 'bias', [4]) });
  x = b.node('pool', { op: 'maxPool', poolSize: [2, 2], strides: [2, 2], padding: 'valid' }, [b.node('relu', { op: 'relu' }, [x])]);
  x = b.node('flat', { op: 'flatten', order: 'nhwc' }, [x]);
  x = b.node('fc', { op: 'dense' }, [x], { kernel: p('k2', 'kernel', [64, 5]), bias: p('b2', 'bias', [5]) });
  b.output(x, 'y', [null, 5], 'flat');
  const g = b.build();
  const m = toTfjsLayers(toEfcn(g).graph);
  const manifest = (m.json.weightsManifest as { weights: tf.io.WeightsManifestEntry[] }[])[0].weights;
  const model = await tfl.loadLayersModel(tf.io.fromMemory(m.json.modelTopology as object, manifest, m.weights.slice().buffer));
  const xs = tf.tensor(Float32Array.from(randn(mulberry32(1), 3 * 8 * 8 * 2)), [3, 8, 8, 2]);
  const ex = new Executor(g);
  const want = ex.predict(xs);
  const got = model.predict(xs) as tf.Tensor;
  const rel = maxRelDiff(got.dataSync(), want.dataSync());
  tf.dispose([xs, want, got]);
  ex.dispose();
  model.dispose();
  assert.ok(rel < 1e-5, `tfjs-layers vs CNN: ${rel}`);
});

test('ops without a Keras layer are refused by name', () => {
  const { b } = builder('bad', 1);
  const x = b.input('x', [null, 4, 4, 2], 'nhwc', [4, 4, 2]);
  const y = b.node('inorm', { op: 'instanceNorm', epsilon: 1e-5 }, [x]);
  b.output(y, 'y', [null, 4, 4, 2], 'nhwc');
  assert.throws(() => toTfjsLayers(b.build()), (e: unknown) => e instanceof UserError && /"inorm" \(instanceNorm\)/.test(e.message));
});
