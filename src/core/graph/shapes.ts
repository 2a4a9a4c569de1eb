import { UserError } from '../errors';
import { OpSpec, Padding, Pair, Param, sizeOf } from './ir';

/** Why a shape is wrong; the builder adds the node and file to the message. */
export class ShapeError extends Error {}

function need(cond: unknown, message: string): asserts cond {
  if (!cond) throw new ShapeError(message);
}

/** Output length of a windowed op along one axis. */
export function windowOut(size: number, k: number, stride: number, dilation: number, pad: Padding, axis: 0 | 1): number {
  const eff = dilation * (k - 1) + 1;
  if (pad === 'same') return Math.ceil(size / stride);
  if (pad === 'valid') return Math.floor((size - eff) / stride) + 1;
  const total = axis === 0 ? pad.top + pad.bottom : pad.left + pad.right;
  return Math.floor((size + total - eff) / stride) + 1;
}

/** Explicit [before, after] amounts that TF-style 'same' padding adds along one axis. */
export function samePads(size: number, k: number, stride: number, dilation: number): Pair {
  const eff = dilation * (k - 1) + 1;
  const out = Math.ceil(size / stride);
  const total = Math.max((out - 1) * stride + eff - size, 0);
  return [Math.floor(total / 2), total - Math.floor(total / 2)];
}

/** The [top, bottom] and [left, right] pads of `p` over an h×w input: one place for 'valid', 'same' and explicit pads. */
export function padPairs(p: Padding, h: number, w: number, k: Pair, s: Pair = [1, 1], d: Pair = [1, 1]): [Pair, Pair] {
  if (p === 'valid') return [[0, 0], [0, 0]];
  if (p === 'same') return [samePads(h, k[0], s[0], d[0]), samePads(w, k[1], s[1], d[1])];
  return [[p.top, p.bottom], [p.left, p.right]];
}

/** Broadcast sample shapes numpy-style (batch excluded). */
export function broadcastShapes(shapes: readonly (readonly number[])[]): number[] {
  const rank = Math.max(...shapes.map((s) => s.length));
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    let d = 1;
    for (const s of shapes) {
      const v = s[s.length - rank + i] ?? 1;
      if (v === 1) continue;
      need(d === 1 || d === v, `shapes [${shapes.map((s) => s.join(',')).join('] and [')}] do not broadcast`);
      d = v;
    }
    out.push(d);
  }
  return out;
}

function normAxis(axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  need(a >= 0 && a < rank, `axis ${axis} is out of range for rank ${rank}`);
  return a;
}

function spatial(op: string, x: readonly number[]): [number, number, number] {
  need(x.length === 3, `${op} needs an input of rank 4 (batch, height, width, channels), got sample shape [${x}]`);
  return [x[0], x[1], x[2]];
}

/**
 * Output sample shape of `op`, given its inputs' sample shapes and its parameters.
 * Throws ShapeError with a plain explanation when they do not fit.
 */
export function inferShape(
  op: OpSpec,
  inputs: readonly (readonly number[])[],
  params: Partial<Record<string, Param>>,
): number[] {
  const x = inputs[0] ?? [];
  switch (op.op) {
    case 'input':
      throw new ShapeError('input nodes carry their own shape');
    case 'identity':
    case 'relu':
    case 'sigmoid':
    case 'tanh':
    case 'silu':
    case 'softplus':
    case 'selu':
    case 'softsign':
    case 'leakyRelu':
    case 'clip':
    case 'hardSigmoid':
    case 'elu':
    case 'gelu':
      return [...x];
    case 'prelu': {
      const a = params.alpha;
      need(a, 'prelu has no alpha');
      broadcastShapes([x, a.shape]);
      return [...x];
    }
    case 'softmax':
      normAxis(op.axis, x.length);
      return [...x];
    case 'dense': {
      const k = params.kernel;
      need(k && k.shape.length === 2, 'dense needs a 2-D kernel');
      need(x.length >= 1 && x[x.length - 1] === k.shape[0], `dense kernel expects ${k.shape[0]} inputs, got sample shape [${x}]`);
      if (params.bias) need(sizeOf(params.bias.shape) === k.shape[1], 'dense bias does not match the kernel');
      return [...x.slice(0, -1), k.shape[1]];
    }
    case 'conv2d': {
      const [h, w, c] = spatial('conv2d', x);
      const k = params.kernel;
      need(k && k.shape.length === 4, 'conv2d needs a 4-D kernel [kh, kw, cin/groups, cout]');
      need(op.groups >= 1 && c % op.groups === 0, `conv2d: ${c} input channels do not split into ${op.groups} groups`);
      need(k.shape[2] * op.groups === c, `conv2d kernel expects ${k.shape[2] * op.groups} input channels, got ${c}`);
      need(k.shape[3] % op.groups === 0, `conv2d: ${k.shape[3]} output channels do not split into ${op.groups} groups`);
      if (params.bias) need(sizeOf(params.bias.shape) === k.shape[3], 'conv2d bias does not match the kernel');
      const oh = windowOut(h, k.shape[0], op.strides[0], op.dilations[0], op.padding, 0);
      const ow = windowOut(w, k.shape[1], op.strides[1], op.dilations[1], op.padding, 1);
      need(oh > 0 && ow > 0, `conv2d output would be empty (${oh}x${ow})`);
      return [oh, ow, k.shape[3]];
    }
    case 'depthwiseConv2d': {
      const [h, w, c] = spatial('depthwiseConv2d', x);
      const k = params.kernel;
      need(k && k.shape.length === 4 && k.shape[2] === c, `depthwise kernel expects ${k?.shape[2]} channels, got ${c}`);
      const oh = windowOut(h, k.shape[0], op.strides[0], op.dilations[0], op.padding, 0);
      const ow = windowOut(w, k.shape[1], op.strides[1], op.dilations[1], op.padding, 1);
      need(oh > 0 && ow > 0, `depthwise output would be empty (${oh}x${ow})`);
      return [oh, ow, c * k.shape[3]];
    }
    case 'batchNorm': {
      const c = x[x.length - 1];
      for (const s of ['gamma', 'beta', 'movingMean', 'movingVariance'] as const) {
        const p = params[s];
        if (p) need(sizeOf(p.shape) === c, `batch-norm ${s} has ${sizeOf(p.shape)} entries for ${c} channels`);
      }
      need(params.movingMean && params.movingVariance, 'batch-norm needs a moving mean and variance');
      return [...x];
    }
    case 'layerNorm':
      for (const a of op.axes) need(a >= 0 && a < x.length, `layer-norm axis ${a} out of range`);
      return [...x];
    case 'instanceNorm':
      spatial('instanceNorm', x);
      return [...x];
    case 'add':
    case 'sub':
    case 'mul':
    case 'div':
    case 'maximum':
    case 'minimum': {
      const shapes = [...inputs];
      if (params.constant) shapes.push(params.constant.shape);
      need(shapes.length >= 2, `${op.op} needs two operands`);
      return broadcastShapes(shapes);
    }
    case 'concat': {
      const a = normAxis(op.axis, x.length);
      let total = 0;
      for (const s of inputs) {
        need(s.length === x.length, 'concat inputs differ in rank');
        s.forEach((d, i) => need(i === a || d === x[i], `concat inputs differ on axis ${i}: [${x}] vs [${s}]`));
        total += s[a];
      }
      const out = [...x];
      out[a] = total;
      return out;
    }
    case 'flatten':
      return [sizeOf(x)];
    case 'reshape': {
      need(sizeOf(op.shape) === sizeOf(x), `cannot reshape [${x}] (${sizeOf(x)} values) to [${op.shape}]`);
      return [...op.shape];
    }
    case 'transpose': {
      need(op.perm.length === x.length && [...op.perm].sort().every((v, i) => v === i), `bad transpose perm [${op.perm}]`);
      return op.perm.map((p) => x[p]);
    }
    case 'pad':
      need(op.pads.length === x.length, `pad has ${op.pads.length} axis pairs for rank ${x.length}`);
      return x.map((d, i) => d + op.pads[i][0] + op.pads[i][1]);
    case 'maxPool':
    case 'avgPool': {
      const [h, w, c] = spatial(op.op, x);
      const oh = windowOut(h, op.poolSize[0], op.strides[0], 1, op.padding, 0);
      const ow = windowOut(w, op.poolSize[1], op.strides[1], 1, op.padding, 1);
      need(oh > 0 && ow > 0, `${op.op} output would be empty`);
      return [oh, ow, c];
    }
    case 'globalAvgPool':
    case 'globalMaxPool': {
      const [, , c] = spatial(op.op, x);
      return op.keepDims ? [1, 1, c] : [c];
    }
    case 'upsample': {
      const [h, w, c] = spatial('upsample', x);
      return [h * op.size[0], w * op.size[1], c];
    }
  }
}

/** Wraps a ShapeError in a UserError naming the node and file. */
export function shapeUserError(e: unknown, file: string, node: string, op: string): unknown {
  if (e instanceof ShapeError) return new UserError(`${file}: node "${node}" (${op}): ${e.message}`, file);
  return e;
}
