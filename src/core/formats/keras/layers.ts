import { UserError } from '../../errors';
import { GraphBuilder } from '../../graph/builder';
import { OpSpec, Pair, ParamRole, ParamSlot, sizeOf } from '../../graph/ir';
import { planActivation } from './activations';
import { LayerDef } from './config';
import { isObject, Json } from './json';
import { StoredWeight, WeightSlot } from './weights';

/** What converting one layer call needs from the converter. */
export interface LayerContext {
  readonly b: GraphBuilder;
  readonly file: string;
  /** Id of the layer's main node, and the `layer` of every node it makes (qualified in nested models). */
  readonly id: string;
  readonly layer: LayerDef;
  readonly kerasMajor: number;
  /** The layer's stored weights matched to `slots`. */
  weights(slots: readonly WeightSlot[]): Map<string, StoredWeight>;
  /** Registers a parameter once per layer (a shared layer's later calls get the same key). */
  param(name: string, role: ParamRole, shape: readonly number[], data: Float32Array): string;
  warn(message: string): void;
}

const VANISHING = new Set([
  'Dropout', 'SpatialDropout1D', 'SpatialDropout2D', 'SpatialDropout3D', 'GaussianNoise', 'GaussianDropout', 'AlphaDropout',
  'ActivityRegularization', 'Masking',
]);

const RECURRENT = new Set([
  'LSTM', 'GRU', 'SimpleRNN', 'RNN', 'LSTMCell', 'GRUCell', 'SimpleRNNCell', 'StackedRNNCells', 'Bidirectional', 'TimeDistributed',
  'ConvLSTM1D', 'ConvLSTM2D', 'ConvLSTM3D', 'CuDNNLSTM', 'CuDNNGRU', 'LSTMV1', 'GRUV1',
]);

const SUPPORTED =
  'InputLayer, Dense, Conv2D, DepthwiseConv2D, SeparableConv2D, BatchNormalization, LayerNormalization, Activation, ReLU, LeakyReLU, PReLU, ELU, Softmax, ' +
  'MaxPooling2D, AveragePooling2D, GlobalAveragePooling2D, GlobalMaxPooling2D, Flatten, Reshape, Permute, ZeroPadding2D, UpSampling2D, ' +
  'Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate, Rescaling, Normalization, Dropout and the other noise layers';

function fail(ctx: LayerContext, message: string): never {
  throw new UserError(`${ctx.file}: layer "${ctx.id}" (${ctx.layer.className}) ${message}`, ctx.file);
}

/** A number from a config, unwrapping TF.js's {type: 'ndarray', value} scalars. */
function num(ctx: LayerContext, key: string, fallback: number): number {
  let v = ctx.layer.config[key];
  if (isObject(v) && v.type === 'ndarray') v = v.value;
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'number' || !Number.isFinite(v)) fail(ctx, `has a ${key} that is not a number (${JSON.stringify(v)?.slice(0, 40)}).`);
  return v;
}

function optionalNum(ctx: LayerContext, key: string): number | undefined {
  const v = ctx.layer.config[key];
  if (v === undefined || v === null || (isObject(v) && v.type === 'ndarray' && (v.value === null || v.value === undefined))) return undefined;
  return num(ctx, key, 0);
}

function bool(ctx: LayerContext, key: string, fallback: boolean): boolean {
  const v = ctx.layer.config[key];
  return typeof v === 'boolean' ? v : fallback;
}

function intPair(ctx: LayerContext, key: string, fallback: Pair): Pair {
  const v = ctx.layer.config[key];
  if (v === undefined || v === null) return fallback;
  const ok = (d: unknown): d is number => typeof d === 'number' && Number.isInteger(d) && d >= 1;
  if (ok(v)) return [v, v];
  if (Array.isArray(v) && v.length === 1 && ok(v[0])) return [v[0], v[0]];
  if (Array.isArray(v) && v.length === 2 && ok(v[0]) && ok(v[1])) return [v[0], v[1]];
  fail(ctx, `has a ${key} that is not one or two positive integers (${JSON.stringify(v)}).`);
}

function padding(ctx: LayerContext): 'same' | 'valid' {
  const v = ctx.layer.config.padding ?? 'valid';
  if (v === 'same' || v === 'valid') return v;
  fail(ctx, `has padding "${String(v)}"; only "same" and "valid" are supported.`);
}

function requireChannelsLast(ctx: LayerContext): void {
  const f = ctx.layer.config.data_format;
  if (f === undefined || f === null || f === 'channels_last') return;
  fail(ctx, `uses data_format "${String(f)}"; Linear Lens reads channels-last Keras models (the Keras default). Rebuild the model with channels_last layers.`);
}

/** A Keras axis (batch counted) as an axis of the sample, non-negative. */
function sampleAxis(ctx: LayerContext, axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank + 1 : axis;
  if (!Number.isInteger(a) || a < 1 || a > rank) fail(ctx, `has axis ${axis}, which is out of range for inputs of rank ${rank + 1}.`);
  return a - 1;
}

function axisList(ctx: LayerContext, key: string, fallback: number): number[] {
  const v = ctx.layer.config[key];
  if (v === undefined || v === null) return [fallback];
  if (typeof v === 'number') return [v];
  if (Array.isArray(v) && v.length > 0 && v.every((a) => typeof a === 'number' && Number.isInteger(a))) return v as number[];
  fail(ctx, `has a ${key} that is not an axis or a list of axes (${JSON.stringify(v)}).`);
}

function node(ctx: LayerContext, suffix: string, op: OpSpec, inputs: readonly string[], params: Partial<Record<ParamSlot, string>> = {}): string {
  return ctx.b.node(suffix ? `${ctx.id}/${suffix}` : ctx.id, op, inputs, params, { layer: ctx.id, layerType: ctx.layer.className });
}

function one(ctx: LayerContext, inputs: readonly string[]): string {
  if (inputs.length !== 1) fail(ctx, `is called on ${inputs.length} tensors; it takes one.`);
  return inputs[0];
}

/** Appends the layer's `activation` (if any) after `x`; the first op takes the layer's own id when `primary`. */
function activation(ctx: LayerContext, x: string, value: unknown, primary = false): string {
  const plan = planActivation(ctx.file, ctx.id, value, ctx.kerasMajor);
  // A linear activation leaves no node: identities vanish from the IR.
  if (plan.kind === 'none') return x;
  const suffix = primary ? '' : plan.name;
  if (plan.kind === 'op') return node(ctx, suffix, plan.op, [x]);
  const gate = node(ctx, primary ? 'gate' : `${plan.name}/gate`, plan.op, [x]);
  return node(ctx, suffix, { op: 'mul' }, [x, gate]);
}

function weight(ctx: LayerContext, w: Map<string, StoredWeight>, name: string): StoredWeight {
  const v = w.get(name);
  if (!v) fail(ctx, `has no stored ${name}.`);
  return v;
}

/** Registers a stored weight as a parameter, checking its rank, and returns its key. */
function stored(ctx: LayerContext, w: StoredWeight, name: string, role: ParamRole, rank?: number, shape: readonly number[] = w.shape): string {
  if (rank !== undefined && w.shape.length !== rank) fail(ctx, `has a ${name} of rank ${w.shape.length} ([${w.shape.join(', ')}]); it should have rank ${rank}.`);
  if (sizeOf(shape) !== w.data.length) fail(ctx, `has a ${name} of shape [${w.shape.join(', ')}], which does not fit [${shape.join(', ')}].`);
  return ctx.param(name, role, shape, w.data);
}

/** A vector parameter that must hold one value per channel. */
function perChannel(ctx: LayerContext, w: StoredWeight, name: string, role: ParamRole, channels: number): string {
  if (w.data.length !== channels) fail(ctx, `has a ${name} with ${w.data.length} values for ${channels} channels.`);
  return ctx.param(name, role, [channels], w.data);
}

function inShape(ctx: LayerContext, x: string): readonly number[] {
  return ctx.b.shapeOf(x);
}

/**
 * The dilation_rate of a convolution. A dilated kernel more than twice as wide as its input only
 * ever reaches padding with its outer taps, and 'same' padding for it can ask for gigabytes; such
 * a rate is a damaged config, refused here rather than at the first forward pass.
 */
function dilation(ctx: LayerContext, x: string, kernelShape: readonly number[]): Pair {
  const d = intPair(ctx, 'dilation_rate', [1, 1]);
  const size = inShape(ctx, x);
  for (const i of [0, 1] as const) {
    const span = d[i] * (kernelShape[i] - 1) + 1;
    if (span > 2 * size[i] + 1) fail(ctx, `has a dilation_rate of ${d[i]}: its ${kernelShape[i]}-tap kernel would span ${span} pixels of an input ${size[i]} wide.`);
  }
  return d;
}

function conv2d(ctx: LayerContext, inputs: readonly string[]): string {
  requireChannelsLast(ctx);
  const x = one(ctx, inputs);
  const useBias = bool(ctx, 'use_bias', true);
  const w = ctx.weights([{ name: 'kernel' }, ...(useBias ? [{ name: 'bias' }] : [])]);
  const kernel = weight(ctx, w, 'kernel');
  const params: Partial<Record<ParamSlot, string>> = { kernel: stored(ctx, kernel, 'kernel', 'kernel', 4) };
  if (useBias) params.bias = perChannel(ctx, weight(ctx, w, 'bias'), 'bias', 'bias', kernel.shape[3]);
  const groups = num(ctx, 'groups', 1);
  const op: OpSpec = { op: 'conv2d', strides: intPair(ctx, 'strides', [1, 1]), padding: padding(ctx), dilations: dilation(ctx, x, kernel.shape), groups };
  const y = node(ctx, '', op, [x], params);
  return activation(ctx, y, ctx.layer.config.activation);
}

function depthwiseConv2d(ctx: LayerContext, inputs: readonly string[]): string {
  requireChannelsLast(ctx);
  const x = one(ctx, inputs);
  const useBias = bool(ctx, 'use_bias', true);
  const w = ctx.weights([{ name: 'depthwise_kernel', aliases: ['kernel'] }, ...(useBias ? [{ name: 'bias' }] : [])]);
  const kernel = weight(ctx, w, 'depthwise_kernel');
  const params: Partial<Record<ParamSlot, string>> = { kernel: stored(ctx, kernel, 'depthwise_kernel', 'kernel', 4) };
  if (useBias) params.bias = perChannel(ctx, weight(ctx, w, 'bias'), 'bias', 'bias', kernel.shape[2] * kernel.shape[3]);
  const op: OpSpec = { op: 'depthwiseConv2d', strides: intPair(ctx, 'strides', [1, 1]), padding: padding(ctx), dilations: dilation(ctx, x, kernel.shape) };
  const y = node(ctx, '', op, [x], params);
  return activation(ctx, y, ctx.layer.config.activation);
}

function separableConv2d(ctx: LayerContext, inputs: readonly string[]): string {
  requireChannelsLast(ctx);
  const x = one(ctx, inputs);
  const useBias = bool(ctx, 'use_bias', true);
  const w = ctx.weights([{ name: 'depthwise_kernel' }, { name: 'pointwise_kernel' }, ...(useBias ? [{ name: 'bias' }] : [])]);
  const dw = weight(ctx, w, 'depthwise_kernel');
  const pw = weight(ctx, w, 'pointwise_kernel');
  const dwOp: OpSpec = { op: 'depthwiseConv2d', strides: intPair(ctx, 'strides', [1, 1]), padding: padding(ctx), dilations: dilation(ctx, x, dw.shape) };
  const d = node(ctx, 'depthwise', dwOp, [x], { kernel: stored(ctx, dw, 'depthwise_kernel', 'kernel', 4) });
  const params: Partial<Record<ParamSlot, string>> = { kernel: stored(ctx, pw, 'pointwise_kernel', 'kernel', 4) };
  if (useBias) params.bias = perChannel(ctx, weight(ctx, w, 'bias'), 'bias', 'bias', pw.shape[3]);
  const y = node(ctx, '', { op: 'conv2d', strides: [1, 1], padding: 'valid', dilations: [1, 1], groups: 1 }, [d], params);
  return activation(ctx, y, ctx.layer.config.activation);
}

function dense(ctx: LayerContext, inputs: readonly string[]): string {
  const x = one(ctx, inputs);
  const useBias = bool(ctx, 'use_bias', true);
  const w = ctx.weights([{ name: 'kernel' }, ...(useBias ? [{ name: 'bias' }] : [])]);
  const kernel = weight(ctx, w, 'kernel');
  const params: Partial<Record<ParamSlot, string>> = { kernel: stored(ctx, kernel, 'kernel', 'kernel', 2) };
  if (useBias) params.bias = perChannel(ctx, weight(ctx, w, 'bias'), 'bias', 'bias', kernel.shape[1]);
  const y = node(ctx, '', { op: 'dense' }, [x], params);
  return activation(ctx, y, ctx.layer.config.activation);
}

function batchNorm(ctx: LayerContext, inputs: readonly string[]): string {
  const x = one(ctx, inputs);
  const shape = inShape(ctx, x);
  const axes = axisList(ctx, 'axis', -1);
  if (axes.length !== 1 || sampleAxis(ctx, axes[0], shape.length) !== shape.length - 1) {
    fail(ctx, `normalises over axis ${JSON.stringify(ctx.layer.config.axis)}; Linear Lens supports batch normalisation over the last (channel) axis only.`);
  }
  const c = shape[shape.length - 1];
  const center = bool(ctx, 'center', true);
  const scale = bool(ctx, 'scale', true);
  const w = ctx.weights([...(scale ? [{ name: 'gamma' }] : []), ...(center ? [{ name: 'beta' }] : []), { name: 'moving_mean' }, { name: 'moving_variance' }]);
  const params: Partial<Record<ParamSlot, string>> = {
    movingMean: perChannel(ctx, weight(ctx, w, 'moving_mean'), 'moving_mean', 'movingMean', c),
    movingVariance: perChannel(ctx, weight(ctx, w, 'moving_variance'), 'moving_variance', 'movingVariance', c),
  };
  if (scale) params.gamma = perChannel(ctx, weight(ctx, w, 'gamma'), 'gamma', 'gamma', c);
  if (center) params.beta = perChannel(ctx, weight(ctx, w, 'beta'), 'beta', 'beta', c);
  return node(ctx, '', { op: 'batchNorm', epsilon: num(ctx, 'epsilon', 1e-3) }, [x], params);
}

function layerNorm(ctx: LayerContext, inputs: readonly string[]): string {
  const x = one(ctx, inputs);
  const shape = inShape(ctx, x);
  if (bool(ctx, 'rms_scaling', false)) fail(ctx, 'uses rms_scaling, which Linear Lens does not support.');
  const axes = axisList(ctx, 'axis', -1).map((a) => sampleAxis(ctx, a, shape.length));
  if (axes.some((a, i) => i > 0 && a <= axes[i - 1])) fail(ctx, `lists its axes out of order (${JSON.stringify(ctx.layer.config.axis)}).`);
  const center = bool(ctx, 'center', true);
  const scale = bool(ctx, 'scale', true);
  const w = ctx.weights([...(scale ? [{ name: 'gamma' }] : []), ...(center ? [{ name: 'beta' }] : [])]);
  // gamma / beta hold one value per position of the normalised axes; give them singleton axes
  // for the others so they broadcast against the sample.
  const bshape = shape.slice(axes[0]).map((d, i) => (axes.includes(axes[0] + i) ? d : 1));
  const params: Partial<Record<ParamSlot, string>> = {};
  if (scale) params.gamma = stored(ctx, weight(ctx, w, 'gamma'), 'gamma', 'gamma', undefined, bshape);
  if (center) params.beta = stored(ctx, weight(ctx, w, 'beta'), 'beta', 'beta', undefined, bshape);
  return node(ctx, '', { op: 'layerNorm', axes, epsilon: num(ctx, 'epsilon', 1e-3) }, [x], params);
}

function relu(ctx: LayerContext, inputs: readonly string[]): string {
  const x = one(ctx, inputs);
  const threshold = num(ctx, 'threshold', 0);
  if (threshold !== 0) fail(ctx, `has threshold ${threshold}; Linear Lens supports ReLU with threshold 0 only.`);
  const max = optionalNum(ctx, 'max_value');
  const slope = num(ctx, 'negative_slope', 0);
  if (slope === 0) return node(ctx, '', max === undefined ? { op: 'relu' } : { op: 'clip', min: 0, max }, [x]);
  const y = node(ctx, max === undefined ? '' : 'leaky', { op: 'leakyRelu', alpha: slope }, [x]);
  return max === undefined ? y : node(ctx, '', { op: 'clip', min: -3.4e38, max }, [y]);
}

function prelu(ctx: LayerContext, inputs: readonly string[]): string {
  const x = one(ctx, inputs);
  const w = ctx.weights([{ name: 'alpha' }]);
  return node(ctx, '', { op: 'prelu' }, [x], { alpha: stored(ctx, weight(ctx, w, 'alpha'), 'alpha', 'alpha') });
}

function pool(ctx: LayerContext, inputs: readonly string[], kind: 'maxPool' | 'avgPool'): string {
  requireChannelsLast(ctx);
  const x = one(ctx, inputs);
  const poolSize = intPair(ctx, 'pool_size', [2, 2]);
  const strides = intPair(ctx, 'strides', poolSize);
  const pad = padding(ctx);
  // Keras averages over the real cells only when 'same' padding reaches past the border.
  const op: OpSpec = kind === 'maxPool' ? { op: 'maxPool', poolSize, strides, padding: pad } : { op: 'avgPool', poolSize, strides, padding: pad, countIncludePad: false };
  return node(ctx, '', op, [x]);
}

function flatten(ctx: LayerContext, inputs: readonly string[]): string {
  const x = one(ctx, inputs);
  const rank = inShape(ctx, x).length;
  if (ctx.layer.config.data_format === 'channels_first' && rank >= 2) {
    // Keras moves the axis it takes for channels (the first of the sample) to the end before flattening.
    const perm = [...Array.from({ length: rank - 1 }, (_, i) => i + 1), 0];
    const t = node(ctx, 'transpose', { op: 'transpose', perm }, [x]);
    return node(ctx, '', { op: 'flatten', order: 'nhwc' }, [t]);
  }
  return node(ctx, '', { op: 'flatten', order: 'nhwc' }, [x]);
}

function reshape(ctx: LayerContext, inputs: readonly string[]): string {
  const x = one(ctx, inputs);
  const target = ctx.layer.config.target_shape;
  if (!Array.isArray(target) || !target.every((d) => typeof d === 'number' && Number.isInteger(d) && (d > 0 || d === -1))) {
    fail(ctx, `has a target_shape that is not a list of sizes (${JSON.stringify(target)}).`);
  }
  const dims = target as number[];
  const total = sizeOf(inShape(ctx, x));
  const known = dims.filter((d) => d !== -1).reduce((a, d) => a * d, 1);
  const free = dims.filter((d) => d === -1).length;
  if (free > 1 || (free === 1 && total % known !== 0)) fail(ctx, `cannot reshape ${total} values to [${dims.join(', ')}].`);
  return node(ctx, '', { op: 'reshape', shape: dims.map((d) => (d === -1 ? total / known : d)) }, [x]);
}

function permute(ctx: LayerContext, inputs: readonly string[]): string {
  const x = one(ctx, inputs);
  const dims = ctx.layer.config.dims;
  if (!Array.isArray(dims) || !dims.every((d) => typeof d === 'number')) fail(ctx, `has dims that are not a list of axes (${JSON.stringify(dims)}).`);
  return node(ctx, '', { op: 'transpose', perm: (dims as number[]).map((d) => d - 1) }, [x]);
}

function zeroPadding(ctx: LayerContext, inputs: readonly string[]): string {
  requireChannelsLast(ctx);
  const x = one(ctx, inputs);
  const v = ctx.layer.config.padding ?? 1;
  const isInt = (d: unknown): d is number => typeof d === 'number' && Number.isInteger(d) && d >= 0;
  let pads: [Pair, Pair] | undefined;
  if (isInt(v)) pads = [[v, v], [v, v]];
  else if (Array.isArray(v) && v.length === 2 && isInt(v[0]) && isInt(v[1])) pads = [[v[0], v[0]], [v[1], v[1]]];
  else if (Array.isArray(v) && v.length === 2 && v.every((p) => Array.isArray(p) && p.length === 2 && isInt(p[0]) && isInt(p[1]))) {
    const [h, w] = v as [number[], number[]];
    pads = [[h[0], h[1]], [w[0], w[1]]];
  }
  if (!pads) fail(ctx, `has a padding Linear Lens cannot read (${JSON.stringify(v)}).`);
  return node(ctx, '', { op: 'pad', pads: [pads[0], pads[1], [0, 0]], value: 0 }, [x]);
}

function upsample(ctx: LayerContext, inputs: readonly string[]): string {
  requireChannelsLast(ctx);
  const x = one(ctx, inputs);
  const mode = ctx.layer.config.interpolation ?? 'nearest';
  if (mode !== 'nearest' && mode !== 'bilinear') fail(ctx, `uses interpolation "${String(mode)}"; only nearest and bilinear are supported.`);
  return node(ctx, '', { op: 'upsample', size: intPair(ctx, 'size', [2, 2]), mode }, [x]);
}

function merge(ctx: LayerContext, inputs: readonly string[]): string {
  const cls = ctx.layer.className;
  if (inputs.length < 2) fail(ctx, `is called on ${inputs.length} tensor; a merge layer needs at least two.`);
  switch (cls) {
    case 'Add':
      return node(ctx, '', { op: 'add' }, inputs);
    case 'Subtract':
      if (inputs.length !== 2) fail(ctx, `is called on ${inputs.length} tensors; Subtract takes exactly two.`);
      return node(ctx, '', { op: 'sub' }, inputs);
    case 'Multiply':
      return node(ctx, '', { op: 'mul' }, inputs);
    case 'Maximum':
      return node(ctx, '', { op: 'maximum' }, inputs);
    case 'Minimum':
      return node(ctx, '', { op: 'minimum' }, inputs);
    case 'Average': {
      const sum = node(ctx, 'sum', { op: 'add' }, inputs);
      const k = ctx.param('inverse_count', 'constant', [1], Float32Array.of(1 / inputs.length));
      return node(ctx, '', { op: 'mul' }, [sum], { constant: k });
    }
    default: {
      const rank = inShape(ctx, inputs[0]).length;
      const axis = num(ctx, 'axis', -1);
      return node(ctx, '', { op: 'concat', axis: axis < 0 ? axis : sampleAxis(ctx, axis, rank) }, inputs);
    }
  }
}

/** Scalars or per-channel lists of a config (Rescaling scale/offset). */
function values(ctx: LayerContext, key: string, fallback: number): number[] {
  const v = ctx.layer.config[key];
  if (v === undefined || v === null) return [fallback];
  if (typeof v === 'number') return [v];
  if (Array.isArray(v) && v.length > 0 && v.every((d) => typeof d === 'number')) return v as number[];
  fail(ctx, `has a ${key} that is not a number or a list of numbers (${JSON.stringify(v)?.slice(0, 60)}).`);
}

function rescaling(ctx: LayerContext, inputs: readonly string[]): string {
  const x = one(ctx, inputs);
  const scale = values(ctx, 'scale', 1);
  const offset = values(ctx, 'offset', 0);
  const k = ctx.param('scale', 'constant', [scale.length], Float32Array.from(scale));
  const y = node(ctx, '', { op: 'mul' }, [x], { constant: k });
  if (offset.every((o) => o === 0)) return y;
  const c = ctx.param('offset', 'constant', [offset.length], Float32Array.from(offset));
  return node(ctx, 'offset', { op: 'add' }, [y], { constant: c });
}

function normalization(ctx: LayerContext, inputs: readonly string[]): string {
  const x = one(ctx, inputs);
  const shape = inShape(ctx, x);
  if (bool(ctx, 'invert', false)) fail(ctx, 'is an inverting Normalization (invert=True), which Linear Lens does not support.');
  const axes = axisList(ctx, 'axis', -1).map((a) => sampleAxis(ctx, a, shape.length));
  if (axes.length !== 1 || axes[0] !== shape.length - 1) fail(ctx, `normalises over axis ${JSON.stringify(ctx.layer.config.axis)}; only the last axis is supported.`);
  const c = shape[shape.length - 1];
  const cfgMean = ctx.layer.config.mean;
  const cfgVar = ctx.layer.config.variance;
  let mean: Float32Array;
  let variance: Float32Array;
  if (cfgMean !== undefined && cfgMean !== null && cfgVar !== undefined && cfgVar !== null) {
    const flat = (v: unknown, what: string): Float32Array => {
      const arr = (Array.isArray(v) ? v.flat(8) : [v]) as unknown[];
      if (!arr.every((d) => typeof d === 'number')) fail(ctx, `has a ${what} that is not numbers.`);
      return Float32Array.from(arr as number[]);
    };
    mean = flat(cfgMean, 'mean');
    variance = flat(cfgVar, 'variance');
  } else {
    const w = ctx.weights([{ name: 'mean' }, { name: 'variance' }, { name: 'count' }]);
    mean = weight(ctx, w, 'mean').data;
    variance = weight(ctx, w, 'variance').data;
  }
  const fit = (a: Float32Array, what: string): Float32Array => {
    if (a.length === c) return a;
    if (a.length === 1) return new Float32Array(c).fill(a[0]);
    fail(ctx, `has a ${what} of ${a.length} values for ${c} channels.`);
  };
  mean = fit(mean, 'mean');
  variance = fit(variance, 'variance');
  // Keras divides by max(sqrt(variance), epsilon) with epsilon 1e-7.
  const inv = Float32Array.from(variance, (v) => 1 / Math.max(Math.sqrt(v), 1e-7));
  const m = ctx.param('mean', 'constant', [c], mean);
  const s = ctx.param('inverse_std', 'constant', [c], inv);
  const centred = node(ctx, '', { op: 'sub' }, [x], { constant: m });
  return node(ctx, 'scale', { op: 'mul' }, [centred], { constant: s });
}

function unsupported(ctx: LayerContext): never {
  const cls = ctx.layer.className;
  const module = typeof ctx.layer.entry.module === 'string' ? ctx.layer.entry.module : undefined;
  const registered = typeof ctx.layer.entry.registered_name === 'string' ? ctx.layer.entry.registered_name : undefined;
  if (cls === 'Lambda') fail(ctx, 'is a Lambda layer: its function is Python code (marshalled bytecode) stored in the file, and Linear Lens never runs code from a model file. Replace the Lambda with built-in layers and save the model again.');
  if (cls === 'TFOpLambda' || cls === 'SlicingOpLambda') fail(ctx, 'is a TensorFlow operation called directly on Keras tensors (tf.* in a functional model); Linear Lens cannot rebuild it. Use the equivalent Keras layer and save the model again.');
  if (RECURRENT.has(cls)) fail(ctx, 'is a recurrent layer; Linear Lens analyses feed-forward networks (dense, convolution, normalisation, pooling) and does not support recurrent layers.');
  if (cls === 'Embedding') fail(ctx, 'is an Embedding layer, which takes integer token ids; Linear Lens analyses networks on real-valued inputs and does not support it.');
  if ((registered && registered.includes('>')) || (module && !module.startsWith('keras'))) {
    fail(ctx, `is a custom layer (${registered ?? cls}${module ? ` from module ${module}` : ''}): its code is not in the file, so Linear Lens cannot rebuild it.`);
  }
  fail(ctx, `is not a layer type Linear Lens supports. Supported: ${SUPPORTED}.`);
}

/** Converts one call of a Keras layer into IR nodes; returns the node ids of its output tensors. */
export function convertLayer(ctx: LayerContext, inputs: readonly string[]): string[] {
  const cls = ctx.layer.className;
  const cfg: Json = ctx.layer.config;
  if (VANISHING.has(cls)) return [one(ctx, inputs)];
  switch (cls) {
    case 'InputLayer':
      return [one(ctx, inputs)];
    case 'Dense':
      return [dense(ctx, inputs)];
    case 'Conv2D':
    case 'Convolution2D':
      return [conv2d(ctx, inputs)];
    case 'DepthwiseConv2D':
      return [depthwiseConv2d(ctx, inputs)];
    case 'SeparableConv2D':
    case 'SeparableConvolution2D':
      return [separableConv2d(ctx, inputs)];
    case 'BatchNormalization':
    case 'BatchNormalizationV1':
    case 'BatchNormalizationV2':
      return [batchNorm(ctx, inputs)];
    case 'LayerNormalization':
      return [layerNorm(ctx, inputs)];
    case 'Activation':
      return [activation(ctx, one(ctx, inputs), cfg.activation, true)];
    case 'ReLU':
      return [relu(ctx, inputs)];
    case 'LeakyReLU':
      return [node(ctx, '', { op: 'leakyRelu', alpha: num(ctx, 'negative_slope', num(ctx, 'alpha', 0.3)) }, [one(ctx, inputs)])];
    case 'PReLU':
      return [prelu(ctx, inputs)];
    case 'ELU':
      return [node(ctx, '', { op: 'elu', alpha: num(ctx, 'alpha', 1) }, [one(ctx, inputs)])];
    case 'Softmax': {
      const x = one(ctx, inputs);
      const axis = num(ctx, 'axis', -1);
      return [node(ctx, '', { op: 'softmax', axis: axis < 0 ? axis : sampleAxis(ctx, axis, inShape(ctx, x).length) }, [x])];
    }
    case 'MaxPooling2D':
    case 'MaxPool2D':
      return [pool(ctx, inputs, 'maxPool')];
    case 'AveragePooling2D':
    case 'AvgPool2D':
      return [pool(ctx, inputs, 'avgPool')];
    case 'GlobalAveragePooling2D':
    case 'GlobalAvgPool2D':
    case 'GlobalMaxPooling2D':
    case 'GlobalMaxPool2D': {
      requireChannelsLast(ctx);
      const op = cls.includes('Max') ? 'globalMaxPool' : 'globalAvgPool';
      return [node(ctx, '', { op, keepDims: bool(ctx, 'keepdims', false) }, [one(ctx, inputs)])];
    }
    case 'Flatten':
      return [flatten(ctx, inputs)];
    case 'Reshape':
      return [reshape(ctx, inputs)];
    case 'Permute':
      return [permute(ctx, inputs)];
    case 'ZeroPadding2D':
      return [zeroPadding(ctx, inputs)];
    case 'UpSampling2D':
      return [upsample(ctx, inputs)];
    case 'Add':
    case 'Subtract':
    case 'Multiply':
    case 'Average':
    case 'Maximum':
    case 'Minimum':
    case 'Concatenate':
      return [merge(ctx, inputs)];
    case 'Rescaling':
      return [rescaling(ctx, inputs)];
    case 'Normalization':
      return [normalization(ctx, inputs)];
    default:
      return unsupported(ctx);
  }
}

/** True for layers that leave no node at inference (dropout, noise, regularisers). */
export function vanishes(className: string): boolean {
  return VANISHING.has(className);
}
