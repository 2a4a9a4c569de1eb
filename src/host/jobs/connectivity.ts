import { loadModel } from '../../core/formats';
import { openForModel } from '../../core/data/forModel';
import type { Graph } from '../../core/graph/ir';
import type { WorkContext } from '../../core/progress';
import { batchSource } from '../../core/analyses/connectivity/data';
import { connectivityStudy, llfcStudy, StudyResult, Variant } from '../../core/analyses/connectivity/study';
import type { LlfcResult as CoreLlfc } from '../../core/analyses/connectivity/llfc';
import type { Aligned } from '../../core/analyses/connectivity/study';
import type { LlfcParams, LlfcResult, LmcParams, LmcPartial, LmcResult } from '../../protocol/connectivity';
import type { JobHandler } from './handlers';

/** Default number of samples an analysis reads when the client does not say. */
export const DEFAULT_SAMPLES = 2000;

/** The study's result as plain JSON data. */
export function lmcToWire(a: Graph, b: Graph, samples: number, r: StudyResult, millis: number): LmcResult {
  const curves = r.curves.map((c) => ({
    label: c.label,
    align: c.align,
    bn: c.bn,
    alpha: c.result.points.map((p) => p.alpha),
    loss: c.result.points.map((p) => p.loss),
    accuracy: c.result.points.map((p) => p.accuracy),
    barrier: { loss: c.result.barriers.loss, lossLinear: c.result.barriers.lossLinear, accuracy: c.result.barriers.accuracy, accuracyLinear: c.result.barriers.accuracyLinear },
  }));
  const al = r.alignments.find((x) => x.align === curves[0].align) ?? r.alignments.find((x) => x.perms);
  const permutations = al?.perms
    ? [...al.perms.entries()].map(([group, p]) => ({ group, size: p.length, perm: Array.from(p), moved: p.reduce((n, j, k) => n + (j !== k ? 1 : 0), 0) }))
    : [];
  const lw = r.layerwise;
  const layerwise = lw
    ? lw.groups.map((g, i) => ({
        layer: g.name,
        barrier: lw.single[i].restA.barrier,
        barrierRestB: lw.single[i].restB.barrier,
        fromInput: lw.fromInput[i].restA.barrier,
        fromOutput: lw.fromOutput[lw.groups.length - 1 - i]?.restA.barrier ?? NaN,
      }))
    : [];
  return {
    a: a.file,
    b: b.file,
    samples,
    alpha: curves[0].alpha,
    loss: curves[0].loss,
    accuracy: curves[0].accuracy,
    barrier: curves[0].barrier,
    curves,
    permutations,
    layerwise,
    notes: [...new Set(r.curves.flatMap((c) => c.result.notes))],
    millis,
  };
}

/** The variants a request asks for: the requested one first, then the comparisons. */
export function variantsOf(p: Pick<LmcParams, 'align' | 'bn' | 'compare'>): Variant[] {
  const first: Variant = { align: p.align ?? 'none', bn: p.bn ?? 'none' };
  const out = [first];
  for (const v of p.compare ?? []) if (!out.some((o) => o.align === v.align && o.bn === v.bn)) out.push({ align: v.align, bn: v.bn });
  return out;
}

/** Runs a whole LMC request: loads both models and the data, then the study. */
export async function runLmc(p: LmcParams, ctx: WorkContext, onPartial?: (x: LmcPartial) => void, cacheDir?: string): Promise<LmcResult> {
  const t0 = Date.now();
  ctx.progress?.(0, 'loading the models');
  const [a, b] = [await loadModel(p.a), await loadModel(p.b)];
  const ds = await openForModel(a, { maxSamples: DEFAULT_SAMPLES, ...p.dataset, ...(cacheDir ? { cacheDir } : {}) }, ctx);
  try {
    const r = await connectivityStudy(a, b, batchSource(ds), {
      variants: variantsOf(p),
      ...(p.alphas ? { alphas: p.alphas } : {}),
      ...(p.points ? { points: p.points } : {}),
      ...(p.seed !== undefined ? { seed: p.seed } : {}),
      layerwise: p.layerwise ?? false,
      onPoint: (curve, label, pt) => onPartial?.({ curve, label, alpha: pt.alpha, loss: pt.loss, accuracy: pt.accuracy }),
    }, ctx);
    return lmcToWire(a, b, ds.size, r, Date.now() - t0);
  } finally {
    ds.close();
  }
}

/** Core's LLFC result as rows, one per layer and α. */
export function llfcToWire(a: Graph, b: Graph, aligned: Aligned, r: CoreLlfc, millis: number): LlfcResult {
  const base = new Map(r.baseline.map((x) => [`${x.node}/${x.stage}`, x.dist.mean]));
  const layers = r.points.flatMap((pt) =>
    pt.layers.map((l) => ({
      layer: l.layer,
      stage: l.stage,
      alpha: pt.alpha,
      cosineDistance: { mean: l.dist.mean, std: l.dist.std },
      wholeMatrix: l.dist.whole,
      scale: l.scale,
      baseline: base.get(`${l.node}/${l.stage}`) ?? NaN,
    })),
  );
  return {
    a: a.file,
    b: b.file,
    align: aligned.align,
    samples: r.samples,
    alphas: r.points.map((p) => p.alpha),
    layerNames: r.layers.map((l) => (l.stage === 'pre' ? `${l.layer} (pre)` : l.layer)),
    layers,
    notes: r.notes,
    millis,
  };
}

/** Runs a whole LLFC request. */
export async function runLlfc(p: LlfcParams, ctx: WorkContext, cacheDir?: string): Promise<LlfcResult> {
  const t0 = Date.now();
  const [a, b] = [await loadModel(p.a), await loadModel(p.b)];
  const ds = await openForModel(a, { maxSamples: DEFAULT_SAMPLES, ...p.dataset, ...(cacheDir ? { cacheDir } : {}) }, ctx);
  try {
    const { aligned, result } = await llfcStudy(a, b, batchSource(ds), { align: p.align ?? 'none', bn: p.bn ?? 'none', ...(p.alphas ? { alphas: p.alphas } : {}), ...(p.seed !== undefined ? { seed: p.seed } : {}) }, ctx);
    return llfcToWire(a, b, aligned, result, Date.now() - t0);
  } finally {
    ds.close();
  }
}

/** `analysis/lmc`. */
export const lmcJob: JobHandler<'analysis/lmc'> = (params, ctx) => runLmc(params, ctx, (x) => ctx.partial(x));

/** `analysis/llfc`. */
export const llfcJob: JobHandler<'analysis/llfc'> = (params, ctx) => runLlfc(params, ctx);
