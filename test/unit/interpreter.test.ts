import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/core/tf/backend';
import { Executor } from '../../src/core/graph/executor';
import { interpret, LinearInterpreter } from '../../src/core/analyses/interpreter';
import { topSingular } from '../../src/core/analyses/interpreter/svd';
import { Graph, OpSpec, sizeOf } from '../../src/core/graph/ir';
import { mulberry32, randn, maxRelDiff } from './helpers/random';
import { randomCnn } from './helpers/graphs';

before(async () => {
  await initBackend({ preference: 'cpu' });
});

const PIECEWISE: OpSpec[] = [{ op: 'relu' }, { op: 'leakyRelu', alpha: 0.2 }, { op: 'clip', min: 0, max: 6 }];
const SMOOTH: OpSpec[] = [{ op: 'sigmoid' }, { op: 'tanh' }, { op: 'gelu', approximate: false }, { op: 'silu' }, { op: 'elu', alpha: 1 }, { op: 'softplus' }, { op: 'hardSigmoid', alpha: 0.2, beta: 0.5 }];

function inputOf(g: Graph, seed: number): Float32Array {
  const n = sizeOf(g.nodes[0].shape);
  return Float32Array.from(randn(mulberry32(seed), n));
}

/** Jacobian of the logits (softmax skipped) by autodiff, one row per output. */
function autodiffJacobian(g: Graph, x0: Float32Array, m: number): Float32Array[] {
  const ex = new Executor(g);
  const skip = g.nodes.find((n) => n.op.op === 'softmax')!;
  const x = tf.tensor(x0, [1, ...g.nodes[0].shape]);
  const rows: Float32Array[] = [];
  for (let k = 0; k < m; k++) {
    const grad = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(ex.predict(t, { hook: (n, ins) => (n === skip ? ins[0] : undefined) }), tf.oneHot(tf.tensor1d([k], 'int32'), m))))(x);
    rows.push(grad.dataSync().slice() as Float32Array);
    grad.dispose();
  }
  x.dispose();
  ex.dispose();
  return rows;
}

test('piecewise-linear networks: A·x0 + b = F(x0) within 1e-5 and the rows are the autodiff Jacobian', async () => {
  for (let seed = 1; seed <= 12; seed++) {
    const g = randomCnn(seed, PIECEWISE);
    const x0 = inputOf(g, 100 + seed);
    const before = tf.memory().numTensors;
    const r = await interpret(g, x0, { rows: 'all', batchSize: 3 });
    assert.equal(tf.memory().numTensors, before, `seed ${seed}: tensors leaked`);
    assert.ok(r.residual < 1e-5, `seed ${seed}: residual ${r.residual}`);
    assert.equal(r.skippedSoftmax, 'probs');
    const jac = autodiffJacobian(g, x0, r.rows.length);
    r.rows.forEach((row, k) => assert.ok(maxRelDiff(row.values, jac[k]) < 1e-4, `seed ${seed} row ${k}: differs from the Jacobian by ${maxRelDiff(row.values, jac[k])}`));
  }
});

test('the adjoint identity ⟨u, A·v⟩ = ⟨Aᵀ·u, v⟩ and columns agree with rows', async () => {
  for (let seed = 20; seed <= 26; seed++) {
    const g = randomCnn(seed, seed % 2 ? PIECEWISE : SMOOTH, { norms: true });
    const li = new LinearInterpreter(g, 'secant');
    li.setInput(inputOf(g, seed));
    const rnd = mulberry32(seed * 7);
    const v = tf.tensor2d(randn(rnd, li.n), [1, li.n]);
    const u = tf.tensor2d(randn(rnd, li.m), [1, li.m]);
    const av = li.times(v);
    const atu = li.transposeTimes(u);
    const lhs = tf.sum(tf.mul(u, av)).dataSync()[0];
    const rhs = tf.sum(tf.mul(atu, v)).dataSync()[0];
    assert.ok(Math.abs(lhs - rhs) <= 1e-4 * (Math.abs(lhs) + 1), `seed ${seed}: ⟨u,Av⟩ = ${lhs}, ⟨Aᵀu,v⟩ = ${rhs}`);
    const cols = await li.columns([0, 5, li.n - 1], 2);
    const rows = await li.rows(Array.from({ length: li.m }, (_, i) => i), 8);
    for (const [ci, j] of [0, 5, li.n - 1].entries()) {
      const fromRows = rows.map((row) => row[j]);
      assert.ok(maxRelDiff(cols[ci], fromRows) < 1e-4, `seed ${seed} column ${j}`);
    }
    tf.dispose([v, u, av, atu]);
    li.dispose();
  }
});

test('smooth units and norm layers: F1(x0) = F(x0) with both freezing rules', async () => {
  for (let seed = 30; seed <= 37; seed++) {
    const g = randomCnn(seed, SMOOTH, { norms: true });
    for (const smooth of ['secant', 'tangent'] as const) {
      const r = await interpret(g, inputOf(g, seed), { rows: 'all', smooth });
      assert.ok(r.residual < 1e-5, `seed ${seed} ${smooth}: residual ${r.residual}`);
    }
  }
});

test('the tangent rule gives the local Jacobian of a smooth network', async () => {
  for (let seed = 40; seed <= 45; seed++) {
    const g = randomCnn(seed, SMOOTH.filter((u) => u.op !== 'hardSigmoid'));
    const x0 = inputOf(g, seed);
    const r = await interpret(g, x0, { rows: 'all', smooth: 'tangent' });
    const jac = autodiffJacobian(g, x0, r.rows.length);
    r.rows.forEach((row, k) => assert.ok(maxRelDiff(row.values, jac[k]) < 1e-4, `seed ${seed} row ${k}`));
  }
});

test('sigmoid secant puts ½ into the bias path: a one-unit network splits exactly', async () => {
  const { GraphBuilder } = await import('../../src/core/graph/builder');
  const b = new GraphBuilder('/mem/sig.json', 'tfjs-layers', { framework: 'unknown', name: 't' }, 'sig');
  const x = b.input('x', [null, 1], 'flat', [1]);
  b.output(b.node('s', { op: 'sigmoid' }, [x]), 'y', [null, 1], 'flat');
  const r = await interpret(b.build(), Float32Array.from([2]), { rows: 'all' });
  assert.ok(Math.abs(r.bias[0] - 0.5) < 1e-7);
  assert.ok(Math.abs(r.rows[0].values[0] - (1 / (1 + Math.exp(-2)) - 0.5) / 2) < 1e-6);
});

test('top singular values: subspace iteration agrees with the Gram route, and A·v = σ·u', async () => {
  const g = randomCnn(50, PIECEWISE, { classes: 12 });
  const li = new LinearInterpreter(g);
  li.setInput(inputOf(g, 50));
  const rows = await li.rows(Array.from({ length: li.m }, (_, i) => i), 12);
  const exact = await topSingular(li, 4, { rows });
  const iter = await topSingular(li, 4, { iterations: 30 });
  assert.equal(exact.method, 'gram');
  assert.equal(iter.method, 'subspace-iteration');
  for (let i = 0; i < 4; i++) {
    assert.ok(Math.abs(exact.values[i] - iter.values[i]) < 1e-3 * exact.values[0], `σ${i}: ${exact.values[i]} vs ${iter.values[i]}`);
    if (i > 0) assert.ok(exact.values[i] <= exact.values[i - 1] + 1e-9, 'sorted');
    const av = li.times(tf.tensor2d(exact.inputVectors[i], [1, li.n]));
    const want = exact.outputVectors[i].map((v) => v * exact.values[i]);
    assert.ok(maxRelDiff(av.dataSync(), want) < 1e-3, `A·v${i} = σ·u${i}`);
    av.dispose();
    let nv = 0;
    for (const t of exact.inputVectors[i]) nv += t * t;
    assert.ok(Math.abs(nv - 1) < 1e-4, 'unit right vector');
  }
  li.dispose();
});

test('bad requests are user errors', async () => {
  const g = randomCnn(3, PIECEWISE);
  await assert.rejects(interpret(g, new Float32Array(3)), (e: Error) => e.name === 'UserError' && /takes/.test(e.message));
  await assert.rejects(interpret(g, inputOf(g, 1), { rows: [99] }), (e: Error) => e.name === 'UserError' && /output 99/.test(e.message));
});
