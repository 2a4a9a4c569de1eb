// Linear mode connectivity of the two bundled example MLPs (784-256-256-10, trained from seeds
// 1 and 2 on Fashion-MNIST), through the project's own loader. Skipped when the examples have
// not been made (npm run examples).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/core/tf/backend';
import { loadModel } from '../../src/core/formats/index';
import { lmc } from '../../src/core/analyses/connectivity/lmc';
import { weightMatching } from '../../src/core/analyses/connectivity/weightMatching';
import { activationMatching } from '../../src/core/analyses/connectivity/activationMatching';
import { applyPermutation, permutationSpec, randomPermutations } from '../../src/core/analyses/connectivity/permutationSpec';
import { Executor } from '../../src/core/graph/executor';
import { source } from './helpers/connectivity';
import { maxRelDiff, mulberry32, randn } from './helpers/random';

const ROOT = path.resolve(__dirname, '../..');
const MODELS = path.join(ROOT, 'examples/models');
const DATA = path.join(ROOT, 'examples/data/fashion-mnist');
const FILES = ['mlp-seed1', 'mlp-seed2'].map((m) => path.join(MODELS, m, 'model.json'));
const missing = [...FILES, path.join(DATA, 't10k-images-idx3-ubyte.gz')].filter((f) => !fs.existsSync(f));
const skip = missing.length ? `the examples are not there (${missing.map((f) => path.relative(ROOT, f)).join(', ')}); run npm run examples` : false;

/** uint8 IDX body after its header (independent of src/core/data). */
function readIdx(file: string): Uint8Array {
  const raw = zlib.gunzipSync(fs.readFileSync(file));
  const start = 4 + 4 * raw[3];
  return new Uint8Array(raw.buffer, raw.byteOffset + start, raw.length - start);
}

const N = 2000;

function testData() {
  const x = Float32Array.from(readIdx(path.join(DATA, 't10k-images-idx3-ubyte.gz')).subarray(0, N * 784), (v) => v / 255);
  const y = Int32Array.from(readIdx(path.join(DATA, 't10k-labels-idx1-ubyte.gz')).subarray(0, N));
  return { x, y, n: N };
}

before(async () => {
  // The 784-256-256-10 products are ~20× faster on WASM than on the plain-JS cpu backend.
  await initBackend({ preference: 'wasm' });
});

test('on the two example MLPs, weight matching lowers the loss barrier at least five-fold', { skip }, async () => {
  const [a, b] = await Promise.all(FILES.map((f) => loadModel(f)));
  const data = source({ ...testData(), shape: [28, 28, 1] });
  const before = tf.memory().numTensors;
  const naive = await lmc(a, b, data, { points: 11, batchSize: 500 });
  const wm = await weightMatching(a, b, { seed: 0 });
  const matched = await lmc(a, wm.aligned, data, { points: 11, batchSize: 500 });
  const am = await activationMatching(a, b, data, { batchSize: 500 });
  const actMatched = await lmc(a, am.aligned, data, { alphas: [0, 0.5, 1], batchSize: 500 });
  const repaired = await lmc(a, wm.aligned, data, { alphas: [0, 0.5, 1], batchSize: 500, correction: 'repair' });
  assert.equal(tf.memory().numTensors, before, 'tensors leaked');
  const fmt = (r: typeof naive) => `loss barrier ${r.barriers.loss.toFixed(4)}, accuracy drop ${(100 * r.barriers.accuracy).toFixed(2)} pts, midpoint accuracy ${(100 * r.points[Math.floor(r.points.length / 2)].accuracy).toFixed(2)}%`;
  console.log(`# endpoints: loss ${naive.points[0].loss.toFixed(4)} / ${naive.points[naive.points.length - 1].loss.toFixed(4)}, accuracy ${(100 * naive.points[0].accuracy).toFixed(2)}% / ${(100 * naive.points[naive.points.length - 1].accuracy).toFixed(2)}%`);
  console.log(`# naive: ${fmt(naive)}`);
  console.log(`# weight matching (${wm.sweeps} sweeps): ${fmt(matched)}`);
  console.log(`# activation matching: ${fmt(actMatched)}`);
  console.log(`# weight matching + REPAIR: ${fmt(repaired)}`);
  assert.ok(wm.converged);
  for (let i = 1; i < wm.objective.length; i++) assert.ok(wm.objective[i] >= wm.objective[i - 1]);
  assert.ok(naive.barriers.loss > 0, `naive barrier ${naive.barriers.loss}`);
  assert.ok(matched.barriers.loss * 5 <= naive.barriers.loss, `matched ${matched.barriers.loss} vs naive ${naive.barriers.loss}`);
  assert.ok(actMatched.barriers.loss * 5 <= naive.barriers.loss, `activation-matched ${actMatched.barriers.loss} vs naive ${naive.barriers.loss}`);
});

const ALL = ['mlp-seed1/model.json', 'mlp-seed1-keras/model.h5', 'cnn-seed1/model.json', 'cnn-seed1-onnx/model.onnx'].map((m) => path.join(MODELS, m));
const missingAll = ALL.filter((f) => !fs.existsSync(f));

test('example models of every format (TF.js, Keras .h5, ONNX with NCHW flatten) keep their function under any permutation', { skip: missingAll.length ? `missing ${missingAll.map((f) => path.relative(ROOT, f)).join(', ')}` : false }, async () => {
  for (const file of ALL) {
    const g = await loadModel(file);
    const spec = permutationSpec(g);
    assert.ok(spec.perms.length >= 2, `${file}: ${spec.perms.length} permutation groups`);
    const shape = g.inputs[0].shape.slice(1) as number[];
    const x = tf.tensor(randn(mulberry32(1), 4 * 784), [4, ...shape]);
    const e0 = new Executor(g);
    const y0 = e0.predict(x);
    for (let s = 0; s < 2; s++) {
      const e1 = new Executor(applyPermutation(g, spec, randomPermutations(spec, s)));
      const y1 = e1.predict(x);
      assert.ok(maxRelDiff(y1.dataSync(), y0.dataSync()) < 1e-5, `${path.relative(ROOT, file)}: permutation ${s}`);
      y1.dispose();
      e1.dispose();
    }
    tf.dispose([x, y0]);
    e0.dispose();
  }
});

test('on the two example CNNs, weight matching lowers the loss barrier', { skip: [path.join(MODELS, 'cnn-seed1/model.json'), path.join(MODELS, 'cnn-seed2/model.json')].some((f) => !fs.existsSync(f)) || !!skip ? 'the example CNNs are not there' : false }, async () => {
  const [a, b] = await Promise.all(['cnn-seed1', 'cnn-seed2'].map((m) => loadModel(path.join(MODELS, m, 'model.json'))));
  const data = source({ ...testData(), shape: [28, 28, 1] });
  const naive = await lmc(a, b, data, { alphas: [0, 0.25, 0.5, 0.75, 1], batchSize: 500 });
  const wm = await weightMatching(a, b);
  const matched = await lmc(a, wm.aligned, data, { alphas: [0, 0.25, 0.5, 0.75, 1], batchSize: 500 });
  console.log(`# CNNs: naive loss barrier ${naive.barriers.loss.toFixed(4)} (accuracy drop ${(100 * naive.barriers.accuracy).toFixed(2)} pts), weight-matched ${matched.barriers.loss.toFixed(4)} (${(100 * matched.barriers.accuracy).toFixed(2)} pts)`);
  assert.ok(matched.barriers.loss < naive.barriers.loss);
});
