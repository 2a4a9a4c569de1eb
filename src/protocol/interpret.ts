/**
 * `analysis/interpret`: the linear interpreter (LinearScope) of a model at one input. Plain data:
 * vectors are number arrays in the model's own layout (NCHW for an NCHW model), flattened.
 */
import type { DatasetParams } from './data';

export type SmoothRule = 'secant' | 'tangent';

/** Which input to interpret: a dataset sample by its index in the file, or one image. */
export type InterpretInput =
  | { readonly kind: 'dataset'; readonly dataset: DatasetParams; readonly index: number }
  | { readonly kind: 'image'; readonly path: string };

export interface InterpretParams {
  readonly file: string;
  readonly input: InterpretInput;
  /** Output indices, 'all' or 'none'; default: all for at most 100 outputs. */
  readonly rows?: readonly number[] | 'all' | 'none';
  /** Input indices (flattened, model layout). */
  readonly columns?: readonly number[];
  /** Top singular values/vectors to compute, 0-16. */
  readonly svd?: number;
  readonly smooth?: SmoothRule;
}

export interface InterpretResult {
  /** The model file and the input it was interpreted at. */
  readonly file: string;
  readonly input: InterpretInput;
  /** The input x0 as the model saw it (preprocessed), and its shape in the model's layout. */
  readonly x0: number[];
  readonly inputShape: readonly number[];
  readonly inputLayout: 'nhwc' | 'nchw' | 'flat' | 'other';
  readonly label?: number;
  readonly classNames?: readonly string[];
  /** F(x0) at the logits. */
  readonly output: number[];
  readonly outputShape: readonly number[];
  readonly predicted: number;
  readonly bias: number[];
  /** A·x0. */
  readonly linear: number[];
  readonly rows: { output: number; values: number[] }[];
  readonly columns: { input: number; values: number[] }[];
  readonly singularValues?: number[];
  readonly singularInputVectors?: number[][];
  readonly singularOutputVectors?: number[][];
  /** ‖A·x0 + b − F(x0)‖ / ‖F(x0)‖. */
  readonly residual: number;
  readonly skippedSoftmax?: string;
  readonly gates: Record<string, number>;
  readonly smooth: SmoothRule;
  readonly millis: number;
}

/** Streamed while computing: which stage finished. */
export interface InterpretPartial {
  readonly stage: 'gates' | 'rows' | 'columns' | 'svd';
}
