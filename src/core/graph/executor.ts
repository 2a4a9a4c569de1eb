import * as tf from '@tensorflow/tfjs-core';
import { Graph, Node, OpOf, Padding, Pair, ParamSlot, sizeOf } from './ir';
import { padPairs } from './shapes';

/** Parameter tensors by key; a run can take a different set without rebuilding anything. */
export type ParamTensors = ReadonlyMap<string, tf.Tensor>;

/**
 * Replaces a node's computation. Receives the node, its input tensors and the default
 * computation; returns the tensor to use, or undefined to keep the default.
 * The interpreter's gates, batch-norm statistic collection and REPAIR are hooks.
 */
export type NodeHook = (
  node: Node,
  inputs: tf.Tensor[],
  compute: (inputs: tf.Tensor[]) => tf.Tensor,
  param: (slot: ParamSlot) => tf.Tensor | undefined,
) => tf.Tensor | undefined;

export interface RunOptions {
  /** Node ids whose outputs to return besides the outputs. */
  readonly taps?: readonly string[];
  /** Node ids to return instead of the graph's outputs (e.g. the logits before a softmax). */
  readonly outputs?: readonly string[];
  /** Parameter tensors to use instead of the graph's own, by key; missing keys fall back. */
  readonly params?: ParamTensors;
  /** Batch-norm normalises with the batch's own statistics (train mode). */
  readonly training?: boolean;
  readonly hook?: NodeHook;
}

export interface RunResult {
  readonly outputs: tf.Tensor[];
  readonly taps: Map<string, tf.Tensor>;
}

/**
 * Runs a Graph on batches. Intermediate tensors live inside a tf.tidy of each run, so only the
 * returned outputs and taps survive; the caller disposes them. The executor owns the tensors of
 * the graph's own parameters until `dispose()`.
 */
export class Executor {
  private own: Map<string, tf.Tensor> | undefined;

  constructor(readonly graph: Graph) {}

  /** The graph's own parameters as tensors (created once, owned by the executor). */
  params(): ParamTensors {
    if (!this.own) {
      const own = new Map<string, tf.Tensor>();
      for (const p of this.graph.params.values()) own.set(p.key, tf.keep(tf.tensor(p.data, [...p.shape], 'float32')));
      this.own = own;
    }
    return this.own;
  }

  /** Runs the graph on one batch per model input, each in the model's own layout with the batch first. */
  run(inputs: readonly tf.Tensor[], opts: RunOptions = {}): RunResult {
    const g = this.graph;
    if (inputs.length !== g.inputs.length) throw new Error(`${g.file}: the model takes ${g.inputs.length} inputs, got ${inputs.length}`);
    const own = this.params();
    const wanted = opts.outputs ?? g.outputs.map((o) => o.node);
    const taps = opts.taps ?? [];
    const result = tf.tidy(() => {
      const values = new Map<string, tf.Tensor>();
      const param = (n: Node, slot: ParamSlot): tf.Tensor | undefined => {
        const key = n.params[slot];
        if (key === undefined) return undefined;
        const t = opts.params?.get(key) ?? own.get(key);
        if (!t) throw new Error(`missing parameter ${key}`);
        return t;
      };
      for (const n of g.nodes) {
        let out: tf.Tensor;
        if (n.op.op === 'input') {
          out = inputs[n.op.index];
          const want = n.shape;
          const got = out.shape.slice(1);
          if (got.length !== want.length || got.some((d, i) => d !== want[i])) {
            throw new Error(`${g.file}: input "${n.id}" expects samples of shape [${want}], got [${got}]`);
          }
          if (out.dtype !== 'float32') out = tf.cast(out, 'float32');
        } else {
          const ins = n.inputs.map((i) => values.get(i)!);
          const compute = (xs: tf.Tensor[]) => applyOp(n, xs, (s) => param(n, s), opts.training ?? false);
          out = (opts.hook && opts.hook(n, ins, compute, (s) => param(n, s))) ?? compute(ins);
        }
        values.set(n.id, out);
      }
      const outs = wanted.map((id) => {
        const t = values.get(id);
        if (!t) throw new Error(`${g.file}: no node "${id}"`);
        return t;
      });
      const tapped = taps.map((id) => {
        const t = values.get(id);
        if (!t) throw new Error(`${g.file}: no node "${id}" to tap`);
        return t;
      });
      return { outs, tapped };
    });
    const tapMap = new Map<string, tf.Tensor>();
    taps.forEach((id, i) => tapMap.set(id, result.tapped[i]));
    return { outputs: result.outs, taps: tapMap };
  }

  /** Convenience: the first output for one input batch. */
  predict(x: tf.Tensor, opts: RunOptions = {}): tf.Tensor {
    const r = this.run([x], { ...opts, taps: [] });
    for (let i = 1; i < r.outputs.length; i++) r.outputs[i].dispose();
    return r.outputs[0];
  }

  dispose(): void {
    if (this.own) for (const t of this.own.values()) t.dispose();
    this.own = undefined;
  }
}

type ParamOf = (slot: ParamSlot) => tf.Tensor | undefined;

function req(t: tf.Tensor | undefined, what: string): tf.Tensor {
  if (!t) throw new Error(`missing ${what}`);
  return t;
}

/** Pads of a window op over x [batch, h, w, c]. */
function padAmounts(p: Padding, shape: readonly number[], k: Pair, s: Pair, d: Pair): [Pair, Pair] {
  return padPairs(p, shape[1], shape[2], k, s, d);
}

function pad4(x: tf.Tensor4D, [ph, pw]: [Pair, Pair], value = 0): tf.Tensor4D {
  if (ph[0] === 0 && ph[1] === 0 && pw[0] === 0 && pw[1] === 0) return x;
  return tf.pad(x, [[0, 0], [ph[0], ph[1]], [pw[0], pw[1]], [0, 0]], value);
}

/**
 * A dilated kernel written out with zeros between its taps. tfjs has no gradients for dilated
 * convs, so dilation is done here with differentiable ops instead (costs d² more multiplies on
 * the rare dilated layers).
 */
function dilateKernel(k: tf.Tensor4D, d: Pair): tf.Tensor4D {
  if (d[0] === 1 && d[1] === 1) return k;
  const [kh, kw, ci, co] = k.shape;
  const spread = tf.pad(tf.reshape(k, [kh, 1, kw, 1, ci, co]), [[0, 0], [0, d[0] - 1], [0, 0], [0, d[1] - 1], [0, 0], [0, 0]]);
  const full = tf.reshape(spread, [kh * d[0], kw * d[1], ci, co]);
  return tf.slice(full, [0, 0, 0, 0], [d[0] * (kh - 1) + 1, d[1] * (kw - 1) + 1, ci, co]) as tf.Tensor4D;
}

function conv(x: tf.Tensor4D, k: tf.Tensor4D, s: Pair, d: Pair): tf.Tensor4D {
  return tf.conv2d(x, dilateKernel(k, d), [s[0], s[1]], 'valid', 'NHWC');
}

function depthwise(x: tf.Tensor4D, k: tf.Tensor4D, s: Pair, d: Pair): tf.Tensor4D {
  return tf.depthwiseConv2d(x, dilateKernel(k, d), [s[0], s[1]], 'valid', 'NHWC');
}

function conv2d(n: OpOf<'conv2d'>, x: tf.Tensor4D, k: tf.Tensor4D, b: tf.Tensor | undefined): tf.Tensor {
  const xp = pad4(x, padAmounts(n.padding, x.shape, [k.shape[0], k.shape[1]], n.strides, n.dilations));
  const cin = x.shape[3];
  const cout = k.shape[3];
  let y: tf.Tensor4D;
  if (n.groups === 1) {
    y = conv(xp, k, n.strides, n.dilations);
  } else if (n.groups === cin && k.shape[2] === 1) {
    // One input channel per group is a depthwise conv: output channel o = c * mult + m.
    const mult = cout / cin;
    y = depthwise(xp, tf.reshape(k, [k.shape[0], k.shape[1], cin, mult]) as tf.Tensor4D, n.strides, n.dilations);
  } else {
    const xs = tf.split(xp, n.groups, 3) as tf.Tensor4D[];
    const ks = tf.split(k, n.groups, 3) as tf.Tensor4D[];
    y = tf.concat(xs.map((xi, i) => conv(xi, ks[i], n.strides, n.dilations)), 3);
  }
  return b ? tf.add(y, b) : y;
}

function pool(n: OpOf<'maxPool'> | OpOf<'avgPool'>, x: tf.Tensor4D): tf.Tensor {
  const size: [number, number] = [n.poolSize[0], n.poolSize[1]];
  const strides: [number, number] = [n.strides[0], n.strides[1]];
  if (n.op === 'maxPool') {
    if (n.padding === 'same' || n.padding === 'valid') return tf.maxPool(x, size, strides, n.padding);
    return tf.maxPool(pad4(x, padAmounts(n.padding, x.shape, n.poolSize, n.strides, [1, 1]), -3.4e38), size, strides, 'valid');
  }
  if (n.padding === 'valid') return tf.avgPool(x, size, strides, 'valid');
  // 'same' goes through explicit padding too: tfjs's avgPool gradient for 'same' divides every
  // window by its full size while the forward pass divides by the real cells, so rows and
  // training through it would be wrong at the borders.
  const pads = padAmounts(n.padding, x.shape, n.poolSize, n.strides, [1, 1]);
  const summed = tf.avgPool(pad4(x, pads), size, strides, 'valid');
  if (n.countIncludePad) return summed;
  // Mean over the real (unpadded) cells: divide by the share of real cells in each window.
  const mask = tf.avgPool(pad4(tf.ones([1, x.shape[1], x.shape[2], 1]) as tf.Tensor4D, pads), size, strides, 'valid');
  return tf.div(summed, mask);
}

/** Gives lower-rank operands singleton axes after the batch, so samples broadcast numpy-style. */
function alignRanks(xs: tf.Tensor[], constants: number): tf.Tensor[] {
  const rank = Math.max(...xs.map((x, i) => x.rank + (i < xs.length - constants ? 0 : 1)));
  return xs.map((x, i) => {
    if (i >= xs.length - constants) return x; // constants have no batch axis: plain trailing broadcast
    if (x.rank === rank) return x;
    const shape = [x.shape[0], ...new Array(rank - x.rank).fill(1), ...x.shape.slice(1)];
    return tf.reshape(x, shape);
  });
}

function elementwise(op: string, xs: tf.Tensor[]): tf.Tensor {
  const f: Record<string, (a: tf.Tensor, b: tf.Tensor) => tf.Tensor> = {
    add: tf.add, sub: tf.sub, mul: tf.mul, div: tf.div, maximum: tf.maximum, minimum: tf.minimum,
  };
  let acc = xs[0];
  for (let i = 1; i < xs.length; i++) acc = f[op](acc, xs[i]);
  return acc;
}

function moveChannelsFirst(x: tf.Tensor): tf.Tensor {
  if (x.rank < 3) return x;
  const perm = [0, x.rank - 1, ...Array.from({ length: x.rank - 2 }, (_, i) => i + 1)];
  return tf.transpose(x, perm);
}

function sampleAxis(axis: number, sampleRank: number): number {
  return (axis < 0 ? axis + sampleRank : axis) + 1;
}

/** The default computation of one node on its input tensors (batch first, NHWC). */
export function applyOp(n: Node, xs: tf.Tensor[], p: ParamOf, training: boolean): tf.Tensor {
  const op = n.op;
  const x = xs[0];
  switch (op.op) {
    case 'input':
      throw new Error('input nodes are not computed');
    case 'identity':
      return x;
    case 'dense': {
      const k = req(p('kernel'), 'dense kernel') as tf.Tensor2D;
      const b = p('bias');
      const flat = x.rank === 2 ? (x as tf.Tensor2D) : tf.reshape(x, [-1, k.shape[0]]) as tf.Tensor2D;
      let y: tf.Tensor = tf.matMul(flat, k);
      if (b) y = tf.add(y, b);
      return x.rank === 2 ? y : tf.reshape(y, [...x.shape.slice(0, -1), k.shape[1]]);
    }
    case 'conv2d':
      return conv2d(op, x as tf.Tensor4D, req(p('kernel'), 'conv kernel') as tf.Tensor4D, p('bias'));
    case 'depthwiseConv2d': {
      const k = req(p('kernel'), 'depthwise kernel') as tf.Tensor4D;
      const xp = pad4(x as tf.Tensor4D, padAmounts(op.padding, x.shape, [k.shape[0], k.shape[1]], op.strides, op.dilations));
      const y = depthwise(xp, k, op.strides, op.dilations);
      const b = p('bias');
      return b ? tf.add(y, b) : y;
    }
    case 'batchNorm': {
      const gamma = p('gamma');
      const beta = p('beta');
      let mean = req(p('movingMean'), 'moving mean');
      let variance = req(p('movingVariance'), 'moving variance');
      if (training) {
        const m = tf.moments(x, Array.from({ length: x.rank - 1 }, (_, i) => i));
        mean = m.mean;
        variance = m.variance;
      }
      const c = mean.size;
      const flat = (t: tf.Tensor | undefined) => (t ? tf.reshape(t, [c]) : undefined);
      return tf.batchNorm(x, flat(mean)!, flat(variance)!, flat(beta), flat(gamma), op.epsilon);
    }
    case 'layerNorm': {
      const axes = op.axes.map((a) => a + 1);
      const m = tf.moments(x, axes, true);
      let y = tf.div(tf.sub(x, m.mean), tf.sqrt(tf.add(m.variance, op.epsilon)));
      const gamma = p('gamma');
      const beta = p('beta');
      if (gamma) y = tf.mul(y, gamma);
      if (beta) y = tf.add(y, beta);
      return y;
    }
    case 'instanceNorm': {
      const m = tf.moments(x, [1, 2], true);
      let y = tf.div(tf.sub(x, m.mean), tf.sqrt(tf.add(m.variance, op.epsilon)));
      const gamma = p('gamma');
      const beta = p('beta');
      if (gamma) y = tf.mul(y, tf.reshape(gamma, [-1]));
      if (beta) y = tf.add(y, tf.reshape(beta, [-1]));
      return y;
    }
    case 'add':
    case 'sub':
    case 'mul':
    case 'div':
    case 'maximum':
    case 'minimum': {
      const c = p('constant');
      let operands = c ? [...xs, c] : [...xs];
      operands = alignRanks(operands, c ? 1 : 0);
      if (c && n.constantFirst) operands = [operands[operands.length - 1], ...operands.slice(0, -1)];
      return elementwise(op.op, operands);
    }
    case 'concat':
      return tf.concat(xs, sampleAxis(op.axis, x.rank - 1));
    case 'flatten': {
      const t = op.order === 'nchw' ? moveChannelsFirst(x) : x;
      return tf.reshape(t, [x.shape[0], sizeOf(x.shape.slice(1))]);
    }
    case 'reshape':
      return tf.reshape(x, [x.shape[0], ...op.shape]);
    case 'transpose':
      return tf.transpose(x, [0, ...op.perm.map((a) => a + 1)]);
    case 'pad':
      return tf.pad(x, [[0, 0], ...op.pads.map((q) => [q[0], q[1]] as [number, number])], op.value);
    case 'maxPool':
    case 'avgPool':
      return pool(op, x as tf.Tensor4D);
    case 'globalAvgPool':
      return tf.mean(x, [1, 2], op.keepDims);
    case 'globalMaxPool':
      return tf.max(x, [1, 2], op.keepDims);
    case 'upsample': {
      const [h, w] = [x.shape[1]! * op.size[0], x.shape[2]! * op.size[1]];
      return op.mode === 'nearest'
        ? tf.image.resizeNearestNeighbor(x as tf.Tensor4D, [h, w], false, false)
        : tf.image.resizeBilinear(x as tf.Tensor4D, [h, w], false, true);
    }
    case 'relu':
      return tf.relu(x);
    case 'leakyRelu':
      return tf.leakyRelu(x, op.alpha);
    case 'prelu': {
      const a = req(p('alpha'), 'prelu alpha');
      return tf.add(tf.relu(x), tf.mul(a, tf.neg(tf.relu(tf.neg(x)))));
    }
    case 'clip':
      return op.min === 0 && op.max === 6 ? tf.relu6(x) : tf.clipByValue(x, op.min, op.max);
    case 'hardSigmoid':
      return tf.clipByValue(tf.add(tf.mul(x, op.alpha), op.beta), 0, 1);
    case 'elu':
      return op.alpha === 1 ? tf.elu(x) : tf.where(tf.greater(x, 0), x, tf.mul(op.alpha, tf.sub(tf.exp(tf.minimum(x, 0)), 1)));
    case 'selu':
      return tf.selu(x);
    case 'sigmoid':
      return tf.sigmoid(x);
    case 'tanh':
      return tf.tanh(x);
    case 'silu':
      return tf.mul(x, tf.sigmoid(x));
    case 'softplus':
      return tf.softplus(x);
    case 'softsign':
      return tf.div(x, tf.add(tf.abs(x), 1));
    case 'gelu':
      return op.approximate
        ? tf.mul(tf.mul(x, 0.5), tf.add(1, tf.tanh(tf.mul(Math.sqrt(2 / Math.PI), tf.add(x, tf.mul(0.044715, tf.pow(x, 3)))))))
        : tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.div(x, Math.SQRT2))));
    case 'softmax': {
      const axis = sampleAxis(op.axis, x.rank - 1);
      if (axis === x.rank - 1) return tf.softmax(x);
      const perm = Array.from({ length: x.rank }, (_, i) => i);
      perm[axis] = x.rank - 1;
      perm[x.rank - 1] = axis;
      return tf.transpose(tf.softmax(tf.transpose(x, perm)), perm);
    }
  }
}
