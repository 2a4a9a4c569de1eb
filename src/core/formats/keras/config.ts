import { UserError } from '../../errors';
import { isObject, Json } from './json';

/**
 * A Keras model config (Keras 2 and 3, tf.keras, TF.js layers) reduced to what the converter
 * needs. Keras 2 and 3 write inbound nodes, input shapes and layer entries differently; after
 * this module nothing else has to know which one wrote the file.
 */

/** One tensor of a functional graph: output `tensor` of call `node` of layer `layer`. */
export interface TensorRef {
  readonly layer: string;
  readonly node: number;
  readonly tensor: number;
}

/** One layer entry of a model config, with its calls in a functional graph. */
export interface LayerDef {
  readonly className: string;
  readonly name: string;
  readonly config: Json;
  /** The layer's whole entry: Keras 3 keeps module, registered_name and build_config here. */
  readonly entry: Json;
  /** Functional models: the input tensors of each call of the layer (its inbound nodes). */
  readonly calls: readonly (readonly TensorRef[])[];
  /** Set when the layer is itself a model (a nested Sequential or Functional). */
  readonly model?: ModelDef;
  /**
   * What to add to a call's index to get the node index other layers use for its outputs. Nested
   * models that own an input start with a node of their own, which configs count (Keras 2 and
   * TF.js: Functional, and Sequential with an input; Keras 3: Functional only).
   */
  readonly nodeOffset: number;
}

/** A model input as its config declares it. */
export interface InputDef {
  readonly name: string;
  /** Batch dimension first, null for free dimensions. */
  readonly shape: readonly (number | null)[];
}

/** A Sequential or functional model config: its layers and how they connect. */
export interface ModelDef {
  readonly kind: 'sequential' | 'functional';
  readonly className: string;
  readonly name: string;
  readonly layers: readonly LayerDef[];
  /** Functional models: the model's input and output tensors (empty for Sequential). */
  readonly inputs: readonly TensorRef[];
  readonly outputs: readonly TensorRef[];
  /** Sequential models: the input the config declares, if it declares one. */
  readonly input?: InputDef;
}

const MODEL_CLASSES = new Set(['Sequential', 'Functional', 'Model']);

/** Keys that only Keras 1 layer configs have; Keras 2 renamed every one of them. */
const KERAS1_KEYS = ['output_dim', 'init', 'nb_filter', 'nb_row', 'border_mode', 'subsample', 'dim_ordering', 'W_regularizer', 'b_regularizer', 'input_dtype'];

/** The Keras 1 key a model config uses, if any (Keras 1 files are refused by name). */
export function keras1Marker(config: unknown): string | undefined {
  const seen: unknown[] = [config];
  for (let i = 0; i < seen.length && i < 100_000; i++) {
    const v = seen[i];
    if (Array.isArray(v)) seen.push(...v);
    else if (isObject(v)) {
      if (typeof v.class_name === 'string' && isObject(v.config)) {
        // Keras 2 kept output_dim for Embedding only.
        const key = KERAS1_KEYS.find((k) => k in (v.config as Json) && !(k === 'output_dim' && v.class_name === 'Embedding'));
        if (key) return key;
      }
      for (const x of Object.values(v)) if (typeof x === 'object' && x !== null) seen.push(x);
    }
  }
  return undefined;
}

function fail(file: string, message: string): never {
  throw new UserError(`${file}: ${message}`, file);
}

/** A shape list from a config: integers or null. */
export function parseShape(file: string, v: unknown, what: string): (number | null)[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || !v.every((d) => d === null || (typeof d === 'number' && Number.isInteger(d) && d >= 0))) {
    fail(file, `${what} is not a shape (${JSON.stringify(v)?.slice(0, 80)}).`);
  }
  return v as (number | null)[];
}

/** The batch input shape an InputLayer (or a first layer) declares, batch dimension first. */
export function declaredInputShape(file: string, cfg: Json, what: string): (number | null)[] | undefined {
  const batch = parseShape(file, cfg.batch_input_shape ?? cfg.batch_shape, `${what} batch shape`);
  if (batch) return batch;
  const sample = parseShape(file, cfg.input_shape ?? cfg.shape, `${what} input shape`);
  if (sample) return [null, ...sample];
  if (typeof cfg.input_dim === 'number') return [null, cfg.input_dim];
  return undefined;
}

function parseRef(file: string, v: unknown, where: string): TensorRef {
  if (!Array.isArray(v) || typeof v[0] !== 'string') fail(file, `${where} refers to a tensor in a form Linear Lens does not know (${JSON.stringify(v)?.slice(0, 80)}).`);
  const node = v[1] ?? 0;
  const tensor = v[2] ?? 0;
  if (typeof node !== 'number' || typeof tensor !== 'number') fail(file, `${where} has a tensor reference with non-numeric indices.`);
  return { layer: v[0], node, tensor };
}

/** input_layers / output_layers: one [name, node, tensor] triple, a list of them, or a dict of them (Keras 3). */
function parseRefs(file: string, v: unknown, where: string): TensorRef[] {
  if (Array.isArray(v) && typeof v[0] === 'string') return [parseRef(file, v, where)];
  if (Array.isArray(v)) return v.map((x) => parseRef(file, x, where));
  if (isObject(v)) return Object.values(v).map((x) => parseRef(file, x, where));
  fail(file, `${where} is missing from the model config.`);
}

/** The Keras tensors of a Keras 3 call argument, in order (nested lists flattened). */
function kerasTensors(file: string, v: unknown, out: TensorRef[], where: string): void {
  if (Array.isArray(v)) {
    for (const x of v) kerasTensors(file, x, out, where);
  } else if (isObject(v)) {
    if (v.class_name === '__keras_tensor__') {
      const cfg = isObject(v.config) ? v.config : {};
      out.push(parseRef(file, cfg.keras_history, where));
    } else {
      for (const x of Object.values(v)) kerasTensors(file, x, out, where);
    }
  }
}

/** Inbound nodes, Keras 2 ([[name, node, tensor, kwargs], ...] per call) or Keras 3 ({args, kwargs} per call). */
function parseCalls(file: string, v: unknown, layer: string): TensorRef[][] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) fail(file, `layer "${layer}" has inbound_nodes that are not a list.`);
  const where = `layer "${layer}"`;
  return v.map((call) => {
    if (Array.isArray(call)) {
      // Keras 2: a list of [name, node, tensor, kwargs]; some writers nest one call as [name, ...] directly.
      if (typeof call[0] === 'string') return [parseRef(file, call, where)];
      return call.map((x) => parseRef(file, x, where));
    }
    if (isObject(call)) {
      const out: TensorRef[] = [];
      kerasTensors(file, call.args, out, where);
      // A layer called only with keyword arguments (layer(inputs=x)) has its tensors there.
      if (out.length === 0) kerasTensors(file, call.kwargs, out, where);
      return out;
    }
    fail(file, `layer "${layer}" has an inbound node Linear Lens cannot read.`);
  });
}

function parseLayer(file: string, entry: unknown, index: number, owner: string): LayerDef {
  if (!isObject(entry) || typeof entry.class_name !== 'string') fail(file, `layer ${index} of model "${owner}" has no class_name.`);
  const config = isObject(entry.config) ? entry.config : Array.isArray(entry.config) ? { layers: entry.config } : {};
  const name = typeof entry.name === 'string' ? entry.name : typeof config.name === 'string' ? config.name : undefined;
  if (!name) fail(file, `layer ${index} (${entry.class_name}) of model "${owner}" has no name.`);
  const calls = parseCalls(file, entry.inbound_nodes, name);
  const isModel = MODEL_CLASSES.has(entry.class_name) || (Array.isArray(config.layers) && 'input_layers' in config);
  const model = isModel ? parseModel(file, { ...entry, config: Array.isArray(entry.config) ? entry.config : config }) : undefined;
  return { className: entry.class_name, name, config, entry, calls, nodeOffset: 0, ...(model ? { model } : {}) };
}

/** Parses a model config entry ({class_name, config}) of a Sequential or Functional model. */
export function parseModel(file: string, entry: unknown): ModelDef {
  if (!isObject(entry) || typeof entry.class_name !== 'string') fail(file, 'the model config has no class_name.');
  const className = entry.class_name;
  const raw = entry.config;
  const cfg: Json = isObject(raw) ? raw : {};
  const layerList = Array.isArray(raw) ? raw : cfg.layers;
  if (!Array.isArray(layerList)) {
    fail(file, `the model is a subclassed Keras model ("${className}"): its architecture is Python code that the file does not contain, so Linear Lens cannot rebuild it. Rebuild it as a Sequential or functional model, or export it to ONNX.`);
  }
  const name = typeof cfg.name === 'string' ? cfg.name : className.toLowerCase();
  const layers = layerList.map((l, i) => parseLayer(file, l, i, name));
  const sequential = className === 'Sequential' || (!('input_layers' in cfg) && !layers.some((l) => l.calls.length > 0));
  if (sequential) {
    return { kind: 'sequential', className, name, layers, inputs: [], outputs: [], ...sequentialInput(file, cfg, layers) };
  }
  const keras3 = layerList.some((l) => isObject(l) && Array.isArray(l.inbound_nodes) && l.inbound_nodes.some(isObject));
  const withOffsets = layers.map((l) => {
    if (!l.model) return l;
    const own = l.model.kind === 'functional' || (!keras3 && l.model.input !== undefined);
    return { ...l, nodeOffset: own ? 1 : 0 };
  });
  return {
    kind: 'functional',
    className,
    name,
    layers: withOffsets,
    inputs: parseRefs(file, cfg.input_layers, `model "${name}" input_layers`),
    outputs: parseRefs(file, cfg.output_layers, `model "${name}" output_layers`),
  };
}

function sequentialInput(file: string, cfg: Json, layers: readonly LayerDef[]): { input?: InputDef } {
  const first = layers[0];
  if (!first) return {};
  if (first.className === 'InputLayer') {
    const shape = declaredInputShape(file, first.config, `input layer "${first.name}"`);
    return shape ? { input: { name: first.name, shape } } : {};
  }
  const name = `${first.name}_input`;
  const own = declaredInputShape(file, first.config, `layer "${first.name}"`);
  if (own) return { input: { name, shape: own } };
  const built = parseShape(file, cfg.build_input_shape, 'the Sequential build_input_shape');
  if (built) return { input: { name, shape: built } };
  const bc = isObject(first.entry.build_config) ? first.entry.build_config : undefined;
  const fromBuild = parseShape(file, bc?.input_shape, `layer "${first.name}" build_config`);
  if (fromBuild) return { input: { name, shape: fromBuild } };
  if (first.model) {
    const inner = modelInputs(file, first.model);
    if (inner.length === 1) return { input: { name, shape: inner[0].shape } };
  }
  return {};
}

/** The declared inputs of a model (name and batch shape), in the model's input order. */
export function modelInputs(file: string, model: ModelDef): InputDef[] {
  if (model.kind === 'sequential') return model.input ? [model.input] : [];
  const out: InputDef[] = [];
  for (const ref of model.inputs) {
    const layer = model.layers.find((l) => l.name === ref.layer);
    if (!layer) fail(file, `model "${model.name}" lists input "${ref.layer}", which is not one of its layers.`);
    const shape = layer.model ? modelInputs(file, layer.model)[0]?.shape : declaredInputShape(file, layer.config, `input layer "${layer.name}"`);
    if (!shape) fail(file, `input "${layer.name}" of model "${model.name}" declares no shape.`);
    out.push({ name: layer.name, shape });
  }
  return out;
}
