import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { initBackend } from '../../src/core/tf/backend';
import { isUserError } from '../../src/core/errors';
import { maxRelDiff } from './helpers/random';
import { loadKerasFile, randomInputs, runGraph } from '../fixtures/keras/run';
import { compareLayerOutputs, peerFromKerasH5, peerFromKerasV3, peerFromModelJson, peerPredict } from '../fixtures/keras/peer';

// Real Keras / TF.js files from public repositories (../shared/corpus, never copied into the project):
// each must load with the manifest's shapes and weight count, and compute what tfjs-layers computes.

type Format = 'keras-h5' | 'keras-v3' | 'tfjs-layers';
interface Entry {
  id: string;
  format: string;
  expected: 'supported' | 'expected_unsupported';
  main_file: string;
  input_shape: (number | null)[] | (number | null)[][];
  output_shape: (number | null)[] | (number | null)[][];
  param_count: number;
}

const corpus = path.resolve(__dirname, '..', '..', '..', 'shared', 'corpus');
const manifestFile = path.join(corpus, 'manifest.json');
const entries: Entry[] = fs.existsSync(manifestFile)
  ? (JSON.parse(fs.readFileSync(manifestFile, 'utf8')).entries as Entry[]).filter((e) => ['keras-h5', 'keras-v3', 'tfjs-layers'].includes(e.format))
  : [];

before(async () => {
  await initBackend({ preference: 'cpu' });
});

const shapes = (s: Entry['input_shape']) => (Array.isArray(s[0]) ? (s as (number | null)[][]) : [s as (number | null)[]]);

if (entries.length === 0) {
  test('Keras corpus', { skip: `no corpus at ${corpus}` }, () => {});
}

for (const e of entries) {
  const file = path.join(corpus, e.id, e.main_file);
  const format = e.format as Format;
  if (e.expected === 'expected_unsupported') {
    test(`corpus ${e.id}: refused with a clear reason`, async () => {
      await assert.rejects(loadKerasFile(file, format), (err: unknown) => {
        assert.ok(isUserError(err), `not a UserError: ${String(err)}`);
        assert.match((err as Error).message, /Keras 1/);
        assert.ok((err as Error).message.includes(file));
        return true;
      });
    });
    continue;
  }
  test(`corpus ${e.id}: loads with the manifest's shapes and weight count`, async () => {
    const g = await loadKerasFile(file, format);
    assert.deepEqual(g.inputs.map((p) => p.shape), shapes(e.input_shape));
    assert.deepEqual(g.outputs.map((p) => p.shape), shapes(e.output_shape));
    assert.equal(g.storedParamCount, e.param_count);
    assert.equal(g.format, format);
    assert.ok(['keras', 'tfjs'].includes(g.producer.framework));
    for (const p of g.inputs) assert.equal(p.layout, p.shape.length === 4 ? 'nhwc' : 'flat');
    for (const n of g.nodes) assert.ok(n.layer.length > 0 && (n.op.op === 'input' || n.layerType), `node ${n.id} lacks its Keras layer`);
  });

  test(`corpus ${e.id}: same outputs as tfjs-layers`, async (t) => {
    const g = await loadKerasFile(file, format);
    const peer = format === 'tfjs-layers' ? await peerFromModelJson(file) : format === 'keras-h5' ? await peerFromKerasH5(file) : await peerFromKerasV3(file);
    const inputs = randomInputs(g, 2, 7);
    try {
      const ours = runGraph(g, inputs);
      const theirs = peerPredict(peer, inputs);
      assert.equal(ours.length, theirs.length);
      ours.forEach((o, i) => {
        const rel = maxRelDiff(o, theirs[i]);
        t.diagnostic(`output ${i}: max relative difference ${rel.toExponential(2)}`);
        assert.ok(rel <= 1e-4, `output ${i}: max relative difference ${rel}`);
      });
      const each = compareLayerOutputs(g, peer, inputs);
      t.diagnostic(`${each.layers} layer outputs: worst relative difference ${each.worst.toExponential(2)} at ${each.at}`);
      assert.ok(each.layers > 0 && each.worst <= 1e-4, `layer ${each.at}: max relative difference ${each.worst}`);
    } finally {
      tf.dispose(inputs);
      peer.dispose();
    }
  });
}

test('corpus models leave no tensors behind', { skip: entries.length === 0 ? 'no corpus' : false }, async () => {
  const e = entries.find((x) => x.id === 'keras-charm0625-mnist-bn') ?? entries.find((x) => x.expected === 'supported')!;
  const g = await loadKerasFile(path.join(corpus, e.id, e.main_file), e.format as Format);
  const before = tf.memory().numTensors;
  const inputs = randomInputs(g, 1, 3);
  runGraph(g, inputs);
  tf.dispose(inputs);
  assert.equal(tf.memory().numTensors, before);
});

// tfjs-layers is a test peer only: it must never leak into src/.
test('src/ never imports @tensorflow/tfjs-layers', () => {
  const src = path.resolve(__dirname, '..', '..', 'src', 'core', 'formats', 'keras');
  for (const f of fs.readdirSync(src)) assert.ok(!fs.readFileSync(path.join(src, f), 'utf8').includes('@tensorflow/tfjs-layers'), f);
  assert.ok(tfl.version_layers.length > 0);
});
