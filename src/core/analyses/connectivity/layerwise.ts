import * as tf from '@tensorflow/tfjs-core';
import { Executor, ParamTensors } from '../../graph/executor';
import { Graph } from '../../graph/ir';
import { WorkContext } from '../../progress';
import { BatchSource, DEFAULT_BATCH } from './data';
import { evaluate, Evaluation } from './evaluate';
import { asArchitectureOf, interpolate, paramTensors } from './interpolate';

/**
 * Layer-wise linear mode connectivity (Adilova et al., ICLR 2024): interpolate the parameters
 * of one layer group only, the rest of the network taken from A (and, separately, from B), and
 * see which layers carry the barrier; cumulative variants grow the interpolated set from the
 * input side or from the output side.
 */

/** A layer with its parameters: a node with parameters, plus the batch-norm right after it. */
export interface LayerGroup {
  /** The model's own layer name of the group's first node. */
  readonly name: string;
  readonly nodes: readonly string[];
  readonly params: readonly string[];
}

const FOLLOWERS = new Set(['batchNorm']);

/** The layer groups of a graph in topological order (every parameter in exactly one group). */
export function layerGroups(graph: Graph): LayerGroup[] {
  const consumers = new Map<string, string[]>(graph.nodes.map((n) => [n.id, []]));
  for (const n of graph.nodes) for (const i of n.inputs) consumers.get(i)!.push(n.id);
  const groups: { name: string; nodes: string[]; params: string[] }[] = [];
  const groupOfNode = new Map<string, number>();
  const groupOfParam = new Map<string, number>();
  for (const n of graph.nodes) {
    const keys = Object.values(n.params).filter((k): k is string => k !== undefined);
    if (!keys.length) continue;
    let g = keys.map((k) => groupOfParam.get(k)).find((x) => x !== undefined);
    if (g === undefined && FOLLOWERS.has(n.op.op) && n.inputs.length === 1) {
      // A batch-norm belongs to the layer it normalises when it is that layer's only consumer.
      const prev = groupOfNode.get(n.inputs[0]);
      if (prev !== undefined && consumers.get(n.inputs[0])!.length === 1) g = prev;
    }
    if (g === undefined) {
      g = groups.length;
      const taken = new Set(groups.map((x) => x.name));
      let name = n.layer || n.id;
      if (taken.has(name)) name = `${name} (${n.id})`;
      groups.push({ name, nodes: [], params: [] });
    }
    groups[g].nodes.push(n.id);
    for (const k of keys) {
      if (!groupOfParam.has(k)) {
        groupOfParam.set(k, g);
        groups[g].params.push(k);
      }
    }
    groupOfNode.set(n.id, g);
  }
  return groups;
}

/** Loss and accuracy with some groups interpolated, against the endpoints. */
export interface LayerwiseEval {
  readonly loss: number;
  readonly accuracy: number;
  /** loss − ½(L(A) + L(B)). */
  readonly barrier: number;
  /** ½(Acc(A) + Acc(B)) − accuracy. */
  readonly accuracyDrop: number;
}

export interface LayerwiseEntry {
  /** Names of the interpolated groups. */
  readonly groups: readonly string[];
  /** The rest of the network from A. */
  readonly restA: LayerwiseEval;
  /** The rest of the network from B. */
  readonly restB: LayerwiseEval;
}

export interface LayerwiseOptions {
  /** Where to interpolate the chosen groups (default 0.5, the midpoint). */
  readonly alpha?: number;
  /** Also the cumulative variants from the input and from the output side (default true). */
  readonly cumulative?: boolean;
  readonly batchSize?: number;
  /** Called with each entry as it is ready. */
  readonly onEntry?: (kind: 'single' | 'fromInput' | 'fromOutput', entry: LayerwiseEntry, index: number) => void;
}

export interface LayerwiseResult {
  readonly groups: LayerGroup[];
  readonly a: Evaluation;
  readonly b: Evaluation;
  /** Everything interpolated. */
  readonly full: LayerwiseEval;
  /** One entry per group: that group alone interpolated. */
  readonly single: LayerwiseEntry[];
  /** Entry k: groups 0..k interpolated (the last one is `full`). */
  readonly fromInput: LayerwiseEntry[];
  /** Entry k: the last k + 1 groups interpolated (the last one is `full`). */
  readonly fromOutput: LayerwiseEntry[];
}

/** Layer-wise barriers of A and B (B must have A's architecture). */
export async function layerwise(a: Graph, b: Graph, data: BatchSource, opts: LayerwiseOptions = {}, ctx?: WorkContext): Promise<LayerwiseResult> {
  const bb = asArchitectureOf(a, b);
  const alpha = opts.alpha ?? 0.5;
  const batchSize = opts.batchSize ?? DEFAULT_BATCH;
  const groups = layerGroups(a);
  const G = groups.length;
  const cumulative = opts.cumulative ?? true;
  const total = 3 + 2 * G + (cumulative ? 4 * Math.max(G - 1, 0) : 0);
  let done = 0;
  const pa = paramTensors(a);
  const pb = paramTensors(bb);
  const ex = new Executor(a);
  const run = async (params: ParamTensors, what: string): Promise<Evaluation> => {
    const r = await evaluate(ex, data, { params, batchSize, span: { from: done / total, to: (done + 1) / total, message: what } }, ctx);
    done++;
    return r;
  };
  try {
    const evA = await run(pa, 'A');
    const evB = await run(pb, 'B');
    const ends = 0.5 * (evA.loss + evB.loss);
    const endAcc = 0.5 * (evA.accuracy + evB.accuracy);
    const judge = (e: Evaluation): LayerwiseEval => ({ loss: e.loss, accuracy: e.accuracy, barrier: e.loss - ends, accuracyDrop: endAcc - e.accuracy });
    const mixed = async (indices: number[], rest: 'A' | 'B'): Promise<LayerwiseEval> => {
      const keys = new Set(indices.flatMap((i) => groups[i].params));
      const interp = interpolate(pa, pb, alpha, keys);
      try {
        const base = rest === 'A' ? pa : pb;
        const params = new Map([...base].map(([k, t]) => [k, interp.get(k) ?? t]));
        return judge(await run(params, `${indices.length === G ? 'all layers' : indices.map((i) => groups[i].name).join(', ')} interpolated, rest from ${rest}`));
      } finally {
        tf.dispose([...interp.values()]);
      }
    };
    const entry = async (indices: number[]): Promise<LayerwiseEntry> => ({
      groups: indices.map((i) => groups[i].name),
      restA: await mixed(indices, 'A'),
      restB: await mixed(indices, 'B'),
    });
    const all = groups.map((_, i) => i);
    // With every group interpolated the rest is empty, so 'A' or 'B' makes no difference.
    const full = await mixed(all, 'A');
    const single: LayerwiseEntry[] = [];
    for (const i of all) {
      const e = await entry([i]);
      single.push(e);
      opts.onEntry?.('single', e, i);
    }
    const fromInput: LayerwiseEntry[] = [];
    const fromOutput: LayerwiseEntry[] = [];
    if (cumulative) {
      const fullEntry: LayerwiseEntry = { groups: groups.map((g) => g.name), restA: full, restB: full };
      for (let k = 0; k < G; k++) {
        const e = k === G - 1 ? fullEntry : await entry(all.slice(0, k + 1));
        fromInput.push(e);
        opts.onEntry?.('fromInput', e, k);
      }
      for (let k = 0; k < G; k++) {
        const e = k === G - 1 ? fullEntry : await entry(all.slice(G - 1 - k));
        fromOutput.push(e);
        opts.onEntry?.('fromOutput', e, k);
      }
    }
    ctx?.progress?.(1, 'layer-wise barriers: done');
    return { groups, a: evA, b: evB, full, single, fromInput, fromOutput };
  } finally {
    ex.dispose();
    tf.dispose([...pa.values(), ...pb.values()]);
  }
}

