import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { strToU8, zipSync } from 'fflate';
import { initBackend } from '../../src/core/tf/backend';
import { isUserError } from '../../src/core/errors';
import { loadKerasH5, loadKerasV3, loadTfjsLayers } from '../../src/core/formats/keras';
import { Executor } from '../../src/core/graph/executor';
import { randomInputs } from '../fixtures/keras/run';
import { randomizeWeights } from '../fixtures/keras/tfjsModels';
import { buildH5, putDataset, writeKerasH5, writeKerasV3, writeTfjs, writeTfjsRaw } from '../fixtures/keras/writers';

// Broken, hostile and unsupported files: each is refused with a UserError that names the file and
// says what is wrong, and nothing outside the model's folder is ever read.

type Json = Record<string, unknown>;
let dir: string;
let n = 0;
before(async () => {
  await initBackend({ preference: 'cpu' });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keras-hostile-'));
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

function sub(): string {
  const d = path.join(dir, `case${++n}`);
  fs.mkdirSync(d, { recursive: true });
  return d;
}

async function refused(p: Promise<unknown>, pattern: RegExp, file?: string): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(isUserError(err), `expected a UserError, got ${err instanceof Error ? err.stack : String(err)}`);
    assert.match((err as Error).message, pattern);
    if (file) assert.ok((err as Error).message.includes(file), `message does not name ${file}: ${(err as Error).message}`);
    return true;
  });
}

function smallModel(): tfl.Sequential {
  const m = tfl.sequential({ name: 'small' });
  m.add(tfl.layers.dense({ inputShape: [4], units: 3, activation: 'relu', name: 'fc' }));
  m.add(tfl.layers.dense({ units: 2, name: 'out' }));
  randomizeWeights(m, 1);
  return m;
}

async function tfjsWithManifest(change: (json: Json, d: string) => void): Promise<{ file: string; json: Json }> {
  const d = sub();
  const m = smallModel();
  const { file, json } = await writeTfjs(m, d);
  m.dispose();
  change(json, d);
  fs.writeFileSync(file, JSON.stringify(json));
  return { file, json };
}

const paths = (json: Json) => (json.weightsManifest as { paths: string[] }[])[0];

test('a weight shard path that climbs out of the folder is refused', async () => {
  const secret = path.join(dir, 'x.bin');
  fs.writeFileSync(secret, new Uint8Array(1000));
  const { file, json } = await tfjsWithManifest((j) => (paths(j).paths = ['../x.bin']));
  await refused(loadTfjsLayers(file, json), /outside the model's folder/, file);
});

test('an absolute weight shard path is refused', async () => {
  const { file, json } = await tfjsWithManifest((j) => (paths(j).paths = [path.join(dir, 'x.bin')]));
  await refused(loadTfjsLayers(file, json), /absolute path/, file);
});

test('a weight shard that is a link pointing outside the folder is refused', async () => {
  const { file, json } = await tfjsWithManifest((j, d) => {
    fs.symlinkSync(path.join(dir, 'x.bin'), path.join(d, 'link.bin'));
    paths(j).paths = ['link.bin'];
  });
  await refused(loadTfjsLayers(file, json), /link that points outside/, file);
});

test('a weight shard shorter than the manifest says is refused', async () => {
  const { file, json } = await tfjsWithManifest((j, d) => {
    const shard = path.join(d, paths(j).paths[0]);
    fs.writeFileSync(shard, fs.readFileSync(shard).subarray(0, 20));
  });
  await refused(loadTfjsLayers(file, json), /holds 20 bytes, but the weightsManifest describes \d+/, file);
});

test('a missing weight shard is refused', async () => {
  const { file, json } = await tfjsWithManifest((j) => (paths(j).paths = ['nope.bin']));
  await refused(loadTfjsLayers(file, json), /does not exist/);
});

test('a model.json without weights, and a TF.js graph model, are refused', async () => {
  const { file, json } = await tfjsWithManifest((j) => delete j.weightsManifest);
  await refused(loadTfjsLayers(file, json), /no weightsManifest/, file);
  await refused(loadTfjsLayers(file, { format: 'graph-model', modelTopology: { node: [] } }), /graph model/, file);
});

test('an .h5 file without a model_weights group is refused', async () => {
  const file = path.join(sub(), 'noweights.h5');
  const m = smallModel();
  await writeKerasH5(m, file, { dropModelWeights: true });
  m.dispose();
  await refused(loadKerasH5(file, new Uint8Array(fs.readFileSync(file))), /no model_weights group/, file);
});

test('weights-only files (Keras 3 .weights.h5 and Keras 2 save_weights) are refused as such', async () => {
  const k3 = await buildH5((root) => {
    putDataset(root, 'layers/dense/vars/0', new Float32Array(12), [4, 3]);
    putDataset(root, 'layers/dense/vars/1', new Float32Array(3), [3]);
    root.create_group('vars');
  });
  const f3 = path.join(dir, 'model.weights.h5');
  await refused(loadKerasH5(f3, k3), /weights-only file/, f3);
  const k2 = await buildH5((root) => {
    root.create_attribute('layer_names', ['dense']);
    root.create_attribute('keras_version', '2.15.0');
    root.create_attribute('backend', 'tensorflow');
    const g = root.create_group('dense');
    g.create_attribute('weight_names', ['dense/kernel:0']);
    putDataset(g, 'dense/kernel:0', new Float32Array(12), [4, 3]);
  });
  await refused(loadKerasH5(f3, k2), /weights-only file/, f3);
});

test('an HDF5 file that is not a Keras model, and a truncated one, are refused', async () => {
  const other = await buildH5((root) => putDataset(root, 'data', new Float32Array(4), [4]));
  const f = path.join(dir, 'other.h5');
  await refused(loadKerasH5(f, other), /not a Keras model/, f);
  const m = smallModel();
  const good = path.join(sub(), 'good.h5');
  await writeKerasH5(m, good);
  m.dispose();
  const bytes = new Uint8Array(fs.readFileSync(good));
  await refused(loadKerasH5(good, bytes.subarray(0, Math.floor(bytes.length / 3))), /damaged|truncated/, good);
});

/** A Sequential config with one extra layer inserted before the output. */
function withLayer(extra: Json): Json {
  return {
    class_name: 'Sequential',
    config: {
      name: 'seq',
      layers: [{ class_name: 'Dense', config: { name: 'fc', units: 4, batch_input_shape: [null, 4], activation: 'relu', use_bias: true } }, extra],
    },
  };
}
const fcWeights = [
  { name: 'fc/kernel', shape: [4, 4], data: new Float32Array(16) },
  { name: 'fc/bias', shape: [4], data: new Float32Array(4) },
];

test('a Lambda layer is refused, naming the layer', async () => {
  const { file, json } = writeTfjsRaw(sub(), withLayer({ class_name: 'Lambda', config: { name: 'my_lambda', function: ['4wEAAAAAAAAA', null, null], function_type: 'lambda' } }), fcWeights);
  await refused(loadTfjsLayers(file, json), /"my_lambda" \(Lambda\).*never runs code/, file);
});

test('recurrent layers are refused (a real tfjs-layers LSTM)', async () => {
  const m = tfl.sequential();
  m.add(tfl.layers.lstm({ inputShape: [5, 3], units: 4, recurrentInitializer: 'glorotUniform', name: 'rnn' }));
  const { file, json } = await writeTfjs(m, sub());
  m.dispose();
  await refused(loadTfjsLayers(file, json), /"rnn" \(LSTM\) is a recurrent layer/, file);
});

test('custom layers, channels_first convolutions, thresholded ReLU and subclassed models are refused', async () => {
  const custom = writeTfjsRaw(sub(), withLayer({ class_name: 'MyBlock', module: 'my_project.layers', registered_name: 'Custom>MyBlock', config: { name: 'blk' } }), fcWeights);
  await refused(loadTfjsLayers(custom.file, custom.json), /"blk" \(MyBlock\) is a custom layer/);
  const cf = writeTfjsRaw(sub(), withLayer({ class_name: 'ReLU', config: { name: 'thr', threshold: 0.5 } }), fcWeights);
  await refused(loadTfjsLayers(cf.file, cf.json), /"thr" \(ReLU\) has threshold 0.5/);
  const conv = writeTfjsRaw(
    sub(),
    { class_name: 'Sequential', config: { name: 's', layers: [{ class_name: 'Conv2D', config: { name: 'c', filters: 2, kernel_size: [1, 1], data_format: 'channels_first', batch_input_shape: [null, 3, 4, 4] } }] } },
    [{ name: 'c/kernel', shape: [1, 1, 3, 2], data: new Float32Array(6) }, { name: 'c/bias', shape: [2], data: new Float32Array(2) }],
  );
  await refused(loadTfjsLayers(conv.file, conv.json), /"c" \(Conv2D\) uses data_format "channels_first"/);
  const sc = writeTfjsRaw(sub(), { class_name: 'MyModel', config: { units: 3 } }, []);
  await refused(loadTfjsLayers(sc.file, sc.json), /subclassed Keras model/);
});

test('weights that do not fit the architecture are refused, naming the layer', async () => {
  const { file, json } = writeTfjsRaw(sub(), withLayer({ class_name: 'Dense', config: { name: 'out', units: 2, use_bias: true } }), [
    ...fcWeights,
    { name: 'out/kernel', shape: [4, 2], data: new Float32Array(8) },
  ]);
  await refused(loadTfjsLayers(file, json), /"out" \(Dense\) stores 1 weight \(kernel\) but its config implies 2/, file);
  const wrong = writeTfjsRaw(sub(), withLayer({ class_name: 'Dense', config: { name: 'out', units: 2, use_bias: false } }), [
    ...fcWeights,
    { name: 'out/kernel', shape: [5, 2], data: new Float32Array(10) },
  ]);
  await refused(loadTfjsLayers(wrong.file, wrong.json), /node "out".*dense kernel expects 5 inputs/);
});

test('.keras archives without config.json, with npz weights, or that are not zips are refused', async () => {
  const f = path.join(dir, 'bad.keras');
  const noConfig = zipSync({ 'metadata.json': strToU8('{}') });
  await refused(loadKerasV3(f, noConfig), /without config.json/, f);
  const m = smallModel();
  const npz = path.join(sub(), 'npz.keras');
  await writeKerasV3(m, npz, { npz: true });
  m.dispose();
  await refused(loadKerasV3(npz, new Uint8Array(fs.readFileSync(npz))), /model.weights.npz/, npz);
  await refused(loadKerasV3(f, strToU8('PK\u0003\u0004 not really a zip')), /not a readable zip/, f);
});

test('hostile JSON nesting in a .keras config is refused before parsing', async () => {
  const deep = '['.repeat(5000) + ']'.repeat(5000);
  const f = path.join(dir, 'deep.keras');
  await refused(loadKerasV3(f, zipSync({ 'config.json': strToU8(deep), 'model.weights.h5': new Uint8Array(8) })), /nested 5000 levels/, f);
});

test('a loaded model leaves no tensors behind after Executor.dispose()', async () => {
  const m = smallModel();
  const { file, json } = await writeTfjs(m, sub());
  m.dispose();
  const g = await loadTfjsLayers(file, json);
  const base = tf.memory().numTensors;
  const ex = new Executor(g);
  const inputs = randomInputs(g, 4, 1);
  const r = ex.run(inputs, { taps: ['fc'] });
  tf.dispose([...inputs, ...r.outputs, ...r.taps.values()]);
  ex.dispose();
  assert.equal(tf.memory().numTensors, base);
});
