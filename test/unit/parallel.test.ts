// The worker pool (src/core/parallel): α points, layer-wise evaluations and NAD networks spread
// over worker threads give the very numbers of the one-thread path; a cancel stops every worker
// within a second; errors come back as the same errors; nothing leaks (tensors or threads).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/core/tf/backend';
import { loadModel } from '../../src/core/formats/index';
import { lmc, LmcPoint, lmcPointTask } from '../../src/core/analyses/connectivity/lmc';
import { layerwise } from '../../src/core/analyses/connectivity/layerwise';
import { computeNads } from '../../src/core/analyses/nad';
import { CancelledError, UserError } from '../../src/core/errors';
import { shareBatches, workerCount, WORKERS_ENV, WorkerPool, workerThreads } from '../../src/core/parallel';
import { wireData } from '../../src/core/parallel/sharedData';
import { openForModel } from '../../src/core/data/forModel';
import { batchSource } from '../../src/core/analyses/connectivity/data';
import { cnnBn, Data, mlp, source, teacherData } from './helpers/connectivity';
import { biasFreeCnn } from './helpers/nadGraphs';

const ROOT = path.resolve(__dirname, '../..');
const MODELS = path.join(ROOT, 'examples/models');
const DATA = path.join(ROOT, 'examples/data/fashion-mnist');
const EXAMPLES = ['mlp-seed1', 'mlp-seed2', 'cnn-seed1', 'cnn-seed2'].map((m) => path.join(MODELS, m, 'model.json'));
const missing = [...EXAMPLES, path.join(DATA, 't10k-images-idx3-ubyte.gz')].filter((f) => !fs.existsSync(f));
const skipExamples = missing.length ? `the examples are not there (${missing.map((f) => path.relative(ROOT, f)).join(', ')}); run npm run examples` : false;

/** uint8 IDX body after its header. */
function readIdx(file: string): Uint8Array {
  const raw = zlib.gunzipSync(fs.readFileSync(file));
  const start = 4 + 4 * raw[3];
  return new Uint8Array(raw.buffer, raw.byteOffset + start, raw.length - start);
}

/** The first n Fashion-MNIST test images in [0, 1] as 28×28×1, with their labels. */
function fashion(n: number) {
  const x = Float32Array.from(readIdx(path.join(DATA, 't10k-images-idx3-ubyte.gz')).subarray(0, n * 784), (v) => v / 255);
  const y = Int32Array.from(readIdx(path.join(DATA, 't10k-labels-idx1-ubyte.gz')).subarray(0, n));
  return { x, y, n, shape: [28, 28, 1] };
}

let imgData: Data;
let mlpData: Data;

before(async () => {
  // The pool's workers take the parent's backend; wasm is the embedded default the speed-up is for.
  await initBackend({ preference: 'wasm' });
  imgData = teacherData(32, 96, [8, 8, 3], cnnBn(99));
  mlpData = teacherData(31, 400, [20], mlp(99, [20, 16, 5]));
});

/** Runs `f` and checks that it leaves no tensors and no worker threads behind. */
async function clean<T>(what: string, f: () => Promise<T>): Promise<T> {
  const before = tf.memory().numTensors;
  try {
    return await f();
  } finally {
    assert.equal(tf.memory().numTensors, before, `${what}: tensors leaked`);
    assert.equal(workerThreads().live, 0, `${what}: worker threads left running`);
  }
}

function assertSamePoints(got: readonly LmcPoint[], want: readonly LmcPoint[], what: string): void {
  assert.equal(got.length, want.length, what);
  for (let i = 0; i < want.length; i++) {
    assert.equal(got[i].alpha, want[i].alpha, `${what}: α of point ${i}`);
    // Same ops on the same backend per point: the numbers are bit for bit the serial ones.
    assert.equal(got[i].loss, want[i].loss, `${what}: loss at α = ${want[i].alpha}`);
    assert.equal(got[i].accuracy, want[i].accuracy, `${what}: accuracy at α = ${want[i].alpha}`);
  }
}

test('worker count: the option, else LINEAR_LENS_WORKERS, else the cores; never more than the tasks; bad values are UserErrors', () => {
  const saved = process.env[WORKERS_ENV];
  try {
    delete process.env[WORKERS_ENV];
    assert.equal(workerCount(100, 3), 3);
    assert.equal(workerCount(2, 8), 2);
    assert.ok(workerCount(1000) >= 1);
    process.env[WORKERS_ENV] = '1';
    assert.equal(workerCount(100), 1);
    assert.equal(workerCount(100, 2), 2, 'the option wins over the environment');
    process.env[WORKERS_ENV] = 'many';
    assert.throws(() => workerCount(10), (e: unknown) => e instanceof UserError && /LINEAR_LENS_WORKERS="many"/.test(e.message));
    assert.throws(() => workerCount(10, 0), UserError);
    assert.throws(() => workerCount(10, 1.5), UserError);
  } finally {
    if (saved === undefined) delete process.env[WORKERS_ENV];
    else process.env[WORKERS_ENV] = saved;
  }
});

test('example MLPs and CNNs: the curve from two workers is the one-thread curve, for every correction', { skip: skipExamples }, async () => {
  const [m1, m2, c1, c2] = await Promise.all(EXAMPLES.map((f) => loadModel(f)));
  const data = source(fashion(300));
  const alphas = [0, 0.2, 0.45, 0.7, 1];
  for (const [name, a, b] of [['mlp', m1, m2], ['cnn', c1, c2]] as const) {
    // (The example networks have no batch-norm, so BN reset is the batch-norm CNN's test below.)
    for (const correction of ['none', 'repair'] as const) {
      const serial = await lmc(a, b, data, { alphas, batchSize: 128, correction, workers: 1 });
      const started = workerThreads().started;
      const seen: number[] = [];
      const pooled = await clean(`${name} ${correction}`, () => lmc(a, b, data, { alphas, batchSize: 128, correction, workers: 2, onPoint: (p, i) => seen.push(i) }));
      assert.equal(workerThreads().started, started + 2, 'two workers ran it');
      assertSamePoints(pooled.points, serial.points, `${name} ${correction}`);
      assert.deepEqual(pooled.barriers, serial.barriers);
      assert.deepEqual(pooled.notes, serial.notes);
      assert.equal(pooled.correction, serial.correction);
      assert.deepEqual(seen, [0, 1, 2, 3, 4], 'onPoint tells every point once, in α order');
      assert.ok(pooled.barriers.loss > 0);
    }
  }
});

test('a dataset file goes to the workers as its spec: each opens it, nothing is copied, the curve is the one-thread curve', { skip: skipExamples }, async () => {
  const [a, b] = await Promise.all(EXAMPLES.slice(2).map((f) => loadModel(f)));
  const ds = await openForModel(a, { path: path.join(DATA, 't10k-images-idx3-ubyte.gz'), maxSamples: 400, seed: 3 });
  try {
    const data = batchSource(ds);
    assert.ok(data.spec, 'a dataset source carries its spec');
    const wire = await wireData(a, data, 128);
    assert.equal(wire?.kind, 'dataset', 'sent as a spec, not as batches');
    const alphas = [0, 0.3, 0.6, 1];
    for (const correction of ['none', 'repair'] as const) {
      const serial = await lmc(a, b, data, { alphas, batchSize: 128, correction, workers: 1 });
      const pooled = await clean(`dataset ${correction}`, () => lmc(a, b, data, { alphas, batchSize: 128, correction, workers: 2 }));
      assertSamePoints(pooled.points, serial.points, `dataset ${correction}`);
      assert.deepEqual(pooled.barriers, serial.barriers);
    }
    const lw = await layerwise(a, b, data, { batchSize: 128, workers: 1 });
    assert.deepEqual(await clean('dataset layerwise', () => layerwise(a, b, data, { batchSize: 128, workers: 2 })), lw);
  } finally {
    ds.close();
  }
});

test('a CNN with batch-norm: pooled equals serial with no correction, BN reset and REPAIR (separate statistics data too)', async () => {
  const a = cnnBn(45);
  const b = cnnBn(46);
  const stats = source(teacherData(33, 64, [8, 8, 3], cnnBn(99)));
  for (const correction of ['none', 'reset', 'repair'] as const) {
    const serial = await lmc(a, b, source(imgData), { points: 4, batchSize: 40, correction, statsData: stats, workers: 1 });
    const fractions: number[] = [];
    const pooled = await clean(`cnn-bn ${correction}`, () =>
      lmc(a, b, source(imgData), { points: 4, batchSize: 40, correction, statsData: stats, workers: 2 }, { progress: (f) => fractions.push(f) }),
    );
    assertSamePoints(pooled.points, serial.points, `cnn-bn ${correction}`);
    assert.ok(fractions.length >= 8, `${fractions.length} progress reports`);
    for (let i = 1; i < fractions.length; i++) assert.ok(fractions[i] >= fractions[i - 1], `${correction}: progress went back (${fractions[i - 1]} → ${fractions[i]})`);
    assert.ok(fractions.every((f) => f >= 0 && f <= 1));
    assert.equal(fractions[fractions.length - 1], 1);
  }
  // The corrections change the curve between the endpoints (so the three comparisons test three paths).
  const none = await lmc(a, b, source(imgData), { points: 3, batchSize: 40, workers: 1 });
  const reset = await lmc(a, b, source(imgData), { points: 3, batchSize: 40, workers: 1, correction: 'reset' });
  assert.notEqual(none.points[1].loss, reset.points[1].loss);
});

test('layer-wise barriers from two workers equal the one-thread ones, entries told in order', async () => {
  const a = cnnBn(51);
  const b = cnnBn(52);
  const serial = await layerwise(a, b, source(imgData), { batchSize: 32, workers: 1 });
  const told: string[] = [];
  const pooled = await clean('layerwise', () => layerwise(a, b, source(imgData), { batchSize: 32, workers: 2, onEntry: (k, _e, i) => told.push(`${k}${i}`) }));
  assert.deepEqual(pooled, serial);
  const G = serial.groups.length;
  assert.ok(G >= 4);
  const want = [...['single', 'fromInput', 'fromOutput'].flatMap((k) => Array.from({ length: G }, (_, i) => `${k}${i}`))];
  assert.deepEqual(told, want);
  assert.ok(serial.full.barrier !== 0 && Number.isFinite(serial.full.barrier));
});


test('NADs: the networks shared out to workers give the serial gradients and directions, whatever worker runs which network', async () => {
  const g = biasFreeCnn();
  const opts = { networks: 37, seed: 9, components: 6, keepGradients: true, batchSize: 16 };
  const serial = await computeNads(g, { ...opts, workers: 1 });
  const messages: string[] = [];
  const two = await clean('nad 2', () => computeNads(g, { ...opts, workers: 2 }, { progress: (_f, m) => m && messages.push(m) }));
  const three = await clean('nad 3', () => computeNads(g, { ...opts, workers: 3 }));
  for (const r of [two, three]) {
    assert.deepEqual(r.gradients, serial.gradients);
    assert.deepEqual(r.eigenvalues, serial.eigenvalues);
    assert.deepEqual(r.nads.map((n) => n.vector), serial.nads.map((n) => n.vector));
  }
  assert.ok(serial.gradients!.some((v) => v !== 0));
  const networks = messages.filter((m) => m.startsWith('network'));
  assert.equal(networks.length, 37, 'one report per network');
  assert.equal(networks[networks.length - 1], 'network 37/37');
});

test('a cancel stops every worker within a second and leaves no threads or tensors', async () => {
  const a = cnnBn(61, { size: 16, channels: 16 });
  const b = cnnBn(62, { size: 16, channels: 16 });
  const data = source(teacherData(34, 512, [16, 16, 3], cnnBn(98, { size: 16, channels: 16 })));
  let cancelAt = 0;
  let reports = 0;
  const ctx = {
    cancelled: () => cancelAt > 0,
    // Cancel once the workers are well into their points (α = 0 is computed in this thread).
    progress: (_f: number, m?: string) => {
      if (m?.startsWith('α') && !m.startsWith('α = 0.000') && ++reports === 4) cancelAt = performance.now();
    },
  };
  await clean('cancelled lmc', () => assert.rejects(lmc(a, b, data, { points: 25, batchSize: 32, correction: 'reset', workers: 2 }, ctx), CancelledError));
  const stopped = performance.now() - cancelAt;
  assert.ok(cancelAt > 0, 'the workers reported progress');
  console.log(`# the pooled curve stopped ${stopped.toFixed(0)} ms after the cancel`);
  assert.ok(stopped < 1000, `stopped ${stopped.toFixed(0)} ms after the cancel`);
  // NADs the same way, cancelled from the third network's report: no report after it.
  let seen = 0;
  let cancel = false;
  await clean('cancelled nads', () =>
    assert.rejects(
      computeNads(biasFreeCnn(), { networks: 200, workers: 2 }, { cancelled: () => cancel, progress: (_f, m) => { if (m?.startsWith('network') && ++seen === 3) cancel = true; } }),
      CancelledError,
    ),
  );
  assert.equal(seen, 3);
});

test('a UserError in a worker is the same UserError in the parent; a worker that dies is a clear error, not a hang', async () => {
  const a = mlp(71, [20, 16, 5]);
  const b = mlp(72, [20, 16, 5]);
  const unlabelled = source(mlpData, { labels: false });
  const serial = await lmc(a, b, unlabelled, { points: 3, workers: 1 }).then(() => undefined, (e: unknown) => e);
  assert.ok(serial instanceof UserError && /no labels/.test(serial.message));
  await clean('user error', () =>
    assert.rejects(lmc(a, b, unlabelled, { points: 3, workers: 2 }), (e: unknown) => e instanceof UserError && e.message === serial.message && e.file === serial.file),
  );
  // Labels outside the model's classes: also found by a worker, also a UserError.
  const bad = { ...mlpData, y: mlpData.y.map((v) => v + 7) };
  await clean('bad labels', () => assert.rejects(lmc(a, b, source(bad), { points: 3, workers: 2 }), (e: unknown) => e instanceof UserError && /label 7 is not a class/.test(e.message)));

  // A worker killed in the middle of its task (as by an out-of-memory abort).
  const pool = WorkerPool.start(2);
  try {
    const shared = await shareBatches(a, source(mlpData), 100);
    const wire = { a, b, data: { kind: 'shared' as const, batches: shared! }, correction: 'none' as const, batchSize: 100 };
    const run = pool.run(lmcPointTask, wire, [0, 0.5, 1], {
      onProgress: () => {
        // Reaches into the pool to end one thread the way a crash would.
        void (pool as unknown as { slots: { worker: { terminate(): Promise<number> } }[] }).slots[0].worker.terminate();
      },
    });
    await assert.rejects(run, (e: unknown) => e instanceof Error && !(e instanceof UserError) && /Worker thread 1 of 2 stopped unexpectedly/.test(e.message));
  } finally {
    await pool.close();
  }
  assert.equal(workerThreads().live, 0);
});

test('one worker is the one-thread path: no thread starts, same numbers, LINEAR_LENS_WORKERS=1 too; a small job by default starts none either', async () => {
  const a = mlp(81, [20, 16, 5]);
  const b = mlp(82, [20, 16, 5]);
  const saved = process.env[WORKERS_ENV];
  const started = workerThreads().started;
  try {
    const one = await clean('workers 1', () => lmc(a, b, source(mlpData), { points: 5, workers: 1 }));
    process.env[WORKERS_ENV] = '1';
    const env = await lmc(a, b, source(mlpData), { points: 5 });
    const nads = await computeNads(biasFreeCnn(), { networks: 4, seed: 1 });
    // By default the first point shows this curve takes milliseconds: not worth starting workers.
    delete process.env[WORKERS_ENV];
    const small = await lmc(a, b, source(mlpData), { points: 5 });
    assert.equal(workerThreads().started, started, 'no worker thread was started');
    assertSamePoints(small.points, one.points, 'default');
    assertSamePoints(env.points, one.points, 'env');
    assert.ok(nads.eigenvalues[0] > 0);
    const pooled = await lmc(a, b, source(mlpData), { points: 5, workers: 2 });
    assertSamePoints(pooled.points, one.points, 'pooled');
    assert.ok(one.barriers.loss > 0);
  } finally {
    if (saved === undefined) delete process.env[WORKERS_ENV];
    else process.env[WORKERS_ENV] = saved;
  }
});
