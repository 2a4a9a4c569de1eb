import { Graph } from '../../graph/ir';
import { InitScheme, resolveScheme } from '../../init';
import { WorkContext } from '../../progress';
import { EnergyShares, energyShares, fftshift, powerSpectrum } from './fourier';
import { finiteDifferenceGradients } from './gradients';
import { ImageGeometry, imageGeometry } from './image';
import { pca } from './pca';

export interface NadOptions {
  /** Freshly initialised networks (default 1,000; the reference used 10,000). */
  readonly networks?: number;
  /** Initialiser; 'auto' (default) follows the model's framework. */
  readonly scheme?: InitScheme | 'auto';
  readonly seed?: number;
  /** Finite-difference step (default 100). */
  readonly step?: number;
  /** Evaluation point, model layout (default N(0, I) from the seed). */
  readonly x0?: Float32Array;
  /** Score index of the output (default 0: the first logit; a final softmax is skipped). */
  readonly outputIndex?: number;
  /** Perturbed inputs per executor run (default 2048). */
  readonly batchSize?: number;
  /** NADs returned with image and spectrum (default 64); the eigenvalue spectrum is whole when exact. */
  readonly components?: number;
  /** Largest min(N, D) decomposed exactly (default 1536); above, randomised SVD. */
  readonly exactLimit?: number;
  /** Reads a flat input as this [H, W, C] image. */
  readonly imageShape?: readonly [number, number, number];
  /** Chebyshev rings reported in the energy shares (default 4: DC and rings 1-3). */
  readonly rings?: number;
  /** Also return the raw gradients (N × D). */
  readonly keepGradients?: boolean;
  /** Worker threads for the networks' gradients (default: LINEAR_LENS_WORKERS, else one per core; 1: none). */
  readonly workers?: number;
}

/** One neural anisotropy direction. */
export interface Nad {
  readonly index: number;
  /** Variance of the gradients along it. */
  readonly eigenvalue: number;
  /** Its share of the total variance. */
  readonly explained: number;
  /** Unit vector in the model's own input layout. */
  readonly vector: Float32Array;
  /** 2-D Fourier magnitude √(Σ_c |F_c|²), fftshifted (zero frequency at (⌊H/2⌋, ⌊W/2⌋)), H×W row-major. */
  readonly spectrum: Float32Array;
  readonly energy: EnergyShares;
}

export interface NadResult {
  readonly geometry: ImageGeometry;
  readonly scheme: InitScheme;
  readonly networks: number;
  readonly step: number;
  readonly outputIndex: number;
  readonly seed: number;
  readonly x0: Float32Array;
  /** Variance along each principal direction, descending (whole spectrum when exact). */
  readonly eigenvalues: Float64Array;
  /** Singular values of the centred gradients (what the reference code saved as "eigenvals"). */
  readonly singularValues: Float64Array;
  readonly totalVariance: number;
  readonly method: 'gram' | 'covariance' | 'randomized';
  readonly nads: Nad[];
  /** N × D, only with keepGradients. */
  readonly gradients?: Float32Array;
  readonly timings: { readonly gradientsMs: number; readonly pcaMs: number };
}

/** The spectrum and energy shares of one vector on an image. */
export function spectrumOf(v: ArrayLike<number>, g: ImageGeometry, rings = 4): { spectrum: Float32Array; energy: EnergyShares } {
  const power = powerSpectrum(v, g);
  return { spectrum: Float32Array.from(fftshift(power.map(Math.sqrt), g.h, g.w)), energy: energyShares(power, g.h, g.w, rings) };
}

/**
 * Neural anisotropy directions of an architecture (METHODS §4): finite-difference gradients
 * (step s, default 100) of many freshly initialised networks at one shared x0, their principal
 * components sorted by variance, each with its Fourier magnitude and where its energy sits.
 */
export async function computeNads(graph: Graph, opts: NadOptions = {}, ctx?: WorkContext): Promise<NadResult> {
  const geometry = imageGeometry(graph, opts.imageShape);
  const scheme = resolveScheme(graph, opts.scheme);
  const seed = opts.seed ?? 0;
  const step = opts.step ?? 100;
  const outputIndex = opts.outputIndex ?? 0;
  const t0 = performance.now();
  const { gradients, x0, networks } = await finiteDifferenceGradients(
    graph,
    { networks: opts.networks, scheme, seed, step, x0: opts.x0, outputIndex, batchSize: opts.batchSize, span: { from: 0, to: 0.95 }, workers: opts.workers },
    ctx,
  );
  const t1 = performance.now();
  ctx?.progress?.(0.95, 'principal components');
  const d = gradients.length / networks;
  const p = pca(gradients, networks, d, { components: opts.components ?? 64, exactLimit: opts.exactLimit, seed });
  const nads: Nad[] = p.components.map((vector, index) => ({
    index,
    eigenvalue: p.eigenvalues[index],
    explained: p.totalVariance > 0 ? p.eigenvalues[index] / p.totalVariance : 0,
    vector,
    ...spectrumOf(vector, geometry, opts.rings),
  }));
  const t2 = performance.now();
  ctx?.progress?.(1, 'done');
  return {
    geometry,
    scheme,
    networks,
    step,
    outputIndex,
    seed,
    x0,
    eigenvalues: p.eigenvalues,
    singularValues: p.singularValues,
    totalVariance: p.totalVariance,
    method: p.method,
    nads,
    ...(opts.keepGradients ? { gradients } : {}),
    timings: { gradientsMs: t1 - t0, pcaMs: t2 - t1 },
  };
}
