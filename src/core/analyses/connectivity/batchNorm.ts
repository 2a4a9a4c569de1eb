import * as tf from '@tensorflow/tfjs-core';
import { Executor, NodeHook, ParamTensors } from '../../graph/executor';
import { Graph, Node, Param, ParamRole, ParamSlot } from '../../graph/ir';
import { WorkContext } from '../../progress';
import { BatchSource, ChannelMoments, channelMoments, DEFAULT_BATCH, forEachBatch } from './data';
import { readParams, withParams } from './interpolate';

/**
 * Repairing the statistics of an interpolated network. Interpolated batch-norm running
 * statistics are wrong (the variance of a sum of partly decorrelated units collapses), and so
 * are the activation statistics of networks without batch-norm. Two remedies (METHODS §2):
 * (a) BN reset: re-estimate every batch-norm's running mean and variance on a pass of data in
 *     train mode;
 * (b) REPAIR (Jordan et al., ICLR 2023): rescale each hidden channel of the merged net so its
 *     mean and standard deviation over data are the interpolation of A's and B's, and fuse that
 *     affine correction into the layer's parameters.
 */

/**
 * What to do about activation statistics along a path between two networks: 'none' (the
 * reference: every state entry interpolated, batch-norm statistics included), 'reset'
 * (re-estimate batch-norm running statistics at each α), 'repair' (REPAIR at each α).
 */
export type Correction = 'none' | 'reset' | 'repair';

export interface StatsOptions {
  readonly batchSize?: number;
  /** Where this pass sits in the caller's progress scale. */
  readonly span?: { from: number; to: number; message?: string };
}

function batchNormNodes(graph: Graph): Node[] {
  return graph.nodes.filter((n) => n.op.op === 'batchNorm');
}

/** True when the graph has batch-norm layers (only then does BN reset change anything). */
export function hasBatchNorm(graph: Graph): boolean {
  return batchNormNodes(graph).length > 0;
}

/**
 * BN reset: every batch-norm's running mean and variance re-estimated on one pass of `data`
 * in train mode (each batch-norm normalises with its batch's statistics, as PyTorch does in
 * `train()`). The estimates weigh every value equally over the whole pass, like PyTorch with
 * momentum=None; the variance is the biased one (as Keras keeps it, and as the batch
 * normalisation itself uses), merged across batches exactly (Chan's formula), so batch-to-batch
 * differences of the mean count as variance. Returns a complete new parameter set (every
 * tensor new; the caller disposes them all).
 */
export async function resetBatchNorm(graph: Graph, params: ParamTensors | undefined, data: BatchSource, opts: StatsOptions = {}, ctx?: WorkContext): Promise<Map<string, tf.Tensor>> {
  const ex = new Executor(graph);
  try {
    const bns = batchNormNodes(graph);
    const moments = new Map<string, ChannelMoments>();
    if (bns.length) {
      const pending: { key: string; n: number; mean: tf.Tensor; variance: tf.Tensor }[] = [];
      const hook: NodeHook = (n, inputs) => {
        if (n.op.op !== 'batchNorm') return undefined;
        const x = inputs[0];
        const m = channelMoments(x);
        pending.push({ key: n.params.movingMean!, n: x.size / x.shape[x.rank - 1], mean: tf.keep(m.mean), variance: tf.keep(m.variance) });
        return undefined;
      };
      await forEachBatch(graph, data, opts.batchSize ?? DEFAULT_BATCH, ctx, async ({ x }) => {
        try {
          ex.run([x], { params, training: true, hook, outputs: [] });
          for (const p of pending) {
            const [mean, variance] = await Promise.all([p.mean.data(), p.variance.data()]);
            let acc = moments.get(p.key);
            if (!acc) moments.set(p.key, (acc = new ChannelMoments(mean.length)));
            acc.add(p.n, mean, variance);
          }
        } finally {
          for (const p of pending) tf.dispose([p.mean, p.variance]);
          pending.length = 0;
        }
      }, opts.span ?? { from: 0, to: 1, message: 'batch-norm reset' });
    }
    const own = ex.params();
    const out = new Map<string, tf.Tensor>();
    const fresh = new Map<string, Float32Array>();
    for (const n of bns) {
      const acc = moments.get(n.params.movingMean!);
      if (!acc) continue;
      fresh.set(n.params.movingMean!, Float32Array.from(acc.mean));
      fresh.set(n.params.movingVariance!, Float32Array.from(acc.variance()));
    }
    for (const p of graph.params.values()) {
      const f = fresh.get(p.key);
      out.set(p.key, f ? tf.tensor(f, [...p.shape]) : tf.clone(params?.get(p.key) ?? own.get(p.key)!));
    }
    return out;
  } finally {
    ex.dispose();
  }
}

/** Per-channel mean and standard deviation of a node's output over data. */
export interface ChannelStats {
  readonly mean: Float64Array;
  readonly std: Float64Array;
}

/** Per-channel (last axis) mean and standard deviation of some nodes' outputs over one pass of data, in inference mode. */
export async function channelStatistics(graph: Graph, params: ParamTensors | undefined, nodes: readonly string[], data: BatchSource, opts: StatsOptions = {}, ctx?: WorkContext): Promise<Map<string, ChannelStats>> {
  const ex = new Executor(graph);
  const acc = new Map<string, ChannelMoments>();
  try {
    await forEachBatch(graph, data, opts.batchSize ?? DEFAULT_BATCH, ctx, async ({ x }) => {
      const r = ex.run([x], { params, taps: [...nodes], outputs: [] });
      try {
        for (const id of nodes) {
          const t = r.taps.get(id)!;
          const m = channelMoments(t);
          const [mean, variance] = await Promise.all([m.mean.data(), m.variance.data()]);
          tf.dispose([m.mean, m.variance]);
          let a = acc.get(id);
          if (!a) acc.set(id, (a = new ChannelMoments(mean.length)));
          a.add(t.size / t.shape[t.rank - 1], mean, variance);
        }
      } finally {
        tf.dispose([...r.taps.values()]);
      }
    }, opts.span ?? { from: 0, to: 1, message: 'channel statistics' });
  } finally {
    ex.dispose();
  }
  return new Map([...acc].map(([id, a]) => [id, { mean: Float64Array.from(a.mean), std: a.std() }]));
}

/** Where REPAIR measures and corrects: the pre-activation of a hidden layer, or its batch-norm. */
export interface RepairPoint {
  /** The node whose output channels are measured and corrected. */
  readonly node: string;
  /** 'layer': a dense / conv, corrected through its kernel and bias; 'batchNorm': the batch-norm right after one, corrected through γ and β. */
  readonly kind: 'layer' | 'batchNorm';
  /** The dense / conv node of the layer. */
  readonly layer: string;
  readonly channels: number;
}

const KERNEL_OPS = new Set(['dense', 'conv2d', 'depthwiseConv2d']);
const HEAD_OPS = new Set(['identity', 'reshape', 'flatten', 'transpose', 'softmax', 'sigmoid', 'batchNorm']);

/**
 * The hidden layers REPAIR corrects: every dense / conv whose output is not the model's output
 * (the logits are left alone, as in the reference). Where a batch-norm directly follows the
 * layer, the correction is measured and applied after the batch-norm: in inference a
 * batch-norm is a per-channel affine map, so correcting after it is exact whatever its
 * (interpolated) running statistics are, and it measures what feeds the next unit.
 */
export function repairPoints(graph: Graph): RepairPoint[] {
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  const consumers = new Map<string, Node[]>(graph.nodes.map((n) => [n.id, []]));
  for (const n of graph.nodes) for (const i of n.inputs) consumers.get(i)!.push(n);
  const head = new Set<string>();
  for (const o of graph.outputs) {
    let n = byId.get(o.node);
    while (n && HEAD_OPS.has(n.op.op)) n = byId.get(n.inputs[0]);
    if (n && KERNEL_OPS.has(n.op.op)) head.add(n.id);
  }
  const out: RepairPoint[] = [];
  for (const n of graph.nodes) {
    if (!KERNEL_OPS.has(n.op.op) || head.has(n.id)) continue;
    const cs = consumers.get(n.id)!;
    const bn = cs.length === 1 && cs[0].op.op === 'batchNorm' ? cs[0] : undefined;
    const at = bn ?? n;
    out.push({ node: at.id, kind: bn ? 'batchNorm' : 'layer', layer: n.id, channels: at.shape[at.shape.length - 1] });
  }
  return out;
}

/** REPAIR's per-channel statistics of A and of B (same architecture, same node ids) at every repair point; fixed along the path. */
export async function repairStatistics(a: Graph, b: Graph, data: BatchSource, opts: StatsOptions = {}, ctx?: WorkContext): Promise<{ sa: Map<string, ChannelStats>; sb: Map<string, ChannelStats> }> {
  const nodes = repairPoints(a).map((p) => p.node);
  const span = opts.span ?? { from: 0, to: 1 };
  const mid = (span.from + span.to) / 2;
  const sa = await channelStatistics(a, undefined, nodes, data, { batchSize: opts.batchSize, span: { from: span.from, to: mid, message: 'REPAIR statistics of A' } }, ctx);
  const sb = await channelStatistics(b, undefined, nodes, data, { batchSize: opts.batchSize, span: { from: mid, to: span.to, message: 'REPAIR statistics of B' } }, ctx);
  return { sa, sb };
}

/** REPAIR's goals at α: mean (1−α)μ_A + αμ_B and standard deviation (1−α)σ_A + ασ_B per channel. */
export function repairGoals(statsA: ReadonlyMap<string, ChannelStats>, statsB: ReadonlyMap<string, ChannelStats>, alpha: number): Map<string, ChannelStats> {
  const out = new Map<string, ChannelStats>();
  for (const [id, a] of statsA) {
    const b = statsB.get(id);
    if (!b) throw new Error(`REPAIR: no statistics of B at ${id}`);
    out.set(id, {
      mean: a.mean.map((m, c) => (1 - alpha) * m + alpha * b.mean[c]),
      std: a.std.map((s, c) => (1 - alpha) * s + alpha * b.std[c]),
    });
  }
  return out;
}

export interface RepairResult {
  /** The corrected network: the merged parameters with the corrections fused in. */
  readonly graph: Graph;
  readonly points: readonly RepairPoint[];
  /** Passes over the data it took (one per layer of depth). */
  readonly passes: number;
  /** Channels left unscaled because they were (nearly) constant on the data; their mean was still set. */
  readonly constantChannels: number;
}

/**
 * Adds the parameters a correction needs and the node lacks (a bias, or a batch-norm's γ / β),
 * at their neutral values, so every correction can be fused.
 */
function withCorrectionSlots(graph: Graph, points: readonly RepairPoint[]): Graph {
  const params = new Map<string, Param>(graph.params);
  const add = new Map<string, Partial<Record<ParamSlot, string>>>();
  const fresh = (base: string, role: ParamRole, size: number, value: number): string => {
    let k = `${base}/repair_${role}`;
    for (let i = 1; params.has(k); i++) k = `${base}/repair_${role}_${i}`;
    params.set(k, { key: k, role, shape: [size], data: new Float32Array(size).fill(value), trainable: true });
    return k;
  };
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  for (const p of points) {
    const n = byId.get(p.node)!;
    const slots: Partial<Record<ParamSlot, string>> = {};
    if (p.kind === 'layer' && !n.params.bias) slots.bias = fresh(n.id, 'bias', p.channels, 0);
    if (p.kind === 'batchNorm' && !n.params.gamma) slots.gamma = fresh(n.id, 'gamma', p.channels, 1);
    if (p.kind === 'batchNorm' && !n.params.beta) slots.beta = fresh(n.id, 'beta', p.channels, 0);
    if (Object.keys(slots).length) add.set(n.id, slots);
  }
  if (!add.size) return graph;
  return { ...graph, params, nodes: graph.nodes.map((n) => (add.has(n.id) ? { ...n, params: { ...n.params, ...add.get(n.id) } } : n)) };
}

/**
 * REPAIR: corrects the merged network (`graph` with parameters `params`, e.g. θ(α)) so that at
 * every repair point each channel has the goal mean and standard deviation over `data`. The
 * correction y' = (y − μ)·(σ_goal/σ) + μ_goal is fused into the kernel and bias (or the
 * batch-norm's γ and β). Points are corrected in order of depth, each measured with the ones
 * before it already corrected, so the goals hold exactly after the last pass.
 */
export async function repair(graph: Graph, params: ParamTensors | undefined, goals: ReadonlyMap<string, ChannelStats>, data: BatchSource, opts: StatsOptions = {}, ctx?: WorkContext): Promise<RepairResult> {
  const points = repairPoints(graph).filter((p) => goals.has(p.node));
  const aug = withCorrectionSlots(graph, points);
  const values = new Map<string, Float32Array>();
  for (const p of aug.params.values()) values.set(p.key, Float32Array.from(p.data));
  if (params) for (const [k, v] of await readParams(params)) values.set(k, Float32Array.from(v));
  const byId = new Map(aug.nodes.map((n) => [n.id, n]));

  // Which points lie upstream of each node: a point is ready once all of those are corrected.
  const pointIds = new Set(points.map((p) => p.node));
  const upstream = new Map<string, Set<string>>();
  for (const n of aug.nodes) {
    const s = new Set<string>();
    for (const i of n.inputs) {
      for (const u of upstream.get(i)!) s.add(u);
      if (pointIds.has(i)) s.add(i);
    }
    upstream.set(n.id, s);
  }
  const done = new Set<string>();
  let passes = 0;
  let constantChannels = 0;
  const depth = new Set(points.map((p) => [...upstream.get(p.node)!].length)).size || 1;
  while (done.size < points.length) {
    const ready = points.filter((p) => !done.has(p.node) && [...upstream.get(p.node)!].every((u) => done.has(u)));
    // Each pass gets its share of the caller's span (progress never runs backwards).
    const span = opts.span ?? { from: 0, to: 1 };
    const at = (f: number) => span.from + (span.to - span.from) * Math.min(f, 1);
    const message = `${span.message ? `${span.message}, ` : ''}REPAIR pass ${passes + 1}`;
    const stats = await channelStatistics(withParams(aug, values), undefined, ready.map((p) => p.node), data, { batchSize: opts.batchSize, span: { from: at(passes / depth), to: at((passes + 1) / depth), message } }, ctx);
    passes++;
    for (const p of ready) {
      const st = stats.get(p.node)!;
      const goal = goals.get(p.node)!;
      const C = p.channels;
      const scale = new Float64Array(C);
      const shift = new Float64Array(C);
      for (let c = 0; c < C; c++) {
        const s = st.std[c];
        // A channel that is (nearly) constant on the data cannot be scaled to a spread: keep its scale.
        const usable = s > 1e-12 + 1e-6 * goal.std[c];
        if (!usable) constantChannels++;
        scale[c] = usable ? goal.std[c] / s : 1;
        shift[c] = goal.mean[c] - st.mean[c] * scale[c];
      }
      const n = byId.get(p.node)!;
      if (p.kind === 'layer') {
        // Output channel o of dense [in, out], conv [kh, kw, cin/g, cout] and depthwise
        // [kh, kw, cin, mult] (o = c·mult + m) is the flat index mod C of the kernel.
        const k = values.get(n.params.kernel!)!;
        for (let i = 0; i < k.length; i++) k[i] *= scale[i % C];
        const b = values.get(n.params.bias!)!;
        for (let c = 0; c < C; c++) b[c] = b[c] * scale[c] + shift[c];
      } else {
        const g = values.get(n.params.gamma!)!;
        const b = values.get(n.params.beta!)!;
        for (let c = 0; c < C; c++) {
          g[c] *= scale[c];
          b[c] = b[c] * scale[c] + shift[c];
        }
      }
      done.add(p.node);
    }
  }
  return { graph: withParams(aug, values), points, passes, constantChannels };
}
