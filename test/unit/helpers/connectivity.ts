import * as tf from '@tensorflow/tfjs-core';
import { GraphBuilder } from '../../../src/core/graph/builder';
import { Executor } from '../../../src/core/graph/executor';
import { Graph, sizeOf } from '../../../src/core/graph/ir';
import { BatchSource } from '../../../src/core/analyses/connectivity/data';
import { WorkContext } from '../../../src/core/progress';
import { mulberry32, randn } from './random';

type P = (role: 'kernel' | 'bias' | 'gamma' | 'beta' | 'movingMean' | 'movingVariance', shape: number[], scale?: number, positive?: boolean) => string;

function builder(name: string, seed: number): { b: GraphBuilder; param: P } {
  const rnd = mulberry32(seed);
  const b = new GraphBuilder(`/mem/${name}.json`, 'tfjs-layers', { framework: 'unknown', name: 'test' }, name);
  let k = 0;
  const param: P = (role, shape, scale = 1, positive = false) =>
    b.param(`${role}${k++}`, role, shape, Float32Array.from(randn(rnd, shape.reduce((a, d) => a * d, 1)), (v) => (positive ? 0.5 + Math.abs(v) * scale : v * scale)));
  return { b, param };
}

/** A dense ReLU MLP: sizes[0] inputs, hidden layers, sizes[last] logits, then a softmax (unless softmax: false). */
export function mlp(seed: number, sizes: readonly number[], opts: { softmax?: boolean; bn?: boolean } = {}): Graph {
  const { b, param } = builder(`mlp${seed}`, seed);
  let cur = b.input('x', [null, sizes[0]], 'flat', [sizes[0]]);
  for (let i = 1; i < sizes.length; i++) {
    const fin = sizes[i - 1];
    const last = i === sizes.length - 1;
    const layer = `fc${i}`;
    cur = b.node(layer, { op: 'dense' }, [cur], { kernel: param('kernel', [fin, sizes[i]], Math.sqrt(2 / fin)), bias: param('bias', [sizes[i]], 0.1) }, { layer });
    if (last) break;
    if (opts.bn) {
      cur = b.node(`bn${i}`, { op: 'batchNorm', epsilon: 1e-3 }, [cur], { gamma: param('gamma', [sizes[i]], 0.2, true), beta: param('beta', [sizes[i]], 0.1), movingMean: param('movingMean', [sizes[i]], 0.1), movingVariance: param('movingVariance', [sizes[i]], 0.5, true) }, { layer: `bn${i}` });
    }
    cur = b.node(`${layer}_relu`, { op: 'relu' }, [cur], {}, { layer: opts.bn ? `relu${i}` : layer });
  }
  const classes = sizes[sizes.length - 1];
  if (opts.softmax ?? true) cur = b.node('probs', { op: 'softmax', axis: -1 }, [cur]);
  b.output(cur, 'out', [null, classes], 'flat');
  return b.build();
}

const S1: [number, number] = [1, 1];

/** conv-BN-ReLU ×2 (the second with stride 2) → flatten (NHWC or NCHW order) → dense-ReLU → logits → softmax. */
export function cnnBn(seed: number, opts: { order?: 'nhwc' | 'nchw'; size?: number; channels?: number; classes?: number } = {}): Graph {
  const { b, param } = builder(`cnn${seed}`, seed);
  const h = opts.size ?? 8;
  const c = opts.channels ?? 8;
  let cur = b.input('x', [null, h, h, 3], 'nhwc', [h, h, 3]);
  let cin = 3;
  for (let i = 0; i < 2; i++) {
    const conv = b.node(`conv${i}`, { op: 'conv2d', strides: i ? [2, 2] : S1, padding: 'same', dilations: S1, groups: 1 }, [cur], { kernel: param('kernel', [3, 3, cin, c], Math.sqrt(2 / (9 * cin))), bias: param('bias', [c], 0.1) });
    const bn = b.node(`bn${i}`, { op: 'batchNorm', epsilon: 1e-3 }, [conv], { gamma: param('gamma', [c], 0.2, true), beta: param('beta', [c], 0.1), movingMean: param('movingMean', [c], 0.1), movingVariance: param('movingVariance', [c], 0.5, true) });
    cur = b.node(`relu${i}`, { op: 'relu' }, [bn]);
    cin = c;
  }
  const flat = b.node('flat', { op: 'flatten', order: opts.order ?? 'nhwc' }, [cur]);
  const n = b.shapeOf(flat)[0];
  const hid = b.node('relu_fc', { op: 'relu' }, [b.node('fc', { op: 'dense' }, [flat], { kernel: param('kernel', [n, 16], Math.sqrt(2 / n)), bias: param('bias', [16], 0.1) })]);
  const k = opts.classes ?? 5;
  const logits = b.node('logits', { op: 'dense' }, [hid], { kernel: param('kernel', [16, k], 0.5), bias: param('bias', [k], 0.1) });
  b.output(b.node('probs', { op: 'softmax', axis: -1 }, [logits]), 'probs', [null, k], 'flat');
  return b.build();
}

/** A small ResNet: stem conv-BN-ReLU, two identity blocks, one projection block (stride 2), global average pool, logits. */
export function resnet(seed: number, opts: { size?: number; width?: number; classes?: number } = {}): Graph {
  const { b, param } = builder(`resnet${seed}`, seed);
  const h = opts.size ?? 8;
  const w = opts.width ?? 6;
  const convBn = (id: string, x: string, cin: number, cout: number, k: number, stride: number) => {
    const conv = b.node(`${id}_conv`, { op: 'conv2d', strides: [stride, stride], padding: 'same', dilations: S1, groups: 1 }, [x], { kernel: param('kernel', [k, k, cin, cout], Math.sqrt(1 / (k * k * cin))) });
    return b.node(`${id}_bn`, { op: 'batchNorm', epsilon: 1e-3 }, [conv], { gamma: param('gamma', [cout], 0.2, true), beta: param('beta', [cout], 0.1), movingMean: param('movingMean', [cout], 0.1), movingVariance: param('movingVariance', [cout], 0.5, true) });
  };
  let cur = b.input('x', [null, h, h, 3], 'nhwc', [h, h, 3]);
  cur = b.node('stem_relu', { op: 'relu' }, [convBn('stem', cur, 3, w, 3, 1)]);
  let c = w;
  for (const [i, [cout, stride]] of ([[w, 1], [w, 1], [w + 4, 2]] as const).entries()) {
    const r1 = b.node(`b${i}_relu1`, { op: 'relu' }, [convBn(`b${i}_1`, cur, c, cout, 3, stride)]);
    const r2 = convBn(`b${i}_2`, r1, cout, cout, 3, 1);
    const short = stride === 1 && cout === c ? cur : convBn(`b${i}_proj`, cur, c, cout, 1, stride);
    cur = b.node(`b${i}_relu2`, { op: 'relu' }, [b.node(`b${i}_add`, { op: 'add' }, [r2, short])]);
    c = cout;
  }
  const pooled = b.node('gap', { op: 'globalAvgPool', keepDims: false }, [cur]);
  const k = opts.classes ?? 5;
  const logits = b.node('logits', { op: 'dense' }, [pooled], { kernel: param('kernel', [c, k], 0.5), bias: param('bias', [k], 0.1) });
  b.output(b.node('probs', { op: 'softmax', axis: -1 }, [logits]), 'probs', [null, k], 'flat');
  return b.build();
}

/** Multinomial logistic regression: one dense layer and a softmax. */
export function logistic(seed: number, d: number, k: number): Graph {
  return mlp(seed, [d, k]);
}

export interface Data {
  readonly x: Float32Array;
  readonly y: Int32Array;
  readonly shape: readonly number[];
  readonly n: number;
}

/** n seeded Gaussian samples of `shape` labelled by the teacher's argmax. */
export function teacherData(seed: number, n: number, shape: readonly number[], teacher: Graph): Data {
  const d = sizeOf(shape);
  const x = Float32Array.from(randn(mulberry32(seed), n * d));
  const ex = new Executor(teacher);
  const y = tf.tidy(() => tf.argMax(ex.predict(tf.tensor(x, [n, ...shape])), 1).dataSync() as Int32Array);
  ex.dispose();
  return { x, y: Int32Array.from(y), shape, n };
}

/** A BatchSource over in-memory data; `pulled` counts the batches handed out. */
export function source(data: Data, opts: { labels?: boolean; onBatch?: (i: number) => void } = {}): BatchSource & { pulled: number } {
  const d = sizeOf(data.shape);
  const fn = async function* (batchSize: number, _ctx?: WorkContext) {
    for (let s = 0, i = 0; s < data.n; s += batchSize, i++) {
      const e = Math.min(s + batchSize, data.n);
      opts.onBatch?.(i);
      state.pulled++;
      yield {
        x: tf.tensor(data.x.subarray(s * d, e * d), [e - s, ...data.shape]),
        ...(opts.labels === false ? {} : { y: tf.tensor1d(data.y.subarray(s, e), 'int32') }),
      };
    }
  };
  const state = Object.assign(fn, { samples: data.n, pulled: 0 });
  return state;
}
