/**
 * The ONNX loader on the real models of the corpus (../shared/corpus; skipped when absent): every
 * ONNX entry loads with the manifest's input / output shapes and parameter count, and computes
 * what onnxruntime-node computes on random inputs. Backend: cpu (onnx-wasm.test.ts runs wasm).
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/core/tf/backend';
import { loadOnnx, looksLikeOnnx } from '../../src/core/formats/onnx';
import { loadModel, sniff } from '../../src/core/formats';
import { compareWithOrt, corpusDir, onnxEntries, portShape } from './helpers/onnx';

const dir = corpusDir();
const entries = dir ? onnxEntries(dir) : [];
const FRAMEWORK: Readonly<Record<string, string>> = { pytorch: 'pytorch', keras2onnx: 'keras', chainer: 'chainer' };

before(async () => {
  await initBackend({ preference: 'cpu' });
  tf.enableProdMode();
});

describe('ONNX corpus', { skip: !dir && 'no corpus (../shared/corpus)' }, () => {
  test('the manifest lists ONNX entries', () => {
    assert.ok(entries.length >= 6, `only ${entries.length} ONNX entries`);
  });

  for (const e of entries) {
    const file = dir ? path.join(dir, e.id, e.main_file) : '';

    test(`${e.id}: recognised by content and loaded with the manifest's shapes and parameter count`, () => {
      const bytes = new Uint8Array(fs.readFileSync(file));
      assert.equal(looksLikeOnnx(bytes), true);
      assert.equal(sniff(bytes), 'onnx');
      const g = loadOnnx(file, bytes);
      assert.equal(g.format, 'onnx');
      assert.deepEqual(g.inputs.map((p) => p.name), e.inputs.map((p) => p.name));
      assert.deepEqual(g.inputs.map((p) => p.shape), e.inputs.map((p) => portShape(p.shape)));
      assert.deepEqual(g.outputs.map((p) => p.name), e.outputs.map((p) => p.name));
      assert.deepEqual(g.outputs.map((p) => p.shape), e.outputs.map((p) => portShape(p.shape)));
      assert.equal(g.storedParamCount, e.param_count);
      assert.equal(g.producer.version, e.producer.producer_version);
      assert.equal(g.producer.framework, FRAMEWORK[e.producer.producer_name.toLowerCase()] ?? 'unknown');
      // Every layer and layer type comes from the ONNX nodes; ids are unique.
      assert.equal(new Set(g.nodes.map((n) => n.id)).size, g.nodes.length);
      for (const n of g.nodes) if (n.op.op !== 'input') assert.ok(n.layerType, `node ${n.id} has no layerType`);
    });

    test(`${e.id}: output equals onnxruntime-node's within 1e-4 relative, no tensors leaked`, async () => {
      const g = loadOnnx(file, new Uint8Array(fs.readFileSync(file)));
      const before = tf.memory().numTensors;
      for (const seed of [1, 2]) {
        const c = await compareWithOrt(g, file, seed);
        c.ok.forEach((ok, i) => assert.ok(ok, `output ${g.outputs[i].name}: max relative error ${c.rel[i]} (batch ${c.batch})`));
      }
      assert.equal(tf.memory().numTensors, before);
    });
  }

  test('NCHW models: input keeps the model layout, then one transpose to NHWC; conv kernels are HWIO', () => {
    const e = entries.find((x) => x.id === 'onnx-andreygermanov-mnist-lenet');
    if (!e || !dir) return;
    const g = loadOnnx(path.join(dir, e.id, e.main_file), new Uint8Array(fs.readFileSync(path.join(dir, e.id, e.main_file))));
    const [input, t] = g.nodes;
    assert.equal(input.op.op, 'input');
    assert.deepEqual(input.shape, [1, 28, 28]);
    assert.deepEqual(t.op, { op: 'transpose', perm: [1, 2, 0] });
    assert.equal(g.inputs[0].layout, 'nchw');
    const conv = g.nodes.find((n) => n.op.op === 'conv2d')!;
    assert.deepEqual(g.params.get(conv.params.kernel!)!.shape, [5, 5, 1, 6]);
    assert.equal(conv.layer, '/net/net.0/Conv');
    assert.equal(conv.layerType, 'Conv');
    const flat = g.nodes.find((n) => n.op.op === 'flatten')!;
    assert.deepEqual(flat.op, { op: 'flatten', order: 'nchw' });
    const dense = g.nodes.find((n) => n.op.op === 'dense')!;
    assert.deepEqual(g.params.get(dense.params.kernel!)!.shape, [400, 120]);
    assert.equal(g.nodes.filter((n) => n.op.op === 'transpose').length, 1);
  });

  test('keras2onnx: NHWC input kept as is, MatMul + Add become dense layers with their bias', () => {
    const e = entries.find((x) => x.id === 'onnx-frenz86-mnist-mlp-keras2onnx');
    if (!e || !dir) return;
    const g = loadOnnx(path.join(dir, e.id, e.main_file), new Uint8Array(fs.readFileSync(path.join(dir, e.id, e.main_file))));
    assert.equal(g.inputs[0].layout, 'nhwc');
    assert.deepEqual(g.nodes.map((n) => n.op.op), ['input', 'flatten', 'dense', 'relu', 'dense', 'relu', 'dense', 'softmax']);
    const dense = g.nodes.filter((n) => n.op.op === 'dense');
    for (const d of dense) assert.equal(g.params.get(d.params.bias!)!.role, 'bias');
    assert.equal(g.producer.framework, 'keras');
  });

  test('resnet20: the Shape -> Gather -> Unsqueeze -> Concat -> Reshape chain folds into one flatten', () => {
    const e = entries.find((x) => x.id === 'onnx-amandashi95-resnet20-cifar');
    if (!e || !dir) return;
    const g = loadOnnx(path.join(dir, e.id, e.main_file), new Uint8Array(fs.readFileSync(path.join(dir, e.id, e.main_file))));
    const ops = g.nodes.map((n) => n.op.op);
    assert.equal(ops.filter((o) => o === 'add').length, 9);
    assert.deepEqual(ops.slice(-3), ['globalAvgPool', 'flatten', 'dense']);
    assert.equal(g.nodes.filter((n) => n.op.op === 'batchNorm').length, 21);
  });

  test('loadModel dispatches ONNX files by content', async () => {
    const e = entries[0];
    if (!e || !dir) return;
    const g = await loadModel(path.join(dir, e.id, e.main_file));
    assert.equal(g.format, 'onnx');
  });

  test('the other corpus formats are not taken for ONNX', () => {
    if (!dir) return;
    const m = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as { entries: { id: string; format: string; main_file: string }[] };
    let n = 0;
    for (const x of m.entries) {
      if (x.format === 'onnx') continue;
      const f = path.join(dir, x.id, x.main_file);
      if (!fs.existsSync(f)) continue;
      assert.equal(looksLikeOnnx(new Uint8Array(fs.readFileSync(f))), false, x.id);
      n++;
    }
    assert.ok(n > 0);
  });
});
