// Debian's dataset-fashion-mnist (apt-get install dataset-fashion-mnist); skipped when absent.
// The expected values were read independently with python3 (gzip + numpy.frombuffer).
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { openDataset } from '../../src/core/data/index';
import { liveTensors, tempDir, useCpu } from './helpers/data';

const DIR = '/usr/share/datasets/fashion-mnist';
const TRAIN = path.join(DIR, 'train-images-idx3-ubyte.gz');
const TEST = path.join(DIR, 't10k-images-idx3-ubyte.gz');
const TEST_LABELS = path.join(DIR, 't10k-labels-idx1-ubyte.gz');
const missing = [TRAIN, TEST, TEST_LABELS].some((f) => !fs.existsSync(f)) && 'dataset-fashion-mnist is not installed (apt-get install dataset-fashion-mnist)';

const tmp = tempDir();
const cacheDir = path.join(tmp.dir, 'cache');
before(useCpu);
after(tmp.cleanup);

const toBytes = (x: Float32Array): number[] => Array.from(x, (v) => Math.round(v * 255));

test('fashion-mnist train: sizes, labels found next to the images, pixel rows', { skip: missing }, async () => {
  const ds = await openDataset({ path: TRAIN, cacheDir });
  assert.equal(ds.name, 'train-images-idx3-ubyte.gz');
  assert.equal(ds.size, 60000);
  assert.deepEqual(ds.sampleShape, [28, 28, 1]);
  assert.equal(ds.hasLabels, true);
  assert.equal(ds.numClasses, 10);
  const first = await ds.sample(0);
  assert.equal(first.y, 9); // ankle boot
  assert.deepEqual(toBytes(first.x.slice(14 * 28, 15 * 28)), [
    0, 0, 1, 4, 6, 7, 2, 0, 0, 0, 0, 0, 237, 226, 217, 223, 222, 219, 222, 221, 216, 223, 229, 215, 218, 255, 77, 0,
  ]);
  assert.equal(toBytes(first.x).reduce((a, b) => a + b, 0), 76247);
  assert.deepEqual(toBytes(first.x.slice(3 * 28 + 12, 3 * 28 + 17)), [1, 0, 0, 13, 73]);
  const last = await ds.sample(59999);
  assert.equal(last.y, 5);
  assert.deepEqual(toBytes(last.x.slice(14 * 28, 15 * 28)), [
    0, 0, 0, 0, 9, 56, 144, 133, 129, 153, 34, 0, 3, 3, 0, 3, 0, 24, 104, 89, 104, 109, 0, 0, 0, 1, 1, 0,
  ]);
  // The first labels, through a batch.
  for await (const b of ds.batches(10)) {
    assert.deepEqual(Array.from(await b.y!.data()), [9, 0, 0, 3, 0, 2, 7, 2, 5, 5]);
    b.x.dispose();
    b.y?.dispose();
    break;
  }
  ds.close();
});

test('fashion-mnist test: 1000 samples per class, pixel sums, nchw and normalisation', { skip: missing }, async () => {
  const start = liveTensors();
  const ds = await openDataset({
    path: TEST,
    labels: TEST_LABELS,
    cacheDir,
    preprocess: { layout: 'nchw', mean: [0.2860406], std: [0.3530242] },
  });
  assert.equal(ds.size, 10000);
  assert.deepEqual(ds.sampleShape, [1, 28, 28]);
  const hist = new Array(10).fill(0);
  let sum = 0;
  let count = 0;
  for await (const b of ds.batches(512)) {
    for (const y of await b.y!.data()) hist[y]++;
    const x = await b.x.data();
    for (let i = 0; i < x.length; i++) sum += x[i];
    count += x.length;
    b.x.dispose();
    b.y?.dispose();
  }
  assert.deepEqual(hist, new Array(10).fill(1000));
  // The train statistics applied to the test set give a mean near 0 (test mean pixel 0.2868).
  assert.ok(Math.abs(sum / count) < 0.01, `mean ${sum / count}`);
  const s = await ds.sample(9999);
  assert.equal(s.y, 5);
  const raw = Array.from(s.x, (v) => Math.round((v * 0.3530242 + 0.2860406) * 255));
  assert.equal(raw.reduce((a, b) => a + b, 0), 24390);
  ds.close();
  assert.equal(liveTensors(), start);
});

test('fashion-mnist: a seeded subset of 100 flat samples is stable and labelled', { skip: missing }, async () => {
  const spec = { path: TEST, cacheDir, subset: { count: 100, seed: 42 }, preprocess: { shape: [784] } };
  const a = await openDataset(spec);
  const b = await openDataset(spec);
  assert.equal(a.size, 100);
  assert.deepEqual(a.sampleShape, [784]);
  const idsA: number[] = [];
  const idsB: number[] = [];
  for await (const batch of a.batches(32)) {
    idsA.push(...batch.indices);
    batch.x.dispose();
    batch.y?.dispose();
  }
  for await (const batch of b.batches(100)) {
    idsB.push(...batch.indices);
    const first = await a.sample(batch.indices[0]);
    assert.deepEqual(Array.from((await batch.x.data()).slice(0, 784)), Array.from(first.x));
    batch.x.dispose();
    batch.y?.dispose();
  }
  assert.deepEqual(idsA, idsB);
  a.close();
  b.close();
});
