import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { after, before, test } from 'node:test';
import { isUserError } from '../../src/core/errors';
import { openDataset, type DatasetSpec } from '../../src/core/data/index';
import { bytesOf, hasNumpy, idxBytes, liveTensors, npyBytes, npzBytes, pngBytes, openFilesUnder, python, tempDir, useCpu } from './helpers/data';

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

/** Opening (and reading) must fail with a UserError that names `name` and matches `why`. */
async function rejectsUser(spec: Omit<DatasetSpec, 'cacheDir'>, name: string, why: RegExp): Promise<void> {
  const start = liveTensors();
  await assert.rejects(
    async () => {
      const ds = await openDataset({ ...spec, cacheDir });
      try {
        for await (const b of ds.batches(4)) {
          b.x.dispose();
          b.y?.dispose();
        }
      } finally {
        ds.close();
      }
    },
    (e: unknown) => {
      assert.ok(isUserError(e), `expected a UserError, got ${e instanceof Error ? e.stack : e}`);
      assert.ok(e.message.includes(name), `message names ${name}: ${e.message}`);
      assert.match(e.message, why);
      return true;
    },
  );
  assert.equal(liveTensors(), start, 'no tensors leak on errors');
  await new Promise((r) => setTimeout(r, 10)); // streams close their fds asynchronously
  assert.deepEqual(openFilesUnder(tmp.dir), [], 'no file handles leak on errors');
}

const u8 = (n: number): Uint8Array => new Uint8Array(n).map((_, i) => i);

test('IDX: truncated, wrong magic, dims beyond the file, overflowing dims, trailing bytes', async () => {
  const good = idxBytes('uint8', [10, 4, 4], u8(160));
  await rejectsUser({ path: file('t-idx3', good.subarray(0, 100)) }, 't-idx3', /truncated/);
  await rejectsUser({ path: file('hdr-idx3', good.subarray(0, 10)) }, 'hdr-idx3', /shorter than its own 16-byte IDX header/);
  const bad = good.slice();
  bad[2] = 0x07; // no such type code: not IDX, and not text either
  await rejectsUser({ path: file('magic-idx3', bad) }, 'magic-idx3', /not a dataset format.*00 00 07 03/);
  const big = good.slice();
  new DataView(big.buffer).setUint32(4, 1_000_000, false);
  await rejectsUser({ path: file('big-idx3', big) }, 'big-idx3', /\[1000000, 4, 4\].*more bytes than/);
  const huge = new Uint8Array(4 + 4 * 6 + 64);
  huge.set([0, 0, 0x0e, 6]);
  for (let i = 0; i < 6; i++) new DataView(huge.buffer).setUint32(4 + 4 * i, 0xffffffff, false);
  await rejectsUser({ path: file('huge-idx', huge) }, 'huge-idx', /4294967295.*more bytes than the 64 the file holds/);
  await rejectsUser({ path: file('extra-idx3', Uint8Array.from([...good, 1, 2, 3])) }, 'extra-idx3', /has 179 bytes/);
  await rejectsUser({ path: file('empty-idx', idxBytes('uint8', [0, 28, 28], [])) }, 'empty-idx', /no samples/);
});

test('IDX labels: count mismatch, wrong rank, non-class values, and a labels file opened as data', async () => {
  const images = file('m/images.idx', idxBytes('uint8', [6, 2, 2], u8(24)));
  const few = file('m/few-labels.idx', idxBytes('uint8', [5], [0, 1, 2, 3, 4]));
  await rejectsUser({ path: images, labels: few }, 'few-labels.idx', /5 labels but images.idx holds 6 samples/);
  await rejectsUser({ path: images, labels: images }, 'images.idx', /labels must have shape \[N\]/);
  const neg = file('m/neg.idx', idxBytes('int8', [6], [0, 1, -1, 0, 0, 0]));
  await rejectsUser({ path: images, labels: neg }, 'neg.idx', /sample 2 has label -1/);
  const frac = file('m/frac.npy', npyBytes('<f4', [6], bytesOf(Float32Array.from([0, 1, 0.5, 0, 0, 0]))));
  await rejectsUser({ path: images, labels: frac }, 'frac.npy', /class indices.*0\.5/);
  await rejectsUser({ path: few }, 'few-labels.idx', /looks like labels/);
  await rejectsUser({ path: images, labels: path.join(tmp.dir, 'm', 'missing.idx') }, 'missing.idx', /does not exist/);
  // A wrong MNIST-style sibling is reported with a hint where it came from.
  file('s/train-images-idx3-ubyte', idxBytes('uint8', [3, 1, 1], [1, 2, 3]));
  file('s/train-labels-idx1-ubyte', idxBytes('uint8', [2], [1, 2]));
  await rejectsUser({ path: path.join(tmp.dir, 's', 'train-images-idx3-ubyte') }, 'train-labels-idx1-ubyte', /found next to the data/);
});

test('gzip: damaged stream and more data than the header declares', async () => {
  const gz = zlib.gzipSync(idxBytes('uint8', [50, 10, 10], u8(5000)));
  await rejectsUser({ path: file('cut.gz', gz.subarray(0, gz.length - 20)) }, 'cut.gz', /gzip data is damaged/);
  const garbled = Buffer.from(gz);
  garbled.fill(0x55, 30, 60);
  await rejectsUser({ path: file('garbled.gz', garbled) }, 'garbled.gz', /damaged/);
  // Header says 100 bytes of data, the stream holds 200 KB: stopped once the header is seen.
  const lying = idxBytes('uint8', [1, 10, 10], u8(100));
  const body = new Uint8Array(200_000);
  body.set(lying);
  await rejectsUser({ path: file('lying.gz', zlib.gzipSync(body)) }, 'lying.gz', /more than the 116 bytes its header declares/);
  assert.deepEqual(fs.readdirSync(cacheDir).filter((f) => f.includes('lying') || f.includes('cut') || f.endsWith('.partial')), []);
});

test('npy: Fortran order, object arrays, structured and string dtypes, truncated, bad header', async () => {
  const data = bytesOf(new Float32Array(12));
  await rejectsUser({ path: file('f.npy', npyBytes('<f4', [3, 4], data, true)) }, 'f.npy', /Fortran.*np\.ascontiguousarray/);
  await rejectsUser({ path: file('o.npy', npyBytes('|O', [3], new Uint8Array(24))) }, 'o.npy', /Python objects/);
  await rejectsUser({ path: file('u.npy', npyBytes('<U5', [3], new Uint8Array(60))) }, 'u.npy', /dtype '<U5' is not supported/);
  await rejectsUser({ path: file('r.npy', npyBytes("[('a', '<f4')]", [3], new Uint8Array(12))) }, 'r.npy', /structured/);
  await rejectsUser({ path: file('t.npy', npyBytes('<f4', [3, 4], data).subarray(0, 100)) }, 't.npy', /36 bytes follow the header|truncated/);
  await rejectsUser({ path: file('h.npy', npyBytes('<f4', [3, 4], data).subarray(0, 40)) }, 'h.npy', /header is cut off/);
  await rejectsUser({ path: file('big.npy', npyBytes('<f8', [1e9, 1e9, 1e9], data)) }, 'big.npy', /more bytes than/);
  await rejectsUser({ path: file('s.npy', npyBytes('<f4', [], bytesOf(new Float32Array(1)))) }, 's.npy', /single number/);
});

test('npy written by numpy: Fortran order and object dtype', { skip: !hasNumpy() && 'python3 with numpy is not installed' }, async () => {
  const dir = path.join(tmp.dir, 'np');
  fs.mkdirSync(dir, { recursive: true });
  python(dir, "np.save('fort.npy', np.asfortranarray(np.ones((3, 4), np.float32)))\nnp.save('obj.npy', np.array([{'a': 1}, None], dtype=object))");
  await rejectsUser({ path: path.join(dir, 'fort.npy') }, 'fort.npy', /Fortran/);
  await rejectsUser({ path: path.join(dir, 'obj.npy') }, 'obj.npy', /Python objects/);
});

test('npz: truncated, damaged deflate data, missing keys, ambiguous arrays, not-npy members, empty', async () => {
  const x = npyBytes('<f4', [4, 3], bytesOf(Float32Array.from({ length: 12 }, (_, i) => i * 1.7)));
  const zip = npzBytes({ x, y: npyBytes('<i4', [4], bytesOf(new Int32Array(4))) }, true);
  await rejectsUser({ path: file('cut.npz', zip.subarray(0, zip.length - 30)) }, 'cut.npz', /not a valid \.npz/);
  const stored = npzBytes({ x }, false);
  await rejectsUser({ path: file('short.npz', stored.subarray(0, 60)) }, 'short.npz', /not a valid \.npz/);
  const bad = zip.slice();
  bad.fill(0xff, 40, 60); // inside the first member's deflate stream
  await rejectsUser({ path: file('bad.npz', bad) }, 'bad.npz', /damaged/);
  await rejectsUser({ path: file('keys.npz', zip), npzKeys: { x: 'images' } }, 'keys.npz', /no array 'images'.*x, y/);
  const two = npzBytes({ a: x, b: x }, false);
  await rejectsUser({ path: file('two.npz', two) }, 'two.npz', /set npzKeys\.x/);
  const notNpy = npzBytes({ x: new TextEncoder().encode('hello') }, false);
  await rejectsUser({ path: file('txt.npz', notNpy) }, 'txt.npz', /not a \.npy file/);
  const mismatch = npzBytes({ x, y: npyBytes('<i4', [3], bytesOf(new Int32Array(3))) }, false);
  await rejectsUser({ path: file('count.npz', mismatch) }, 'count.npz', /3 labels but count\.npz\[x\] holds 4/);
  await rejectsUser({ path: file('empty.npz', Uint8Array.from([0x50, 0x4b, 5, 6, ...new Array(18).fill(0)])) }, 'empty.npz', /empty/);
});

test('CSV: ragged rows, non-numeric cells, empty cells, unknown label column, no data', async () => {
  await rejectsUser({ path: file('ragged.csv', 'a,b,c\n1,2,3\n4,5\n') }, 'ragged.csv', /line 3 has 2 cells but the header has 3/);
  await rejectsUser({ path: file('nan.csv', 'a,b,label\n1,2,0\n4,x5,1\n') }, 'nan.csv', /line 3, column 'b': "x5" is not a number/);
  await rejectsUser({ path: file('gap.csv', '1,2,3\n4,,6\n') }, 'gap.csv', /line 2, column 2: "" is not a number/);
  await rejectsUser({ path: file('col.csv', 'a,b\n1,2\n'), labelColumn: 'target' }, 'col.csv', /no column 'target'.*a, b/);
  await rejectsUser({ path: file('idx.csv', '1,2\n3,4\n'), labelColumn: 5 }, 'idx.csv', /out of range/);
  await rejectsUser({ path: file('head.csv', 'a,b,c\n') }, 'head.csv', /no data rows/);
  await rejectsUser({ path: file('latin1.csv', Uint8Array.from([0x31, 0x2c, 0x32, 0x0a, 0x33, 0x2c, 0xe9, 0x0a])) }, 'latin1.csv', /not a dataset format|UTF-8/);
  await rejectsUser({ path: file('blank.csv', '') }, 'blank.csv', /empty/);
  await rejectsUser({ path: file('reg.csv', 'a,target\n1,0.5\n2,1\n') }, 'reg.csv', /column 'target' holds 0\.5.*class indices/);
  await rejectsUser({ path: file('cnt.csv', 'a,label\n1,0\n2,1\n'), labels: file('cnt.npy', npyBytes('<i4', [3], new Uint8Array(12))) }, 'cnt.npy', /3 labels but cnt\.csv holds 2/);
});

test('image folders: mixed sizes, non-image files, damaged images, nothing inside', async () => {
  const px = (): [number, number, number] => [1, 2, 3];
  file('mixed/a/1.png', pngBytes(4, 4, px));
  file('mixed/b/2.png', pngBytes(5, 4, px));
  await rejectsUser({ path: path.join(tmp.dir, 'mixed') }, '2.png', /same size.*4x4.*5x4/);
  file('junk/a/1.png', pngBytes(4, 4, px));
  file('junk/a/notes.txt', 'hello');
  await rejectsUser({ path: path.join(tmp.dir, 'junk') }, 'notes.txt', /not a PNG or JPEG/);
  const png = pngBytes(4, 4, px);
  file('broken/a/1.png', png);
  file('broken/a/2.png', png.subarray(0, 40));
  await rejectsUser({ path: path.join(tmp.dir, 'broken') }, '2.png', /cannot decode/);
  file('loose/a/1.png', png);
  file('loose/2.png', png);
  await rejectsUser({ path: path.join(tmp.dir, 'loose') }, 'loose', /both class subfolders and loose images/);
  fs.mkdirSync(path.join(tmp.dir, 'none', 'cls'), { recursive: true });
  await rejectsUser({ path: path.join(tmp.dir, 'none') }, 'none', /has no images/);
  // One PNG is a one-sample dataset (an input picked for the linear interpreter), not an error.
  const single = await openDataset({ path: file('single.png', png) });
  assert.equal(single.size, 1);
  assert.equal(single.sampleShape.length, 3, "an image sample is HWC");
  single.close();
});

test('preprocess mismatches and bad options are UserErrors naming the file', async () => {
  const p = file('pp/x.npy', npyBytes('|u1', [2, 4, 4, 1], new Uint8Array(32)));
  await rejectsUser({ path: p, preprocess: { shape: [3, 32, 32] } }, 'x.npy', /\[4, 4, 1\].*does not fit the model input \[3, 32, 32\]/);
  await rejectsUser({ path: p, preprocess: { shape: [16], layout: 'nhwc' } }, 'x.npy', /does not fit/);
  await rejectsUser({ path: p, preprocess: { mean: [0.1, 0.2, 0.3] } }, 'x.npy', /3 values but the samples.*1 channels/);
  await rejectsUser({ path: p, preprocess: { std: [0] } }, 'x.npy', /must not contain 0/);
  await rejectsUser({ path: p, preprocess: { shape: [0, 4] } }, 'x.npy', /positive integers/);
  const csv = file('pp/f.csv', '1,2,3,4\n5,6,7,8\n');
  await rejectsUser({ path: csv, preprocess: { layout: 'nchw' } }, 'f.csv', /also give preprocess\.shape/);
  await rejectsUser({ path: csv, preprocess: { shape: [3, 1, 1] } }, 'f.csv', /does not fit/);
  await rejectsUser({ path: csv, subset: { count: 0 } }, 'f.csv', /subset\.count/);
  await rejectsUser({ path: path.join(tmp.dir, 'nope.idx') }, 'nope.idx', /does not exist/);
  await rejectsUser({ path: file('rand.bin', Uint8Array.from([0xde, 0xad, 0, 0xef, 1, 2])) }, 'rand.bin', /not a dataset format/);
});

test('NaN or ±Inf in the data: a UserError naming the file, the sample and the position, from batches() and sample()', async () => {
  for (const [name, v] of [['nan', NaN], ['inf', Infinity], ['-inf', -Infinity]] as const) {
    const values = new Float32Array(6 * 4).map((_, i) => i / 10);
    values[3 * 4 + 2] = v; // sample 3, position 2
    const p = file(`nonfinite-${name}.npy`, npyBytes('<f4', [6, 4], new Uint8Array(values.buffer)));
    await rejectsUser({ path: p }, `nonfinite-${name}.npy`, new RegExp(`sample 3 holds ${String(v).replace('-', '\\-')} at position 2 of its 4 values`));
    const ds = await openDataset({ path: p, cacheDir });
    try {
      assert.deepEqual([...(await ds.sample(2)).x], [0.8, 0.9, 1, 1.1].map(Math.fround));
      await assert.rejects(ds.sample(3), (e: unknown) => isUserError(e) && /sample 3 holds/.test(e.message));
    } finally {
      ds.close();
    }
  }
  // Float64 data whose value overflows float32 is ±Inf once read: the same error.
  const f64 = new Float64Array([1, 2, 1e300, 4]);
  await rejectsUser({ path: file('overflow-f8.npy', npyBytes('<f8', [2, 2], new Uint8Array(f64.buffer))) }, 'overflow-f8.npy', /sample 1 holds Infinity at position 0/);
});
