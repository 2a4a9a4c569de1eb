import * as fs from 'node:fs';
import * as path from 'node:path';
import { UserError } from '../../errors';
import { Graph, Node, OpSpec, Padding, Param, ParamSlot } from '../../graph/ir';
import { channelsLast, invert, samePerm, samplePerm } from '../onnx/layout';

/**
 * Writes a Graph as a TF.js layers model: a functional model.json (Keras 2 style config, as
 * tfjs-layers saves it) and one weights.bin. Every IR op that has a Keras layer maps to it (dense,
 * conv2d, depthwise, batch/layer norm, activations, pools, flatten, reshape, permute, zero
 * padding, merges, constants as Rescaling); the file loads with our loadModel (and, for the ops
 * tfjs-layers implements, in TF.js itself) and computes what the graph computes. The file is
 * channels-last, as every TF.js layers model: an NCHW model's edge transposes (channels-first
 * input to the internal NHWC, NHWC back to a channels-first output) are dropped, so the written
 * model reads the same NHWC samples any TF.js model does and the loader labels it correctly.
 */

type Json = Record<string, unknown>;

export interface TfjsLayersOptions {
  /** The model name in the config (default: the graph's). */
  readonly name?: string;
  /** File name of the weights beside model.json (default "weights.bin"). */
  readonly weightsFile?: string;
}

export interface TfjsLayersModel {
  /** The model.json object. */
  readonly json: Json;
  /** The bytes of the weights file. */
  readonly weights: Uint8Array;
}

export interface WrittenModel {
  readonly modelJson: string;
  readonly weightsFile: string;
  readonly bytes: number;
  readonly layers: number;
}

interface WeightEntry {
  readonly name: string;
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

function fail(graph: Graph, node: Node, why: string): never {
  throw new UserError(`${graph.file}: node "${node.id}" (${node.op.op}) cannot be written as a TF.js layers model: ${why}.`, graph.file);
}

/** Keras layer names: letters, digits, _ . - only (a "/" would break the weight names), unique. */
class Names {
  private readonly used = new Set<string>();
  take(id: string): string {
    const base = id.replace(/[^A-Za-z0-9_.-]/g, '_') || 'layer';
    let name = base;
    for (let i = 1; this.used.has(name); i++) name = `${base}_${i}`;
    this.used.add(name);
    return name;
  }
}

/**
 * The edge transposes of an NCHW model that a channels-last file does without: an input consumed
 * only by channels-first → channels-last transposes (the input is then written channels-last),
 * and an output that is a channels-last → channels-first transpose of nothing else's use.
 */
function channelsFirstEdges(graph: Graph): { dropped: Set<string>; inputShape: Map<string, readonly number[]> } {
  const dropped = new Set<string>();
  const inputShape = new Map<string, readonly number[]>();
  const consumers = new Map<string, Node[]>();
  for (const n of graph.nodes) {
    for (const i of n.inputs) {
      if (!consumers.has(i)) consumers.set(i, []);
      consumers.get(i)!.push(n);
    }
  }
  const isPerm = (n: Node, perm: readonly number[]) => n.op.op === 'transpose' && samePerm(n.op.perm, perm);
  // Sample axes (the batch excluded): channels-first to channels-last, and back.
  const toLast = (rank: number) => samplePerm(channelsLast(rank + 1));
  const toFirst = (rank: number) => invert(toLast(rank));
  const outputNodes = new Set(graph.outputs.map((p) => p.node));
  for (const port of graph.inputs) {
    const uses = consumers.get(port.node) ?? [];
    const rank = port.shape.length - 1;
    if (port.layout !== 'nchw' || rank < 2 || uses.length === 0 || !uses.every((u) => isPerm(u, toLast(rank)))) continue;
    if (uses.some((u) => outputNodes.has(u.id))) continue;
    for (const u of uses) dropped.add(u.id);
    inputShape.set(port.node, uses[0].shape);
  }
  for (const port of graph.outputs) {
    const n = graph.nodes.find((x) => x.id === port.node);
    const rank = port.shape.length - 1;
    if (port.layout !== 'nchw' || !n || rank < 2 || !isPerm(n, toFirst(rank)) || (consumers.get(n.id)?.length ?? 0) > 0) continue;
    if (graph.outputs.filter((p) => p.node === n.id).length > 1) continue;
    dropped.add(n.id);
  }
  return { dropped, inputShape };
}

/** Converts the graph to a model.json object and its weight bytes. */
export function toTfjsLayers(graph: Graph, opts: TfjsLayersOptions = {}): TfjsLayersModel {
  const names = new Names();
  const layers: Json[] = [];
  const weights: WeightEntry[] = [];
  /** The Keras layer whose output is each IR node's value. */
  const out = new Map<string, string>();
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  const param = (n: Node, slot: ParamSlot): Param | undefined => {
    const key = n.params[slot];
    return key === undefined ? undefined : graph.params.get(key);
  };
  const add = (cls: string, id: string, config: Json, inputs: readonly string[], ws: [string, Param | { shape: readonly number[]; data: Float32Array }][] = []): string => {
    const name = names.take(id);
    layers.push({ class_name: cls, name, config: { name, trainable: true, dtype: 'float32', ...config }, inbound_nodes: inputs.length ? [inputs.map((i) => [i, 0, 0, {}])] : [] });
    for (const [w, p] of ws) weights.push({ name: `${name}/${w}`, shape: p.shape, data: p.data });
    return name;
  };
  const padding = (n: Node, p: Padding, inputs: string[]): 'same' | 'valid' => {
    if (p === 'same' || p === 'valid') return p;
    inputs[0] = add('ZeroPadding2D', `${n.id}_pad`, { padding: [[p.top, p.bottom], [p.left, p.right]], data_format: 'channels_last' }, inputs);
    return 'valid';
  };
  const edges = channelsFirstEdges(graph);
  for (const n of graph.nodes) {
    const ins = n.inputs.map((i) => out.get(i)!);
    const op = n.op;
    const inShape = n.inputs.length ? byId.get(n.inputs[0])!.shape : [];
    let name: string;
    if (edges.dropped.has(n.id)) {
      out.set(n.id, ins[0]);
      continue;
    }
    switch (op.op) {
      case 'input':
        name = add('InputLayer', n.id, { batch_input_shape: [null, ...(edges.inputShape.get(n.id) ?? n.shape)], sparse: false }, []);
        break;
      case 'identity':
        name = ins[0];
        break;
      case 'dense': {
        const k = param(n, 'kernel')!;
        const b = param(n, 'bias');
        name = add('Dense', n.id, { units: k.shape[1], activation: 'linear', use_bias: !!b }, ins, [['kernel', k], ...(b ? [['bias', b] as [string, Param]] : [])]);
        break;
      }
      case 'conv2d': {
        const k = param(n, 'kernel')!;
        const b = param(n, 'bias');
        const pad = padding(n, op.padding, ins);
        const config: Json = { filters: k.shape[3], kernel_size: [k.shape[0], k.shape[1]], strides: [...op.strides], padding: pad, data_format: 'channels_last', dilation_rate: [...op.dilations], activation: 'linear', use_bias: !!b };
        if (op.groups !== 1) config.groups = op.groups;
        name = add('Conv2D', n.id, config, ins, [['kernel', k], ...(b ? [['bias', b] as [string, Param]] : [])]);
        break;
      }
      case 'depthwiseConv2d': {
        const k = param(n, 'kernel')!;
        const b = param(n, 'bias');
        const pad = padding(n, op.padding, ins);
        const config: Json = { kernel_size: [k.shape[0], k.shape[1]], strides: [...op.strides], padding: pad, depth_multiplier: k.shape[3], data_format: 'channels_last', dilation_rate: [...op.dilations], activation: 'linear', use_bias: !!b };
        name = add('DepthwiseConv2D', n.id, config, ins, [['depthwise_kernel', k], ...(b ? [['bias', b] as [string, Param]] : [])]);
        break;
      }
      case 'batchNorm': {
        const gamma = param(n, 'gamma');
        const beta = param(n, 'beta');
        const ws: [string, Param][] = [];
        if (gamma) ws.push(['gamma', gamma]);
        if (beta) ws.push(['beta', beta]);
        ws.push(['moving_mean', param(n, 'movingMean')!], ['moving_variance', param(n, 'movingVariance')!]);
        name = add('BatchNormalization', n.id, { axis: -1, epsilon: op.epsilon, momentum: 0.99, center: !!beta, scale: !!gamma }, ins, ws);
        break;
      }
      case 'layerNorm': {
        const gamma = param(n, 'gamma');
        const beta = param(n, 'beta');
        const ws: [string, Param][] = [];
        if (gamma) ws.push(['gamma', gamma]);
        if (beta) ws.push(['beta', beta]);
        name = add('LayerNormalization', n.id, { axis: op.axes.map((a) => a + 1), epsilon: op.epsilon, center: !!beta, scale: !!gamma }, ins, ws);
        break;
      }
      case 'relu':
      case 'sigmoid':
      case 'tanh':
      case 'softplus':
      case 'softsign':
      case 'selu':
        name = add('Activation', n.id, { activation: op.op }, ins);
        break;
      case 'silu':
        name = add('Activation', n.id, { activation: 'swish' }, ins);
        break;
      case 'gelu':
        name = add('Activation', n.id, { activation: op.approximate ? 'gelu_new' : 'gelu' }, ins);
        break;
      case 'elu':
        name = op.alpha === 1 ? add('Activation', n.id, { activation: 'elu' }, ins) : add('ELU', n.id, { alpha: op.alpha }, ins);
        break;
      case 'leakyRelu':
        name = add('LeakyReLU', n.id, { alpha: op.alpha }, ins);
        break;
      case 'prelu':
        name = add('PReLU', n.id, { shared_axes: null }, ins, [['alpha', param(n, 'alpha')!]]);
        break;
      case 'clip':
        if (op.min !== 0) fail(graph, n, `a clip to [${op.min}, ${op.max}] has no Keras layer (only [0, max] does: ReLU max_value)`);
        name = add('ReLU', n.id, { max_value: op.max }, ins);
        break;
      case 'hardSigmoid':
        if (Math.abs(op.alpha - 0.2) > 1e-7 || op.beta !== 0.5) fail(graph, n, `a hard sigmoid with slope ${op.alpha} has no TF.js layers activation (only 0.2)`);
        name = add('Activation', n.id, { activation: 'hard_sigmoid' }, ins);
        break;
      case 'softmax': {
        const rank = inShape.length;
        const axis = op.axis < 0 ? op.axis + rank : op.axis;
        name = axis === rank - 1 ? add('Activation', n.id, { activation: 'softmax' }, ins) : add('Softmax', n.id, { axis: axis + 1 }, ins);
        break;
      }
      case 'maxPool':
      case 'avgPool': {
        if (op.padding !== 'same' && op.padding !== 'valid') {
          if (op.op === 'maxPool' || !op.countIncludePad) fail(graph, n, 'explicit padding of a pool has no Keras equivalent');
          padding(n, op.padding, ins);
        } else if (op.op === 'avgPool' && op.padding === 'same' && op.countIncludePad) {
          fail(graph, n, "an average pool with 'same' padding that counts the padding has no Keras equivalent");
        }
        const pad = op.padding === 'same' ? 'same' : 'valid';
        name = add(op.op === 'maxPool' ? 'MaxPooling2D' : 'AveragePooling2D', n.id, { pool_size: [...op.poolSize], strides: [...op.strides], padding: pad, data_format: 'channels_last' }, ins);
        break;
      }
      case 'globalAvgPool':
      case 'globalMaxPool':
        name = add(op.op === 'globalAvgPool' ? 'GlobalAveragePooling2D' : 'GlobalMaxPooling2D', n.id, { data_format: 'channels_last', keepdims: op.keepDims }, ins);
        break;
      case 'flatten': {
        if (op.order === 'nchw' && inShape.length >= 2) {
          const r = inShape.length;
          ins[0] = add('Permute', `${n.id}_channels_first`, { dims: [r, ...Array.from({ length: r - 1 }, (_, i) => i + 1)] }, ins);
        }
        name = add('Flatten', n.id, { data_format: 'channels_last' }, ins);
        break;
      }
      case 'reshape':
        name = add('Reshape', n.id, { target_shape: [...op.shape] }, ins);
        break;
      case 'transpose':
        name = add('Permute', n.id, { dims: op.perm.map((a) => a + 1) }, ins);
        break;
      case 'pad': {
        const p = op.pads;
        if (op.value !== 0 || p.length !== 3 || p[2][0] !== 0 || p[2][1] !== 0) fail(graph, n, 'only zero padding of the two spatial axes has a Keras layer');
        name = add('ZeroPadding2D', n.id, { padding: [[p[0][0], p[0][1]], [p[1][0], p[1][1]]], data_format: 'channels_last' }, ins);
        break;
      }
      case 'upsample':
        name = add('UpSampling2D', n.id, { size: [...op.size], interpolation: op.mode, data_format: 'channels_last' }, ins);
        break;
      case 'concat':
        name = add('Concatenate', n.id, { axis: op.axis < 0 ? op.axis : op.axis + 1 }, ins);
        break;
      case 'add':
      case 'sub':
      case 'mul':
      case 'div':
      case 'maximum':
      case 'minimum':
        name = elementwise(graph, n, op, ins, param(n, 'constant'), add);
        break;
      case 'instanceNorm':
        fail(graph, n, 'Keras has no instance normalisation layer');
    }
    out.set(n.id, name);
  }
  const inputLayers = graph.inputs.map((p) => [out.get(p.node)!, 0, 0]);
  const outputLayers = graph.outputs.map((p) => [out.get(p.node)!, 0, 0]);
  let total = 0;
  for (const w of weights) total += w.data.length * 4;
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const w of weights) {
    bytes.set(new Uint8Array(w.data.buffer, w.data.byteOffset, w.data.byteLength), offset);
    offset += w.data.byteLength;
  }
  const json: Json = {
    format: 'layers-model',
    generatedBy: `TensorFlow.js tfjs-layers v4.22.0 format, written by Linear Lens from ${graph.producer.name}`,
    convertedBy: null,
    modelTopology: {
      class_name: 'Model',
      config: { name: (opts.name ?? graph.name).replace(/[^A-Za-z0-9_.-]/g, '_'), layers, input_layers: inputLayers, output_layers: outputLayers },
      keras_version: 'tfjs-layers 4.22.0',
      backend: 'tensor_flow.js',
    },
    weightsManifest: [{ paths: [opts.weightsFile ?? 'weights.bin'], weights: weights.map((w) => ({ name: w.name, shape: [...w.shape], dtype: 'float32' })) }],
  };
  return { json, weights: bytes };
}

type AddLayer = (cls: string, id: string, config: Json, inputs: readonly string[]) => string;

/** Merges of node operands, or a constant operand as a Rescaling layer (scale, then offset). */
function elementwise(graph: Graph, n: Node, op: OpSpec, ins: string[], constant: Param | undefined, add: AddLayer): string {
  const merge: Record<string, string> = { add: 'Add', sub: 'Subtract', mul: 'Multiply', maximum: 'Maximum', minimum: 'Minimum' };
  if (!constant) {
    const cls = merge[op.op];
    if (!cls) fail(graph, n, 'a division of two tensors has no Keras layer');
    if (ins.length < 2) fail(graph, n, 'a merge needs two operands');
    return add(cls, n.id, {}, ins);
  }
  if (ins.length !== 1) fail(graph, n, 'a constant with more than one other operand has no Keras layer');
  const last = graph.nodes.find((m) => m.id === n.inputs[0])!.shape;
  const c = Array.from(constant.data);
  if (!(c.length === 1 || (constant.shape.length === 1 && c.length === last[last.length - 1]))) {
    fail(graph, n, `only a scalar or per-channel constant has a Keras layer (Rescaling); this one has shape [${constant.shape.join(', ')}]`);
  }
  const vec = (v: number[]) => (v.length === 1 ? v[0] : v);
  switch (op.op) {
    case 'mul':
      return add('Rescaling', n.id, { scale: vec(c), offset: 0 }, ins);
    case 'add':
      return add('Rescaling', n.id, { scale: 1, offset: vec(c) }, ins);
    case 'sub':
      return n.constantFirst ? add('Rescaling', n.id, { scale: -1, offset: vec(c) }, ins) : add('Rescaling', n.id, { scale: 1, offset: vec(c.map((v) => -v)) }, ins);
    case 'div':
      if (n.constantFirst) fail(graph, n, 'a constant divided by a tensor has no Keras layer');
      return add('Rescaling', n.id, { scale: vec(c.map((v) => 1 / v)), offset: 0 }, ins);
    default:
      fail(graph, n, `a ${op.op} with a constant has no Keras layer`);
  }
}

/** Writes the graph as <dir>/model.json and <dir>/<weightsFile> (creating dir). */
export function writeTfjsLayers(graph: Graph, dir: string, opts: TfjsLayersOptions = {}): WrittenModel {
  const m = toTfjsLayers(graph, opts);
  fs.mkdirSync(dir, { recursive: true });
  const weightsFile = path.join(dir, opts.weightsFile ?? 'weights.bin');
  const modelJson = path.join(dir, 'model.json');
  fs.writeFileSync(weightsFile, m.weights);
  fs.writeFileSync(modelJson, JSON.stringify(m.json));
  const layers = ((m.json.modelTopology as Json).config as Json).layers as unknown[];
  return { modelJson, weightsFile, bytes: m.weights.length, layers: layers.length };
}
