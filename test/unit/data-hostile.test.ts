/**
 * Bugs the reliability corpus (test/reliability) found in the dataset readers: compression bombs
 * in .npz and .gz that filled the cache disk, and a CSV without line breaks that took quadratic
 * time and a gigabyte. Each is now a UserError naming the file, before the damage.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { isUserError } from '../../src/core/errors';
import { openDataset } from '../../src/core/data';
import { crc32, zipRaw } from '../reliability/lib';
import { idxBytes, npyBytes, tempDir, useCpu } from './helpers/data';

async function refusal(file: string, cacheDir: string, ...patterns: RegExp[]): Promise<void> {
  let err: unknown;
  try {
    (await openDataset({ path: file, cacheDir })).close();
  } catch (e) {
    err = e;
  }
  assert.ok(isUserError(err), `not a UserError: ${err instanceof Error ? err.stack : String(err)}`);
  const msg = (err as Error).message;
  assert.ok(msg.includes(path.basename(file)), msg);
  for (const p of patterns) assert.match(msg, p);
}

const SIZE = 100 * 1024 * 1024;

test('an .npz member that would inflate a thousand-fold past 64 MB is refused before anything is written', async () => {
  await useCpu();
  const { dir, cleanup } = tempDir();
  try {
    const npy = npyBytes('|u1', [SIZE], new Uint8Array(0));
    const whole = Buffer.concat([Buffer.from(npy), Buffer.alloc(SIZE)]);
    const data = new Uint8Array(zlib.deflateRawSync(whole, { level: 9 }));
    const file = path.join(dir, 'bomb.npz');
    fs.writeFileSync(file, zipRaw([{ name: 'x.npy', data, method: 8, size: whole.length, crc: crc32([whole]) }]));
    const cache = path.join(dir, 'cache');
    await refusal(file, cache, /zip bomb/);
    assert.deepEqual(fs.existsSync(cache) ? fs.readdirSync(cache) : [], []);
  } finally {
    cleanup();
  }
});

test('a gzip file that decompresses a thousand-fold past 64 MB is refused while decompressing', async () => {
  await useCpu();
  const { dir, cleanup } = tempDir();
  try {
    const idx = idxBytes('uint8', [SIZE / 1000, 1000], new Uint8Array(0));
    const whole = Buffer.concat([Buffer.from(idx), Buffer.alloc(SIZE)]);
    const file = path.join(dir, 'images-idx3-ubyte.gz');
    fs.writeFileSync(file, zlib.gzipSync(whole, { level: 9 }));
    await refusal(file, path.join(dir, 'cache'), /gzip bomb/);
  } finally {
    cleanup();
  }
});

test('a CSV line longer than 4 MB is refused without reading on (no quadratic scan, no gigabyte of cells)', async () => {
  await useCpu();
  const { dir, cleanup } = tempDir();
  try {
    const file = path.join(dir, 'wide.csv');
    fs.writeFileSync(file, 'a,' + '1,'.repeat(3 * 1024 * 1024));
    const t0 = Date.now();
    await refusal(file, path.join(dir, 'cache'), /line 1 is longer than 4 MB/);
    assert.ok(Date.now() - t0 < 5000);
  } finally {
    cleanup();
  }
});
