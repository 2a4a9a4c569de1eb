// The bundled examples (examples/README.md): the Fashion-MNIST subset, the four TF.js layers
// models made by `npm run examples`, and their ONNX and Keras .h5 copies. Everything goes through
// the project's own loaders (loadModel + Executor), never tfjs-layers.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/core/tf/backend';
import { loadModel } from '../../src/core/formats/index';
import { Executor } from '../../src/core/graph/executor';

const ROOT = path.resolve(__dirname, '../..');
const EX = path.join(ROOT, 'examples');
const DATA = path.join(EX, 'data/fashion-mnist');
const MODELS = path.join(EX, 'models');
const TFJS_MODELS = ['mlp-seed1', 'mlp-seed2', 'cnn-seed1', 'cnn-seed2'];
const N_TRAIN = 10_000;
const N_TEST = 2_000;

/** A tiny IDX reader, independent of src/core/data: gunzip, big-endian header, uint8 body. */
function readIdx(file: string): { shape: number[]; data: Uint8Array } {
  const raw = zlib.gunzipSync(fs.readFileSync(file));
  assert.equal(raw[0], 0);
  assert.equal(raw[1], 0);
  assert.equal(raw[2], 0x08, `${file}: uint8 IDX`);
  const rank = raw[3];
  const shape = Array.from({ length: rank }, (_, i) => raw.readUInt32BE(4 + 4 * i));
  const start = 4 + 4 * rank;
  assert.equal(raw.length, start + shape.reduce((a, b) => a * b, 1), `${file}: size matches its header`);
  return { shape, data: new Uint8Array(raw.buffer, raw.byteOffset + start, raw.length - start) };
}

let testX: Float32Array;
let testY: Uint8Array;
const logitsCache = new Map<string, Float32Array>();

before(async () => {
  await initBackend({ preference: 'wasm' });
  const images = readIdx(path.join(DATA, 't10k-images-idx3-ubyte.gz'));
  testX = Float32Array.from(images.data, (v) => v / 255);
  testY = readIdx(path.join(DATA, 't10k-labels-idx1-ubyte.gz')).data;
});

/** Logits of the model file on the 2,000 test images, fed in the model's own input shape. */
async function logitsOf(file: string): Promise<Float32Array> {
  const cached = logitsCache.get(file);
  if (cached) return cached;
  const graph = await loadModel(file);
  assert.equal(graph.inputs.length, 1, `${file}: one input`);
  assert.equal(graph.outputs.length, 1, `${file}: one output`);
  const sample = graph.inputs[0].shape.slice(1).map((d) => d ?? -1);
  assert.equal(sample.reduce((a, b) => a * b, 1), 784, `${file}: takes 28x28x1 samples, got [${sample}]`);
  const ex = new Executor(graph);
  const out = new Float32Array(N_TEST * 10);
  const batch = 500;
  const before = tf.memory().numTensors;
  for (let s = 0; s < N_TEST; s += batch) {
    const x = tf.tensor(testX.subarray(s * 784, (s + batch) * 784), [batch, ...sample]);
    const { outputs, taps } = ex.run([x]);
    x.dispose();
    assert.deepEqual(outputs[0].shape, [batch, 10], `${file}: [batch, 10] logits`);
    out.set(outputs[0].dataSync() as Float32Array, s * 10);
    outputs.forEach((t) => t.dispose());
    taps.forEach((t) => t.dispose());
  }
  ex.dispose();
  assert.ok(tf.memory().numTensors <= before, `${file}: no tensors leak`);
  logitsCache.set(file, out);
  return out;
}

function accuracy(logits: Float32Array): number {
  let right = 0;
  for (let i = 0; i < N_TEST; i++) {
    let best = 0;
    for (let k = 1; k < 10; k++) if (logits[i * 10 + k] > logits[i * 10 + best]) best = k;
    if (best === testY[i]) right++;
  }
  return right / N_TEST;
}

function maxRelDiff(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(b[i])));
  return worst;
}

test('the Fashion-MNIST subset: 10,000 train and 2,000 test images with labels 0-9, and its licence', () => {
  const expect: Record<string, number[]> = {
    'train-images-idx3-ubyte.gz': [N_TRAIN, 28, 28],
    'train-labels-idx1-ubyte.gz': [N_TRAIN],
    't10k-images-idx3-ubyte.gz': [N_TEST, 28, 28],
    't10k-labels-idx1-ubyte.gz': [N_TEST],
  };
  for (const [name, shape] of Object.entries(expect)) {
    const a = readIdx(path.join(DATA, name));
    assert.deepEqual(a.shape, shape, name);
    if (name.includes('labels')) {
      assert.ok(a.data.every((v) => v < 10), `${name}: labels 0-9`);
      const counts = new Array(10).fill(0);
      a.data.forEach((v) => counts[v]++);
      assert.ok(counts.every((c) => c > shape[0] / 20), `${name}: every class present (${counts})`);
    }
  }
  // The first items of Fashion-MNIST proper: an ankle boot, then two T-shirts; the test set opens with an ankle boot.
  assert.deepEqual(Array.from(readIdx(path.join(DATA, 'train-labels-idx1-ubyte.gz')).data.subarray(0, 5)), [9, 0, 0, 3, 0]);
  assert.deepEqual(Array.from(testY.subarray(0, 5)), [9, 2, 1, 1, 6]);
  const licence = fs.readFileSync(path.join(DATA, 'LICENSE'), 'utf8');
  assert.match(licence, /Zalando SE/);
  assert.match(licence, /Permission is hereby granted, free of charge/);
  assert.ok(fs.existsSync(path.join(DATA, 'README.md')));
});

test('every example model file parses: model.json manifests match their weight shards', () => {
  for (const name of TFJS_MODELS) {
    const dir = path.join(MODELS, name);
    const json = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'));
    assert.equal(json.format, 'layers-model');
    assert.equal(json.modelTopology.class_name, 'Sequential');
    let bytes = 0;
    for (const group of json.weightsManifest) {
      assert.deepEqual(group.paths, ['group1-shard1of1.bin']);
      for (const w of group.weights) bytes += 4 * w.shape.reduce((a: number, b: number) => a * b, 1);
    }
    assert.equal(fs.statSync(path.join(dir, 'group1-shard1of1.bin')).size, bytes, `${name}: shard size`);
  }
  const onnx = fs.readFileSync(path.join(MODELS, 'cnn-seed1-onnx/model.onnx'));
  assert.ok(onnx.includes(Buffer.from('pytorch')), 'the ONNX copy names its producer');
  const h5 = fs.readFileSync(path.join(MODELS, 'mlp-seed1-keras/model.h5'));
  assert.deepEqual([...h5.subarray(0, 8)], [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a], 'HDF5 signature');
});

test('examples/README.md describes every file under examples/', () => {
  const readme = fs.readFileSync(path.join(EX, 'README.md'), 'utf8');
  const walk = (d: string): string[] => fs.readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(d, e.name)) : [path.join(d, e.name)]));
  for (const f of walk(EX)) {
    const rel = path.relative(EX, f);
    if (rel === 'README.md') continue;
    assert.ok(readme.includes(rel) || readme.includes(path.basename(f)), `README.md does not mention ${rel}`);
  }
});

for (const name of TFJS_MODELS) {
  test(`${name}: at least 80% test accuracy on the 2,000 test images (loadModel + Executor)`, async () => {
    const graph = await loadModel(path.join(MODELS, name, 'model.json'));
    assert.equal(graph.format, 'tfjs-layers');
    const acc = accuracy(await logitsOf(path.join(MODELS, name, 'model.json')));
    assert.ok(acc >= 0.8, `${name}: accuracy ${acc}`);
  });
}

test('cnn-seed1-onnx computes the same logits as cnn-seed1 (within 1e-4 relative)', async () => {
  const graph = await loadModel(path.join(MODELS, 'cnn-seed1-onnx/model.onnx'));
  assert.equal(graph.format, 'onnx');
  assert.equal(graph.inputs[0].shape[0], null, 'a free batch axis');
  assert.deepEqual(graph.inputs[0].shape.slice(1), [1, 28, 28], 'NCHW input as PyTorch has it');
  const want = await logitsOf(path.join(MODELS, 'cnn-seed1/model.json'));
  const got = await logitsOf(path.join(MODELS, 'cnn-seed1-onnx/model.onnx'));
  const d = maxRelDiff(got, want);
  assert.ok(d <= 1e-4, `max relative difference ${d}`);
});

test('mlp-seed1-keras computes the same logits as mlp-seed1 (within 1e-4 relative)', async () => {
  const graph = await loadModel(path.join(MODELS, 'mlp-seed1-keras/model.h5'));
  assert.equal(graph.format, 'keras-h5');
  assert.equal(graph.producer.framework, 'keras');
  const want = await logitsOf(path.join(MODELS, 'mlp-seed1/model.json'));
  const got = await logitsOf(path.join(MODELS, 'mlp-seed1-keras/model.h5'));
  const d = maxRelDiff(got, want);
  assert.ok(d <= 1e-4, `max relative difference ${d}`);
});
