/**
 * Keras .h5 / .keras files are read by h5wasm in a worker thread with a deadline
 * (src/core/formats/keras/h5Thread.ts): a damaged file that makes the HDF5 library loop ends in a
 * UserError naming the file instead of a hang; a normal file loads exactly as it did in-process;
 * errors keep their class and message; no worker thread outlives the load.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { isUserError, UserError } from '../../src/core/errors';
import { loadModel } from '../../src/core/formats';
import { H5_DEADLINE_ENV, h5Deadline, loadKerasH5, loadKerasV3 } from '../../src/core/formats/keras';
import { readKerasH5 } from '../../src/core/formats/keras/kerasH5';
import { readKerasV3 } from '../../src/core/formats/keras/kerasV3';
import type { Graph } from '../../src/core/graph/ir';
import { ensureBuilt } from '../support/build';
import { runCli, userErrorLine } from '../support/cli';
import { buildH5, putDataset } from '../fixtures/keras/writers';
import { generateFuzz } from '../reliability/fuzz';
import { corpusDir } from '../reliability/hostile';

const ROOT = path.resolve(__dirname, '../..');
const H5 = path.join(ROOT, 'examples/models/mlp-seed1-keras/model.h5');
const corpus = corpusDir();
const noCorpus = !corpus && 'the corpus (../shared/corpus or LINEAR_LENS_CORPUS) is absent';
/** The lowered deadline of these tests. */
const DEADLINE_MS = 2000;

/**
 * Fuzz run 485 of base seed 1 (seed 486): a mutant of the corpus iris_model.h5 that makes HDF5
 * loop for minutes. generateFuzz with the one seed writes exactly that mutant.
 */
async function hangingH5(): Promise<string> {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'll-h5-worker-'));
  const [c] = await generateFuzz(out, { runs: 1, seed: 486, corpus });
  assert.equal(c.id, 'fuzz/h5/corpus-h5-mindaugas-iris-mlp/seed-486');
  return c.file;
}

async function withDeadline<T>(ms: number, f: () => Promise<T>): Promise<T> {
  const before = process.env[H5_DEADLINE_ENV];
  process.env[H5_DEADLINE_ENV] = String(ms);
  try {
    return await f();
  } finally {
    if (before === undefined) delete process.env[H5_DEADLINE_ENV];
    else process.env[H5_DEADLINE_ENV] = before;
  }
}

/** Everything of two graphs, the weights bit for bit. */
function assertSameGraph(a: Graph, b: Graph): void {
  const { params: pa, ...ra } = a;
  const { params: pb, ...rb } = b;
  assert.deepEqual(ra, rb);
  assert.deepEqual([...pa.keys()], [...pb.keys()]);
  for (const [k, p] of pa) {
    const q = pb.get(k)!;
    assert.ok(q.data instanceof Float32Array, k);
    const { data: da, ...meta } = p;
    const { data: db, ...metb } = q;
    assert.deepEqual(meta, metb, k);
    assert.ok(Buffer.from(da.buffer, da.byteOffset, da.byteLength).equals(Buffer.from(db.buffer, db.byteOffset, db.byteLength)), `${k} differs`);
  }
}

test('the deadline: 60 s plus 1 s per 10 MB, or LINEAR_LENS_H5_DEADLINE_MS', async () => {
  const before = process.env[H5_DEADLINE_ENV];
  delete process.env[H5_DEADLINE_ENV];
  try {
    assert.equal(h5Deadline(1000), 61_000);
    assert.equal(h5Deadline(500_000_000), 110_000);
  } finally {
    if (before !== undefined) process.env[H5_DEADLINE_ENV] = before;
  }
  await withDeadline(1234, async () => assert.equal(h5Deadline(1e9), 1234));
});

test('an .h5 that makes the HDF5 library loop ends in a UserError naming the file within the deadline', { skip: noCorpus }, async () => {
  const file = await hangingH5();
  try {
    const t0 = Date.now();
    let err: unknown;
    await withDeadline(DEADLINE_MS, () => loadModel(file).catch((e: unknown) => void (err = e)));
    const ms = Date.now() - t0;
    assert.ok(isUserError(err), `not a UserError: ${err instanceof Error ? err.stack : String(err)}`);
    assert.ok(err instanceof UserError);
    assert.equal(err.file, file);
    assert.match(err.message, /the HDF5 library did not finish reading this file within 2 s; the file is probably damaged/);
    assert.ok(err.message.startsWith(file), err.message);
    assert.ok(ms >= DEADLINE_MS - 50 && ms < DEADLINE_MS + 3000, `took ${ms} ms`);
  } finally {
    fs.rmSync(path.dirname(path.dirname(file)), { recursive: true, force: true });
  }
});

test('a normal .h5 loads in the worker exactly as in-process (every weight bit for bit)', async () => {
  const bytes = new Uint8Array(fs.readFileSync(H5));
  const inProcess = await readKerasH5(H5, bytes);
  const viaWorker = await loadKerasH5(H5, bytes);
  assertSameGraph(viaWorker, inProcess);
  assertSameGraph(await loadModel(H5), inProcess);
  // the caller's bytes are left alone (the worker gets a copy)
  assert.ok(Buffer.from(bytes).equals(fs.readFileSync(H5)));
});

test('corpus .h5 and .keras models load in the worker exactly as in-process', { skip: noCorpus }, async () => {
  const files = fs
    .readdirSync(corpus!)
    .filter((d) => /^(h5|keras)-/.test(d) && !d.includes('keras1'))
    .flatMap((d) => fs.readdirSync(path.join(corpus!, d)).filter((f) => /\.(h5|keras)$/.test(f)).map((f) => path.join(corpus!, d, f)));
  let compared = 0;
  for (const file of files) {
    const bytes = new Uint8Array(fs.readFileSync(file));
    const [read, load] = file.endsWith('.h5') ? [readKerasH5, loadKerasH5] : [readKerasV3, loadKerasV3];
    const a = await read(file, bytes).then((g) => g, (e: unknown) => e);
    const b = await load(file, bytes).then((g) => g, (e: unknown) => e);
    if (a instanceof Error) {
      assert.ok(b instanceof Error, `${file}: in-process ${a.message}, worker loaded`);
      assert.equal(b.name, a.name);
      assert.equal(b.message, a.message);
    } else {
      assertSameGraph(b as Graph, a as Graph);
      compared++;
    }
  }
  assert.ok(compared >= 5, `only ${compared} corpus models loaded`);
});

test('a reply that came in time counts, even when the main thread was busy past the deadline', async () => {
  const bytes = new Uint8Array(fs.readFileSync(H5));
  const expected = await readKerasH5(H5, bytes);
  const t0 = Date.now();
  await loadKerasH5(H5, bytes);
  const loadMs = Date.now() - t0;
  const g = await withDeadline(1000, async () => {
    const p = loadKerasH5(H5, bytes);
    // the main thread blocks well past the deadline while the worker reads the file (a shared
    // machine may be slow: three times an unblocked load)
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, Math.max(3000, 3 * loadMs));
    return p;
  });
  assertSameGraph(g, expected);
});

test('a UserError thrown in the worker comes back as a UserError with its message and file', async () => {
  const bytes = await buildH5((root) => putDataset(root, 'data', new Float32Array(4), [4]));
  const file = path.join(os.tmpdir(), 'll-h5-worker-not-keras.h5');
  const expected = await readKerasH5(file, bytes).then(() => undefined, (e: unknown) => e);
  assert.ok(expected instanceof UserError);
  await assert.rejects(loadKerasH5(file, bytes), (e: unknown) => {
    assert.ok(e instanceof UserError, `not a UserError: ${e instanceof Error ? e.stack : String(e)}`);
    assert.equal(e.name, 'UserError');
    assert.equal(e.message, expected.message);
    assert.equal(e.file, file);
    assert.match(e.message, /not a Keras model \(no model_config attribute/);
    return true;
  });
  // a damaged HDF5 file: HDF5's own error, as a UserError about the file
  const good = new Uint8Array(fs.readFileSync(H5));
  await assert.rejects(loadKerasH5(H5, good.subarray(0, 4000)), (e: unknown) => e instanceof UserError && e.file === H5 && /damaged|truncated/.test(e.message));
});

test('no worker thread outlives a load: a process that loads, is refused and times out exits at once', { skip: noCorpus }, async () => {
  const file = await hangingH5();
  try {
    const script = [
      `const { loadModel } = require(${JSON.stringify(path.join(ROOT, 'src/core/formats'))});`,
      '(async () => {',
      `  await loadModel(${JSON.stringify(H5)});`,
      `  await loadModel(${JSON.stringify(file)}).then(() => { throw new Error('loaded'); }, (e) => { if (e.name !== 'UserError') throw e; });`,
      `  console.log('done', Date.now());`,
      '})();',
    ].join('\n');
    const t0 = Date.now();
    const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, [H5_DEADLINE_ENV]: String(DEADLINE_MS) }, timeout: 60_000 });
    const end = Date.now();
    assert.equal(r.status, 0, r.stderr);
    const done = Number(/done (\d+)/.exec(r.stdout)?.[1]);
    // from the last load's answer to the process's exit: no thread or timer keeps it alive
    assert.ok(end - done < 1500, `the process exited ${end - done} ms after its last load`);
    assert.ok(end - t0 < 30_000);
  } finally {
    fs.rmSync(path.dirname(path.dirname(file)), { recursive: true, force: true });
  }
});

test('the built CLI (dist/h5-worker.js): the looping .h5 is exit 2 with one line naming the file; a normal .h5 loads', { skip: noCorpus }, async () => {
  ensureBuilt();
  assert.ok(fs.existsSync(path.join(ROOT, 'dist/h5-worker.js')));
  const file = await hangingH5();
  try {
    const t0 = Date.now();
    const r = runCli(['info', file], { [H5_DEADLINE_ENV]: String(DEADLINE_MS) }, 60_000);
    const ms = Date.now() - t0;
    const line = userErrorLine(r);
    assert.ok(line.includes(file), line);
    assert.match(line, /did not finish reading this file within 2 s/);
    assert.ok(ms < DEADLINE_MS + 5000, `the CLI took ${ms} ms`);
    const ok = runCli(['info', H5]);
    assert.equal(ok.status, 0, ok.stderr);
  } finally {
    fs.rmSync(path.dirname(path.dirname(file)), { recursive: true, force: true });
  }
});
