import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/core/tf/backend';
import { GraphBuilder } from '../../src/core/graph/builder';
import { Graph } from '../../src/core/graph/ir';
import { deriveSeed, initPlan, samplePlan } from '../../src/core/init';
import { computeNads, dft2, energyShares, fftshift, fourierDirection, imageGeometry, pca, powerSpectrum, withClasses } from '../../src/core/analyses/nad';
import { CancelledError } from '../../src/core/errors';
import { mulberry32, randn } from './helpers/random';
import { biasFreeCnn, lenet } from './helpers/nadGraphs';

before(async () => {
  await initBackend({ preference: 'cpu' });
});

const z = (n: number) => new Float32Array(n);


/** Logistic regression on an h×w image: one dense layer on the flattened input, K logits, softmax. */
function logreg(h: number, w: number, k: number): Graph {
  const b = new GraphBuilder('/mem/logreg.onnx', 'onnx', { framework: 'pytorch', name: 'pytorch 2.2.1' }, 'logreg');
  const x = b.input('x', [null, h * w], 'flat', [h * w]);
  const fc = b.node('fc', { op: 'dense' }, [x], { kernel: b.param('fc.w', 'kernel', [h * w, k], z(h * w * k)), bias: b.param('fc.b', 'bias', [k], z(k)) });
  b.output(b.node('soft', { op: 'softmax', axis: -1 }, [fc]), 'p', [null, k], 'flat');
  return b.build();
}


test('the 2-D DFT matches the definition, fftshift centres DC, energy shares locate a Fourier direction', () => {
  const h = 6;
  const w = 5;
  const img = Float64Array.from(randn(mulberry32(1), h * w));
  const { re, im } = dft2(img, h, w);
  for (const [u, v] of [[0, 0], [1, 2], [5, 4], [3, 1]]) {
    let r = 0;
    let i = 0;
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
      const t = -2 * Math.PI * ((u * y) / h + (v * x) / w);
      r += img[y * w + x] * Math.cos(t);
      i += img[y * w + x] * Math.sin(t);
    }
    assert.ok(Math.abs(re[u * w + v] - r) < 1e-9 && Math.abs(im[u * w + v] - i) < 1e-9, `F[${u}, ${v}]`);
  }
  const shifted = fftshift(Float64Array.from({ length: h * w }, (_, k) => k), h, w);
  assert.equal(shifted[3 * w + 2], 0, 'DC at (⌊h/2⌋, ⌊w/2⌋)');
  const g = { h: 8, w: 8, c: 2, layout: 'nhwc' as const, sampleShape: [8, 8, 2] };
  const v = fourierDirection(g, 1, -2);
  assert.ok(Math.abs(v.reduce((a, x) => a + x * x, 0) - 1) < 1e-6, 'unit norm');
  const e = energyShares(powerSpectrum(v, g), 8, 8);
  assert.ok(Math.abs(e.peak.share - 0.5) < 1e-9 && Math.abs(Math.abs(e.peak.fu) - 1) < 1e-12 && Math.abs(Math.abs(e.peak.fv) - 2) < 1e-12);
  assert.ok(e.dc < 1e-12 && Math.abs(e.rings[2] - 1) < 1e-9 && e.mod2 < 1e-12);
  const dcDir = fourierDirection(g, 0, 0);
  const ed = energyShares(powerSpectrum(dcDir, g), 8, 8);
  assert.ok(Math.abs(ed.dc - 1) < 1e-9 && Math.abs(ed.mod4 - 1) < 1e-9, 'the constant image is all DC');
});

test('PCA: Gram, covariance and randomised paths agree; components orthonormal, eigenvalues sorted', () => {
  const r = mulberry32(2);
  const n = 60;
  const d = 40;
  // rank-5 signal with decreasing scales plus small noise
  const basis = Array.from({ length: 5 }, () => randn(r, d));
  const x = new Float32Array(n * d);
  for (let i = 0; i < n; i++) for (let k = 0; k < 5; k++) {
    const c = randn(r, 1)[0] * (5 - k);
    for (let j = 0; j < d; j++) x[i * d + j] += c * basis[k][j] + 0.01 * randn(r, 1)[0];
  }
  const cov = pca(x, n, d, { components: 5 });
  const gram = pca(x.slice(0, 30 * d), 30, d, { components: 5 });
  const gramAsCov = pca(x.slice(0, 30 * d), 30, d, { components: 5, exactLimit: 10 });
  assert.equal(cov.method, 'covariance');
  assert.equal(gram.method, 'gram');
  assert.equal(gramAsCov.method, 'randomized');
  for (let k = 0; k < 5; k++) {
    assert.ok(Math.abs(gram.eigenvalues[k] - gramAsCov.eigenvalues[k]) < 1e-3 * gram.eigenvalues[k], `eigenvalue ${k}`);
    const dot = gram.components[k].reduce((a, v, j) => a + v * gramAsCov.components[k][j], 0);
    assert.ok(Math.abs(Math.abs(dot) - 1) < 1e-3, `component ${k}: |cos| ${dot}`);
  }
  for (const p of [cov, gram, gramAsCov]) {
    for (let a = 0; a < p.components.length; a++) for (let b = 0; b < p.components.length; b++) {
      const dot = p.components[a].reduce((s, v, j) => s + v * p.components[b][j], 0);
      assert.ok(Math.abs(dot - (a === b ? 1 : 0)) < 1e-5, `${p.method}: <v${a}, v${b}> = ${dot}`);
    }
    for (let k = 1; k < p.eigenvalues.length; k++) assert.ok(p.eigenvalues[k] <= p.eigenvalues[k - 1]);
  }
  const total = cov.eigenvalues.reduce((a, v) => a + v, 0);
  assert.ok(Math.abs(total - cov.totalVariance) < 1e-6 * total, 'the spectrum sums to the total variance');
});

test('NADs of a small CNN: orthonormal components, sorted eigenvalues, no leaks', async () => {
  const g = biasFreeCnn();
  const before = tf.memory().numTensors;
  const r = await computeNads(g, { networks: 40, seed: 3, components: 12 });
  assert.equal(tf.memory().numTensors, before);
  assert.equal(r.scheme, 'pytorch');
  assert.equal(r.method, 'gram');
  assert.equal(r.nads.length, 12);
  for (let k = 1; k < r.eigenvalues.length; k++) assert.ok(r.eigenvalues[k] <= r.eigenvalues[k - 1], 'sorted');
  for (const a of r.nads) for (const b of r.nads) {
    const dot = a.vector.reduce((s, v, j) => s + v * b.vector[j], 0);
    assert.ok(Math.abs(dot - (a.index === b.index ? 1 : 0)) < 1e-5, `<NAD${a.index}, NAD${b.index}> = ${dot}`);
  }
  assert.equal(r.nads[0].spectrum.length, 36);
});

test('logistic regression has a flat NAD spectrum: every gradient is a weight vector of iid entries', async () => {
  // f(x) = w₀ᵀx + b₀ for network k, so its finite difference is w₀ exactly, whatever x0 and s; the
  // w₀ are iid U(±1/√D), whose covariance is (1/(3D))·I: isotropic, no preferred direction. "Flat"
  // here: the sample eigenvalues stay within the Marchenko-Pastur bulk of an isotropic population,
  // λ_max/λ_min ≤ ((1 + √(D/N)) / (1 − √(D/N)))² ≈ 1.71 for D = 36, N = 2000: we ask for ≤ 2, and the
  // mean eigenvalue within 5% of 1/(3D).
  const g = logreg(6, 6, 3);
  const n = 2000;
  const r = await computeNads(g, { networks: n, seed: 4, keepGradients: true });
  const d = 36;
  const plan = initPlan(g, 'pytorch');
  for (const k of [0, 1, 1999]) {
    const w = samplePlan(g, plan, deriveSeed(4, k)).get('fc.w')!;
    for (let i = 0; i < d; i++) assert.ok(Math.abs(r.gradients![k * d + i] - w[i * 3]) < 1e-6, `network ${k}: gradient ${i} is the weight`);
  }
  const ev = r.eigenvalues;
  const ratio = ev[0] / ev[ev.length - 1];
  const mean = ev.reduce((a, v) => a + v, 0) / ev.length;
  assert.ok(ratio < 2, `λ_max/λ_min = ${ratio}`);
  assert.ok(Math.abs(mean - 1 / (3 * d)) < 0.05 / (3 * d), `mean eigenvalue ${mean} vs ${1 / (3 * d)}`);
  console.log(`logistic regression: λ_max/λ_min = ${ratio.toFixed(3)} (Marchenko-Pastur edge ratio ${(((1 + Math.sqrt(d / n)) / (1 - Math.sqrt(d / n))) ** 2).toFixed(3)})`);
});

test('a bias-free ReLU network at x0 = 0: the finite difference does not depend on s', async () => {
  const g = biasFreeCnn();
  const x0 = new Float32Array(72);
  const runs = [];
  for (const step of [1, 10, 100]) runs.push((await computeNads(g, { networks: 5, seed: 5, step, x0, keepGradients: true, outputIndex: 1 })).gradients!);
  let scale = 0;
  for (const v of runs[0]) scale = Math.max(scale, Math.abs(v));
  assert.ok(scale > 0);
  for (const other of runs.slice(1)) {
    let diff = 0;
    for (let i = 0; i < other.length; i++) diff = Math.max(diff, Math.abs(other[i] - runs[0][i]));
    assert.ok(diff <= 1e-6 * scale, `differs by ${diff / scale} of the largest entry`);
  }
});

test('computing NADs stops within one network of a cancel and frees everything', async () => {
  const g = biasFreeCnn();
  let cancel = false;
  let seen = 0;
  const before = tf.memory().numTensors;
  await assert.rejects(
    computeNads(g, { networks: 50 }, { cancelled: () => cancel, progress: (_f, m) => { if (m?.startsWith('network')) seen++; if (seen === 3) cancel = true; } }),
    (e: unknown) => e instanceof CancelledError,
  );
  assert.equal(seen, 3);
  assert.equal(tf.memory().numTensors, before);
});

test('a K-class head becomes the reference two-class network: the final dense cut to two outputs', () => {
  const g = logreg(4, 4, 10);
  const two = withClasses(g, 2)!;
  assert.deepEqual(two.params.get('fc.w')!.shape, [16, 2]);
  assert.deepEqual(two.nodes.find((n) => n.id === 'soft')!.shape, [2]);
  assert.deepEqual(imageGeometry(two), { h: 4, w: 4, c: 1, layout: 'flat', sampleShape: [16] });
});

test('LeNet (PyTorch init) puts most of NAD0 at DC', async () => {
  await initBackend({ preference: 'wasm' });
  try {
    const n = 256;
    const r = await computeNads(lenet(), { networks: n, seed: 1, components: 8 });
    const [nad0] = r.nads;
    console.log(`LeNet NAD0 (N = ${n}): DC ${(100 * nad0.energy.dc).toFixed(1)}% of its energy, ring 1 ${(100 * nad0.energy.rings[1]).toFixed(1)}%; NAD1-5 in rings 0-2: ${r.nads.slice(1, 6).map((q) => `${(100 * (q.energy.rings[0] + q.energy.rings[1] + q.energy.rings[2])).toFixed(0)}%`).join(' ')}; ${(r.timings.gradientsMs / 1000).toFixed(1)} s of gradients on wasm`);
    assert.ok(nad0.energy.dc > 0.3, `NAD0 DC share ${nad0.energy.dc}`);
    assert.equal(nad0.energy.peak.fu, 0);
    assert.equal(nad0.energy.peak.fv, 0);
  } finally {
    await initBackend({ preference: 'cpu' });
  }
});
