import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { after, before, test } from 'node:test';
import { CancelledError } from '../../src/core/errors';
import { openDataset, sniffFile, subsetIndices, type Dataset } from '../../src/core/data/index';
import {
  bytesOf,
  hasNumpy,
  idxBytes,
  jpegBytes,
  liveTensors,
  npyBytes,
  npzBytes,
  pngBytes,
  python,
  tempDir,
  useCpu,
} from './helpers/data';

const tmp = tempDir();
const cacheDir = path.join(tmp.dir, 'cache');
const file = (name: string, bytes: Uint8Array | string): string => {
  const p = path.join(tmp.dir, name);
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, bytes);
  return p;
};

before(useCpu);
after(tmp.cleanup);

/** Every batch concatenated; checks the tensors are disposed and shapes consistent. */
async function collect(ds: Dataset, batchSize = 3): Promise<{ x: number[]; y: number[]; indices: number[]; batches: number }> {
  const start = liveTensors();
  const x: number[] = [];
  const y: number[] = [];
  const indices: number[] = [];
  let batches = 0;
  for await (const b of ds.batches(batchSize)) {
    assert.deepEqual(b.x.shape, [b.indices.length, ...ds.sampleShape]);
    assert.equal(b.x.dtype, 'float32');
    x.push(...(await b.x.data()));
    if (b.y) {
      assert.equal(b.y.dtype, 'int32');
      assert.deepEqual(b.y.shape, [b.indices.length]);
      y.push(...(await b.y.data()));
    }
    indices.push(...b.indices);
    b.x.dispose();
    b.y?.dispose();
    batches++;
  }
  assert.equal(liveTensors(), start, 'batches leak no tensors');
  return { x, y, indices, batches };
}

const close = (a: number[] | Float32Array, b: number[], eps = 1e-6): void => {
  assert.equal(a.length, b.length);
  for (let i = 0; i < b.length; i++) assert.ok(Math.abs(a[i] - b[i]) <= eps, `at ${i}: ${a[i]} vs ${b[i]}`);
};

function range(n: number): number[];
function range<T>(n: number, f: (i: number) => T): T[];
function range(n: number, f: (i: number) => unknown = (i) => i): unknown[] {
  return Array.from({ length: n }, (_, i) => f(i));
}

test('IDX uint8 images [N,H,W] give [H,W,1] samples scaled by 1/255, with IDX labels', async () => {
  const pixels = range(5 * 3 * 2, (i) => (i * 7) % 256);
  const images = file('idx/a-images-idx3-ubyte', idxBytes('uint8', [5, 3, 2], pixels));
  const labels = file('idx/lab.idx', idxBytes('uint8', [5], [3, 1, 4, 1, 5]));
  assert.equal(await sniffFile(images, cacheDir), 'idx');
  const ds = await openDataset({ path: images, labels, cacheDir });
  assert.equal(ds.size, 5);
  assert.deepEqual(ds.sampleShape, [3, 2, 1]);
  assert.equal(ds.numClasses, 6);
  assert.equal(ds.hasLabels, true);
  const got = await collect(ds, 2);
  assert.equal(got.batches, 3);
  close(got.x, pixels.map((v) => v / 255));
  assert.deepEqual(got.y, [3, 1, 4, 1, 5]);
  assert.deepEqual(got.indices, [0, 1, 2, 3, 4]);
  const s = await ds.sample(3);
  close(s.x, pixels.slice(18, 24).map((v) => v / 255));
  assert.equal(s.y, 1);
  ds.close();
});

test('IDX big-endian dtypes int8, int16, int32, float32, float64 decode exactly', async () => {
  const cases = [
    ['int8', [-128, -1, 0, 127]],
    ['int16', [-32768, -2, 300, 32767]],
    ['int32', [-2147483648, -5, 70000, 2147483647]],
    ['float32', [-1.5, 0.25, 3e-8, 1e6]],
    ['float64', [-1.5, 0.1, 1e-300, 123456789.125]],
  ] as const;
  for (const [type, values] of cases) {
    const p = file(`idx/${type}.idx`, idxBytes(type, [2, 2], values));
    const ds = await openDataset({ path: p, cacheDir });
    assert.deepEqual(ds.sampleShape, [2], type);
    const got = await collect(ds);
    close(got.x, values.map((v) => Math.fround(v)), 0);
    ds.close();
  }
});

test('gzipped IDX is read through a cache copy and equals the raw file', async () => {
  const pixels = range(4 * 2 * 2, (i) => i * 10);
  const raw = idxBytes('uint8', [4, 2, 2], pixels);
  const gz = file('idx/train-images-idx3-ubyte.gz', zlib.gzipSync(raw));
  file('idx/train-labels-idx1-ubyte.gz', zlib.gzipSync(idxBytes('uint8', [4], [0, 2, 2, 1])));
  const ds = await openDataset({ path: gz, cacheDir, preprocess: { scale: 1 } });
  assert.equal(ds.hasLabels, true, 'the MNIST-style sibling label file is found');
  const got = await collect(ds);
  assert.deepEqual(got.x, pixels);
  assert.deepEqual(got.y, [0, 2, 2, 1]);
  ds.close();
  const cached = fs.readdirSync(cacheDir).filter((f) => f.startsWith('train-images'));
  assert.equal(cached.length, 1);
  assert.deepEqual(new Uint8Array(fs.readFileSync(path.join(cacheDir, cached[0]))), raw);
  // A second open reuses the copy.
  const again = await openDataset({ path: gz, cacheDir });
  assert.equal(again.size, 4);
  again.close();
  assert.equal(fs.readdirSync(cacheDir).filter((f) => f.startsWith('train-images')).length, 1);
});

test('npy uint8, float32, float64, int64 and big-endian float32, with npy labels', async () => {
  const f32 = Float32Array.from(range(12, (i) => i / 3 - 1));
  const f64 = Float64Array.from(range(12, (i) => Math.PI * i));
  const i64 = BigInt64Array.from(range(12, (i) => BigInt(i * 1000 - 5000)));
  const u8 = Uint8Array.from(range(12, (i) => 255 - i));
  const be = new Uint8Array(12 * 4);
  f32.forEach((v, i) => new DataView(be.buffer).setFloat32(i * 4, v, false));
  const labels = file('npy/labels.npy', npyBytes('<i8', [3], bytesOf(BigInt64Array.from([2n, 0n, 1n]))));
  const cases: [string, Uint8Array, number[], number][] = [
    ['<f4', bytesOf(f32), Array.from(f32), 1],
    ['<f8', bytesOf(f64), Array.from(f64, Math.fround), 1],
    ['<i8', bytesOf(i64), Array.from(i64, Number), 1],
    ['|u1', u8, Array.from(u8, (v) => Math.fround(v / 255)), 1 / 255],
    ['>f4', be, Array.from(f32), 1],
  ];
  for (const [descr, data, want] of cases) {
    const p = file(`npy/data${descr.replace(/[<>|]/, '_')}.npy`, npyBytes(descr, [3, 4], data));
    assert.equal(await sniffFile(p, cacheDir), 'npy');
    const ds = await openDataset({ path: p, labels, cacheDir });
    assert.deepEqual(ds.sampleShape, [4], descr);
    const got = await collect(ds, 2);
    close(got.x, want, Math.abs(want[want.length - 1]) * 1e-6);
    assert.deepEqual(got.y, [2, 0, 1]);
    assert.equal(ds.numClasses, 3);
    ds.close();
  }
});

test('npy rank-3 samples: channels-last and channels-first are told apart; one-hot labels', async () => {
  const chw = Float32Array.from(range(2 * 3 * 4 * 5, (i) => i));
  const p = file('npy/chw.npy', npyBytes('<f4', [2, 3, 4, 5], bytesOf(chw)));
  const oneHot = file('npy/onehot.npy', npyBytes('<f4', [2, 4], bytesOf(Float32Array.from([0, 0, 1, 0, 0, 0, 0, 1]))));
  const ds = await openDataset({ path: p, labels: oneHot, cacheDir, preprocess: { layout: 'nhwc' } });
  assert.deepEqual(ds.sampleShape, [4, 5, 3]);
  assert.equal(ds.numClasses, 4);
  const s = await ds.sample(1);
  // nhwc[h=1][w=2][c=2] = chw[c=2][h=1][w=2] of sample 1.
  assert.equal(s.x[(1 * 5 + 2) * 3 + 2], 60 + 2 * 20 + 1 * 5 + 2);
  assert.equal(s.y, 3);
  ds.close();
});

test('npz archives, stored and deflated, with default and explicit keys', async () => {
  const x = Float32Array.from(range(6 * 4, (i) => i * 0.5));
  const y = Int32Array.from([0, 1, 2, 0, 1, 2]);
  const members = {
    x_test: npyBytes('<f4', [6, 2, 2], bytesOf(x)),
    y_test: npyBytes('<i4', [6], bytesOf(y)),
    other: npyBytes('<f4', [6, 4], bytesOf(x.map((v) => -v))),
  };
  for (const deflate of [false, true]) {
    const p = file(`npz/d${deflate}.npz`, npzBytes(members, deflate));
    assert.equal(await sniffFile(p, cacheDir), 'npz');
    const ds = await openDataset({ path: p, cacheDir, preprocess: { shape: [4] } });
    assert.match(ds.name, /\[x_test\]$/);
    assert.deepEqual(ds.sampleShape, [4]);
    const got = await collect(ds, 4);
    close(got.x, Array.from(x));
    assert.deepEqual(got.y, Array.from(y));
    ds.close();
    const other = await openDataset({ path: p, cacheDir, npzKeys: { x: 'other', y: 'y_test' } });
    close((await other.sample(5)).x, Array.from(x.slice(20, 24), (v) => -v));
    assert.equal((await other.sample(5)).y, 2);
    other.close();
  }
});

const hasZip = ((): boolean => {
  try {
    execFileSync('zip', ['-v'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

test('zip64 .npz archives (zip -fz), stored and deflated', { skip: !hasZip && 'the zip command is not installed' }, async () => {
  const dir = path.join(tmp.dir, 'zip64');
  fs.mkdirSync(dir, { recursive: true });
  const x = Float32Array.from(range(24, (i) => i - 3.5));
  fs.writeFileSync(path.join(dir, 'x.npy'), npyBytes('<f4', [6, 4], bytesOf(x)));
  fs.writeFileSync(path.join(dir, 'y.npy'), npyBytes('<i8', [6], bytesOf(BigInt64Array.from([2n, 1n, 0n, 2n, 1n, 0n]))));
  for (const flags of [['-0'], []]) {
    const name = `z${flags.length}.npz`;
    execFileSync('zip', ['-q', '-fz', ...flags, name, 'x.npy', 'y.npy'], { cwd: dir });
    const ds = await openDataset({ path: path.join(dir, name), cacheDir });
    const got = await collect(ds, 4);
    close(got.x, Array.from(x));
    assert.deepEqual(got.y, [2, 1, 0, 2, 1, 0]);
    ds.close();
  }
});

test('npz and npy written by numpy itself', { skip: !hasNumpy() && 'python3 with numpy is not installed' }, async () => {
  const dir = path.join(tmp.dir, 'numpy');
  fs.mkdirSync(dir, { recursive: true });
  python(
    dir,
    `
rng = np.random.default_rng(0)
x = rng.integers(0, 256, size=(7, 5, 4, 3), dtype=np.uint8)
y = np.array([1, 0, 2, 2, 1, 0, 3], dtype=np.int64)
np.savez('plain.npz', x=x, y=y)
np.savez_compressed('small.npz', x=x, y=y)
np.save('x_val.npy', x.astype(np.float64) / 7)
np.save('y_val.npy', y)
np.save('x_half.npy', (x[:, :, :, 0] / 255).astype(np.float16))
np.savetxt('x.txt', x.reshape(7, -1), fmt='%d')
`,
  );
  const want = fs.readFileSync(path.join(dir, 'x.txt'), 'utf8').trim().split(/\s+/).map(Number);
  for (const name of ['plain.npz', 'small.npz']) {
    const ds = await openDataset({ path: path.join(dir, name), cacheDir });
    assert.deepEqual(ds.sampleShape, [5, 4, 3]);
    const got = await collect(ds, 3);
    close(got.x, want.map((v) => v / 255));
    assert.deepEqual(got.y, [1, 0, 2, 2, 1, 0, 3]);
    ds.close();
  }
  const npy = await openDataset({ path: path.join(dir, 'x_val.npy'), cacheDir });
  assert.equal(npy.hasLabels, true, 'y_val.npy is found next to x_val.npy');
  close((await collect(npy)).x, want.map((v) => Math.fround(v / 7)), 1e-5);
  npy.close();
  const half = await openDataset({ path: path.join(dir, 'x_half.npy'), cacheDir });
  assert.deepEqual(half.sampleShape, [5, 4, 1]);
  const hx = (await half.sample(0)).x;
  for (let i = 0; i < hx.length; i++) assert.ok(Math.abs(hx[i] - want[i * 3] / 255) < 1e-3);
  half.close();
});

test('image folders: PNG and JPEG, classes from sorted folder names', async () => {
  const root = path.join(tmp.dir, 'images');
  const colour = (k: number) => (x: number, y: number): [number, number, number] => [k * 40 + x, y * 10, 200 - k];
  file('images/dog/b.png', pngBytes(4, 3, colour(1)));
  file('images/dog/a.png', pngBytes(4, 3, colour(0)));
  file('images/cat/nested/c.png', pngBytes(4, 3, colour(2)));
  file('images/cat/z.jpg', jpegBytes(4, 3, [10, 120, 250]));
  file('images/.DS_Store', 'junk');
  file('images/README.txt', 'notes next to the classes are ignored');
  const ds = await openDataset({ path: root, cacheDir, preprocess: { scale: 1 } });
  assert.deepEqual(ds.classNames, ['cat', 'dog']);
  assert.equal(ds.numClasses, 2);
  assert.equal(ds.size, 4);
  assert.deepEqual(ds.sampleShape, [3, 4, 3]);
  const got = await collect(ds, 3);
  assert.deepEqual(got.y, [0, 0, 1, 1]);
  const per = 3 * 4 * 3;
  const expectPng = (k: number): number[] => range(12).flatMap((p) => colour(k)(p % 4, Math.floor(p / 4)));
  assert.deepEqual(got.x.slice(0, per), expectPng(2), 'cat/nested/c.png comes first');
  const jpg = got.x.slice(per, 2 * per);
  for (let p = 0; p < 12; p++) close(jpg.slice(p * 3, p * 3 + 3), [10, 120, 250], 6);
  assert.deepEqual(got.x.slice(2 * per, 3 * per), expectPng(0));
  assert.deepEqual(got.x.slice(3 * per), expectPng(1));
  ds.close();
});

test('image folders of grayscale PNGs give 1 channel; a flat folder has no labels', async () => {
  file('gray/a.png', pngBytes(2, 2, (x, y) => [x * 100 + y, x * 100 + y, x * 100 + y], true));
  file('gray/b.png', pngBytes(2, 2, () => [255, 255, 255], true));
  const ds = await openDataset({ path: path.join(tmp.dir, 'gray'), cacheDir });
  assert.equal(ds.hasLabels, false);
  assert.deepEqual(ds.sampleShape, [2, 2, 1]);
  const got = await collect(ds);
  close(got.x, [0, 100, 1, 101, 255, 255, 255, 255].map((v) => v / 255));
  assert.deepEqual(got.y, []);
  ds.close();
});

test('CSV: header, a text label column (found, or named), quoted cells, CRLF and blank lines', async () => {
  const p = file('csv/iris.csv', 'sepal,"petal, width",species\n1.5,2,setosa\r\n3,-4e-1,"virginica"\n\n5,6,setosa\n');
  assert.equal(await sniffFile(p, cacheDir), 'csv');
  for (const labelColumn of [undefined, 'species', 'Species', 2]) {
    const ds = await openDataset({ path: p, cacheDir, labelColumn });
    assert.deepEqual(ds.sampleShape, [2]);
    assert.deepEqual(ds.classNames, ['setosa', 'virginica']);
    const got = await collect(ds, 2);
    close(got.x, [1.5, 2, 3, -0.4, 5, 6]);
    assert.deepEqual(got.y, [0, 1, 0]);
    ds.close();
  }
});

test('CSV: no header, label column by index (negative from the end), semicolons, BOM', async () => {
  const p = file('csv/plain.csv', '\ufeff1;2;3;7\n4;5;6;0\n');
  const ds = await openDataset({ path: p, cacheDir, labelColumn: -1 });
  assert.deepEqual(ds.sampleShape, [3]);
  assert.equal(ds.numClasses, 8);
  assert.equal(ds.classNames, undefined);
  const got = await collect(ds);
  assert.deepEqual(got.x, [1, 2, 3, 4, 5, 6]);
  assert.deepEqual(got.y, [7, 0]);
  ds.close();
  const first = await openDataset({ path: p, cacheDir, labelColumn: 0 });
  assert.deepEqual((await first.sample(1)).x, Float32Array.from([5, 6, 0]));
  assert.equal((await first.sample(1)).y, 4);
  first.close();
  const unlabeled = await openDataset({ path: p, cacheDir });
  assert.equal(unlabeled.hasLabels, false);
  assert.deepEqual(unlabeled.sampleShape, [4]);
  await assert.rejects(unlabeled.sample(2), /sample 2 does not exist; the file holds samples 0 to 1/);
  unlabeled.close();
  const gz = file('csv/plain.csv.gz', zlib.gzipSync(fs.readFileSync(p)));
  assert.equal(await sniffFile(gz, cacheDir), 'csv');
  const fromGz = await openDataset({ path: gz, cacheDir, labelColumn: 3 });
  assert.deepEqual((await collect(fromGz)).y, [7, 0]);
  fromGz.close();
});

test('CSV of flattened images reshaped to the model input, with a "label" column found by name', async () => {
  const rows = range(3, (r) => `${r},${range(4, (c) => r * 10 + c).join(',')}`);
  const p = file('csv/mnist-like.csv', `label,p0,p1,p2,p3\n${rows.join('\n')}`);
  const ds = await openDataset({ path: p, cacheDir, preprocess: { shape: [2, 2, 1], scale: 0.1 } });
  assert.deepEqual(ds.sampleShape, [2, 2, 1]);
  const got = await collect(ds);
  close(got.x, [0, 0.1, 0.2, 0.3, 1, 1.1, 1.2, 1.3, 2, 2.1, 2.2, 2.3]);
  assert.deepEqual(got.y, [0, 1, 2]);
  ds.close();
  const wild = await openDataset({ path: p, cacheDir, preprocess: { shape: [-1, 2] } });
  assert.deepEqual(wild.sampleShape, [2, 2]);
  wild.close();
});

test('layout conversion nhwc -> nchw -> flat and shape inference', async () => {
  // 2 samples of 2x3 pixels with 2 channels, channels-last; value = 100*n + 10*pixel + c.
  const vals = range(2 * 6 * 2, (i) => 100 * Math.floor(i / 12) + 10 * Math.floor((i % 12) / 2) + (i % 2));
  const p = file('layout/x.npy', npyBytes('<f4', [2, 2, 3, 2], bytesOf(Float32Array.from(vals))));
  const nhwc = await openDataset({ path: p, cacheDir });
  assert.deepEqual(nhwc.sampleShape, [2, 3, 2]);
  close((await nhwc.sample(1)).x, vals.slice(12));
  nhwc.close();

  const nchw = await openDataset({ path: p, cacheDir, preprocess: { layout: 'nchw' } });
  assert.deepEqual(nchw.sampleShape, [2, 2, 3]);
  const chwWant = [0, 1].flatMap((c) => range(6, (px) => 100 + 10 * px + c));
  close((await nchw.sample(1)).x, chwWant);
  nchw.close();

  const byShape = await openDataset({ path: p, cacheDir, preprocess: { shape: [2, 2, 3] } });
  assert.deepEqual(byShape.sampleShape, [2, 2, 3], 'shape [C,H,W] picks nchw');
  close((await byShape.sample(1)).x, chwWant);
  byShape.close();

  const flat = await openDataset({ path: p, cacheDir, preprocess: { layout: 'flat' } });
  assert.deepEqual(flat.sampleShape, [12]);
  close((await flat.sample(1)).x, vals.slice(12));
  flat.close();

  // Stored channels-first (as PyTorch users save), back to channels-last and flat.
  const chwFile = file('layout/chw.npy', npyBytes('<f4', [1, 2, 2, 3], bytesOf(Float32Array.from(chwWant))));
  const back = await openDataset({ path: chwFile, cacheDir, preprocess: { dataLayout: 'nchw', layout: 'nhwc' } });
  assert.deepEqual(back.sampleShape, [2, 3, 2]);
  close((await back.sample(0)).x, vals.slice(12));
  back.close();
  const wildcard = await openDataset({ path: p, cacheDir, preprocess: { shape: [-1, -1, 2] } });
  assert.deepEqual(wildcard.sampleShape, [2, 3, 2]);
  wildcard.close();
});

test('per-channel mean/std after scaling', async () => {
  const vals = [0, 255, 51, 102, 255, 0, 153, 204];
  const p = file('norm/x.npy', npyBytes('|u1', [1, 2, 2, 2], Uint8Array.from(vals)));
  const ds = await openDataset({ path: p, cacheDir, preprocess: { mean: [0.5, 0.25], std: [0.5, 2], layout: 'nchw' } });
  const x = (await ds.sample(0)).x;
  const norm = (v: number, c: number): number => (v / 255 - [0.5, 0.25][c]) / [0.5, 2][c];
  close(x, [norm(0, 0), norm(51, 0), norm(255, 0), norm(153, 0), norm(255, 1), norm(102, 1), norm(0, 1), norm(204, 1)], 1e-6);
  ds.close();
  const one = await openDataset({ path: p, cacheDir, preprocess: { scale: 1, mean: [100], std: [10] } });
  close((await one.sample(0)).x, vals.map((v) => (v - 100) / 10), 1e-5);
  one.close();
});

test('subset: deterministic, sorted, seed-dependent; indices and sample() agree', async () => {
  const a = subsetIndices(1000, 50, 7);
  assert.deepEqual(a, subsetIndices(1000, 50, 7));
  assert.notDeepEqual(a, subsetIndices(1000, 50, 8));
  assert.equal(new Set(a).size, 50);
  assert.deepEqual(a, [...a].sort((p, q) => p - q));
  assert.ok(a.every((i) => i >= 0 && i < 1000));
  assert.deepEqual(subsetIndices(5, 10), [0, 1, 2, 3, 4]);
  // Unbiased enough: every index of a small range gets picked over many seeds.
  const seen = new Set<number>();
  for (let s = 0; s < 200; s++) for (const i of subsetIndices(20, 2, s)) seen.add(i);
  assert.equal(seen.size, 20);
  // The sparse (small fraction of a large n) and dense (large fraction) paths draw the same stream.
  const sparse = subsetIndices(1_000_000, 100, 5);
  const dense = subsetIndices(1_000_000, 100_000, 5);
  assert.equal(sparse.length, 100);
  assert.equal(new Set(dense).size, 100_000);
  const denseSet = new Set(dense);
  assert.ok(sparse.every((i) => denseSet.has(i)), 'the first 100 draws are among the first 100000');

  const n = 40;
  const p = file('subset/x.npy', npyBytes('<f4', [n, 2], bytesOf(Float32Array.from(range(2 * n)))));
  const lab = file('subset/y.npy', npyBytes('<i4', [n], bytesOf(Int32Array.from(range(n, (i) => i % 4)))));
  const ds = await openDataset({ path: p, labels: lab, cacheDir, subset: { count: 9, seed: 3 } });
  assert.equal(ds.size, 9);
  assert.equal(ds.fileSize, n);
  const got = await collect(ds, 4);
  assert.deepEqual(got.indices, subsetIndices(n, 9, 3));
  assert.deepEqual(got.x, got.indices.flatMap((i) => [2 * i, 2 * i + 1]));
  assert.deepEqual(got.y, got.indices.map((i) => i % 4));
  const s = await ds.sample(got.indices[5]);
  assert.deepEqual(Array.from(s.x), got.x.slice(10, 12));
  const again = await openDataset({ path: p, labels: lab, cacheDir, subset: { count: 9, seed: 3 } });
  assert.deepEqual((await collect(again, 5)).indices, got.indices);
  again.close();
  const all = await openDataset({ path: p, cacheDir, subset: { count: 1000 } });
  assert.equal(all.size, n);
  assert.deepEqual((await collect(all, 16)).indices, range(n));
  all.close();
  ds.close();
});

test('cancellation stops between batches; progress is reported; early break leaks nothing', async () => {
  const p = file('cancel/x.npy', npyBytes('<f4', [100, 3], bytesOf(new Float32Array(300))));
  const ds = await openDataset({ path: p, cacheDir });
  let cancel = false;
  const fractions: number[] = [];
  const ctx = { cancelled: () => cancel, progress: (f: number) => fractions.push(f) };
  const start = liveTensors();
  let seen = 0;
  await assert.rejects(async () => {
    for await (const b of ds.batches(10, ctx)) {
      b.x.dispose();
      if (++seen === 3) cancel = true;
    }
  }, CancelledError);
  assert.equal(seen, 3);
  assert.deepEqual(fractions, [0.1, 0.2, 0.3]);
  for await (const b of ds.batches(7)) {
    b.x.dispose();
    break;
  }
  assert.equal(liveTensors(), start);
  ds.close();
  await assert.rejects(async () => {
    for await (const b of ds.batches(7)) b.x.dispose();
  }, /closed/);
});
