/**
 * Bugs the reliability corpus (test/reliability) found in the model loaders, one test per class:
 * each hostile file is now a UserError naming the file, quickly and without a big allocation.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { isUserError } from '../../src/core/errors';
import { checkFiniteWeights, loadModel } from '../../src/core/formats';
import type { Graph } from '../../src/core/graph/ir';
import { rebuildH5, h5Paths } from '../reliability/h5';
import { crc32, utf8, zipRaw } from '../reliability/lib';

const ROOT = path.resolve(__dirname, '../..');
const CNN = path.join(ROOT, 'examples/models/cnn-seed1');
const H5 = path.join(ROOT, 'examples/models/mlp-seed1-keras/model.h5');
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'll-formats-hostile-'));

async function refusal(file: string, ...patterns: RegExp[]): Promise<string> {
  let err: unknown;
  try {
    await loadModel(file);
  } catch (e) {
    err = e;
  }
  assert.ok(err !== undefined, `${file} loaded`);
  assert.ok(isUserError(err), `not a UserError: ${err instanceof Error ? err.stack : String(err)}`);
  const msg = (err as Error).message;
  assert.ok(msg.includes(file), `the message does not name the file: ${msg}`);
  for (const p of patterns) assert.match(msg, p);
  return msg;
}

/** A copy of the example CNN (TF.js) with `edit` applied to its JSON and shard. */
function cnnCopy(edit: (json: Record<string, any>, shard: Uint8Array) => void = () => {}): string {
  const dir = tmp();
  const json = JSON.parse(fs.readFileSync(path.join(CNN, 'model.json'), 'utf8'));
  const shard = new Uint8Array(fs.readFileSync(path.join(CNN, 'group1-shard1of1.bin')));
  edit(json, shard);
  fs.writeFileSync(path.join(dir, 'group1-shard1of1.bin'), shard);
  fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify(json));
  return path.join(dir, 'model.json');
}

test('NaN or infinite weights are refused at load, naming the weight (no analysis can return NaN silently)', async () => {
  for (const v of [NaN, Infinity, -Infinity]) {
    const file = cnnCopy((_j, shard) => new DataView(shard.buffer).setFloat32(20, v, true));
    await refusal(file, /conv1\/kernel/, /NaN|infinite/, /index 5/);
  }
  const dir = tmp();
  const file = path.join(dir, 'model.h5');
  const { datasets } = await h5Paths(new Uint8Array(fs.readFileSync(H5)));
  const target = datasets.find((d) => d.startsWith('/model_weights/'))!;
  fs.writeFileSync(file, await rebuildH5(new Uint8Array(fs.readFileSync(H5)), {
    dataset: (p, v) => (p === target ? { ...v, data: Float32Array.from(v.data as Float32Array, () => NaN) } : undefined),
  }));
  await refusal(file, /NaN/);
});

test('an infinite constant operand (an ONNX mask or bound) is allowed; NaN never is', () => {
  const graph = (role: 'constant' | 'kernel', v: number): Graph =>
    ({ file: '/x/model.onnx', params: new Map([['c', { key: 'c', role, shape: [2], data: Float32Array.from([1, v]), trainable: false }]]) }) as unknown as Graph;
  assert.doesNotThrow(() => checkFiniteWeights(graph('constant', -Infinity)));
  assert.throws(() => checkFiniteWeights(graph('constant', NaN)), /NaN/);
  assert.throws(() => checkFiniteWeights(graph('kernel', Infinity)), /infinite/);
});

test('an HDF5 external link is never followed, even to a file that would load', async () => {
  const dir = tmp();
  const bytes = new Uint8Array(fs.readFileSync(H5));
  const outside = path.join(dir, 'outside.h5');
  fs.copyFileSync(H5, outside);
  const { groups, datasets } = await h5Paths(bytes);
  const layer = groups.find((g) => /^\/model_weights\/[^/]+$/.test(g) && datasets.some((d) => d.startsWith(`${g}/`)))!;
  fs.mkdirSync(path.join(dir, 'model'));
  const file = path.join(dir, 'model/model.h5');
  fs.writeFileSync(file, await rebuildH5(bytes, { skip: (p) => p === layer, after: (f) => void f.create_external_link(outside, layer, layer.slice(1)) }));
  await refusal(file, /external link/, /outside\.h5/);
});

test('a weight-shard problem is reported against model.json, naming the shard as written there', async () => {
  const missing = cnnCopy((j) => void (j.weightsManifest[0].paths = ['nowhere.bin']));
  await refusal(missing, /"nowhere\.bin"/, /does not exist/);
  const loop = cnnCopy((j) => void (j.weightsManifest[0].paths = ['a.bin']));
  fs.symlinkSync('b.bin', path.join(path.dirname(loop), 'a.bin'));
  fs.symlinkSync('a.bin', path.join(path.dirname(loop), 'b.bin'));
  await refusal(loop, /"a\.bin"/);
});

test('a dilation far wider than the input is refused at load, not a RangeError at the first forward pass', async () => {
  const file = cnnCopy((j) => void (j.modelTopology.config.layers[0].config.dilation_rate = [1e9, 1e9]));
  await refusal(file, /dilation_rate of 1000000000/, /conv1/);
});

test('a .keras entry that inflates past its declared size stops at that size (memory stays bounded)', async () => {
  const dir = tmp();
  const zeros = Buffer.alloc(80 * 1024 * 1024);
  const bomb = new Uint8Array(zlib.deflateRawSync(zeros, { level: 9 }));
  const cfg = utf8('{"class_name": "Sequential", "config": {"name": "s", "layers": []}}');
  const meta = utf8('{"keras_version": "3.0.0"}');
  const m = (name: string, b: Uint8Array) => ({ name, data: new Uint8Array(zlib.deflateRawSync(b)), method: 8 as const, size: b.length, crc: crc32([b]) });
  const file = path.join(dir, 'model.keras');
  fs.writeFileSync(file, zipRaw([m('config.json', cfg), m('metadata.json', meta), { name: 'model.weights.h5', data: bomb, method: 8, size: 4096, crc: 0 }]));
  const rss0 = process.memoryUsage().rss;
  const t0 = Date.now();
  await refusal(file, /inflates to more than the 4096 bytes/);
  assert.ok(Date.now() - t0 < 5000, `took ${Date.now() - t0} ms`);
  assert.ok(process.memoryUsage().rss - rss0 < 60 * 1024 * 1024, 'inflated far past the declared size');
});

test('a weight dtype named like an Object.prototype member ("__proto__", "constructor") is an unknown dtype', async () => {
  for (const dtype of ['__proto__', 'constructor', 'toString']) {
    const file = cnnCopy((j) => void (j.weightsManifest[0].weights[2].dtype = dtype));
    await refusal(file, /dtype/);
  }
});

test('a model.json whose modelTopology is not an object is refused as such, not a TypeError', async () => {
  for (const topo of ['x', 42, null, []]) {
    const file = cnnCopy((j) => void (j.modelTopology = topo));
    await refusal(file);
  }
});
