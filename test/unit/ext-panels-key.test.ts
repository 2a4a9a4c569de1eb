// Cache keys of results (src/extension/panels/cacheKey.ts): a hash of the model bytes (and a TF.js
// model's weight shards), the dataset and the parameters; the real example models are used too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cacheKey, fileDigest, modelCompanions, stableJson } from '../../src/extension/panels/cacheKey';

const ROOT = join(import.meta.dirname, '..', '..');
const MLP = join(ROOT, 'examples', 'models', 'mlp-seed1');

function withDir(fn: (dir: string) => Promise<void>): () => Promise<void> {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), 'll-key-'));
    try {
      await fn(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

/** Rewrites a file with new content and a later modification time (the digest memo keys on both). */
function rewrite(file: string, content: string | Buffer, bump: number): void {
  writeFileSync(file, content);
  const t = Date.now() / 1000 + bump;
  utimesSync(file, t, t);
}

test('stableJson sorts object keys at every level and keeps array order', () => {
  assert.equal(stableJson({ b: 1, a: { d: [3, { z: 0, y: 1 }], c: null } }), '{"a":{"c":null,"d":[3,{"y":1,"z":0}]},"b":1}');
  assert.notEqual(stableJson([1, 2]), stableJson([2, 1]));
});

test('fileDigest is the SHA-256 of the content, and sees changes', withDir(async (dir) => {
  const f = join(dir, 'm.onnx');
  rewrite(f, 'abc', 0);
  assert.equal(await fileDigest(f), createHash('sha256').update('abc').digest('hex'));
  rewrite(f, 'abd', 10);
  assert.equal(await fileDigest(f), createHash('sha256').update('abd').digest('hex'));
}));

test('a key is 64 hex digits, the same for the same inputs', withDir(async (dir) => {
  const f = join(dir, 'm.onnx');
  rewrite(f, 'weights', 0);
  const parts = [{ file: f }, { value: { alpha: [0, 0.5, 1], samples: 100 } }] as const;
  const k = await cacheKey(parts);
  assert.match(k, /^[0-9a-f]{64}$/);
  assert.equal(await cacheKey(parts), k);
  assert.equal(await cacheKey([{ file: f }, { value: { samples: 100, alpha: [0, 0.5, 1] } }]), k, 'key order of parameters does not matter');
}));

test('every input changes the key: file bytes, parameters, their order and their framing', withDir(async (dir) => {
  const f = join(dir, 'm.onnx');
  rewrite(f, 'weights-1', 0);
  const base = await cacheKey([{ file: f }, { value: 1 }]);
  assert.notEqual(await cacheKey([{ file: f }, { value: 2 }]), base, 'parameter');
  assert.notEqual(await cacheKey([{ value: 1 }, { file: f }]), base, 'part order');
  assert.notEqual(await cacheKey([{ value: 'ab' }, { value: 'c' }]), await cacheKey([{ value: 'a' }, { value: 'bc' }]), 'framing');
  assert.notEqual(await cacheKey([{ value: 'x' }]), await cacheKey([{ dataset: f }]), 'kinds of part are told apart');
  rewrite(f, 'weights-2', 10);
  assert.notEqual(await cacheKey([{ file: f }, { value: 1 }]), base, 'file content');
}));

test('a TF.js model.json key covers its weight shards, which stay inside the model folder', withDir(async (dir) => {
  const model = join(dir, 'mlp');
  cpSync(MLP, model, { recursive: true });
  const json = join(model, 'model.json');
  const shards = await modelCompanions(json);
  assert.deepEqual(shards, [join(model, 'group1-shard1of1.bin')]);
  const before = await cacheKey([{ model: json }]);
  assert.equal(await cacheKey([{ model: json }]), before);

  // The same model.json with other weights is another result.
  const bin = readFileSync(shards[0]!);
  bin[bin.length - 1] ^= 0xff;
  rewrite(shards[0]!, bin, 10);
  assert.notEqual(await cacheKey([{ model: json }]), before);

  // A missing shard still gives a key (the analysis fails later, and failures are not cached).
  rmSync(shards[0]!);
  assert.match(await cacheKey([{ model: json }]), /^[0-9a-f]{64}$/);

  // Paths that leave the folder are never read.
  const hostile = join(dir, 'hostile.json');
  writeFileSync(hostile, JSON.stringify({ weightsManifest: [{ paths: ['../../etc/passwd', '/etc/passwd', 'ok.bin', 7] }] }));
  assert.deepEqual(await modelCompanions(hostile), [join(dir, 'ok.bin')]);
  assert.deepEqual(await modelCompanions(join(ROOT, 'examples', 'models', 'cnn-seed1-onnx', 'model.onnx')), [], 'ONNX has no manifest');
}));

test('the two example MLPs (different seeds) have different keys', async () => {
  const a = await cacheKey([{ model: join(ROOT, 'examples/models/mlp-seed1/model.json') }]);
  const b = await cacheKey([{ model: join(ROOT, 'examples/models/mlp-seed2/model.json') }]);
  assert.notEqual(a, b);
});

test('a dataset folder key changes when a file is added, changed or removed', withDir(async (dir) => {
  const data = join(dir, 'images');
  mkdirSync(join(data, 'cat'), { recursive: true });
  mkdirSync(join(data, 'dog'), { recursive: true });
  writeFileSync(join(data, 'cat', '1.png'), 'c1');
  writeFileSync(join(data, 'dog', '1.png'), 'd1');
  const k0 = await cacheKey([{ dataset: data }]);
  assert.equal(await cacheKey([{ dataset: data }]), k0);
  writeFileSync(join(data, 'dog', '2.png'), 'd2');
  const k1 = await cacheKey([{ dataset: data }]);
  assert.notEqual(k1, k0, 'added');
  rewrite(join(data, 'dog', '2.png'), 'd2-longer', 10);
  const k2 = await cacheKey([{ dataset: data }]);
  assert.notEqual(k2, k1, 'changed');
  rmSync(join(data, 'dog', '2.png'));
  assert.equal(await cacheKey([{ dataset: data }]), k0, 'removed: back to the first listing');
}));

test('a dataset file key is its content hash (the Fashion-MNIST labels)', async () => {
  const labels = join(ROOT, 'examples/data/fashion-mnist/t10k-labels-idx1-ubyte.gz');
  const expected = createHash('sha256').update(readFileSync(labels)).digest('hex');
  assert.equal(await fileDigest(labels), expected);
  assert.notEqual(await cacheKey([{ dataset: labels }]), await cacheKey([{ file: labels }]));
});
