import { GraphBuilder } from '../../../src/core/graph/builder';
import { Graph, OpSpec } from '../../../src/core/graph/ir';
import { mulberry32, randn } from './random';

export type Unit = OpSpec & { op: 'relu' | 'leakyRelu' | 'clip' | 'sigmoid' | 'tanh' | 'gelu' | 'silu' | 'elu' | 'softplus' | 'hardSigmoid' | 'selu' | 'softsign' };

/**
 * A small random CNN: conv / depthwise / batch-norm / pools / residual add / concat blocks, each
 * followed by one of `units`, then flatten, dense logits and a softmax. Deterministic per seed.
 */
export function randomCnn(seed: number, units: readonly OpSpec[], opts: { norms?: boolean; size?: number; channels?: number; classes?: number } = {}): Graph {
  const rnd = mulberry32(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
  const h = opts.size ?? 8;
  const c0 = opts.channels ?? 2;
  const b = new GraphBuilder(`/mem/cnn${seed}.json`, 'tfjs-layers', { framework: 'unknown', name: 'test' }, `cnn${seed}`);
  let cur = b.input('x', [null, h, h, c0], 'nhwc', [h, h, c0]);
  let k = 0;
  const P: [number, number] = [1, 1];
  const param = (role: 'kernel' | 'bias' | 'gamma' | 'beta' | 'movingMean' | 'movingVariance', shape: number[], scale = 0.5, positive = false) =>
    b.param(`p${k++}`, role, shape, Float32Array.from(randn(rnd, shape.reduce((a, d) => a * d, 1)), (v) => (positive ? 0.5 + Math.abs(v) : v * scale)));
  const unit = (i: number, x: string) => b.node(`u${i}`, pick(units), [x]);
  for (let i = 0; i < 5; i++) {
    const [hh, , cc] = b.shapeOf(cur);
    const kind = pick(['conv', 'conv', 'dw', 'bn', 'pool', 'avg', 'res', 'cat', ...(opts.norms ? ['ln', 'in'] : [])]);
    if (kind === 'conv') {
      const cout = 2 + Math.floor(rnd() * 3);
      cur = unit(i, b.node(`conv${i}`, { op: 'conv2d', strides: pick([[1, 1], [2, 2]] as const), padding: hh >= 5 ? pick(['same', 'valid'] as const) : 'same', dilations: P, groups: 1 }, [cur], { kernel: param('kernel', [3, 3, cc, cout]), bias: param('bias', [cout]) }));
    } else if (kind === 'dw') {
      cur = unit(i, b.node(`dw${i}`, { op: 'depthwiseConv2d', strides: P, padding: 'same', dilations: P }, [cur], { kernel: param('kernel', [3, 3, cc, 1]), bias: param('bias', [cc]) }));
    } else if (kind === 'bn') {
      cur = b.node(`bn${i}`, { op: 'batchNorm', epsilon: 1e-3 }, [cur], { gamma: param('gamma', [cc]), beta: param('beta', [cc]), movingMean: param('movingMean', [cc]), movingVariance: param('movingVariance', [cc], 1, true) });
    } else if (kind === 'pool' && hh >= 2) {
      cur = b.node(`pool${i}`, { op: 'maxPool', poolSize: pick([[2, 2], [3, 3]] as const), strides: pick([[1, 1], [2, 2]] as const), padding: 'same' }, [cur]);
    } else if (kind === 'avg' && hh >= 2) {
      cur = b.node(`avg${i}`, { op: 'avgPool', poolSize: [2, 2], strides: [2, 2], padding: 'same', countIncludePad: false }, [cur]);
    } else if (kind === 'res') {
      const br = unit(i, b.node(`rconv${i}`, { op: 'conv2d', strides: P, padding: 'same', dilations: P, groups: 1 }, [cur], { kernel: param('kernel', [3, 3, cc, cc]) }));
      cur = b.node(`add${i}`, { op: 'add' }, [cur, br]);
    } else if (kind === 'cat') {
      const other = b.node(`cconv${i}`, { op: 'conv2d', strides: P, padding: 'same', dilations: P, groups: 1 }, [cur], { kernel: param('kernel', [1, 1, cc, 2]) });
      cur = b.node(`cat${i}`, { op: 'concat', axis: -1 }, [cur, unit(i, other)]);
    } else if (kind === 'ln') {
      cur = b.node(`ln${i}`, { op: 'layerNorm', axes: [2], epsilon: 1e-3 }, [cur], { gamma: param('gamma', [cc], 1, true), beta: param('beta', [cc]) });
    } else if (kind === 'in') {
      cur = b.node(`in${i}`, { op: 'instanceNorm', epsilon: 1e-3 }, [cur], { gamma: param('gamma', [cc], 1, true), beta: param('beta', [cc]) });
    }
  }
  const f = b.node('flat', { op: 'flatten', order: 'nhwc' }, [cur]);
  const n = b.shapeOf(f)[0];
  const classes = opts.classes ?? 5;
  const hid = b.node('hidden', { op: 'dense' }, [f], { kernel: param('kernel', [n, 6], 0.3), bias: param('bias', [6]) });
  const logits = b.node('logits', { op: 'dense' }, [b.node('uh', pick(units), [hid])], { kernel: param('kernel', [6, classes]), bias: param('bias', [classes]) });
  b.output(b.node('probs', { op: 'softmax', axis: -1 }, [logits]), 'probs', [null, classes], 'flat');
  return b.build();
}
