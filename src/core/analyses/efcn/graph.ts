import { UserError } from '../../errors';
import { GraphBuilder } from '../../graph/builder';
import { Graph, Node, ParamSlot } from '../../graph/ir';
import { ConvEmbedding, denseBias, denseKernel, embedConv, LayerSize, layerSize } from './embed';

/** One conv layer of the CNN and the dense layer that replaces it in the eFCN. */
export interface EfcnLayer extends LayerSize {
  /** The conv node of the CNN; in the eFCN, the reshape after its dense layer. */
  readonly node: string;
  /** The model's own layer name. */
  readonly layer: string;
  readonly op: 'conv2d' | 'depthwiseConv2d';
  /** The eFCN's dense node and its parameter keys. */
  readonly dense: string;
  readonly kernelKey: string;
  readonly biasKey?: string;
  readonly embedding: ConvEmbedding;
}

export interface Efcn {
  readonly graph: Graph;
  readonly layers: EfcnLayer[];
}

export interface EfcnOptions {
  /** Refuse layers whose dense weight would have more elements than this (default 2^27: 512 MB of float32). */
  readonly maxDenseElements?: number;
}

const CONV = new Set(['conv2d', 'depthwiseConv2d']);

/**
 * The equivalent fully-connected network of a CNN (METHODS §5): every conv layer becomes
 * flatten → dense (its dense equivalent, bias repeated over positions) → reshape back, so every
 * other node (activations, pools, norms, the classifier) stays exactly as it was. Node ids of
 * the CNN keep naming the same values in the eFCN.
 */
export function toEfcn(cnn: Graph, opts: EfcnOptions = {}): Efcn {
  const convs = cnn.nodes.filter((n) => CONV.has(n.op.op));
  if (convs.length === 0) throw new UserError(`${cnn.file}: the model has no convolution layers, so it is its own fully-connected equivalent.`, cnn.file);
  const limit = opts.maxDenseElements ?? 2 ** 27;
  const embeddings = new Map<string, ConvEmbedding>();
  for (const n of convs) {
    const e = embedConv(cnn, n);
    if (e.rows * e.cols > limit) {
      throw new UserError(
        `${cnn.file}: conv layer "${n.layer}" would become a dense layer of ${e.rows} × ${e.cols} = ${(e.rows * e.cols).toExponential(2)} weights (${((4 * e.rows * e.cols) / 2 ** 30).toFixed(1)} GiB of float32), above the limit of ${limit.toExponential(2)}. The eFCN of a network this size does not fit in memory; use a smaller input or network.`,
        cnn.file,
      );
    }
    embeddings.set(n.id, e);
  }
  const b = new GraphBuilder(cnn.file, cnn.format, cnn.producer, `${cnn.name}-efcn`);
  const ids = new Map<string, string>();
  const keys = new Map<string, string>();
  const layers: EfcnLayer[] = [];
  const copyParam = (key: string): string => {
    let k = keys.get(key);
    if (k === undefined) {
      const p = cnn.params.get(key)!;
      k = b.param(p.key, p.role, p.shape, p.data, { trainable: p.trainable });
      keys.set(key, k);
    }
    return k;
  };
  for (const n of cnn.nodes) {
    if (n.op.op === 'input') {
      const port = cnn.inputs.find((p) => p.node === n.id)!;
      ids.set(n.id, b.input(n.id, port.shape, port.layout, n.shape));
      continue;
    }
    const inputs = n.inputs.map((i) => ids.get(i)!);
    const e = embeddings.get(n.id);
    if (!e) {
      const params: Partial<Record<ParamSlot, string>> = {};
      for (const [slot, key] of Object.entries(n.params) as [ParamSlot, string | undefined][]) if (key !== undefined) params[slot] = copyParam(key);
      ids.set(n.id, b.node(n.id, n.op, inputs, params, { layer: n.layer, ...(n.layerType ? { layerType: n.layerType } : {}), ...(n.constantFirst ? { constantFirst: true } : {}) }));
      continue;
    }
    ids.set(n.id, addDense(cnn, b, n, e, inputs[0], layers));
  }
  for (const o of cnn.outputs) b.output(ids.get(o.node)!, o.name, o.shape, o.layout);
  for (const w of cnn.warnings) b.warn(w);
  return { graph: b.build(), layers };
}

function addDense(cnn: Graph, b: GraphBuilder, n: Node, e: ConvEmbedding, input: string, layers: EfcnLayer[]): string {
  const kernel = cnn.params.get(n.params.kernel!)!;
  const flat = b.node(`${n.id}/flatten`, { op: 'flatten', order: 'nhwc' }, [input], {}, { layer: n.layer, layerType: 'eFCN' });
  const kernelKey = b.param(`${n.id}/dense_kernel`, 'kernel', [e.cols, e.rows], denseKernel(e, kernel.data));
  const biasParam = n.params.bias ? cnn.params.get(n.params.bias) : undefined;
  const biasKey = biasParam ? b.param(`${n.id}/dense_bias`, 'bias', [e.rows], denseBias(e, biasParam.data)) : undefined;
  const dense = b.node(`${n.id}/dense`, { op: 'dense' }, [flat], { kernel: kernelKey, ...(biasKey ? { bias: biasKey } : {}) }, { layer: n.layer, layerType: 'eFCN' });
  const out = b.node(n.id, { op: 'reshape', shape: [...e.outShape] }, [dense], {}, { layer: n.layer, layerType: 'eFCN' });
  layers.push({ node: out, layer: n.layer, op: e.op, dense, kernelKey, ...(biasKey ? { biasKey } : {}), embedding: e, ...layerSize(e) });
  return out;
}
