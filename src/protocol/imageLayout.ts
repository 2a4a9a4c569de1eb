/** Pure helpers shared by the CLI figures and the extension panels: model-layout vectors as HWC images. */
/** A flat vector shown as an image: height × width × channels, channels last. */
export interface ImageView {
  readonly height: number;
  readonly width: number;
  readonly channels: number;
  readonly values: Float32Array;
}

/** How a vector of per-sample shape `shape` and `n` values is shown: its image size, and whether it is stored channels-first. */
export interface ImageGeometry {
  readonly height: number;
  readonly width: number;
  readonly channels: number;
  readonly chw: boolean;
}

/**
 * The image a vector is shown as: NCHW and NHWC samples as they are (NCHW transposed to channels
 * last); a flat vector of a square size a square gray image, anything else one row.
 */
export function imageGeometry(n: number, shape: readonly number[], layout: string): ImageGeometry {
  if (shape.length === 3) {
    const chw = layout === 'nchw' || (layout !== 'nhwc' && shape[0] <= 4 && shape[2] > 4);
    const [height, width, channels] = chw ? [shape[1], shape[2], shape[0]] : [shape[0], shape[1], shape[2]];
    return { height, width, channels, chw };
  }
  if (shape.length === 2) return { height: shape[0], width: shape[1], channels: 1, chw: false };
  const side = Math.round(Math.sqrt(n));
  return side * side === n ? { height: side, width: side, channels: 1, chw: false } : { height: 1, width: n, channels: 1, chw: false };
}

/** Lays out a vector of the model's input (or output) as an image, as imageGeometry says. */
export function asImage(v: ArrayLike<number>, shape: readonly number[], layout: string): ImageView {
  const n = v.length;
  const { height: h, width: w, channels: c, chw } = imageGeometry(n, shape, layout);
  if (!chw) return { height: h, width: w, channels: c, values: Float32Array.from(v) };
  const out = new Float32Array(n);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (let k = 0; k < c; k++) out[(y * w + x) * c + k] = v[(k * h + y) * w + x];
    }
  }
  return { height: h, width: w, channels: c, values: out };
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
