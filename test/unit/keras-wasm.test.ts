import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/core/tf/backend';
import { maxRelDiff } from './helpers/random';
import { loadKerasFile, randomInputs, runGraph } from '../fixtures/keras/run';
import { mergeModel, randomizeWeights } from '../fixtures/keras/tfjsModels';
import { writeKerasV3 } from '../fixtures/keras/writers';
import { peerFromModelJson, peerPredict } from '../fixtures/keras/peer';

// The same loaders and peer on the wasm backend (the embedded default), which has kernels of its own.

let dir: string;
before(async () => {
  const info = await initBackend({ preference: 'wasm' });
  assert.equal(info.name, 'wasm', `wasm backend unavailable: ${JSON.stringify(info.notUsed)}`);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keras-wasm-'));
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

test('a .keras functional model matches tfjs-layers on wasm and leaves no tensors behind', async () => {
  const m = mergeModel();
  randomizeWeights(m, 21);
  const file = path.join(dir, 'merge.keras');
  await writeKerasV3(m, file, { nameAttrs: true });
  const g = await loadKerasFile(file, 'keras-v3');
  const inputs = randomInputs(g, 2, 3);
  const base = tf.memory().numTensors;
  const ours = runGraph(g, inputs);
  assert.equal(tf.memory().numTensors, base, 'tensors leaked');
  const theirs = peerPredict(m, inputs);
  assert.ok(maxRelDiff(ours[0], theirs[0]) <= 1e-4, `max relative difference ${maxRelDiff(ours[0], theirs[0])}`);
  tf.dispose(inputs);
  m.dispose();
});

const mobilenet = path.resolve(__dirname, '..', '..', '..', 'shared', 'corpus', 'tfjs-ppaci-croissant-mobilenet', 'front-end', 'public', 'model', 'model.json');

test('corpus MobileNet (TF.js, depthwise conv, ReLU6, zero padding) matches tfjs-layers on wasm', { skip: fs.existsSync(mobilenet) ? false : 'no corpus' }, async () => {
  const g = await loadKerasFile(mobilenet, 'tfjs-layers');
  const peer = await peerFromModelJson(mobilenet);
  const inputs = randomInputs(g, 2, 9);
  const ours = runGraph(g, inputs);
  const theirs = peerPredict(peer, inputs);
  const rel = maxRelDiff(ours[0], theirs[0]);
  assert.ok(rel <= 1e-4, `max relative difference ${rel}`);
  tf.dispose(inputs);
  peer.dispose();
});
