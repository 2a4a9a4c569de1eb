/**
 * What the quick picks offer: model files checked by their first bytes (the examples' real files
 * and impostors), dataset candidates (IDX pairs, npy x/y pairs, image class folders), recent lists.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { dataCandidates, imageFolders, pushRecent } from '../../src/extension/picks/dataFiles';
import { isModelFile, looksLikeModel } from '../../src/extension/picks/modelSniff';
import { ROOT } from '../support/build';

const EXAMPLES = path.join(ROOT, 'examples');
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('model files by content', () => {
  test('the examples are models', async () => {
    for (const f of ['models/mlp-seed1/model.json', 'models/cnn-seed1-onnx/model.onnx', 'models/mlp-seed1-keras/model.h5']) {
      assert.ok(await isModelFile(path.join(EXAMPLES, f)), f);
    }
  });

  test('impostors by name are not', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'll-sniff-'));
    try {
      const write = (name: string, data: string | Uint8Array): string => {
        const p = path.join(dir, name);
        fs.mkdirSync(path.dirname(p), { recursive: true });
        fs.writeFileSync(p, data);
        return p;
      };
      assert.ok(!(await isModelFile(write('a/model.json', '{"name": "my-package", "version": "1.0.0"}'))), 'a package-like model.json');
      assert.ok(!(await isModelFile(write('b.h5', 'not hdf5 at all'))));
      assert.ok(!(await isModelFile(write('c.keras', 'plain text'))));
      assert.ok(!(await isModelFile(write('d.onnx', ''))), 'an empty onnx file');
      assert.ok(!(await isModelFile(path.join(dir, 'missing.onnx'))));
      assert.ok(await isModelFile(write('e.onnx', new Uint8Array([8, 7, 18, 4]))));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('first-bytes rules', () => {
    const hdf5 = new Uint8Array([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);
    assert.ok(looksLikeModel('m.h5', hdf5));
    const userBlock = new Uint8Array(520);
    userBlock.set(hdf5, 512);
    assert.ok(looksLikeModel('m.h5', userBlock), 'HDF5 after a 512-byte user block');
    assert.ok(!looksLikeModel('m.weights.h5', hdf5), 'weights-only Keras file');
    assert.ok(looksLikeModel('m.keras', new Uint8Array([0x50, 0x4b, 3, 4, 0])));
    assert.ok(looksLikeModel('x/model.json', enc('\uFEFF  {"format": "layers-model", "modelTopology": {}}')));
  });
});

describe('dataset candidates', () => {
  test('fashion-mnist in the examples: images files offered with their labels, labels not alone', () => {
    const dir = path.join(EXAMPLES, 'data', 'fashion-mnist');
    const files = fs.readdirSync(dir).filter((f) => /ubyte/.test(f)).map((f) => path.join(dir, f));
    const c = dataCandidates(files);
    assert.deepEqual(
      c.map((x) => [path.basename(x.path), x.labels && path.basename(x.labels), x.kind]),
      [
        ['t10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz', 'idx'],
        ['train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz', 'idx'],
      ],
    );
    assert.match(c[0].detail, /IDX, labels t10k-labels-idx1-ubyte\.gz/);
  });

  test('npy pairs, npz, csv, and a labels file without its data file', () => {
    const c = dataCandidates(['/d/x_test.npy', '/d/y_test.npy', '/d/all.npz', '/d/table.csv', '/e/y_only.npy', '/d/readme.txt']);
    assert.deepEqual(
      c.map((x) => [x.path, x.labels, x.kind]),
      [
        ['/d/all.npz', undefined, 'npz'],
        ['/d/table.csv', undefined, 'csv'],
        ['/d/x_test.npy', '/d/y_test.npy', 'npy'],
        ['/e/y_only.npy', undefined, 'npy'],
      ],
    );
  });

  test('image folders need two class subfolders', () => {
    const f = imageFolders(['/ds/cat/1.png', '/ds/cat/2.png', '/ds/dog/1.jpg', '/single/only/1.png', '/x.png']);
    assert.deepEqual(f.map((x) => [x.path, x.kind, x.detail]), [['/ds', 'images', 'image folder: 2 classes, 3 images']]);
  });

  test('recent lists: newest first, no duplicates, bounded', () => {
    assert.deepEqual(pushRecent(['a', 'b', 'c'], 'b'), ['b', 'a', 'c']);
    assert.deepEqual(pushRecent(['a', 'b', 'c'], 'd', 3), ['d', 'a', 'b']);
  });
});
