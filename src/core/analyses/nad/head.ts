import { UserError } from '../../errors';
import { Graph, Node, Param, sizeOf } from '../../graph/ir';
import { finalSoftmax } from '../interpreter';

/** The node whose output holds the scores: the input of a final softmax (skipped, as METHODS asks), else the first output. */
export function scoreNode(graph: Graph): Node {
  const soft = finalSoftmax(graph);
  const id = soft ? soft.inputs[0] : graph.outputs[0].node;
  return graph.nodes.find((n) => n.id === id)!;
}

/** Checks a scalar output index against the score node and returns it. */
export function checkOutputIndex(graph: Graph, index: number): number {
  const n = sizeOf(scoreNode(graph).shape);
  if (!Number.isInteger(index) || index < 0 || index >= n) {
    throw new UserError(`${graph.file}: output index ${index} is out of range; the model's scores have ${n} value${n === 1 ? '' : 's'} per sample (0 to ${n - 1}).`, graph.file);
  }
  return index;
}

const PASS_THROUGH = new Set(['softmax', 'sigmoid', 'identity']);

/**
 * A copy of `graph` whose final dense layer has `classes` outputs (its first `classes` columns), so
 * a K-class architecture becomes the reference's `num_classes = 2` network. Only a dense layer
 * followed by nothing but a softmax / sigmoid / identity qualifies; otherwise undefined.
 */
export function withClasses(graph: Graph, classes: number): Graph | undefined {
  if (graph.outputs.length !== 1) return undefined;
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  const chain: Node[] = [];
  let n = byId.get(graph.outputs[0].node);
  while (n && PASS_THROUGH.has(n.op.op)) {
    chain.push(n);
    n = byId.get(n.inputs[0]);
  }
  if (!n || n.op.op !== 'dense' || n.shape.length !== 1) return undefined;
  const dense = n;
  const k = dense.shape[0];
  if (k === classes) return graph;
  if (k < classes) return undefined;
  // Every node of the head must be used by the head alone (a shared kernel cannot be cut).
  const users = (id: string) => graph.nodes.filter((m) => m.inputs.includes(id)).length;
  if ([dense, ...chain].some((m) => users(m.id) > 1)) return undefined;
  const kernelKey = dense.params.kernel!;
  const sharing = graph.nodes.filter((m) => Object.values(m.params).includes(kernelKey)).length;
  if (sharing !== 1) return undefined;
  const params = new Map(graph.params);
  const kernel = graph.params.get(kernelKey)!;
  const rows = kernel.shape[0];
  const sliced = new Float32Array(rows * classes);
  for (let r = 0; r < rows; r++) for (let c = 0; c < classes; c++) sliced[r * classes + c] = kernel.data[r * k + c];
  params.set(kernelKey, { ...kernel, shape: [rows, classes], data: sliced });
  const biasKey = dense.params.bias;
  if (biasKey) {
    const bias: Param = graph.params.get(biasKey)!;
    params.set(biasKey, { ...bias, shape: [classes], data: bias.data.slice(0, classes) });
  }
  const resized = new Set([dense.id, ...chain.map((m) => m.id)]);
  const nodes = graph.nodes.map((m) => (resized.has(m.id) ? { ...m, shape: [classes] } : m));
  const outputs = graph.outputs.map((o) => ({ ...o, shape: [o.shape[0] ?? null, classes] }));
  return { ...graph, nodes, params, outputs };
}
