import { UserError } from '../../errors';
import { GraphBuilder } from '../../graph/builder';
import { Graph, Layout, ModelFormat, ParamRole, Producer } from '../../graph/ir';
import { LayerDef, ModelDef, modelInputs, TensorRef } from './config';
import { convertLayer, LayerContext, vanishes } from './layers';
import { assignWeights, LayerPathItem, StoredWeight, WeightSlot, WeightSource } from './weights';

/** Everything the shared Keras converter needs from a container (TF.js, .keras, .h5). */
export interface KerasSource {
  readonly file: string;
  readonly format: ModelFormat;
  readonly producer: Producer;
  /** Major Keras version that wrote the config (TF.js layers models count as 2). */
  readonly kerasMajor: number;
  readonly model: ModelDef;
  readonly weights: WeightSource;
  /** Notes from the container (ignored training config, ...). */
  readonly warnings?: readonly string[];
}

/** Keras's own snake_case of a class name (keras.src.utils.naming.to_snake_case). */
export function snakeCase(name: string): string {
  return name
    .replace(/\W+/g, '')
    .replace(/(.)([A-Z][a-z]+)/g, '$1_$2')
    .replace(/([a-z])([A-Z])/g, '$1_$2')
    .toLowerCase();
}

/** The class Keras instantiates for a config class name, as its weight keys spell it. */
function keyClass(className: string): string {
  return className === 'Model' ? 'Functional' : className;
}

/**
 * The keys Keras 3 (and tf.keras 2.13+) give a model's layers in model.weights.h5: the snake_case
 * class name, numbered from _1 on for the second layer of the same class. Layer names are not used
 * because they are not reproducible between sessions.
 */
export function layerKeys(layers: readonly LayerDef[]): Map<LayerDef, string> {
  const used = new Map<string, number>();
  const out = new Map<LayerDef, string>();
  for (const l of layers) {
    const base = snakeCase(keyClass(l.className));
    const n = used.get(base);
    used.set(base, n === undefined ? 0 : n + 1);
    out.set(l, n === undefined ? base : `${base}_${n + 1}`);
  }
  return out;
}

function layoutOf(rank: number): Layout {
  return rank === 4 ? 'nhwc' : 'flat';
}

class Converter {
  private readonly b: GraphBuilder;
  private readonly paramKeys = new Map<string, string>();
  private readonly matched = new Map<string, Map<string, StoredWeight>>();
  private readonly vanished: string[] = [];

  constructor(private readonly src: KerasSource) {
    this.b = new GraphBuilder(src.file, src.format, src.producer, src.model.name);
  }

  build(): Graph {
    const { model, file } = this.src;
    const declared = modelInputs(file, model);
    if (model.kind === 'sequential' && declared.length === 0) {
      throw new UserError(`${file}: the Sequential model "${model.name}" declares no input shape (it was saved before it was built). Build it with an Input layer or input_shape and save it again.`, file);
    }
    // A batch size fixed in the config (batch_input_shape [32, ...]) still runs on any batch.
    const inputs = declared.map((d) => this.b.input(d.name, [null, ...d.shape.slice(1)], layoutOf(d.shape.length), d.shape.slice(1) as number[]));
    const outs = this.runModel(model, inputs, [], '');
    const names = model.kind === 'sequential' ? [model.layers[model.layers.length - 1]?.name ?? model.name] : model.outputs.map((r) => r.layer);
    outs.forEach((id, i) => {
      const name = names.indexOf(names[i]) === i ? names[i] : `${names[i]}:${i}`;
      const shape = this.b.shapeOf(id);
      this.b.output(id, name, [null, ...shape], layoutOf(shape.length + 1));
    });
    for (const w of this.src.warnings ?? []) this.b.warn(w);
    if (this.vanished.length > 0) {
      this.b.warn(`Layers that only act in training were left out: ${this.vanished.slice(0, 8).join(', ')}${this.vanished.length > 8 ? `, … (${this.vanished.length} in all)` : ''}.`);
    }
    const unused = this.src.weights.unused();
    if (unused.length > 0) {
      this.b.warn(`The file stores weights that no layer uses: ${unused.slice(0, 8).join(', ')}${unused.length > 8 ? `, … (${unused.length} in all)` : ''}.`);
    }
    this.b.countStored(this.src.weights.storedCount);
    return this.b.build();
  }

  /** Converts a (possibly nested) model called on `inputs`; returns its output node ids. */
  private runModel(model: ModelDef, inputs: readonly string[], path: readonly LayerPathItem[], prefix: string): string[] {
    const { file } = this.src;
    const keys = layerKeys(model.layers);
    const call = (layer: LayerDef, ins: readonly string[]) =>
      this.callLayer(layer, ins, [...path, { name: layer.name, className: layer.className, key: keys.get(layer)! }], prefix);
    if (model.kind === 'sequential') {
      if (inputs.length !== 1) throw new UserError(`${file}: the Sequential model "${model.name}" is called on ${inputs.length} tensors; it takes one.`, file);
      let cur = inputs[0];
      for (const layer of model.layers) {
        if (layer.className === 'InputLayer') continue;
        const out = call(layer, [cur]);
        if (out.length !== 1) throw new UserError(`${file}: layer "${layer.name}" of Sequential model "${model.name}" has ${out.length} outputs; a Sequential layer must have one.`, file);
        cur = out[0];
      }
      return [cur];
    }
    const tensors = new Map<string, string>();
    const key = (r: TensorRef) => `${r.layer}\u0000${r.node}\u0000${r.tensor}`;
    if (inputs.length !== model.inputs.length) {
      throw new UserError(`${file}: model "${model.name}" takes ${model.inputs.length} inputs but is called on ${inputs.length}.`, file);
    }
    model.inputs.forEach((r, i) => tensors.set(key(r), inputs[i]));
    let pending = model.layers.flatMap((layer) => layer.calls.map((refs, node) => ({ layer, node, refs })));
    while (pending.length > 0) {
      const next = pending.filter((p) => {
        if (!p.refs.every((r) => tensors.has(key(r)))) return true;
        const outs = call(p.layer, p.refs.map((r) => tensors.get(key(r))!));
        outs.forEach((id, t) => tensors.set(key({ layer: p.layer.name, node: p.node + p.layer.nodeOffset, tensor: t }), id));
        return false;
      });
      if (next.length === pending.length) {
        const p = next[0];
        const missing = p.refs.filter((r) => !tensors.has(key(r))).map((r) => r.layer);
        throw new UserError(`${file}: layer "${p.layer.name}" of model "${model.name}" reads the output of ${missing.map((m) => `"${m}"`).join(', ')}, which the model never computes.`, file);
      }
      pending = next;
    }
    return model.outputs.map((r) => {
      const id = tensors.get(key(r));
      if (!id) throw new UserError(`${file}: model "${model.name}" names output "${r.layer}" (node ${r.node}, tensor ${r.tensor}), which it never computes.`, file);
      return id;
    });
  }

  private callLayer(layer: LayerDef, inputs: readonly string[], path: readonly LayerPathItem[], prefix: string): string[] {
    const id = prefix ? `${prefix}/${layer.name}` : layer.name;
    if (layer.model) return this.runModel(layer.model, inputs, path, id);
    if (vanishes(layer.className) && !this.vanished.includes(id)) this.vanished.push(id);
    const { file } = this.src;
    const ctx: LayerContext = {
      b: this.b,
      file,
      id,
      layer,
      kerasMajor: this.src.kerasMajor,
      weights: (slots: readonly WeightSlot[]) => {
        let m = this.matched.get(id);
        if (!m) {
          m = assignWeights(file, id, layer.className, slots, this.src.weights.layer(path));
          this.matched.set(id, m);
        }
        return m;
      },
      param: (name: string, role: ParamRole, shape: readonly number[], data: Float32Array) => {
        const k = `${id}/${name}`;
        let key = this.paramKeys.get(k);
        if (key === undefined) {
          key = this.b.param(k, role, shape, data, { stored: false });
          this.paramKeys.set(k, key);
        }
        return key;
      },
      warn: (m: string) => this.b.warn(m),
    };
    return convertLayer(ctx, inputs);
  }
}

/** Converts a parsed Keras model with its weights into the Graph IR (one converter for every container). */
export function convertKeras(src: KerasSource): Graph {
  return new Converter(src).build();
}
