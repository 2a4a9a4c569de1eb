import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/core/tf/backend';
import { Executor } from '../../src/core/graph/executor';
import { Graph, sizeOf } from '../../src/core/graph/ir';
import { randomCnn } from './helpers/graphs';
import { mulberry32, randn, maxRelDiff } from './helpers/random';

/** Gradients of a scalar loss w.r.t. the input and every parameter, on one backend. */
async function gradients(backend: 'wasm' | 'cpu', g: Graph, xs: Float32Array, batch: number): Promise<Map<string, Float32Array>> {
  await initBackend({ preference: backend });
  const ex = new Executor(g);
  const shape = g.nodes[0].shape;
  try {
    const out = new Map<string, Float32Array>();
    tf.tidy(() => {
      const keys = [...g.params.keys()];
      const x = tf.tensor(xs, [batch, ...shape]);
      const own = ex.params();
      const f = (...args: tf.Tensor[]) => {
        const params = new Map(keys.map((k, i) => [k, args[i + 1]]));
        const y = ex.predict(args[0], { params });
        return tf.sum(tf.mul(y, tf.cos(tf.reshape(tf.range(0, y.size), y.shape))));
      };
      const grads = tf.grads(f)([x, ...keys.map((k) => own.get(k)!)]);
      out.set('input', grads[0].dataSync() as Float32Array);
      keys.forEach((k, i) => out.set(k, grads[i + 1].dataSync() as Float32Array));
    });
    return out;
  } finally {
    ex.dispose();
  }
}

test('whole-network gradients on WASM equal the CPU backend (input and every parameter)', async () => {
  await initBackend({ preference: 'wasm' });
  const units = [{ op: 'relu' }, { op: 'leakyRelu', alpha: 0.1 }, { op: 'clip', min: 0, max: 6 }, { op: 'sigmoid' }, { op: 'gelu', approximate: false }, { op: 'elu', alpha: 1 }] as const;
  for (let seed = 60; seed < 72; seed++) {
    const g = randomCnn(seed, units, { norms: seed % 2 === 0 });
    const batch = 3;
    const xs = Float32Array.from(randn(mulberry32(seed), batch * sizeOf(g.nodes[0].shape)));
    const a = await gradients('wasm', g, xs, batch);
    const b = await gradients('cpu', g, xs, batch);
    // Relative to the network's largest gradient entry: a parameter whose true gradient is 0
    // (a layer-norm shift that a following instance norm cancels) has only float noise.
    let scale = 0;
    for (const v of b.values()) for (const t of v) scale = Math.max(scale, Math.abs(t));
    for (const [k, va] of a) {
      const vb = b.get(k)!;
      let d = 0;
      for (let i = 0; i < va.length; i++) d = Math.max(d, Math.abs(va[i] - vb[i]));
      assert.ok(d <= 1e-4 * scale, `seed ${seed}: gradient w.r.t. ${k} differs by ${d} (largest gradient ${scale}) between wasm and cpu (ops: ${[...new Set(g.nodes.map((n) => n.op.op))].join(',')})`);
    }
  }
});

test('max-pool gradients on WASM with negative inputs, same/valid padding, overlapping windows', async () => {
  for (const [k, s, pad] of [[2, 2, 'valid'], [3, 2, 'same'], [3, 1, 'same'], [2, 1, 'valid'], [3, 3, 'valid']] as const) {
    const shape: [number, number, number, number] = [2, 9, 8, 3];
    const xs = Float32Array.from(randn(mulberry32(k * 10 + s), shape.reduce((p, q) => p * q, 1)));
    const run = async (be: 'wasm' | 'cpu') => {
      await initBackend({ preference: be });
      return tf.tidy(() => {
        const x = tf.tensor(xs, shape) as tf.Tensor4D;
        const f = (t: tf.Tensor4D) => {
          const y = tf.maxPool(t, k, s, pad);
          return tf.sum(tf.mul(y, tf.sin(tf.reshape(tf.range(0, y.size), y.shape))));
        };
        return tf.grad(f as (t: tf.Tensor) => tf.Tensor)(x).dataSync().slice();
      });
    };
    const d = maxRelDiff(await run('wasm'), await run('cpu'));
    assert.ok(d < 1e-6, `maxPool ${k}/${s}/${pad}: wasm and cpu gradients differ by ${d}`);
  }
});
