import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { strToU8, zipSync } from 'fflate';
import { initBackend } from '../../src/core/tf/backend';
import { loadKerasV3, loadTfjsLayers } from '../../src/core/formats/keras';
import { Graph } from '../../src/core/graph/ir';
import { maxRelDiff, mulberry32, randn } from './helpers/random';
import { randomInputs, runGraph } from '../fixtures/keras/run';
import { buildH5, putDataset, RawWeight, writeTfjsRaw } from '../fixtures/keras/writers';

// Layer options that tfjs-layers cannot build (ELU alpha, softmax over a non-last axis, Subtract,
// ReLU negative_slope, Normalization, channels_first Flatten, ...): hand-written configs, checked
// against the same computation written directly with tfjs-core ops.

let dir: string;
let n = 0;
before(async () => {
  await initBackend({ preference: 'cpu' });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keras-layers-'));
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

type Json = Record<string, unknown>;
const input = (name: string, shape: number[]): Json => ({ class_name: 'InputLayer', name, config: { batch_input_shape: [null, ...shape], dtype: 'float32', name }, inbound_nodes: [] });
const layer = (cls: string, name: string, config: Json, inputs: string[]): Json => ({ class_name: cls, name, config: { name, ...config }, inbound_nodes: [inputs.map((i) => [i, 0, 0, {}])] });
const functional = (layers: Json[], inputs: string[], outputs: string[]): Json => ({
  class_name: 'Functional',
  config: { name: 'hand', layers, input_layers: inputs.map((i) => [i, 0, 0]), output_layers: outputs.map((o) => [o, 0, 0]) },
});

function rand(seed: number, shape: number[], positive = false): RawWeight['data'] {
  const r = mulberry32(seed);
  return Float32Array.from(randn(r, shape.reduce((a, d) => a * d, 1)), (v) => (positive ? 0.5 + Math.abs(v) : v));
}

async function load(topology: Json, weights: RawWeight[]): Promise<Graph> {
  const { file, json } = writeTfjsRaw(path.join(dir, `m${++n}`), topology, weights);
  return loadTfjsLayers(file, json);
}

function check(g: Graph, expected: (x: tf.Tensor) => tf.Tensor): void {
  const inputs = randomInputs(g, 3, 5);
  const want = tf.tidy(() => expected(inputs[0]));
  const got = runGraph(g, inputs);
  const rel = maxRelDiff(got[0], want.dataSync());
  tf.dispose([...inputs, want]);
  assert.ok(rel < 1e-5, `max relative difference ${rel}`);
}

test('ELU alpha, Keras 3 LeakyReLU negative_slope, Subtract, ReLU slope+cap, Softmax axis 1, per-channel Rescaling, channels_first Flatten', async () => {
  const g = await load(
    functional(
      [
        input('x', [4, 3]),
        layer('ELU', 'elu7', { alpha: 0.7 }, ['x']),
        layer('LeakyReLU', 'lrelu', { negative_slope: 0.05 }, ['x']),
        layer('Subtract', 'sub', {}, ['elu7', 'lrelu']),
        layer('ReLU', 'relu_ns', { negative_slope: 0.1, max_value: 2, threshold: 0 }, ['sub']),
        layer('Softmax', 'sm', { axis: 1 }, ['relu_ns']),
        layer('Rescaling', 'resc', { scale: [1, 2, 3], offset: 0.5 }, ['sm']),
        layer('Flatten', 'flat', { data_format: 'channels_first' }, ['resc']),
      ],
      ['x'],
      ['flat'],
    ),
    [],
  );
  assert.deepEqual(g.outputs[0].shape, [null, 12]);
  check(g, (x) => {
    const elu = tf.where(tf.greater(x, 0), x, tf.mul(0.7, tf.sub(tf.exp(x), 1)));
    const lre = tf.where(tf.greater(x, 0), x, tf.mul(0.05, x));
    const s = tf.sub(elu, lre);
    const r = tf.minimum(tf.where(tf.greater(s, 0), s, tf.mul(0.1, s)), 2);
    const sm = tf.transpose(tf.softmax(tf.transpose(r, [0, 2, 1])), [0, 2, 1]);
    const resc = tf.add(tf.mul(sm, tf.tensor([1, 2, 3])), 0.5);
    return tf.reshape(tf.transpose(resc, [0, 2, 1]), [-1, 12]);
  });
});

test('BatchNormalization without center/scale, Normalization (stored and configured), LayerNormalization over two axes', async () => {
  const mm = rand(1, [3]);
  const mv = rand(2, [3], true);
  const nm = rand(3, [3]);
  const nv = rand(4, [3], true);
  const gamma = rand(5, [4, 3]);
  const beta = rand(6, [4, 3]);
  const g = await load(
    functional(
      [
        input('x', [4, 3]),
        layer('BatchNormalization', 'bn', { axis: -1, center: false, scale: false, epsilon: 0.01 }, ['x']),
        layer('Normalization', 'norm', { axis: -1, mean: null, variance: null }, ['bn']),
        layer('Normalization', 'norm2', { axis: -1, mean: [1, 2, 3], variance: [4, 5, 6] }, ['norm']),
        layer('LayerNormalization', 'ln', { axis: [1, 2], epsilon: 0.001, center: true, scale: true }, ['norm2']),
      ],
      ['x'],
      ['ln'],
    ),
    [
      { name: 'bn/moving_mean', shape: [3], data: mm },
      { name: 'bn/moving_variance', shape: [3], data: mv },
      { name: 'norm/mean', shape: [3], data: nm },
      { name: 'norm/variance', shape: [3], data: nv },
      { name: 'norm/count', shape: [], data: Float32Array.of(100) },
      { name: 'ln/gamma', shape: [4, 3], data: gamma },
      { name: 'ln/beta', shape: [4, 3], data: beta },
    ],
  );
  assert.equal(g.storedParamCount, 3 + 3 + 3 + 3 + 1 + 12 + 12);
  check(g, (x) => {
    const bn = tf.div(tf.sub(x, tf.tensor(mm)), tf.sqrt(tf.add(tf.tensor(mv), 0.01)));
    const n1 = tf.div(tf.sub(bn, tf.tensor(nm)), tf.sqrt(tf.tensor(nv)));
    const n2 = tf.div(tf.sub(n1, tf.tensor([1, 2, 3])), tf.sqrt(tf.tensor([4, 5, 6])));
    const m = tf.moments(n2, [1, 2], true);
    const z = tf.div(tf.sub(n2, m.mean), tf.sqrt(tf.add(m.variance, 0.001)));
    return tf.add(tf.mul(z, tf.tensor(gamma, [4, 3])), tf.tensor(beta, [4, 3]));
  });
});

test('TF.js quantized weights (uint8, uint16, float16) and int32 are read as float32', async () => {
  const d = path.join(dir, 'quant');
  fs.mkdirSync(d);
  const topology = functional([input('x', [2]), layer('Dense', 'fc', { units: 3, activation: 'linear', use_bias: true }, ['x'])], ['x'], ['fc']);
  // kernel: uint8 with scale/min; bias: float16. Plus an unused int32 and a uint16 weight.
  const kernelQ = Uint8Array.from([0, 10, 20, 30, 40, 255]);
  const bias16 = Uint16Array.from([0x3c00, 0xc000, 0x3800]); // 1, -2, 0.5
  const ints = Int32Array.from([7, -3]);
  const u16 = Uint16Array.from([1000, 2]);
  const bytes = Buffer.concat([Buffer.from(kernelQ), Buffer.from(bias16.buffer), Buffer.from(ints.buffer), Buffer.from(u16.buffer)]);
  fs.writeFileSync(path.join(d, 'w.bin'), bytes);
  const json = {
    format: 'layers-model',
    modelTopology: { keras_version: '2.15.0', backend: 'tensorflow', model_config: topology },
    weightsManifest: [
      {
        paths: ['w.bin'],
        weights: [
          { name: 'fc/kernel', shape: [2, 3], dtype: 'float32', quantization: { dtype: 'uint8', scale: 0.5, min: -1, original_dtype: 'float32' } },
          { name: 'fc/bias', shape: [3], dtype: 'float32', quantization: { dtype: 'float16', original_dtype: 'float32' } },
          { name: 'extra/ints', shape: [2], dtype: 'int32' },
          { name: 'extra/u16', shape: [2], dtype: 'float32', quantization: { dtype: 'uint16', scale: 0.25, min: 1 } },
        ],
      },
    ],
  };
  fs.writeFileSync(path.join(d, 'model.json'), JSON.stringify(json));
  const g = await loadTfjsLayers(path.join(d, 'model.json'), json);
  assert.deepEqual([...g.params.get('fc/kernel')!.data], [-1, 4, 9, 14, 19, 126.5]);
  assert.deepEqual([...g.params.get('fc/bias')!.data], [1, -2, 0.5]);
  assert.equal(g.storedParamCount, 6 + 3 + 2 + 2);
  assert.ok(g.warnings.some((w) => /extra\/ints/.test(w) && /extra\/u16/.test(w)), 'unused weights are reported');
});

test('Keras 3 functional config: dict inputs, a call with keyword arguments only, a merge with a list argument', async () => {
  const kt = (name: string) => ({ class_name: '__keras_tensor__', config: { shape: [null, 3], dtype: 'float32', keras_history: [name, 0, 0] } });
  const k3 = (cls: string, name: string, config: Json, inbound: Json[]): Json => ({ module: 'keras.layers', class_name: cls, config: { name, trainable: true, dtype: { module: 'keras', class_name: 'DTypePolicy', config: { name: 'float32' }, registered_name: null }, ...config }, registered_name: null, build_config: { input_shape: [null, 3] }, name, inbound_nodes: inbound });
  const config = {
    module: 'keras.src.models.functional',
    class_name: 'Functional',
    config: {
      name: 'k3',
      trainable: true,
      layers: [
        { module: 'keras.layers', class_name: 'InputLayer', config: { batch_shape: [null, 3], dtype: 'float32', sparse: false, name: 'x' }, registered_name: null, name: 'x', inbound_nodes: [] },
        k3('Dense', 'fc', { units: 3, activation: 'relu', use_bias: true }, [{ args: [], kwargs: { inputs: kt('x') } }]),
        k3('Add', 'sum', {}, [{ args: [[kt('fc'), kt('x')]], kwargs: {} }]),
      ],
      input_layers: { x: ['x', 0, 0] },
      output_layers: ['sum', 0, 0],
    },
    registered_name: 'Functional',
  };
  const kernel = rand(9, [3, 3]);
  const bias = rand(10, [3]);
  const weights = await buildH5((root) => {
    const layers = root.create_group('layers');
    layers.create_group('input_layer').create_group('vars');
    const vars = layers.create_group('dense').create_group('vars');
    putDataset(vars, '0', kernel, [3, 3]);
    putDataset(vars, '1', bias, [3]);
    layers.create_group('add').create_group('vars');
    root.create_group('vars');
  });
  const zip = zipSync({ 'metadata.json': strToU8('{"keras_version": "3.10.0"}'), 'config.json': strToU8(JSON.stringify(config)), 'model.weights.h5': weights });
  const file = path.join(dir, 'k3.keras');
  fs.writeFileSync(file, zip);
  const g = await loadKerasV3(file, zip);
  assert.equal(g.producer.name, 'keras 3.10.0');
  check(g, (x) => tf.add(tf.relu(tf.add(tf.matMul(x, tf.tensor(kernel, [3, 3])), tf.tensor(bias))), x));
});
