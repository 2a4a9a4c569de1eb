import * as tf from '@tensorflow/tfjs-core';
import { UserError } from '../../errors';
import { ParamTensors } from '../../graph/executor';
import { Graph, Node, Param, ParamSlot } from '../../graph/ir';

/** Parameter values by key, on the CPU (float32, row-major over the parameter's shape). */
export type ParamValues = ReadonlyMap<string, Float32Array>;

function opText(n: Node): string {
  // OpSpec objects are plain data written by the loaders; sorted keys make the text canonical.
  const keys = Object.keys(n.op).sort();
  return JSON.stringify(n.op, keys);
}

function nodeName(n: Node): string {
  return n.layer && n.layer !== n.id ? `"${n.id}" (layer "${n.layer}")` : `"${n.id}"`;
}

function slots(n: Node): ParamSlot[] {
  return (Object.keys(n.params) as ParamSlot[]).filter((s) => n.params[s] !== undefined).sort();
}

/** Null when the two graphs have the same architecture, else the first difference in words. */
export function architectureDifference(a: Graph, b: Graph): string | null {
  if (a.inputs.length !== b.inputs.length) return `${a.inputs.length} vs ${b.inputs.length} model inputs`;
  if (a.outputs.length !== b.outputs.length) return `${a.outputs.length} vs ${b.outputs.length} model outputs`;
  const ia = new Map(a.nodes.map((n, i) => [n.id, i]));
  const ib = new Map(b.nodes.map((n, i) => [n.id, i]));
  const count = Math.min(a.nodes.length, b.nodes.length);
  for (let i = 0; i < count; i++) {
    const na = a.nodes[i];
    const nb = b.nodes[i];
    const where = `node ${i} (${nodeName(na)} vs ${nodeName(nb)})`;
    if (na.op.op !== nb.op.op) return `${where}: op ${na.op.op} vs ${nb.op.op}`;
    if (opText(na) !== opText(nb)) return `${where}: ${na.op.op} attributes ${opText(na)} vs ${opText(nb)}`;
    if (na.shape.length !== nb.shape.length || na.shape.some((d, k) => d !== nb.shape[k])) return `${where}: output shape [${na.shape.join(', ')}] vs [${nb.shape.join(', ')}]`;
    const inA = na.inputs.map((x) => ia.get(x));
    const inB = nb.inputs.map((x) => ib.get(x));
    if (inA.length !== inB.length || inA.some((x, k) => x !== inB[k])) return `${where}: its inputs are nodes [${inA.join(', ')}] vs [${inB.join(', ')}]`;
    if (!!na.constantFirst !== !!nb.constantFirst) return `${where}: constant operand order differs`;
    const sa = slots(na);
    const sb = slots(nb);
    if (sa.join(',') !== sb.join(',')) return `${where}: parameters {${sa.join(', ')}} vs {${sb.join(', ')}}`;
    for (const s of sa) {
      const pa = a.params.get(na.params[s]!);
      const pb = b.params.get(nb.params[s]!);
      if (!pa || !pb) return `${where}: parameter ${s} is missing`;
      if (pa.role !== pb.role) return `${where}: parameter ${s} has role ${pa.role} vs ${pb.role}`;
      if (pa.shape.length !== pb.shape.length || pa.shape.some((d, k) => d !== pb.shape[k])) return `${where}: parameter ${s} ("${pa.key}" vs "${pb.key}") has shape [${pa.shape.join(', ')}] vs [${pb.shape.join(', ')}]`;
    }
  }
  if (a.nodes.length !== b.nodes.length) {
    const extra = a.nodes.length > b.nodes.length ? a.nodes[count] : b.nodes[count];
    return `${a.nodes.length} vs ${b.nodes.length} nodes; the first extra one is ${nodeName(extra)} (${extra.op.op}) in ${a.nodes.length > b.nodes.length ? 'the first' : 'the second'} model`;
  }
  for (let k = 0; k < a.outputs.length; k++) {
    if (ia.get(a.outputs[k].node) !== ib.get(b.outputs[k].node)) return `output ${k} comes from node ${ia.get(a.outputs[k].node)} vs ${ib.get(b.outputs[k].node)}`;
  }
  return null;
}

/** Throws a UserError naming the first difference (node, op, shape, parameter) when a and b differ in architecture. */
export function sameArchitecture(a: Graph, b: Graph): void {
  const d = architectureDifference(a, b);
  if (d !== null) {
    throw new UserError(`${b.file} does not have the architecture of ${a.file}, so the two cannot be interpolated or aligned: ${d}.`, b.file);
  }
}

/**
 * B's parameters under A's nodes and parameter keys (the graphs must have the same
 * architecture; keys may differ, e.g. dense_1 vs dense_4). Returns A's graph with B's values.
 */
export function asArchitectureOf(a: Graph, b: Graph): Graph {
  if (a === b) return b;
  sameArchitecture(a, b);
  const values = new Map<string, Float32Array>();
  a.nodes.forEach((na, i) => {
    const nb = b.nodes[i];
    for (const s of slots(na)) values.set(na.params[s]!, b.params.get(nb.params[s]!)!.data);
  });
  return withParams(a, values, { file: b.file, name: b.name, producer: b.producer });
}

/** A copy of `graph` whose parameters take the given values (same shapes; missing keys keep theirs). */
export function withParams(graph: Graph, values: ParamValues, meta: Partial<Pick<Graph, 'file' | 'name' | 'producer'>> = {}): Graph {
  const params = new Map<string, Param>();
  for (const [key, p] of graph.params) {
    const v = values.get(key);
    if (v && v.length !== p.data.length) throw new Error(`parameter ${key}: ${v.length} values for shape [${p.shape.join(', ')}]`);
    params.set(key, v ? { ...p, data: v } : p);
  }
  return { ...graph, ...meta, params };
}

/** New tensors for every parameter of a graph; the caller disposes them. */
export function paramTensors(graph: Graph): Map<string, tf.Tensor> {
  const out = new Map<string, tf.Tensor>();
  for (const p of graph.params.values()) out.set(p.key, tf.tensor(p.data, [...p.shape], 'float32'));
  return out;
}

/** Reads parameter tensors back to the CPU. */
export async function readParams(params: ParamTensors): Promise<Map<string, Float32Array>> {
  const out = new Map<string, Float32Array>();
  for (const [k, t] of params) out.set(k, (await t.data()) as Float32Array);
  return out;
}

/**
 * θ(α) = (1−α)θ_A + αθ_B for every parameter of A, batch-norm statistics included (as the
 * reference code does: roles decide nothing here). `keys` restricts it to some parameters; the
 * result then holds only those. New tensors; the caller disposes them.
 */
export function interpolate(a: ParamTensors, b: ParamTensors, alpha: number, keys?: Iterable<string>): Map<string, tf.Tensor> {
  if (!Number.isFinite(alpha)) throw new UserError(`The interpolation weight must be a finite number, got ${alpha}.`);
  const out = new Map<string, tf.Tensor>();
  for (const k of keys ?? a.keys()) {
    const ta = a.get(k);
    const tb = b.get(k);
    if (!ta || !tb) throw new Error(`interpolate: parameter ${k} is missing in ${ta ? 'B' : 'A'}`);
    // At the endpoints return copies, so θ(0) is θ_A and θ(1) is θ_B bit for bit.
    if (alpha === 0) out.set(k, tf.clone(ta));
    else if (alpha === 1) out.set(k, tf.clone(tb));
    else out.set(k, tf.tidy(() => tf.add(tf.mul(ta, 1 - alpha), tf.mul(tb, alpha))));
  }
  return out;
}

/** The α grid: `points` evenly spaced values from 0 to 1, both included. */
export function alphaGrid(points: number): number[] {
  if (!Number.isInteger(points) || points < 2) throw new UserError(`The α grid needs at least 2 points (0 and 1), got ${points}.`);
  return Array.from({ length: points }, (_, i) => (i === points - 1 ? 1 : i / (points - 1)));
}
