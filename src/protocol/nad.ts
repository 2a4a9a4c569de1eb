/**
 * `analysis/nad` and `analysis/nadMap`: neural anisotropy directions of an architecture and its
 * directional accuracy map. Plain data: vectors are number arrays in the model's own layout.
 */

export type NadInitScheme = 'pytorch' | 'keras' | 'he' | 'glorot';

export interface NadParams {
  readonly file: string;
  /** Freshly initialised networks (default 1000). */
  readonly networks?: number;
  /** Initialiser; default: the model's framework's. */
  readonly init?: NadInitScheme;
  /** Score index of the output (default 0). */
  readonly output?: number;
  readonly seed?: number;
  /** NADs returned with their vectors and spectra (default 16). */
  readonly top?: number;
}

export interface NadEnergy {
  readonly dc: number;
  readonly rings: number[];
  readonly mod2: number;
  readonly mod4: number;
  readonly peak: { readonly fu: number; readonly fv: number; readonly share: number };
}

export interface NadResult {
  readonly file: string;
  /** The model's input shape and layout, and its reading as an image. */
  readonly inputShape: readonly number[];
  readonly inputLayout: 'nhwc' | 'nchw' | 'flat' | 'other';
  readonly image: { readonly h: number; readonly w: number; readonly c: number };
  readonly scheme: NadInitScheme;
  readonly networks: number;
  readonly outputIndex: number;
  readonly seed: number;
  readonly method: string;
  /** Variance along each principal direction, descending. */
  readonly eigenvalues: number[];
  readonly totalVariance: number;
  /** Unit vectors, model layout. */
  readonly nads: number[][];
  /** Share of the total variance per NAD. */
  readonly explained: number[];
  /** Fourier magnitude per NAD, fftshifted, h × w row-major. */
  readonly spectra: number[][];
  readonly fourierEnergy: NadEnergy[];
  readonly millis: number;
}

export interface NadPartial {
  readonly stage: 'gradients' | 'pca';
}

export interface NadMapParams {
  readonly file: string;
  /** Fourier grid points per axis (default 4). */
  readonly grid?: number;
  /** Training samples per direction (default 10000; the test set has as many). */
  readonly samples?: number;
  readonly epochs?: number;
  readonly init?: NadInitScheme;
  readonly seed?: number;
  /** JSON file keeping each direction's result, so an interrupted run resumes. */
  readonly cacheFile?: string;
}

export interface NadMapDirection {
  readonly row: number;
  readonly col: number;
  readonly fu: number;
  readonly fv: number;
  readonly key: string;
}

export interface NadMapResult {
  readonly file: string;
  readonly grid: number;
  readonly rowFrequencies: number[];
  readonly colFrequencies: number[];
  readonly directions: NadMapDirection[];
  /** Test accuracy per direction, in `directions` order. */
  readonly accuracy: number[];
  readonly testLoss: number[];
  readonly cached: number;
  readonly cacheFile?: string;
  readonly millis: number;
}

/** Streamed: one direction's result as soon as it is known. */
export interface NadMapPartial {
  readonly index: number;
  readonly row: number;
  readonly col: number;
  readonly fu: number;
  readonly fv: number;
  readonly accuracy: number;
  readonly cached: boolean;
  readonly total: number;
}
