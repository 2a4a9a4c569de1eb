import { ImageGeometry, pixelIndex } from './image';

/**
 * A small 2-D DFT for NAD spectra and Fourier directions: separable, O(HW(H+W)) with
 * precomputed twiddles, exact for any H and W (the images are small: 28×28, 32×32, ...).
 */

function twiddles(n: number): { cos: Float64Array; sin: Float64Array } {
  const cos = new Float64Array(n);
  const sin = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    cos[k] = Math.cos((2 * Math.PI * k) / n);
    sin[k] = Math.sin((2 * Math.PI * k) / n);
  }
  return { cos, sin };
}

/** DFT of a real h×w image (row-major): F[u, v] = Σ x[y, x]·e^{−2πi(uy/h + vx/w)}; returns re, im row-major. */
export function dft2(img: ArrayLike<number>, h: number, w: number): { re: Float64Array; im: Float64Array } {
  const tw = twiddles(w);
  const th = twiddles(h);
  // rows first: R[y, v] = Σ_x img[y, x]·e^{−2πi vx/w}
  const rRe = new Float64Array(h * w);
  const rIm = new Float64Array(h * w);
  for (let y = 0; y < h; y++) {
    for (let v = 0; v < w; v++) {
      let re = 0;
      let im = 0;
      for (let x = 0; x < w; x++) {
        const k = (v * x) % w;
        const a = img[y * w + x];
        re += a * tw.cos[k];
        im -= a * tw.sin[k];
      }
      rRe[y * w + v] = re;
      rIm[y * w + v] = im;
    }
  }
  const re = new Float64Array(h * w);
  const im = new Float64Array(h * w);
  for (let u = 0; u < h; u++) {
    for (let y = 0; y < h; y++) {
      const k = (u * y) % h;
      const c = th.cos[k];
      const s = th.sin[k];
      for (let v = 0; v < w; v++) {
        const a = rRe[y * w + v];
        const b = rIm[y * w + v];
        // (a + ib)(c − is)
        re[u * w + v] += a * c + b * s;
        im[u * w + v] += b * c - a * s;
      }
    }
  }
  return { re, im };
}

/** Moves the zero frequency to the centre (numpy.fft.fftshift over both axes). */
export function fftshift(a: ArrayLike<number>, h: number, w: number): Float64Array {
  const out = new Float64Array(h * w);
  const sy = Math.floor(h / 2);
  const sx = Math.floor(w / 2);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) out[((y + sy) % h) * w + ((x + sx) % w)] = a[y * w + x];
  return out;
}

/** The signed frequency of DFT index k of n: k, or k − n above n/2 (the Nyquist index stays positive). */
export function signedFrequency(k: number, n: number): number {
  return k > n / 2 ? k - n : k;
}

/** One channel of a sample (model layout) as a row-major h×w image. */
export function channelImage(v: ArrayLike<number>, g: ImageGeometry, ch: number): Float64Array {
  const out = new Float64Array(g.h * g.w);
  for (let y = 0; y < g.h; y++) for (let x = 0; x < g.w; x++) out[y * g.w + x] = v[pixelIndex(g, y, x, ch)];
  return out;
}

/** |F|² of a sample summed over its channels, unshifted (index [u·w + v], u the vertical frequency). */
export function powerSpectrum(v: ArrayLike<number>, g: ImageGeometry): Float64Array {
  const p = new Float64Array(g.h * g.w);
  for (let ch = 0; ch < g.c; ch++) {
    const { re, im } = dft2(channelImage(v, g, ch), g.h, g.w);
    for (let i = 0; i < p.length; i++) p[i] += re[i] * re[i] + im[i] * im[i];
  }
  return p;
}

/** Where the energy of a spectrum sits, each as a share of the total. */
export interface EnergyShares {
  /** The zero frequency. */
  readonly dc: number;
  /**
   * Rings of Chebyshev radius r = max(|fu|, |fv|) over signed frequencies: rings[0] is DC, rings[1]
   * the 8 lowest non-zero frequencies, ...; `lowRings` of them.
   */
  readonly rings: readonly number[];
  /** Both frequencies ≡ 0 (mod 2): the sub-lattice a stride-2 layer aliases onto. */
  readonly mod2: number;
  /** Both frequencies ≡ 0 (mod 4). */
  readonly mod4: number;
  /** The frequency (fu, fv) holding the most energy. */
  readonly peak: { readonly fu: number; readonly fv: number; readonly share: number };
}

/** Energy shares of an unshifted power spectrum. */
export function energyShares(power: ArrayLike<number>, h: number, w: number, lowRings = 4): EnergyShares {
  let total = 0;
  for (let i = 0; i < h * w; i++) total += power[i];
  const inv = total > 0 ? 1 / total : 0;
  const rings = new Array<number>(lowRings).fill(0);
  let mod2 = 0;
  let mod4 = 0;
  let peak = { fu: 0, fv: 0, share: -1 };
  for (let u = 0; u < h; u++) {
    const fu = signedFrequency(u, h);
    for (let v = 0; v < w; v++) {
      const fv = signedFrequency(v, w);
      const e = power[u * w + v] * inv;
      const r = Math.max(Math.abs(fu), Math.abs(fv));
      if (r < lowRings) rings[r] += e;
      if (fu % 2 === 0 && fv % 2 === 0) mod2 += e;
      if (fu % 4 === 0 && fv % 4 === 0) mod4 += e;
      if (e > peak.share) peak = { fu, fv, share: e };
    }
  }
  return { dc: power[0] * inv, rings, mod2, mod4, peak };
}

/**
 * The unit Fourier direction of frequency (fu, fv) on an image, in the model's layout: the
 * reference code's irfft of an imaginary unit coefficient, i.e. sin(2π(fu·y/h + fv·x/w)); where
 * that sine vanishes everywhere (DC and the Nyquist corners) the cosine. The same pattern on every
 * channel, normalised over the whole sample.
 */
export function fourierDirection(g: ImageGeometry, fu: number, fv: number): Float32Array {
  const out = new Float32Array(g.h * g.w * g.c);
  const make = (f: (t: number) => number) => {
    let norm = 0;
    for (let y = 0; y < g.h; y++) {
      for (let x = 0; x < g.w; x++) {
        const val = f(2 * Math.PI * ((fu * y) / g.h + (fv * x) / g.w));
        for (let ch = 0; ch < g.c; ch++) out[pixelIndex(g, y, x, ch)] = val;
        norm += val * val * g.c;
      }
    }
    return norm;
  };
  let norm = make(Math.sin);
  if (norm < 1e-9 * out.length) norm = make(Math.cos);
  const s = 1 / Math.sqrt(norm);
  for (let i = 0; i < out.length; i++) out[i] *= s;
  return out;
}
