/**
 * The Graph IR: one small representation for every model format, so every analysis is written once.
 *
 * Conventions (the loaders guarantee them, the executor relies on them):
 * - Node shapes exclude the batch dimension and are in the internal layout, NHWC (channels last).
 *   A model whose own layout is NCHW (most ONNX files) gets explicit `transpose` nodes at its
 *   edges, so its inputs and outputs keep the model's own layout.
 * - `nodes` are in topological order; every input of a node appears before it.
 * - Parameters are plain float32 arrays with a role, so interpolation, permutation and
 *   re-initialisation need no per-format code. The executor turns them into tensors.
 *
 * The op set is documented in OPS.md beside this file; `OpSpec` below is its type.
 */

/** Padding of a windowed op: TF-style 'same' / 'valid', or explicit amounts per side. */
export type Padding = 'same' | 'valid' | ExplicitPadding;
export interface ExplicitPadding {
  readonly top: number;
  readonly bottom: number;
  readonly left: number;
  readonly right: number;
}

export type Pair = readonly [number, number];

/** Every operation of the IR. Attributes only; tensors are parameters or inputs. */
export type OpSpec =
  | { readonly op: 'input'; readonly index: number }
  | { readonly op: 'identity' }
  // affine, parametrised
  | { readonly op: 'dense' } // kernel [in, out], bias? [out]; acts on the last axis
  | {
      readonly op: 'conv2d';
      readonly strides: Pair;
      readonly padding: Padding;
      readonly dilations: Pair;
      readonly groups: number;
    } // kernel [kh, kw, cin / groups, cout], bias? [cout]
  | {
      readonly op: 'depthwiseConv2d';
      readonly strides: Pair;
      readonly padding: Padding;
      readonly dilations: Pair;
    } // kernel [kh, kw, cin, multiplier], bias? [cin * multiplier]
  | { readonly op: 'batchNorm'; readonly epsilon: number } // gamma?, beta?, movingMean, movingVariance over the last axis
  | { readonly op: 'layerNorm'; readonly axes: readonly number[]; readonly epsilon: number } // gamma?, beta?; axes exclude batch (0-based over the sample)
  | { readonly op: 'instanceNorm'; readonly epsilon: number } // gamma?, beta? per channel; statistics over H, W
  // elementwise and structure
  | { readonly op: 'add' | 'sub' | 'mul' | 'div' | 'maximum' | 'minimum' } // n inputs (sub/div: 2), broadcasting; a `constant` param is one more operand
  | { readonly op: 'concat'; readonly axis: number } // axis of the sample (batch excluded), negative counts from the end
  | { readonly op: 'flatten'; readonly order: 'nhwc' | 'nchw' } // 'nchw': flatten as the model's NCHW tensor would (channels outermost)
  | { readonly op: 'reshape'; readonly shape: readonly number[] } // target sample shape, row-major over the current layout
  | { readonly op: 'transpose'; readonly perm: readonly number[] } // permutation of the sample axes (batch excluded)
  | { readonly op: 'pad'; readonly pads: readonly Pair[]; readonly value: number } // [before, after] per sample axis
  | { readonly op: 'maxPool'; readonly poolSize: Pair; readonly strides: Pair; readonly padding: Padding }
  | {
      readonly op: 'avgPool';
      readonly poolSize: Pair;
      readonly strides: Pair;
      readonly padding: Padding;
      readonly countIncludePad: boolean;
    }
  | { readonly op: 'globalAvgPool' | 'globalMaxPool'; readonly keepDims: boolean }
  | { readonly op: 'upsample'; readonly size: Pair; readonly mode: 'nearest' | 'bilinear' }
  // activations
  | { readonly op: 'relu' | 'sigmoid' | 'tanh' | 'silu' | 'softplus' | 'selu' | 'softsign' }
  | { readonly op: 'leakyRelu'; readonly alpha: number }
  | { readonly op: 'prelu' } // alpha param, broadcast over the sample
  | { readonly op: 'clip'; readonly min: number; readonly max: number } // relu6 = clip(0, 6)
  | { readonly op: 'hardSigmoid'; readonly alpha: number; readonly beta: number } // clip(alpha * x + beta, 0, 1)
  | { readonly op: 'elu'; readonly alpha: number }
  | { readonly op: 'gelu'; readonly approximate: boolean }
  | { readonly op: 'softmax'; readonly axis: number }; // axis of the sample, negative from the end

export type OpName = OpSpec['op'];
export type OpOf<N extends OpName> = Extract<OpSpec, { op: N }>;

/** What a parameter is; decides how interpolation, permutation and re-initialisation treat it. */
export type ParamRole =
  | 'kernel'
  | 'bias'
  | 'gamma'
  | 'beta'
  | 'movingMean'
  | 'movingVariance'
  | 'alpha'
  | 'constant';

/** Slots through which a node refers to its parameters. */
export type ParamSlot = 'kernel' | 'bias' | 'gamma' | 'beta' | 'movingMean' | 'movingVariance' | 'alpha' | 'constant';

export interface Param {
  readonly key: string;
  readonly role: ParamRole;
  readonly shape: readonly number[];
  /** float32, row-major over `shape` (internal layout: conv kernels HWIO, dense kernels [in, out]). */
  readonly data: Float32Array;
  /** False for batch-norm statistics and constants. */
  readonly trainable: boolean;
}

export interface Node {
  /** Unique within the graph; stable across loads of the same file. */
  readonly id: string;
  readonly op: OpSpec;
  /** Ids of the nodes whose outputs feed this one, in order. */
  readonly inputs: readonly string[];
  readonly params: Readonly<Partial<Record<ParamSlot, string>>>;
  /** Output shape without the batch dimension, internal layout. */
  readonly shape: readonly number[];
  /** The model's own layer / node name this node came from (several IR nodes may share one). */
  readonly layer: string;
  /** The model's own class or op of that layer ("Conv2D", "Gemm", ...), for tables and messages. */
  readonly layerType?: string;
  /** Only for 'constant' operands of sub/div: true when the constant is the left operand. */
  readonly constantFirst?: boolean;
}

export type ModelFormat = 'tfjs-layers' | 'keras-v3' | 'keras-h5' | 'onnx';
export type Framework = 'keras' | 'pytorch' | 'tensorflow' | 'tfjs' | 'chainer' | 'unknown';

export interface Producer {
  readonly framework: Framework;
  /** The producing tool as the file names it, e.g. "keras 2.14.0", "pytorch 2.2.1". */
  readonly name: string;
  readonly version?: string;
}

export type Layout = 'nhwc' | 'nchw' | 'flat' | 'other';

/** A model input or output as the model itself sees it (its own layout, batch dimension first). */
export interface Port {
  readonly name: string;
  /** The IR node: the input node for inputs, the producing node for outputs. */
  readonly node: string;
  /** Shape in the model's own layout; null for the batch and other free dimensions. */
  readonly shape: readonly (number | null)[];
  readonly layout: Layout;
}

export interface Graph {
  /** Absolute path of the file this graph was loaded from. */
  readonly file: string;
  readonly format: ModelFormat;
  readonly producer: Producer;
  readonly name: string;
  readonly inputs: readonly Port[];
  readonly outputs: readonly Port[];
  /** Topological order. */
  readonly nodes: readonly Node[];
  readonly params: ReadonlyMap<string, Param>;
  /** Things the user should know: ignored training config, vanished dropout, ... */
  readonly warnings: readonly string[];
  /**
   * Every weight element stored in the file, the optimizer's excluded (batch-norm statistics
   * included; for ONNX every initializer element). Can exceed the sum of `params` when a loader
   * folds or drops stored tensors.
   */
  readonly storedParamCount: number;
}

/** Number of elements of a shape (1 for a scalar). */
export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}
