/**
 * The shape of a model as the host describes it (`model/describe`). Plain data, no imports, so the
 * extension and the webview can use it without pulling in core or TensorFlow.js; the host checks
 * at compile time that core's summary is assignable to it.
 */

export type ModelFormat = 'tfjs-layers' | 'keras-v3' | 'keras-h5' | 'onnx';
export type Framework = 'keras' | 'pytorch' | 'tensorflow' | 'tfjs' | 'chainer' | 'unknown';
export type Layout = 'nhwc' | 'nchw' | 'flat' | 'other';

export interface Producer {
  readonly framework: Framework;
  /** The producing tool as the file names it, e.g. "keras 2.14.0". */
  readonly name: string;
  readonly version?: string;
}

/** A model input or output in the model's own layout, batch first; null marks a free dimension. */
export interface Port {
  readonly name: string;
  readonly node: string;
  readonly shape: readonly (number | null)[];
  readonly layout: Layout;
}

/** One row of the layer table. */
export interface LayerRow {
  readonly name: string;
  readonly type: string;
  /** IR ops the layer became, e.g. ["conv2d", "relu"]. */
  readonly ops: readonly string[];
  /** Output sample shape (no batch) in the internal NHWC layout. */
  readonly outputShape: readonly number[];
  readonly params: number;
}

export interface ModelSummary {
  /** Absolute path of the model file. */
  readonly file: string;
  /** Decided from the file's content, never its name. */
  readonly format: ModelFormat;
  readonly producer: Producer;
  readonly name: string;
  readonly inputs: readonly Port[];
  readonly outputs: readonly Port[];
  readonly layers: readonly LayerRow[];
  /** Every weight element stored in the file (batch-norm statistics included). */
  readonly paramCount: number;
  /** Elements of the parameters the graph keeps; lower when stored tensors were folded or unused. */
  readonly graphParamCount: number;
  readonly warnings: readonly string[];
}

/** `model/describe`: loads a model file and summarises it. */
export interface DescribeParams {
  /** Absolute path, or relative to the host's working folder. */
  readonly file: string;
}

export type DescribeResult = ModelSummary;
