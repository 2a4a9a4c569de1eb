import * as path from 'node:path';
import { UserError } from '../../errors';
import { GraphBuilder } from '../../graph/builder';
import { Framework, Graph, Layout, Port, Producer } from '../../graph/ir';
import { Ctx, nodeName } from './context';
import { channelsLast, identity, samePerm } from './layout';
import { CONVERTERS } from './ops';
import { OnnxGraph, OnnxModel, OnnxNode, OnnxTensor, ValueInfo } from './proto';
import { elementCount, isFloatType, typeName } from './tensor';

/** Opsets the op converters follow; others load with a warning (older than 6 is refused). */
const TESTED_OPSETS = [9, 21] as const;

/** Maps ONNX producer_name / producer_version to the framework that trained the model. */
export function producerOf(model: Pick<OnnxModel, 'producerName' | 'producerVersion'>): Producer {
  const name = model.producerName.trim();
  const lower = name.toLowerCase();
  let framework: Framework = 'unknown';
  if (lower.includes('torch')) framework = 'pytorch';
  else if (lower.includes('keras')) framework = 'keras';
  else if (lower.includes('tf2onnx') || lower.includes('tensorflow')) framework = 'tensorflow';
  else if (lower.includes('chainer')) framework = 'chainer';
  const version = model.producerVersion.trim();
  return { framework, name: [name || 'unknown producer', version].filter((s) => s).join(' '), ...(version ? { version } : {}) };
}

/**
 * Weight elements stored in the file: every initializer element, plus the elements of Constant
 * nodes' tensors of rank >= 1 (scalar constants are indices and factors, not weights). This is
 * how the corpus manifest counts parameters.
 */
function storedCount(file: string, g: OnnxGraph): number {
  let n = 0;
  for (const t of g.initializers) n += elementCount(t.dims, file, `initializer "${t.name}"`);
  for (const node of g.nodes) {
    if (node.opType !== 'Constant' || (node.domain && node.domain !== 'ai.onnx')) continue;
    for (const a of node.attributes) {
      if (a.name === 'value' && a.t && a.t.dims.length > 0) n += elementCount(a.t.dims, file, `constant "${nodeName(node)}"`);
      else if (a.name === 'value_floats') n += a.floats.length;
      else if (a.name === 'value_ints') n += a.ints.length;
    }
  }
  return n;
}

/**
 * The nodes the graph's outputs depend on, in an order where every node follows its inputs
 * (ONNX asks writers for that order but does not guarantee it). Fails on a cycle, on a name no
 * node produces, and on two nodes writing the same name.
 */
function topoOrder(file: string, g: OnnxGraph, available: ReadonlySet<string>): OnnxNode[] {
  const producer = new Map<string, number>();
  g.nodes.forEach((n, i) => {
    for (const o of n.outputs) {
      if (o === '') continue;
      if (producer.has(o) || available.has(o)) throw new UserError(`${file}: the value "${o}" is written twice (by node "${nodeName(n)}" and another); the graph is malformed.`, file);
      producer.set(o, i);
    }
  });
  const state = new Uint8Array(g.nodes.length); // 0 unseen, 1 on the path, 2 done
  const order: OnnxNode[] = [];
  const visit = (root: number) => {
    const stack: [number, number][] = [[root, 0]];
    state[root] = 1;
    while (stack.length > 0) {
      const top = stack[stack.length - 1];
      const node = g.nodes[top[0]];
      if (top[1] < node.inputs.length) {
        const name = node.inputs[top[1]++];
        if (name === '' || available.has(name)) continue;
        const p = producer.get(name);
        if (p === undefined) throw new UserError(`${file}: node "${nodeName(node)}" (${node.opType}) reads "${name}", which is neither a model input, an initializer nor the output of any node; the graph is malformed.`, file);
        if (state[p] === 2) continue;
        if (state[p] === 1) {
          const from = stack.findIndex(([i]) => i === p);
          const cycle = stack.slice(from).map(([i]) => `"${nodeName(g.nodes[i])}"`);
          throw new UserError(`${file}: the graph has a cycle (${[...cycle, cycle[0]].join(' -> ')}); a model graph must be acyclic.`, file);
        }
        state[p] = 1;
        stack.push([p, 0]);
      } else {
        state[top[0]] = 2;
        order.push(node);
        stack.pop();
      }
    }
  };
  for (const out of g.outputs) {
    if (available.has(out.name)) continue;
    const p = producer.get(out.name);
    if (p === undefined) throw new UserError(`${file}: the model output "${out.name}" is not produced by any node.`, file);
    if (state[p] === 0) visit(p);
  }
  return order;
}

function portDims(dims: readonly (number | string | null)[]): (number | null)[] {
  return dims.map((d) => (typeof d === 'number' && d > 0 ? d : null));
}

/** Layout of a model input from its shape alone, when no conv-like op revealed it. */
function guessLayout(dims: readonly (number | null)[]): Layout {
  if (dims.length <= 2) return 'flat';
  if (dims.length !== 4) return 'other';
  const small = (d: number | null) => d !== null && d <= 4;
  return small(dims[3]) && !small(dims[1]) ? 'nhwc' : 'nchw';
}

function addInput(file: string, b: GraphBuilder, vi: ValueInfo): { id: string; dims: (number | null)[] } {
  if (!vi.isTensor) throw new UserError(`${file}: the model input "${vi.name}" is not a tensor; Linear Lens supports tensor inputs only.`, file);
  if (vi.elemType !== 0 && !isFloatType(vi.elemType)) throw new UserError(`${file}: the model input "${vi.name}" holds ${typeName(vi.elemType)} values; Linear Lens analyses models with float inputs (images, features), not token ids or masks.`, file);
  if (!vi.dims) throw new UserError(`${file}: the model input "${vi.name}" declares no shape; re-export the model with a fixed input shape (dynamic batch is fine).`, file);
  if (vi.dims.length === 0) throw new UserError(`${file}: the model input "${vi.name}" is a scalar; Linear Lens needs a batch axis.`, file);
  vi.dims.slice(1).forEach((d, i) => {
    if (typeof d !== 'number' || d <= 0) {
      throw new UserError(`${file}: dimension ${i + 1} of input "${vi.name}" is ${d === null ? 'unknown' : `"${d}"`}; Linear Lens needs static shapes apart from the batch. Re-export with a fixed input size.`, file);
    }
  });
  const dims = portDims(vi.dims);
  const id = b.input(vi.name, dims, guessLayout(dims), dims.slice(1) as number[]);
  return { id, dims };
}

/** Turns a decoded ONNX model into the IR graph (NHWC inside, the model's own layout at the edges). */
export function convertModel(file: string, model: OnnxModel): Graph {
  const g = model.graph;
  if (!g) throw new UserError(`${file}: the ONNX model has no graph.`, file);
  if (g.sparseInitializers > 0) throw new UserError(`${file}: the model stores sparse initializers, which Linear Lens does not read.`, file);
  const opsetId = model.opsetImport.find((o) => o.domain === '' || o.domain === 'ai.onnx');
  // IR version 2 files predate opset_import and mean opset 1.
  const opset = opsetId?.version ?? (model.irVersion >= 3 ? 0 : 1);
  if (opset < 6) throw new UserError(`${file}: the model uses ONNX opset ${opset}; Linear Lens reads opsets 6 and later (9 to 21 tested). Re-export with a newer exporter.`, file);

  const producer = producerOf(model);
  const name = g.name && !/^(main_graph|torch[-_]jit(-export)?|graph)$/i.test(g.name) ? g.name : path.basename(file).replace(/\.onnx$/i, '');
  const b = new GraphBuilder(file, 'onnx', producer, name);
  if (opset < TESTED_OPSETS[0] || opset > TESTED_OPSETS[1]) b.warn(`The model uses ONNX opset ${opset}; Linear Lens is tested with opsets ${TESTED_OPSETS[0]} to ${TESTED_OPSETS[1]}.`);
  b.countStored(storedCount(file, g));

  const initializers = new Map<string, OnnxTensor>();
  for (const t of g.initializers) initializers.set(t.name, t);
  // Old IR versions list initializers among the inputs too; those are weights, not model inputs.
  const modelInputs = g.inputs.filter((vi) => !initializers.has(vi.name));
  if (modelInputs.length === 0) throw new UserError(`${file}: the model has no inputs.`, file);
  if (g.outputs.length === 0) throw new UserError(`${file}: the model has no outputs.`, file);

  const available = new Set<string>([...initializers.keys(), ...modelInputs.map((v) => v.name)]);
  const order = topoOrder(file, g, available);
  const consumers = new Map<string, OnnxNode[]>();
  for (const n of order) {
    for (const i of new Set(n.inputs)) {
      if (i === '') continue;
      const list = consumers.get(i) ?? [];
      list.push(n);
      consumers.set(i, list);
    }
  }
  const outputNames = new Set(g.outputs.map((o) => o.name));

  const ins = modelInputs.map((vi) => addInput(file, b, vi));
  const batch = ins[0].dims[0];
  const ctx = new Ctx(b, file, opset, batch, initializers, consumers, outputNames);
  ins.forEach(({ id, dims }, i) => {
    ctx.inputNodes.add(id);
    ctx.set(modelInputs[i].name, { kind: 'node', id, perm: identity(dims.length) });
  });

  for (const node of order) {
    if (ctx.absorbed.has(node)) continue;
    if (node.domain && node.domain !== 'ai.onnx') {
      throw new UserError(`${file}: node "${nodeName(node)}" uses the op ${node.opType} from the custom domain "${node.domain}", which Linear Lens does not support.`, file);
    }
    const convert = CONVERTERS[node.opType];
    if (!convert) {
      throw new UserError(`${file}: node "${nodeName(node)}" uses the ONNX op ${node.opType}, which Linear Lens does not support. Supported ops: ${Object.keys(CONVERTERS).sort().join(', ')}.`, file);
    }
    convert(ctx, node);
    for (const o of node.outputs) {
      if (ctx.used(o) && !ctx.lookup(o)) throw ctx.fail(node, `its output "${o}" is used but not supported`);
    }
  }

  const inputLayout = (id: string, dims: readonly (number | null)[]): Layout => (dims.length === 4 ? ctx.inputLayouts.get(id) ?? guessLayout(dims) : guessLayout(dims));
  const anyNhwc = ins.some(({ id, dims }) => inputLayout(id, dims) === 'nhwc');
  for (const out of g.outputs) {
    const v = ctx.lookup(out.name);
    if (!v) throw new UserError(`${file}: the model output "${out.name}" is not produced by any node.`, file);
    if (v.kind !== 'node') throw new UserError(`${file}: the model output "${out.name}" is a constant that does not depend on the input; Linear Lens cannot analyse it.`, file);
    const rank = v.perm.length;
    const computed = ctx.dims(v);
    const declared = out.dims;
    if (declared && declared.length === rank) {
      const d0 = declared[0];
      computed[0] = typeof d0 === 'number' && d0 > 0 ? d0 : null;
      declared.forEach((d, i) => {
        if (i > 0 && typeof d === 'number' && d > 0 && d !== computed[i]) {
          b.warn(`The model declares output "${out.name}" as [${declared.join(', ')}], but its graph computes [${computed.map((c) => c ?? 'N').join(', ')}]; the computed shape is used.`);
        }
      });
    }
    const layout: Layout = rank <= 2 ? 'flat' : rank === 4 ? (samePerm(v.perm, channelsLast(4)) || !anyNhwc ? 'nchw' : 'nhwc') : 'other';
    b.output(ctx.plain(v), out.name, computed, layout);
  }

  const graph = b.build();
  const inputs: Port[] = graph.inputs.map((p, i) => ({ ...p, layout: inputLayout(ins[i].id, ins[i].dims) }));
  return { ...graph, inputs };
}
