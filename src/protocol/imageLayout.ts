/** Pure helpers shared by the CLI figures and the extension panels: model-layout vectors as HWC images. */
/** A flat vector shown as an image: height × width × channels, channels last. */
export interface ImageView {
  readonly height: number;
  readonly width: number;
  readonly channels: number;
  readonly values: Float32Array;
}

/**
 * Lays out a vector of the model's input as an image. NCHW and NHWC samples are shown as they
 * are (NCHW transposed to channels last); a flat vector of a square size becomes a square
 * gray image, anything else one row.
 */
export function asImage(v: ArrayLike<number>, shape: readonly number[], layout: string): ImageView {
  const n = v.length;
  if (shape.length === 3) {
    const chw = layout === 'nchw' || (layout !== 'nhwc' && shape[0] <= 4 && shape[2] > 4);
    const [h, w, c] = chw ? [shape[1], shape[2], shape[0]] : [shape[0], shape[1], shape[2]];
    const out = new Float32Array(n);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        for (let k = 0; k < c; k++) out[(y * w + x) * c + k] = chw ? v[(k * h + y) * w + x] : v[(y * w + x) * c + k];
      }
    }
    return { height: h, width: w, channels: c, values: out };
  }
  if (shape.length === 2) return { height: shape[0], width: shape[1], channels: 1, values: Float32Array.from(v) };
  const side = Math.round(Math.sqrt(n));
  if (side * side === n) return { height: side, width: side, channels: 1, values: Float32Array.from(v) };
  return { height: 1, width: n, channels: 1, values: Float32Array.from(v) };
}

/** Sums the channels of an image (a vote map of an RGB input shown as one map). */
export function channelSum(img: ImageView): ImageView {
  if (img.channels === 1) return img;
  const out = new Float32Array(img.height * img.width);
  for (let i = 0; i < out.length; i++) {
    let s = 0;
    for (let k = 0; k < img.channels; k++) s += img.values[i * img.channels + k];
    out[i] = s;
  }
  return { height: img.height, width: img.width, channels: 1, values: out };
}
