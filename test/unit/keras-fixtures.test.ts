import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { initBackend } from '../../src/core/tf/backend';
import { Executor } from '../../src/core/graph/executor';
import { Graph } from '../../src/core/graph/ir';
import { maxRelDiff } from './helpers/random';
import { loadKerasFile, randomInputs, runGraph } from '../fixtures/keras/run';
import { mergeModel, nestedModel, randomizeWeights, upsampleModel, zooModel } from '../fixtures/keras/tfjsModels';
import { writeKerasH5, writeKerasV3, writeTfjs } from '../fixtures/keras/writers';
import { compareLayerOutputs, peerPredict } from '../fixtures/keras/peer';

// Layers the corpus lacks, built with tfjs-layers, written to each of the three containers, loaded
// back and compared with tfjs-layers' own forward pass.

let dir: string;
before(async () => {
  await initBackend({ preference: 'cpu' });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keras-fixtures-'));
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

type Container = 'tfjs-layers' | 'keras-h5' | 'keras3-h5' | 'keras-v3' | 'keras-v3-names' | 'tf-keras-v3';

async function write(model: tfl.LayersModel, name: string, c: Container): Promise<{ file: string; format: 'tfjs-layers' | 'keras-h5' | 'keras-v3' }> {
  if (c === 'tfjs-layers') return { file: (await writeTfjs(model, path.join(dir, name))).file, format: c };
  if (c === 'keras-h5' || c === 'keras3-h5') {
    const file = path.join(dir, `${name}-${c}.h5`);
    await writeKerasH5(model, file, { keras3: c === 'keras3-h5' });
    return { file, format: 'keras-h5' };
  }
  const file = path.join(dir, `${name}-${c}.keras`);
  await writeKerasV3(model, file, { nameAttrs: c === 'keras-v3-names', tfKeras: c === 'tf-keras-v3' });
  return { file, format: 'keras-v3' };
}

/** Loads the written file and compares it with the tfjs-layers model on random inputs. */
async function compare(model: tfl.LayersModel, name: string, c: Container, tol = 1e-4): Promise<Graph> {
  const { file, format } = await write(model, name, c);
  const g = await loadKerasFile(file, format);
  const inputs = randomInputs(g, 3, 11);
  try {
    const ours = runGraph(g, inputs);
    const theirs = peerPredict(model, inputs);
    assert.equal(ours.length, theirs.length);
    ours.forEach((o, i) => {
      const rel = maxRelDiff(o, theirs[i]);
      assert.ok(rel <= tol, `${name} (${c}) output ${i}: max relative difference ${rel}`);
    });
    const each = compareLayerOutputs(g, model, inputs);
    assert.ok(each.layers > 0 && each.worst <= tol, `${name} (${c}) layer ${each.at}: max relative difference ${each.worst}`);
  } finally {
    tf.dispose(inputs);
  }
  assert.equal(g.storedParamCount, model.countParams(), 'stored weight count');
  return g;
}

const ALL: Container[] = ['tfjs-layers', 'keras-h5', 'keras3-h5', 'keras-v3', 'keras-v3-names', 'tf-keras-v3'];

for (const c of ALL) {
  test(`functional merges, depthwise conv, pooling, padding, upsampling, PReLU, LayerNorm (${c})`, async () => {
    const m = mergeModel();
    randomizeWeights(m, 1);
    const g = await compare(m, 'merge', c);
    const ops = new Set(g.nodes.map((n) => n.op.op));
    for (const op of ['add', 'mul', 'maximum', 'minimum', 'concat', 'depthwiseConv2d', 'leakyRelu', 'elu', 'batchNorm', 'avgPool', 'pad', 'upsample', 'maxPool', 'prelu', 'layerNorm', 'globalAvgPool']) {
      assert.ok(ops.has(op as never), `no ${op} node`);
    }
    assert.equal(g.nodes.find((n) => n.id === 'dw')?.layerType, 'DepthwiseConv2D');
    m.dispose();
  });

  test(`nested Sequential and functional models, shared layer, two inputs and outputs (${c})`, async () => {
    const m = nestedModel();
    randomizeWeights(m, 2);
    const g = await compare(m, 'nested', c);
    assert.deepEqual(g.inputs.map((p) => p.name), ['a', 'b']);
    assert.deepEqual(g.outputs.map((p) => p.name), ['out1', 'out2']);
    const shared = g.nodes.filter((n) => n.layer === 'shared' && n.op.op === 'dense');
    assert.equal(shared.length, 2, 'the shared layer is called twice');
    assert.equal(shared[0].params.kernel, shared[1].params.kernel, 'both calls use one kernel');
    assert.ok(g.nodes.some((n) => n.id === 'inner/inner_bn' && n.op.op === 'batchNorm'));
    assert.ok(!g.nodes.some((n) => n.layer === 'inner/inner_drop'), 'dropout vanishes');
    assert.ok(g.nodes.some((n) => n.id === 'inner_fn/fn_cat' && n.op.op === 'concat'));
    m.dispose();
  });
}

for (const c of ['tfjs-layers', 'keras-h5'] as const) {
  // hard_sigmoid is 0.2x + 0.5 in TF.js and Keras 2 but relu6(x + 3) / 6 in Keras 3, so this zoo is not written as Keras 3.
  test(`separable conv, capped ReLU, permute/reshape, softmax layer, activation zoo (${c})`, async () => {
    const m = zooModel(['relu6', 'hardSigmoid', 'swish', 'gelu', 'sigmoid', 'tanh', 'elu', 'softplus', 'softsign', 'selu', 'linear', 'relu']);
    randomizeWeights(m, 3);
    const g = await compare(m, 'zoo', c);
    assert.ok(g.nodes.some((n) => n.id === 'sep/depthwise' && n.op.op === 'depthwiseConv2d'));
    assert.deepEqual(g.nodes.find((n) => n.id === 'relu_cap')?.op, { op: 'clip', min: 0, max: 0.8 });
    assert.deepEqual(g.nodes.find((n) => n.layer.startsWith('act_1_'))?.op, { op: 'hardSigmoid', alpha: 0.2, beta: 0.5 });
    m.dispose();
  });
}

test('Keras 3 activations: hard_sigmoid is relu6(x + 3) / 6', async () => {
  const m = zooModel(['hardSigmoid', 'relu']);
  randomizeWeights(m, 4);
  const { file } = await write(m, 'zoo3', 'keras-v3');
  const g = await loadKerasFile(file, 'keras-v3');
  assert.deepEqual(g.nodes.find((n) => n.layer.startsWith('act_0_'))?.op, { op: 'hardSigmoid', alpha: 1 / 6, beta: 0.5 });
  m.dispose();
});

for (const c of ['tfjs-layers', 'keras-h5', 'keras-v3'] as const) {
  test(`UpSampling2D nearest and global max pooling (${c})`, async () => {
    const m = upsampleModel('nearest');
    randomizeWeights(m, 5);
    await compare(m, `up-nearest`, c);
    m.dispose();
  });
}

test('UpSampling2D bilinear follows Keras (half-pixel centres), with a note for TF.js-made models', async () => {
  const m = upsampleModel('bilinear');
  randomizeWeights(m, 6);
  const { file } = await write(m, 'up-bilinear', 'tfjs-layers');
  const g = await loadKerasFile(file, 'tfjs-layers');
  assert.ok(g.warnings.some((w) => /half-pixel/.test(w)));
  const [x] = randomInputs(g, 2, 5);
  const ex = new Executor(g);
  const r = ex.run([x], { taps: ['c1/softplus', 'up'] });
  const want = tf.tidy(() => tf.image.resizeBilinear(r.taps.get('c1/softplus') as tf.Tensor4D, [10, 18], false, true));
  assert.ok(maxRelDiff(r.taps.get('up')!.dataSync(), want.dataSync()) < 1e-5);
  tf.dispose([x, want, ...r.outputs, ...r.taps.values()]);
  ex.dispose();
  m.dispose();
});

test('node ids are Keras layer names; activations get their own node', async () => {
  const m = mergeModel();
  randomizeWeights(m, 7);
  const { file } = await write(m, 'names', 'keras-h5');
  const g = await loadKerasFile(file, 'keras-h5');
  assert.deepEqual(g.nodes.find((n) => n.id === 'stem')?.op.op, 'conv2d');
  assert.deepEqual(g.nodes.find((n) => n.id === 'stem/relu')?.inputs, ['stem']);
  assert.equal(g.nodes.find((n) => n.id === 'stem/relu')?.layer, 'stem');
  assert.equal(g.inputs[0].layout, 'nhwc');
  assert.equal(g.outputs[0].layout, 'flat');
  assert.equal(g.producer.name, 'keras 2.15.0');
  assert.equal(g.params.get('bn/moving_mean')?.role, 'movingMean');
  assert.equal(g.params.get('bn/moving_mean')?.trainable, false);
  m.dispose();
});
