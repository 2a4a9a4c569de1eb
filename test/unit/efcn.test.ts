import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/core/tf/backend';
import { GraphBuilder } from '../../src/core/graph/builder';
import { Executor } from '../../src/core/graph/executor';
import { Graph, OpSpec, Padding } from '../../src/core/graph/ir';
import { loadModel } from '../../src/core/formats';
import { writeTfjsLayers } from '../../src/core/formats/writers';
import { denseKernel, embedConv, equivalenceResidual, toEfcn } from '../../src/core/analyses/efcn';
import { mulberry32, randn } from './helpers/random';

const root = path.resolve(__dirname, '../..');
let dir: string;
before(async () => {
  await initBackend({ preference: 'cpu' });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'efcn-'));
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

interface ConvCase {
  readonly name: string;
  readonly op: 'conv2d' | 'depthwiseConv2d';
  readonly k: [number, number];
  readonly stride: [number, number];
  readonly padding: Padding;
  readonly dilation: [number, number];
  readonly groups: number;
  readonly cin: number;
  readonly cout: number;
}

/** conv (the case) → relu → [second conv 3×3 same] → maxpool 2 → flatten → dense 3 on a 9×8 image. */
function cnn(c: ConvCase, seed: number, second = true): Graph {
  const r = mulberry32(seed);
  const rnd = (n: number, s = 0.5) => Float32Array.from(randn(r, n), (v) => v * s);
  const b = new GraphBuilder(`/mem/${c.name}.json`, 'tfjs-layers', { framework: 'keras', name: 'test' }, c.name);
  let x = b.input('x', [null, 9, 8, c.cin], 'nhwc', [9, 8, c.cin]);
  const kshape = c.op === 'conv2d' ? [c.k[0], c.k[1], c.cin / c.groups, c.cout] : [c.k[0], c.k[1], c.cin, c.cout / c.cin];
  const op: OpSpec = c.op === 'conv2d'
    ? { op: 'conv2d', strides: c.stride, padding: c.padding, dilations: c.dilation, groups: c.groups }
    : { op: 'depthwiseConv2d', strides: c.stride, padding: c.padding, dilations: c.dilation };
  x = b.node('conv', op, [x], { kernel: b.param('conv/kernel', 'kernel', kshape, rnd(kshape.reduce((a, d) => a * d, 1))), bias: b.param('conv/bias', 'bias', [c.cout], rnd(c.cout, 0.2)) });
  x = b.node('relu', { op: 'relu' }, [x]);
  if (second) {
    x = b.node('conv2', { op: 'conv2d', strides: [1, 1], padding: 'same', dilations: [1, 1], groups: 1 }, [x], { kernel: b.param('conv2/kernel', 'kernel', [3, 3, c.cout, 4], rnd(9 * c.cout * 4)) });
    x = b.node('relu2', { op: 'relu' }, [x]);
  }
  const s = b.shapeOf(x);
  if (s[0] >= 2 && s[1] >= 2) x = b.node('pool', { op: 'maxPool', poolSize: [2, 2], strides: [2, 2], padding: 'valid' }, [x]);
  x = b.node('flat', { op: 'flatten', order: 'nhwc' }, [x]);
  const n = b.shapeOf(x)[0];
  x = b.node('fc', { op: 'dense' }, [x], { kernel: b.param('fc/kernel', 'kernel', [n, 3], rnd(n * 3)), bias: b.param('fc/bias', 'bias', [3], rnd(3)) });
  b.output(x, 'y', [null, 3], 'flat');
  return b.build();
}

const base = { op: 'conv2d' as const, k: [3, 3] as [number, number], stride: [1, 1] as [number, number], padding: 'same' as Padding, dilation: [1, 1] as [number, number], groups: 1, cin: 2, cout: 3 };
const CASES: ConvCase[] = [
  { ...base, name: 's1-same' },
  { ...base, name: 's2-same', stride: [2, 2] },
  { ...base, name: 's3-valid', stride: [3, 3], padding: 'valid' },
  { ...base, name: 's2x1-valid-5x3', stride: [2, 1], padding: 'valid', k: [5, 3] },
  { ...base, name: 's1-explicit-asym', padding: { top: 2, bottom: 0, left: 1, right: 3 } },
  { ...base, name: 's2-explicit-asym', stride: [2, 2], padding: { top: 0, bottom: 1, left: 2, right: 0 } },
  { ...base, name: 'd2-same', dilation: [2, 2] },
  { ...base, name: 'd2x1-valid', dilation: [2, 1], padding: 'valid' },
  { ...base, name: 'g2', groups: 2, cin: 4, cout: 6 },
  { ...base, name: 'g2-s2-d2', groups: 2, cin: 4, cout: 6, stride: [2, 2], dilation: [2, 2], padding: 'valid' },
  { ...base, name: 'dw-as-groups', groups: 3, cin: 3, cout: 6 },
  { ...base, name: 'depthwise-m2', op: 'depthwiseConv2d', cin: 3, cout: 6 },
  { ...base, name: 'depthwise-s2-explicit', op: 'depthwiseConv2d', cin: 2, cout: 2, stride: [2, 2], padding: { top: 1, bottom: 2, left: 0, right: 1 } },
];

test('the sparse embedding of a conv is its linear map: dense columns equal the conv of input impulses', () => {
  for (const c of CASES) {
    const g = cnn(c, 7, false);
    const node = g.nodes.find((n) => n.id === 'conv')!;
    const e = embedConv(g, node);
    const w = denseKernel(e, g.params.get('conv/kernel')!.data);
    // conv without bias on the identity batch: row j of the result is W·e_j, i.e. row j of the [in, out] kernel.
    const noBias: Graph = { ...g, nodes: g.nodes.map((n) => (n.id === 'conv' ? { ...n, params: { kernel: n.params.kernel } } : n)) };
    const ex = new Executor(noBias);
    const got = tf.tidy(() => ex.run([tf.reshape(tf.eye(e.cols), [e.cols, ...e.inShape])], { outputs: ['conv'] }).outputs[0].dataSync());
    ex.dispose();
    assert.equal(got.length, w.length, c.name);
    let maxDiff = 0;
    for (let i = 0; i < w.length; i++) maxDiff = Math.max(maxDiff, Math.abs(got[i] - w[i]));
    assert.ok(maxDiff < 1e-6, `${c.name}: the embedding differs from the conv by ${maxDiff}`);
    let nonzero = 0;
    for (const v of w) if (v !== 0) nonzero++;
    assert.equal(nonzero, e.nnz, `${c.name}: nnz`);
  }
});

test('the eFCN computes what the CNN computes for every stride, padding, dilation and grouping', async () => {
  for (const c of CASES) {
    const g = cnn(c, 11);
    const efcn = toEfcn(g);
    assert.equal(efcn.layers.length, 2);
    assert.ok(efcn.graph.nodes.every((n) => n.op.op !== 'conv2d' && n.op.op !== 'depthwiseConv2d'), 'no conv left');
    const r = await equivalenceResidual(g, efcn.graph, { samples: 6, seed: 3 });
    assert.ok(r.maxRel < 1e-5, `${c.name}: residual ${r.maxRel}`);
    for (const l of efcn.layers) {
      assert.equal(l.denseElements, l.embedding.rows * l.embedding.cols);
      assert.ok(l.sparsity > 0 && l.sparsity < 1);
      assert.equal(l.denseBytes, 4 * l.denseElements);
    }
  }
});

test('eFCN of examples/models/cnn-seed1: equal outputs, sizes and sparsity per layer', async () => {
  const g = await loadModel(path.join(root, 'examples/models/cnn-seed1/model.json'));
  const efcn = toEfcn(g);
  const [c1, c2] = efcn.layers;
  assert.deepEqual([c1.embedding.rows, c1.embedding.cols], [28 * 28 * 16, 28 * 28 * 1]);
  assert.deepEqual([c2.embedding.rows, c2.embedding.cols], [14 * 14 * 32, 14 * 14 * 16]);
  // 3×3 same: every output position sees 9 taps except on the border rows/columns.
  const taps = (n: number) => (3 * n - 2) ** 2;
  assert.equal(c1.nnz, taps(28) * 16);
  assert.equal(c2.nnz, taps(14) * 16 * 32);
  const r = await equivalenceResidual(g, efcn.graph, { samples: 4, seed: 1 });
  assert.ok(r.maxRel < 1e-5, `cnn-seed1 eFCN residual ${r.maxRel}`);
  console.log(`cnn-seed1 eFCN: ${efcn.layers.map((l) => `${l.layer} ${l.embedding.rows}×${l.embedding.cols} nnz ${l.nnz} sparsity ${(100 * l.sparsity).toFixed(2)}% dense ${(l.denseBytes / 2 ** 20).toFixed(1)} MiB CSR ${(l.csrBytes / 2 ** 20).toFixed(2)} MiB`).join('; ')}; residual ${r.maxRel.toExponential(2)}`);
});

test('eFCN of the NCHW ONNX copy of cnn-seed1: the layout transposes stay, outputs equal', async () => {
  const g = await loadModel(path.join(root, 'examples/models/cnn-seed1-onnx/model.onnx'));
  const efcn = toEfcn(g);
  assert.equal(efcn.graph.inputs[0].layout, 'nchw');
  assert.ok(efcn.graph.nodes.some((n) => n.op.op === 'transpose'));
  const r = await equivalenceResidual(g, efcn.graph, { samples: 3, seed: 6 });
  assert.ok(r.maxRel < 1e-5, `ONNX eFCN residual ${r.maxRel}`);
});

test('the eFCN written as a TF.js layers model loads with loadModel and gives the same outputs', async () => {
  const g = cnn({ ...base, name: 'written', stride: [2, 2], padding: { top: 1, bottom: 0, left: 0, right: 2 } }, 5);
  const efcn = toEfcn(g);
  const w = writeTfjsLayers(efcn.graph, path.join(dir, 'small'));
  const loaded = await loadModel(w.modelJson);
  const r = await equivalenceResidual(g, loaded, { samples: 5, seed: 2 });
  assert.ok(r.maxRel < 1e-5, `written eFCN residual ${r.maxRel}`);
});

test('the eFCN of cnn-seed1 written to disk loads and matches the CNN', async () => {
  const g = await loadModel(path.join(root, 'examples/models/cnn-seed1/model.json'));
  const efcn = toEfcn(g);
  const w = writeTfjsLayers(efcn.graph, path.join(dir, 'cnn-seed1-efcn'));
  assert.equal(w.bytes, 4 * [...efcn.graph.params.values()].reduce((a, p) => a + p.data.length, 0));
  const loaded = await loadModel(w.modelJson);
  const r = await equivalenceResidual(g, loaded, { samples: 3, seed: 4 });
  assert.ok(r.maxRel < 1e-5, `written cnn-seed1 eFCN residual ${r.maxRel}`);
});

test('a layer too big to densify is refused with its size', () => {
  const g = cnn({ ...base, name: 'big' }, 1);
  assert.throws(() => toEfcn(g, { maxDenseElements: 1000 }), /dense layer of 216 × 144/);
});
