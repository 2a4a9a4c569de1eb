import type { Graph } from '../../graph/ir';
import { checkpoint, WorkContext } from '../../progress';
import { activationMatching } from './activationMatching';
import type { Correction } from './batchNorm';
import type { BatchSource } from './data';
import { layerwise, LayerwiseResult } from './layerwise';
import { llfc, LlfcResult } from './llfc';
import { lmc, LmcPoint, LmcResult } from './lmc';
import { weightMatching } from './weightMatching';

export type Alignment = 'none' | 'weights' | 'activations';

export interface Aligned {
  readonly b: Graph;
  readonly align: Alignment;
  /** perm[k] = j: unit k of the aligned B is unit j of B; absent without alignment. */
  readonly perms?: Map<string, Int32Array>;
  readonly sweeps?: number;
}

/** B permuted onto A by the chosen method (or B itself). */
export async function alignB(a: Graph, b: Graph, align: Alignment, data: BatchSource, seed: number, ctx?: WorkContext): Promise<Aligned> {
  if (align === 'weights') {
    const r = await weightMatching(a, b, { seed }, ctx);
    return { b: r.aligned, align, perms: r.perms, sweeps: r.sweeps };
  }
  if (align === 'activations') {
    const r = await activationMatching(a, b, data, {}, ctx);
    return { b: r.aligned, align, perms: r.perms };
  }
  return { b, align };
}

export interface Variant {
  readonly align: Alignment;
  readonly bn: Correction;
}

export interface CurveResult extends Variant {
  readonly label: string;
  readonly result: LmcResult;
}

export interface StudyOptions {
  readonly variants: readonly Variant[];
  readonly alphas?: readonly number[];
  readonly points?: number;
  readonly seed?: number;
  readonly layerwise?: boolean;
  readonly batchSize?: number;
  readonly onPoint?: (curve: number, label: string, point: LmcPoint) => void;
}

export interface StudyResult {
  readonly curves: CurveResult[];
  readonly alignments: Aligned[];
  readonly layerwise?: LayerwiseResult;
}

/** A label for a curve: "naive", "weight matching + REPAIR", ... */
export function variantLabel(v: Variant): string {
  const a = v.align === 'none' ? 'naive' : v.align === 'weights' ? 'weight matching' : 'activation matching';
  return v.bn === 'none' ? a : `${a} + ${v.bn === 'repair' ? 'REPAIR' : 'BN reset'}`;
}

/** LMC curves of A and B for each variant (alignment × batch-norm handling), and layer-wise barriers. */
export async function connectivityStudy(a: Graph, b: Graph, data: BatchSource, opts: StudyOptions, ctx?: WorkContext): Promise<StudyResult> {
  const alignments = new Map<Alignment, Aligned>();
  const curves: CurveResult[] = [];
  for (let i = 0; i < opts.variants.length; i++) {
    const v = opts.variants[i];
    let al = alignments.get(v.align);
    if (!al) {
      ctx?.progress?.(i / opts.variants.length, v.align === 'none' ? 'interpolating' : `aligning B (${v.align})`);
      al = await alignB(a, b, v.align, data, opts.seed ?? 0, ctx);
      alignments.set(v.align, al);
    }
    const label = variantLabel(v);
    const sub: WorkContext = {
      ...ctx,
      progress: (f, m) => ctx?.progress?.((i + f) / (opts.variants.length + (opts.layerwise ? 1 : 0)), `${label}: ${m ?? ''}`),
    };
    const result = await lmc(a, al.b, data, {
      ...(opts.alphas ? { alphas: opts.alphas } : {}),
      ...(opts.points ? { points: opts.points } : {}),
      ...(opts.batchSize ? { batchSize: opts.batchSize } : {}),
      correction: v.bn,
      onPoint: (p) => opts.onPoint?.(i, label, p),
    }, sub);
    curves.push({ ...v, label, result });
    await checkpoint(ctx);
  }
  let lw: LayerwiseResult | undefined;
  if (opts.layerwise) {
    const first = alignments.get(opts.variants[0].align)!;
    lw = await layerwise(a, first.b, data, { ...(opts.batchSize ? { batchSize: opts.batchSize } : {}) }, ctx);
  }
  return { curves, alignments: [...alignments.values()], ...(lw ? { layerwise: lw } : {}) };
}

/** LLFC of A and B, after aligning B when asked. */
export async function llfcStudy(a: Graph, b: Graph, data: BatchSource, opts: { align: Alignment; bn: Correction; alphas?: readonly number[]; seed?: number }, ctx?: WorkContext): Promise<{ aligned: Aligned; result: LlfcResult }> {
  const aligned = await alignB(a, b, opts.align, data, opts.seed ?? 0, ctx);
  const result = await llfc(a, aligned.b, data, { correction: opts.bn, ...(opts.alphas ? { alphas: opts.alphas } : {}) }, ctx);
  return { aligned, result };
}
