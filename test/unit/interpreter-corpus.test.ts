import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/core/tf/backend';
import { loadModel } from '../../src/core/formats';
import { Executor } from '../../src/core/graph/executor';
import { Graph, sizeOf } from '../../src/core/graph/ir';
import { finalSoftmax, interpret } from '../../src/core/analyses/interpreter';
import { corpusDir } from './helpers/onnx';
import { mulberry32, maxRelDiff } from './helpers/random';

const PIECEWISE = new Set(['relu', 'leakyRelu', 'prelu', 'clip', 'hardSigmoid']);
const SMOOTH = new Set(['sigmoid', 'tanh', 'gelu', 'silu', 'elu', 'selu', 'softplus', 'softsign']);

interface Entry { id: string; expected: string; main_file: string }

before(async () => {
  await initBackend({ preference: 'wasm' });
});

const dir = corpusDir();
const entries: Entry[] = dir ? (JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')).entries as Entry[]).filter((e) => e.expected === 'supported') : [];

/** The logits' Jacobian at x0 by autodiff, for a few outputs (the final softmax skipped). */
function jacobianRows(g: Graph, x0: Float32Array, outputs: number[]): Float32Array[] {
  const ex = new Executor(g);
  const skip = finalSoftmax(g);
  const shape = g.nodes.find((n) => n.id === g.inputs[0].node)!.shape;
  try {
    return outputs.map((k) =>
      tf.tidy(() => {
        const x = tf.tensor(x0, [1, ...shape]);
        const f = (t: tf.Tensor) => {
          const y = ex.predict(t, { hook: (n, ins) => (n === skip ? ins[0] : undefined) });
          return tf.sum(tf.mul(tf.reshape(y, [-1]), tf.tensor1d(Float32Array.from({ length: y.size }, (_, i) => (i === k ? 1 : 0)))));
        };
        return tf.grad(f)(x).dataSync() as Float32Array;
      }),
    );
  } finally {
    ex.dispose();
  }
}

for (const e of entries) {
  test(`linear interpreter on corpus ${e.id}`, async (t) => {
    const g = await loadModel(path.join(dir!, e.id, e.main_file));
    if (g.inputs.length !== 1) {
      await assert.rejects(interpret(g, new Float32Array(1)), (err: Error) => err.name === 'UserError' && /one input/.test(err.message));
      t.diagnostic('two inputs: refused with a clear message, as designed');
      return;
    }
    const shape = g.nodes.find((n) => n.id === g.inputs[0].node)!.shape;
    const rnd = mulberry32(7);
    const x0 = Float32Array.from({ length: sizeOf(shape) }, () => rnd());
    const ops = new Set(g.nodes.map((n) => n.op.op));
    const piecewiseOnly = ![...ops].some((o) => SMOOTH.has(o) || o === 'layerNorm' || o === 'instanceNorm');
    const before = tf.memory().numTensors;
    const m = sizeOf(g.nodes.find((n) => n.id === g.outputs[0].node)!.shape);
    const rows = m <= 12 ? 'all' : [0, 1, m - 1];
    const r = await interpret(g, x0, { rows });
    assert.equal(tf.memory().numTensors, before, 'tensors leaked');
    // piecewise-linear nets: exact to float32 round-off; smooth units: F1(x0) = F(x0) to round-off too
    assert.ok(r.residual < (piecewiseOnly ? 1e-5 : 1e-4), `residual ${r.residual}`);
    t.diagnostic(`residual ${r.residual.toExponential(2)}; ops with gates: ${[...ops].filter((o) => PIECEWISE.has(o) || SMOOTH.has(o) || o.endsWith('Pool')).join(', ')}`);
    if (piecewiseOnly) {
      const ks = r.rows.slice(0, 3).map((x) => x.output);
      const jac = jacobianRows(g, x0, ks);
      ks.forEach((k, i) => {
        const d = maxRelDiff(r.rows[i].values, jac[i]);
        assert.ok(d < 1e-4, `row ${k} differs from the autodiff Jacobian by ${d}`);
      });
    }
  });
}

test('corpus present', (t) => {
  if (!dir) t.skip('../shared/corpus is absent');
  else assert.ok(entries.length >= 20);
});
