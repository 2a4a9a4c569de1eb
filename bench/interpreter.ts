import * as tf from '@tensorflow/tfjs-core';
import { GraphBuilder } from '../src/core/graph/builder';
import { Executor } from '../src/core/graph/executor';
import { Graph } from '../src/core/graph/ir';
import { LinearInterpreter } from '../src/core/analyses/interpreter';
import { memoryNow, OursResult, tensorPeak, time } from './harness';

/** A CIFAR-size CNN (32×32×3, three conv-ReLU-max-pool blocks, dense 10), seeded weights. */
export function cifarCnn(): Graph {
  let s = 12345;
  const rnd = () => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32 - 0.5) * 0.2;
  const b = new GraphBuilder('/bench/cifar-cnn.json', 'tfjs-layers', { framework: 'tfjs', name: 'bench' }, 'cifar-cnn');
  let x = b.input('x', [null, 32, 32, 3], 'nhwc', [32, 32, 3]);
  let c = 3;
  let i = 0;
  for (const out of [32, 64, 64]) {
    const k = b.param(`conv${i}/kernel`, 'kernel', [3, 3, c, out], Float32Array.from({ length: 9 * c * out }, rnd));
    const bias = b.param(`conv${i}/bias`, 'bias', [out], Float32Array.from({ length: out }, rnd));
    x = b.node(`conv${i}`, { op: 'conv2d', strides: [1, 1], padding: 'same', dilations: [1, 1], groups: 1 }, [x], { kernel: k, bias });
    x = b.node(`relu${i}`, { op: 'relu' }, [x]);
    x = b.node(`pool${i}`, { op: 'maxPool', poolSize: [2, 2], strides: [2, 2], padding: 'valid' }, [x]);
    c = out;
    i++;
  }
  x = b.node('flatten', { op: 'flatten', order: 'nhwc' }, [x]);
  const n = b.shapeOf(x)[0];
  const k = b.param('dense/kernel', 'kernel', [n, 10], Float32Array.from({ length: n * 10 }, rnd));
  const bias = b.param('dense/bias', 'bias', [10], Float32Array.from({ length: 10 }, rnd));
  x = b.node('dense', { op: 'dense' }, [x], { kernel: k, bias });
  b.output(b.node('softmax', { op: 'softmax', axis: -1 }, [x]), 'probs', [null, 10], 'flat');
  return b.build();
}

/**
 * Issue goal: all rows + bias + residual of a CIFAR-size CNN cost at most 4× one forward-and-
 * backward pass of the same batch (10 rows = a batch of 10). Both sides are ours: the result's
 * `extra.forwardBackwardMs` is the reference the ratio is taken against.
 */
export async function benchInterpreter(repeats: number): Promise<OursResult> {
  const g = cifarCnn();
  const x0 = Float32Array.from({ length: 32 * 32 * 3 }, (_, j) => Math.sin(j));
  const li = new LinearInterpreter(g);
  const ex = new Executor(g);
  const work = async () => {
    li.setInput(x0);
    // rows first, as interpret() does: their pass also gives b (a forward pass of its own otherwise)
    const rows = await li.rows(Array.from({ length: 10 }, (_, k) => k), 10);
    const bias = await li.bias().data();
    let r = 0;
    for (let k = 0; k < 10; k++) r += rows[k].reduce((s, a, j) => s + a * x0[j], 0) + bias[k];
    if (!Number.isFinite(r)) throw new Error('non-finite');
  };
  const peak = await tensorPeak(work);
  const ours = await time(work, repeats);
  const batch = tf.tensor(Float32Array.from({ length: 10 * 32 * 32 * 3 }, (_, j) => Math.sin(j)), [10, 32, 32, 3]);
  const fb = await time(async () => {
    const g2 = tf.tidy(() => tf.grad((t: tf.Tensor) => tf.sum(ex.predict(t)))(batch));
    await g2.data();
    g2.dispose();
  }, repeats);
  batch.dispose();
  li.dispose();
  ex.dispose();
  return { ms: ours, memory: memoryNow(peak), extra: { forwardBackwardMs: fb.median } };
}
