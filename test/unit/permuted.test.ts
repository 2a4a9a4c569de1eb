import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { gatherAxes } from '../../src/core/analyses/connectivity/permutationSpec';
import { AxisMaps, crossProductJs, dotPermutedJs, HeldTensor, PermutedTensors, UnitSlots, unitRowsJs } from '../../src/core/linalg/permuted';
import { initBackend } from '../../src/core/tf/backend';
import { mulberry32 } from './helpers/random';

function shuffled(rnd: () => number, n: number): Int32Array {
  const p = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [p[i], p[j]] = [p[j], p[i]];
  }
  return p;
}

function tensor(rnd: () => number, shape: number[]): HeldTensor {
  const size = shape.reduce((a, b) => a * b, 1);
  return { data: Float32Array.from({ length: size }, () => Math.fround(rnd() * 2 - 1)), shape };
}

/** Random maps on a random subset of the axes. */
function someMaps(rnd: () => number, shape: readonly number[]): AxisMaps {
  return shape.map((d) => (rnd() < 0.6 ? shuffled(rnd, d) : null));
}

/** Slots of an axis of length d: `size` units with `times` copies each, at shuffled positions. */
function someSlots(rnd: () => number, d: number, times: number): UnitSlots {
  const size = Math.floor(d / times);
  const pos = shuffled(rnd, d).slice(0, size * times);
  return { times, pos, size };
}

/** The definitions, with the permuted copy materialised. */
function dotRef(a: Float32Array, b: Float32Array, shape: readonly number[], maps: AxisMaps): number {
  const pb = gatherAxes(b, shape, maps);
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * pb[i];
  return s;
}

function unitRowsRef(data: Float32Array, shape: readonly number[], axis: number, slots: UnitSlots, maps: AxisMaps): Float32Array {
  const pd = gatherAxes(data, shape, maps.map((m, i) => (i === axis ? null : m)));
  const d = shape[axis];
  const inner = shape.slice(axis + 1).reduce((x, y) => x * y, 1);
  const outer = data.length / (d * inner);
  const len = slots.times * outer * inner;
  const out = new Float32Array(slots.size * len);
  for (let k = 0; k < slots.size; k++)
    for (let t = 0; t < slots.times; t++)
      for (let o = 0; o < outer; o++)
        for (let q = 0; q < inner; q++) out[k * len + t * outer * inner + o * inner + q] = pd[(o * d + slots.pos[k * slots.times + t]) * inner + q];
  return out;
}

function sameBits(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}

const SHAPES = [[], [7], [5, 3], [12, 9], [3, 4, 5], [2, 3, 4, 5], [3, 3, 6, 11], [0, 4]];

test('permuted kernels: ⟨A, π(B)⟩ is the plain float64 sum over the permuted copy, bit for bit (WebAssembly and TypeScript)', () => {
  const rnd = mulberry32(21);
  for (const shape of SHAPES) {
    for (let r = 0; r < 4; r++) {
      const a = tensor(rnd, shape);
      const b = tensor(rnd, shape);
      const maps = someMaps(rnd, shape);
      const want = dotRef(a.data, b.data, shape, maps);
      assert.ok(Object.is(dotPermutedJs(a.data, b.data, shape, maps), want), `${shape}: TypeScript`);
      for (const wasm of [true, false]) {
        const held = new PermutedTensors([a, b], { wasm });
        assert.equal(held.wasm, wasm);
        assert.ok(Object.is(held.dot(0, 1, maps), want), `${shape}: ${wasm ? 'wasm' : 'js'}`);
        held.release();
      }
    }
  }
});

test('permuted kernels: unit rows, their transpose and the permuted tensor match gatherAxes (flattened copies, odd sizes)', () => {
  const rnd = mulberry32(22);
  for (const shape of SHAPES.filter((s) => s.length > 0)) {
    for (let axis = 0; axis < shape.length; axis++) {
      for (const times of [1, 2, 3]) {
        if (shape[axis] < times) continue;
        const x = tensor(rnd, shape);
        const slots = someSlots(rnd, shape[axis], times);
        const maps = someMaps(rnd, shape);
        const rows = unitRowsRef(x.data, shape, axis, slots, maps);
        const len = slots.size === 0 ? 0 : rows.length / slots.size;
        const cols = new Float32Array(rows.length);
        for (let k = 0; k < slots.size; k++) for (let l = 0; l < len; l++) cols[l * slots.size + k] = rows[k * len + l];
        const what = `${shape} axis ${axis} ×${times}`;
        assert.ok(sameBits(unitRowsJs(x.data, shape, axis, slots, maps.map((m, i) => (i === axis ? null : m)), false), rows), `${what}: TypeScript rows`);
        for (const wasm of [true, false]) {
          const held = new PermutedTensors([tensor(rnd, [3]), x], { wasm });
          assert.ok(sameBits(held.unitRows(1, axis, slots, maps, false), rows), `${what}: rows (${wasm})`);
          assert.ok(sameBits(held.unitRows(1, axis, slots, maps, true), cols), `${what}: transposed (${wasm})`);
          assert.ok(sameBits(held.permuted(1, maps), gatherAxes(x.data, shape, maps)), `${what}: permuted (${wasm})`);
          held.release();
        }
      }
    }
  }
});

test('permuted kernels: cost products are tf.matMul(rows A, rows π(B)ᵀ) on the wasm backend bit for bit; sums are float32 adds in order', async () => {
  await initBackend({ preference: 'wasm' });
  assert.equal(tf.getBackend(), 'wasm');
  const rnd = mulberry32(23);
  // [in, out] kernels along either axis, a conv kernel, a bias; sizes off the 4×8 tiles.
  const cases: [number[], number, number][] = [
    [[9, 13], 1, 1],
    [[13, 9], 0, 1],
    [[33, 20], 1, 1],
    [[20, 33], 0, 1],
    [[3, 3, 5, 12], 3, 1],
    [[3, 3, 12, 7], 2, 1],
    [[17], 0, 1],
    [[4, 24], 1, 3],
    [[64, 64], 0, 1],
  ];
  for (const [shape, axis, times] of cases) {
    const a = tensor(rnd, shape);
    const b = tensor(rnd, shape);
    const slots = someSlots(rnd, shape[axis], times);
    const n = slots.size;
    const held = new PermutedTensors([a, b]);
    const js = new PermutedTensors([a, b], { wasm: false });
    const p = held.crossProduct(0, 1, axis, slots);
    const q = js.crossProduct(0, 1, axis, slots);
    const extra = held.crossProduct(1, 0, axis, slots);
    const extraJs = js.crossProduct(1, 0, axis, slots);
    for (let r = 0; r < 3; r++) {
      const maps = someMaps(rnd, shape);
      const ra = unitRowsRef(a.data, shape, axis, slots, []);
      const rb = unitRowsRef(b.data, shape, axis, slots, maps);
      const len = n === 0 ? 0 : ra.length / n;
      const want = tf.tidy(() => tf.matMul(tf.tensor2d(ra, [n, len]), tf.tensor2d(rb, [n, len]), false, true).dataSync());
      // The transposed operand's product is computed by the same kernel on its transpose.
      const want2 = tf.tidy(() => tf.matMul(tf.tensor2d(ra, [n, len]), tf.tensor2d(new Float32Array(len * n).map((_, i) => rb[(i % n) * len + Math.floor(i / n)]), [len, n])).dataSync());
      assert.ok(sameBits(want, want2), `${shape}: tf.matMul with and without transposeB`);
      assert.ok(sameBits(crossProductJs(ra, rb, n, n, len), want), `${shape}: TypeScript product`);
      p.update(maps);
      q.update(maps);
      const other = someMaps(rnd, shape);
      extra.update(other);
      extraJs.update(other);
      const sum = Float32Array.from(held.sum([p, extra], n));
      assert.ok(sameBits(held.sum([p], n), want), `${shape}: wasm product`);
      assert.ok(sameBits(js.sum([q], n), want), `${shape}: js product`);
      assert.ok(sameBits(js.sum([q, extraJs], n), sum), `${shape}: sums`);
      const rx = unitRowsRef(b.data, shape, axis, slots, []);
      const ry = unitRowsRef(a.data, shape, axis, slots, other);
      const wantSum = tf.tidy(() => tf.add(tf.tensor1d(want), tf.reshape(tf.matMul(tf.tensor2d(rx, [n, len]), tf.tensor2d(ry, [n, len]), false, true), [-1])).dataSync());
      assert.ok(sameBits(sum, wantSum), `${shape}: sum as tf.add`);
    }
    held.release();
    js.release();
  }
});

test('permuted kernels: a released instance serves the next job with its own tensors; using a released one is refused', () => {
  const rnd = mulberry32(24);
  const big = [tensor(rnd, [40, 30]), tensor(rnd, [40, 30])];
  const first = new PermutedTensors(big);
  const maps = someMaps(rnd, [40, 30]);
  const want = dotRef(big[0].data, big[1].data, [40, 30], maps);
  assert.ok(Object.is(first.dot(0, 1, maps), want));
  first.release();
  assert.throws(() => first.dot(0, 1, maps), /after release/);
  const small = [tensor(rnd, [5, 4]), tensor(rnd, [5, 4])];
  const second = new PermutedTensors(small);
  const m2 = someMaps(rnd, [5, 4]);
  assert.ok(Object.is(second.dot(0, 1, m2), dotRef(small[0].data, small[1].data, [5, 4], m2)));
  second.release();
});
