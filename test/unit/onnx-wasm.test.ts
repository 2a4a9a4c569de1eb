/**
 * The ONNX models again on the wasm backend (the embedded default): corpus models (skipped when
 * the corpus is absent) and the loadable fixtures must still match onnxruntime-node, leak-free.
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/core/tf/backend';
import { loadOnnx } from '../../src/core/formats/onnx';
import { compareWithOrt, corpusDir, onnxEntries, projectRoot } from './helpers/onnx';

const FIXTURES = path.join(projectRoot, 'test/fixtures/onnx');
const BROKEN = new Set(['cycle.onnx', 'dangling.onnx', 'unknown_op.onnx', 'dynamic_dims.onnx']);
const dir = corpusDir();

before(async () => {
  const info = await initBackend({ preference: 'wasm' });
  assert.equal(info.name, 'wasm', `wasm backend unavailable: ${JSON.stringify(info.notUsed)}`);
  tf.enableProdMode();
});

async function check(file: string): Promise<void> {
  const g = loadOnnx(file, new Uint8Array(fs.readFileSync(file)));
  const before = tf.memory().numTensors;
  const c = await compareWithOrt(g, file, 4);
  c.ok.forEach((ok, i) => assert.ok(ok, `output ${g.outputs[i].name}: max relative error ${c.rel[i]}`));
  assert.equal(tf.memory().numTensors, before);
}

describe('ONNX corpus on wasm', { skip: !dir && 'no corpus (../shared/corpus)' }, () => {
  for (const e of dir ? onnxEntries(dir) : []) {
    test(`${e.id} matches onnxruntime on wasm`, async () => check(path.join(dir!, e.id, e.main_file)));
  }
});

describe('ONNX fixtures on wasm', () => {
  const files = fs.readdirSync(FIXTURES).filter((f) => f.endsWith('.onnx') && !BROKEN.has(f));
  for (const f of [...files, 'external/model.onnx']) {
    test(`${f} matches onnxruntime on wasm`, async () => check(path.join(FIXTURES, f)));
  }
});
