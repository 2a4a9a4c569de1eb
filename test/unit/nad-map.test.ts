import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/core/tf/backend';
import { GraphBuilder } from '../../src/core/graph/builder';
import { Graph } from '../../src/core/graph/ir';
import { Rng } from '../../src/core/init';
import { accuracyMap, nadDirections, coarseFirst, directionalData, directionKey, DirectionOutcome, DirectionResult, fourierDirection, fourierGrid, imageGeometry, memoryStore } from '../../src/core/analyses/nad';
import { CancelledError } from '../../src/core/errors';
import { logistic } from './helpers/connectivity';

before(async () => {
  await initBackend({ preference: 'cpu' });
});

/** conv3×3(4, same)-relu-maxpool-flatten-dense(10) on 8×8×1, a Keras model. */
function tinyCnn(): Graph {
  const b = new GraphBuilder('/mem/tiny.json', 'tfjs-layers', { framework: 'tfjs', name: 'tfjs-layers 4.22.0' }, 'tiny');
  let x = b.input('x', [null, 8, 8, 1], 'nhwc', [8, 8, 1]);
  x = b.node('conv', { op: 'conv2d', strides: [1, 1], padding: 'same', dilations: [1, 1], groups: 1 }, [x], { kernel: b.param('k', 'kernel', [3, 3, 1, 4], new Float32Array(36)), bias: b.param('b', 'bias', [4], new Float32Array(4)) });
  x = b.node('pool', { op: 'maxPool', poolSize: [2, 2], strides: [2, 2], padding: 'valid' }, [b.node('relu', { op: 'relu' }, [x])]);
  x = b.node('fc', { op: 'dense' }, [b.node('flat', { op: 'flatten', order: 'nhwc' }, [x])], { kernel: b.param('fk', 'kernel', [64, 10], new Float32Array(640)), bias: b.param('fb', 'bias', [10], new Float32Array(10)) });
  b.output(x, 'logits', [null, 10], 'flat');
  return b.build();
}

test('the directional set: ±ε/2 along v, σ-noise orthogonal to it, balanced labels', () => {
  const g = imageGeometry(tinyCnn());
  const v = fourierDirection(g, 1, 2);
  const { x, y } = directionalData(v, 11, new Rng(1), { epsilon: 1, sigma: 3 });
  assert.equal(y.filter((l) => l === 0).length, 6);
  for (let i = 0; i < 11; i++) {
    let dot = 0;
    let norm = 0;
    for (let j = 0; j < 64; j++) {
      dot += x[i * 64 + j] * v[j];
      norm += x[i * 64 + j] ** 2;
    }
    assert.ok(Math.abs(dot - (y[i] === 0 ? 0.5 : -0.5)) < 1e-5, `sample ${i}: projection ${dot}`);
    assert.ok(norm > 100, 'σ = 3 noise in the other 63 dimensions');
  }
});

test('Fourier grids: keys equal up to sign, coarse grids inside fine ones, coarse cells first', () => {
  const g = imageGeometry(tinyCnn());
  assert.equal(directionKey({ kind: 'fourier', fu: 1, fv: -3 }, g), directionKey({ kind: 'fourier', fu: -1, fv: 3 }, g));
  assert.notEqual(directionKey({ kind: 'fourier', fu: 1, fv: 3 }, g), directionKey({ kind: 'fourier', fu: 1, fv: -3 }, g));
  const coarse = fourierGrid(g, 2).map((c) => `${c.fu},${c.fv}`);
  const fine = fourierGrid(g, 4);
  assert.deepEqual(coarse, ['-4,-4', '-4,0', '0,-4', '0,0']);
  for (const c of coarse) assert.ok(fine.some((f) => `${f.fu},${f.fv}` === c));
  const ordered = coarseFirst(fine, g);
  assert.deepEqual(ordered.slice(0, 4).map((c) => `${c.fu},${c.fv}`), coarse);
  assert.equal(fourierGrid(g, 8).length, 64);
});

test('a linear classifier learns any direction of the separable set', async () => {
  const g = logistic(1, 64, 2);
  const random = new Rng(9).fillNormal(new Float32Array(64));
  const directions = [{ kind: 'fourier', fu: 2, fv: 1 } as const, { kind: 'fourier', fu: 0, fv: 0 } as const, ...nadDirections([{ index: 0, vector: random }])];
  const r = await accuracyMap(g, { directions, samples: 400, testSamples: 200, sigma: 0.5, epochs: 5, batchSize: 50, lr: 0.5 });
  assert.equal(r[2].directionKey.startsWith('vector:NAD 0:'), true);
  for (const d of r) assert.ok(d.testAccuracy > 0.95, `${d.directionKey}: ${d.testAccuracy}`);
});

test('directional accuracy map on a 2×2 grid: runs, caches, resumes after a cancel without recomputing', async () => {
  const g = tinyCnn();
  const geometry = imageGeometry(g);
  const directions = fourierGrid(geometry, 2).map((c) => c.direction);
  const opts = { directions, samples: 120, testSamples: 60, epochs: 2, batchSize: 40, seed: 3 };
  const store = memoryStore<DirectionResult>();
  const before = tf.memory().numTensors;
  let cancel = false;
  const first: DirectionOutcome[] = [];
  await assert.rejects(
    accuracyMap(g, { ...opts, store, onResult: (r) => { first.push(r); cancel = true; } }, { cancelled: () => cancel }),
    (e: unknown) => e instanceof CancelledError,
  );
  assert.equal(first.length, 1);
  assert.equal(store.map.size, 1);
  assert.equal(tf.memory().numTensors, before, 'a cancelled sweep leaked tensors');
  const second: DirectionOutcome[] = [];
  const r = await accuracyMap(g, { ...opts, store, onResult: (o) => { second.push(o); } });
  assert.deepEqual(second.map((o) => o.cached), [true, false, false, false]);
  assert.equal(second[0].testAccuracy, first[0].testAccuracy);
  assert.equal(store.map.size, 4);
  for (const o of r) {
    assert.ok(o.testAccuracy >= 0 && o.testAccuracy <= 1 && Number.isFinite(o.trainLoss));
    assert.equal(o.steps, 6);
  }
  const third = await accuracyMap(g, { ...opts, store });
  assert.ok(third.every((o) => o.cached));
  assert.deepEqual(third.map((o) => o.testAccuracy), r.map((o) => o.testAccuracy));
  // other settings are other results
  const other = await accuracyMap(g, { ...opts, directions: directions.slice(0, 1), epochs: 1, store });
  assert.equal(other[0].cached, false);
  assert.equal(tf.memory().numTensors, before, 'the sweep leaked tensors');
});

test('a direction equal up to sign to an earlier one of the sweep reuses its result and does not count as cached', async () => {
  const g = tinyCnn();
  const directions = [{ kind: 'fourier', fu: 1, fv: 1 } as const, { kind: 'fourier', fu: -1, fv: -1 } as const];
  const store = memoryStore<DirectionResult>();
  const r = await accuracyMap(g, { directions, samples: 120, testSamples: 60, epochs: 1, batchSize: 40, seed: 5, store });
  assert.deepEqual(r.map((o) => o.cached), [false, false]);
  assert.equal(r[1].testAccuracy, r[0].testAccuracy);
  assert.equal(store.map.size, 1, 'trained once');
  const again = await accuracyMap(g, { directions, samples: 120, testSamples: 60, epochs: 1, batchSize: 40, seed: 5, store });
  assert.deepEqual(again.map((o) => o.cached), [true, false]);
});
