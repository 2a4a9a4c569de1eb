// Datasets larger than what a test should hold in memory are read batch by batch: memory stays
// bounded by the batch, not the file.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as zlib from 'node:zlib';
import { after, before, test } from 'node:test';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import { openDataset } from '../../src/core/data/index';
import { liveTensors, npyBytes, tempDir, useCpu } from './helpers/data';

// A collection now and then separates what is retained from what the GC has not got to yet.
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

const tmp = tempDir('ll-stream-');
const cacheDir = path.join(tmp.dir, 'cache');
before(useCpu);
after(tmp.cleanup);

const ROWS = 65536;
const ROW = 32 * 32 * 3; // 65536 rows x 3072 bytes = 201 MB
/** Element j of row i. */
const value = (i: number, j: number): number => (i * 31 + j) % 256;

/** Rows [from, to) as bytes, generated chunk by chunk so the test itself stays small. */
function* rowChunks(from: number, to: number, chunkRows = 1024): Generator<Uint8Array> {
  const buf = new Uint8Array(chunkRows * ROW);
  for (let r = from; r < to; r += chunkRows) {
    const n = Math.min(chunkRows, to - r);
    for (let k = 0; k < n; k++) for (let j = 0; j < ROW; j++) buf[k * ROW + j] = value(r + k, j);
    yield buf.slice(0, n * ROW);
  }
}

/**
 * Iterates the dataset, checking a few values per batch. Returns the peak RSS growth, and how much
 * the buffers held after a collection grew from the first checkpoints to the last (a leak of a
 * batch's buffers would add up to hundreds of MB over 256 batches), in bytes.
 */
async function readAll(p: string, extra: { labels?: string } = {}): Promise<{ peak: number; drift: number; rows: number }> {
  gc();
  const base = process.memoryUsage();
  let peak = 0;
  const held: number[] = [];
  let rows = 0;
  const start = liveTensors();
  const ds = await openDataset({ path: p, cacheDir, preprocess: { scale: 1 }, ...extra });
  assert.equal(ds.size, ROWS);
  assert.deepEqual(ds.sampleShape, [32, 32, 3]);
  for await (const b of ds.batches(256)) {
    const x = await b.x.data();
    const last = b.indices.length - 1;
    assert.equal(x[0], value(b.indices[0], 0));
    assert.equal(x[ROW - 1], value(b.indices[0], ROW - 1));
    assert.equal(x[last * ROW + 1234], value(b.indices[last], 1234));
    rows += b.indices.length;
    b.x.dispose();
    b.y?.dispose();
    peak = Math.max(peak, process.memoryUsage().rss - base.rss);
    if (rows % (8 * 256) === 0) {
      gc();
      held.push(process.memoryUsage().arrayBuffers);
    }
  }
  ds.close();
  assert.equal(liveTensors(), start);
  // Minima, because freed buffers are swept concurrently and may still be counted right after gc().
  const drift = Math.min(...held.slice(-4)) - Math.min(...held.slice(0, 4));
  if (process.env.LL_VERBOSE) console.log(`peak RSS growth ${(peak / 1e6).toFixed(1)} MB, buffer drift ${(drift / 1e6).toFixed(1)} MB`);
  return { peak, drift, rows };
}

test('a 200 MB .npy is streamed in batches of 256 with bounded memory', { timeout: 300_000 }, async () => {
  const p = path.join(tmp.dir, 'x_big.npy');
  const fd = fs.openSync(p, 'w');
  fs.writeSync(fd, npyBytes('|u1', [ROWS, 32, 32, 3], new Uint8Array(0)));
  for (const chunk of rowChunks(0, ROWS)) fs.writeSync(fd, chunk);
  fs.closeSync(fd);
  const size = fs.statSync(p).size;
  assert.ok(size > 200e6);
  const { peak, drift, rows } = await readAll(p);
  assert.equal(rows, ROWS);
  assert.ok(peak < size / 2, `RSS grew by ${(peak / 1e6).toFixed(0)} MB while reading a ${(size / 1e6).toFixed(0)} MB file`);
  assert.ok(drift < 32e6, `buffers held grew by ${(drift / 1e6).toFixed(0)} MB during the iteration`);
  fs.rmSync(p);
});

test('a 200 MB gzipped IDX is decompressed as a stream and read with bounded memory', { timeout: 300_000 }, async () => {
  const p = path.join(tmp.dir, 'big-images-idx4-ubyte.gz');
  const header = new Uint8Array(4 + 16);
  header.set([0, 0, 0x08, 4]);
  [ROWS, 32, 32, 3].forEach((d, i) => new DataView(header.buffer).setUint32(4 + 4 * i, d, false));
  await pipeline(Readable.from((function* () {
    yield header;
    yield* rowChunks(0, ROWS);
  })()), zlib.createGzip({ level: 1 }), fs.createWriteStream(p));
  const { peak, drift, rows } = await readAll(p);
  assert.equal(rows, ROWS);
  assert.ok(peak < 201e6 / 2, `RSS grew by ${(peak / 1e6).toFixed(0)} MB while reading a 201 MB file`);
  assert.ok(drift < 32e6, `buffers held grew by ${(drift / 1e6).toFixed(0)} MB during the iteration`);
  fs.rmSync(p);
  fs.rmSync(cacheDir, { recursive: true });
});
