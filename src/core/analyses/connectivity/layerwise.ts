import * as tf from '@tensorflow/tfjs-core';
import { Executor } from '../../graph/executor';
import { Graph } from '../../graph/ir';
import { WorkerPool } from '../../parallel/pool';
import { ProgressSum } from '../../parallel/progress';
import { DataWire, openWired, wireData } from '../../parallel/sharedData';
import { workerPlan, worthWorkers } from '../../parallel/size';
import { ParallelTask } from '../../parallel/task';
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
  /** Worker threads the evaluations are spread over (default: LINEAR_LENS_WORKERS, else one per core; 1: none). */
  readonly workers?: number;
  /** Called with each entry as it is ready, in the order of the result's lists (single, fromInput, fromOutput). */
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

/** One evaluation: some groups interpolated and the rest from A or B (no groups: an endpoint itself). */
interface Mix {
  readonly groups?: readonly number[];
  readonly rest: 'A' | 'B';
}

/** What every evaluation shares, in this thread or in a worker. */
interface MixSetup {
  readonly a: Graph;
  /** B with A's nodes and parameter keys. */
  readonly b: Graph;
  readonly data: BatchSource;
  readonly groups: readonly LayerGroup[];
  readonly alpha: number;
  readonly batchSize: number;
}

interface Mixer extends MixSetup {
  readonly pa: Map<string, tf.Tensor>;
  readonly pb: Map<string, tf.Tensor>;
  readonly ex: Executor;
}

function openMixer(s: MixSetup): Mixer {
  return { ...s, pa: paramTensors(s.a), pb: paramTensors(s.b), ex: new Executor(s.a) };
}

function closeMixer(m: Mixer): void {
  m.ex.dispose();
  tf.dispose([...m.pa.values(), ...m.pb.values()]);
}

function mixLabel(m: Mixer | MixSetup, mix: Mix): string {
  if (!mix.groups) return mix.rest;
  const names = mix.groups.length === m.groups.length ? 'all layers' : mix.groups.map((i) => m.groups[i].name).join(', ');
  return `${names} interpolated, rest from ${mix.rest}`;
}

/** Loss and accuracy of one mix; progress within `span`. */
async function evaluateMix(m: Mixer, mix: Mix, span: { from: number; to: number }, ctx?: WorkContext): Promise<Evaluation> {
  const base = mix.rest === 'A' ? m.pa : m.pb;
  const opts = { batchSize: m.batchSize, span: { ...span, message: mixLabel(m, mix) } };
  if (!mix.groups) return evaluate(m.ex, m.data, { ...opts, params: base }, ctx);
  const keys = new Set(mix.groups.flatMap((i) => m.groups[i].params));
  const interp = interpolate(m.pa, m.pb, m.alpha, keys);
  try {
    const params = new Map([...base].map(([k, t]) => [k, interp.get(k) ?? t]));
    return await evaluate(m.ex, m.data, { ...opts, params }, ctx);
  } finally {
    tf.dispose([...interp.values()]);
  }
}

/** A layer-wise setup as it crosses to a worker: the data as a dataset to open or shared batches. */
export interface MixWire extends Omit<MixSetup, 'data'> {
  readonly data: DataWire;
}

/** One layer-wise evaluation in a worker thread; the same code as the serial path. */
export const layerwiseTask: ParallelTask<MixWire, Mix, Evaluation, Mixer & { release(): void }> = {
  name: 'connectivity.layerwise',
  open: async (w) => {
    const data = await openWired(w.data);
    return { ...openMixer({ ...w, data: data.source }), release: () => data.close() };
  },
  run: (m, mix, ctx) => evaluateMix(m, mix, { from: 0, to: 1 }, ctx),
  close: (m) => {
    closeMixer(m);
    m.release();
  },
};

/** Barrier and accuracy drop of an evaluation against the endpoints A and B. */
function judgeAgainst(evA: Evaluation, evB: Evaluation): (e: Evaluation) => LayerwiseEval {
  const ends = 0.5 * (evA.loss + evB.loss);
  const endAcc = 0.5 * (evA.accuracy + evB.accuracy);
  return (e) => ({ loss: e.loss, accuracy: e.accuracy, barrier: e.loss - ends, accuracyDrop: endAcc - e.accuracy });
}

/** Where an entry's two evaluations are in the list of mixes. */
interface EntryPlan {
  readonly kind: 'single' | 'fromInput' | 'fromOutput';
  readonly index: number;
  readonly groups: readonly number[];
  /** Index of its "rest from A" mix; "rest from B" is the next one. Absent: the full interpolation. */
  readonly at?: number;
}

/** Every evaluation layerwise() needs, in the serial order, and the entries built from them. */
function planMixes(G: number, cumulative: boolean): { mixes: Mix[]; entries: EntryPlan[] } {
  const all = Array.from({ length: G }, (_, i) => i);
  // With every group interpolated the rest is empty, so 'A' or 'B' makes no difference.
  const mixes: Mix[] = [{ rest: 'A' }, { rest: 'B' }, { groups: all, rest: 'A' }];
  const entries: EntryPlan[] = [];
  const add = (kind: EntryPlan['kind'], index: number, groups: number[]): void => {
    if (groups.length === G) {
      entries.push({ kind, index, groups });
      return;
    }
    entries.push({ kind, index, groups, at: mixes.length });
    mixes.push({ groups, rest: 'A' }, { groups, rest: 'B' });
  };
  for (const i of all) add('single', i, [i]);
  if (cumulative) {
    for (let k = 0; k < G; k++) add('fromInput', k, all.slice(0, k + 1));
    for (let k = 0; k < G; k++) add('fromOutput', k, all.slice(G - 1 - k));
  }
  return { mixes, entries };
}

/**
 * Layer-wise barriers of A and B (B must have A's architecture). Its evaluations are
 * independent: after the first, they go to worker threads when the caller set `workers`, or by
 * default when the first shows the rest would take a while (parallel/size.ts), each on the data
 * read once into shared memory.
 */
export async function layerwise(a: Graph, b: Graph, data: BatchSource, opts: LayerwiseOptions = {}, ctx?: WorkContext): Promise<LayerwiseResult> {
  const bb = asArchitectureOf(a, b);
  const alpha = opts.alpha ?? 0.5;
  const batchSize = opts.batchSize ?? DEFAULT_BATCH;
  const groups = layerGroups(a);
  const G = groups.length;
  const { mixes, entries } = planMixes(G, opts.cumulative ?? true);
  const evs: (Evaluation | undefined)[] = new Array(mixes.length);
  const result = { groups, single: [] as LayerwiseEntry[], fromInput: [] as LayerwiseEntry[], fromOutput: [] as LayerwiseEntry[] };
  let told = 0;
  // Entries are told in the serial order, each as soon as it and every one before it are ready.
  const tell = (): void => {
    if (!evs[0] || !evs[1] || !evs[2]) return;
    const judge = judgeAgainst(evs[0], evs[1]);
    for (; told < entries.length; told++) {
      const p = entries[told];
      const [ra, rb] = p.at === undefined ? [evs[2], evs[2]] : [evs[p.at], evs[p.at + 1]];
      if (!ra || !rb) return;
      const e: LayerwiseEntry = { groups: p.groups.map((i) => groups[i].name), restA: judge(ra), restB: judge(rb) };
      result[p.kind].push(e);
      opts.onEntry?.(p.kind, e, p.index);
    }
  };
  const setup = { a, b: bb, groups, alpha, batchSize };
  const plan = workerPlan(mixes.length - 1, opts.workers);
  // A worker count the caller chose starts the workers at once: they load while this thread works.
  let pool = plan.chosen && plan.workers > 1 ? WorkerPool.start(plan.workers) : undefined;
  try {
    const mixer = openMixer({ ...setup, data });
    try {
      for (const [i, mix] of mixes.entries()) {
        const t0 = performance.now();
        evs[i] = await evaluateMix(mixer, mix, { from: i / mixes.length, to: (i + 1) / mixes.length }, ctx);
        tell();
        // The first evaluation, timed here, tells whether the rest are worth the workers.
        if (i === 0 && worthWorkers(plan, performance.now() - t0, mixes.length - 1)) {
          pool ??= WorkerPool.start(plan.workers);
          const from = 1 / mixes.length;
          const read = from + 0.03 * (1 - from);
          const shared = await wireData(a, data, batchSize, ctx, { from, to: read, message: 'reading data for the workers' });
          if (!shared) continue;
          const rest = mixes.slice(1);
          const progress = new ProgressSum(rest.map(() => 1));
          await pool.run(layerwiseTask, { ...setup, data: shared }, rest, {
            onProgress: (k, f, m) => ctx?.progress?.(read + (1 - read) * progress.set(k, f), m),
            onResult: (ev, k) => {
              evs[k + 1] = ev;
              tell();
            },
          }, ctx);
          break;
        }
      }
    } finally {
      closeMixer(mixer);
    }
  } finally {
    await pool?.close();
  }
  ctx?.progress?.(1, 'layer-wise barriers: done');
  const [evA, evB, evFull] = evs as Evaluation[];
  return { ...result, a: evA, b: evB, full: judgeAgainst(evA, evB)(evFull) };
}
