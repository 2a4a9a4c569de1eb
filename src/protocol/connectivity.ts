/** `analysis/lmc` and `analysis/llfc`: connectivity between two networks of one architecture. Plain data. */
import type { DatasetParams } from './data';

export type AlignMethod = 'none' | 'weights' | 'activations';
export type BnHandling = 'none' | 'reset' | 'repair';

export interface LmcParams {
  readonly a: string;
  readonly b: string;
  readonly dataset: DatasetParams;
  /** Grid size including 0 and 1 (default 25). */
  readonly points?: number;
  readonly alphas?: readonly number[];
  readonly align?: AlignMethod;
  readonly bn?: BnHandling;
  /** More curves to overlay, e.g. naive and aligned + REPAIR. */
  readonly compare?: readonly { readonly align: AlignMethod; readonly bn: BnHandling }[];
  readonly layerwise?: boolean;
  readonly seed?: number;
}

export interface BarrierSet {
  /** max L(α) − ½(L(0) + L(1)). */
  readonly loss: number;
  /** max [L(α) − ((1−α)L(0) + αL(1))]. */
  readonly lossLinear: number;
  /** ½(Acc(0) + Acc(1)) − min Acc(α). */
  readonly accuracy: number;
  /** max [((1−α)Acc(0) + αAcc(1)) − Acc(α)]. */
  readonly accuracyLinear: number;
}

export interface LmcCurve {
  readonly label: string;
  readonly align: AlignMethod;
  readonly bn: BnHandling;
  readonly alpha: number[];
  readonly loss: number[];
  readonly accuracy: number[];
  readonly barrier: BarrierSet;
}

export interface LayerwiseRow {
  /** The model's own layer name. */
  readonly layer: string;
  /** Barrier with that layer interpolated alone, the rest from A. */
  readonly barrier: number;
  /** The same with the rest from B. */
  readonly barrierRestB: number;
  /** Cumulative: this layer and every one before it interpolated (rest from A). */
  readonly fromInput: number;
  /** Cumulative: this layer and every one after it interpolated (rest from A). */
  readonly fromOutput: number;
}

export interface LmcResult {
  readonly a: string;
  readonly b: string;
  readonly samples: number;
  /** The requested curve (align, bn), as the CLI's JSON has it. */
  readonly alpha: number[];
  readonly loss: number[];
  readonly accuracy: number[];
  readonly barrier: BarrierSet;
  /** Every curve, the requested one first. */
  readonly curves: LmcCurve[];
  /** Per permutation group: perm[k] = j (unit k of aligned B is unit j of B). */
  readonly permutations: { readonly group: string; readonly size: number; readonly perm: number[]; readonly moved: number }[];
  readonly layerwise: LayerwiseRow[];
  readonly notes: string[];
  readonly millis: number;
}

/** Streamed: one α point of one curve as soon as it is computed. */
export interface LmcPartial {
  readonly curve: number;
  readonly label: string;
  readonly alpha: number;
  readonly loss: number;
  readonly accuracy: number;
}

export interface LlfcParams {
  readonly a: string;
  readonly b: string;
  readonly dataset: DatasetParams;
  readonly align?: AlignMethod;
  readonly bn?: BnHandling;
  readonly alphas?: readonly number[];
  readonly seed?: number;
}

export interface LlfcRow {
  /** The model's own layer name; stage 'pre' is the affine part before the layer's unit. */
  readonly layer: string;
  readonly stage: 'pre' | 'post';
  readonly alpha: number;
  readonly cosineDistance: { readonly mean: number; readonly std: number };
  readonly wholeMatrix: number;
  readonly scale: number;
  /** dist(f_A, f_B) at this layer. */
  readonly baseline: number;
}

export interface LlfcResult {
  readonly a: string;
  readonly b: string;
  readonly align: AlignMethod;
  readonly samples: number;
  readonly alphas: number[];
  readonly layerNames: string[];
  readonly layers: LlfcRow[];
  readonly notes: string[];
  readonly millis: number;
}

export interface LlfcPartial {
  readonly alpha: number;
  readonly done: number;
  readonly total: number;
}
