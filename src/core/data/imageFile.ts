import * as fs from 'node:fs';
import { decode as decodeJpeg } from 'jpeg-js';
import { PNG } from 'pngjs';
import { UserError } from '../errors';
import { imageKind } from './imageHeader';
import type { Preprocess, SampleSource } from './types';

/** Images larger than this many pixels are refused before decoding. */
const MAX_PIXELS = 64 * 1024 * 1024;

/** Nearest channel count and size the model wants, from the preprocessing target shape (HWC or CHW). */
function target(p: Preprocess | undefined): { h: number; w: number; c: number } | undefined {
  const s = p?.shape;
  if (!s || s.length !== 3) return undefined;
  const chw = p?.layout === 'nchw' || (s[0] <= 4 && s[2] > 4);
  const [h, w, c] = chw ? [s[1], s[2], s[0]] : [s[0], s[1], s[2]];
  return h > 0 && w > 0 && c > 0 ? { h, w, c } : undefined;
}

/** Bilinear resampling of an HWC image (half-pixel centres), for a picture whose size is not the model's. */
function resize(src: Float32Array, h: number, w: number, c: number, oh: number, ow: number): Float32Array {
  const out = new Float32Array(oh * ow * c);
  for (let y = 0; y < oh; y++) {
    const fy = Math.min(Math.max(((y + 0.5) * h) / oh - 0.5, 0), h - 1);
    const y0 = Math.floor(fy);
    const y1 = Math.min(y0 + 1, h - 1);
    const dy = fy - y0;
    for (let x = 0; x < ow; x++) {
      const fx = Math.min(Math.max(((x + 0.5) * w) / ow - 0.5, 0), w - 1);
      const x0 = Math.floor(fx);
      const x1 = Math.min(x0 + 1, w - 1);
      const dx = fx - x0;
      for (let k = 0; k < c; k++) {
        const a = src[(y0 * w + x0) * c + k] * (1 - dx) + src[(y0 * w + x1) * c + k] * dx;
        const b = src[(y1 * w + x0) * c + k] * (1 - dx) + src[(y1 * w + x1) * c + k] * dx;
        out[(y * ow + x) * c + k] = a * (1 - dy) + b * dy;
      }
    }
  }
  return out;
}

/**
 * One PNG or JPEG as a one-sample dataset (an input picked for the linear interpreter). The
 * picture is made to fit the model: RGB becomes gray (luma) for a one-channel model, gray is
 * repeated for a three-channel one, and a different size is resampled bilinearly. Values stay
 * 0-255; the usual 1/255 scale applies.
 */
export function openImageFile(file: string, p: Preprocess | undefined): SampleSource {
  const bytes = fs.readFileSync(file);
  const kind = imageKind(bytes.subarray(0, 16));
  if (!kind) throw new UserError(`${file}: is not a PNG or JPEG image.`, file);
  let img: { width: number; height: number; data: Uint8Array };
  try {
    img = kind === 'png' ? PNG.sync.read(bytes) : decodeJpeg(bytes, { useTArray: true, formatAsRGBA: true, maxMemoryUsageInMB: 512 });
  } catch (e) {
    throw new UserError(`${file}: cannot decode the image (${e instanceof Error ? e.message : String(e)}).`, file);
  }
  const { width: w, height: h, data } = img;
  if (w * h === 0 || w * h > MAX_PIXELS) throw new UserError(`${file}: the image is ${w}x${h}; Linear Lens takes images of 1 to ${MAX_PIXELS} pixels.`, file);
  let gray = true;
  for (let i = 0; i < w * h && gray; i++) gray = data[i * 4] === data[i * 4 + 1] && data[i * 4] === data[i * 4 + 2];
  const want = target(p);
  const c = want?.c === 1 ? 1 : want?.c === 3 ? 3 : gray ? 1 : 3;
  let pixels: Float32Array = new Float32Array(w * h * c);
  for (let i = 0; i < w * h; i++) {
    const r = data[i * 4];
    const g = data[i * 4 + 1];
    const b = data[i * 4 + 2];
    if (c === 1) pixels[i] = gray ? r : 0.299 * r + 0.587 * g + 0.114 * b;
    else pixels.set([r, g, b], i * 3);
  }
  let [oh, ow] = [h, w];
  if (want && (want.h !== h || want.w !== w)) {
    pixels = resize(pixels, h, w, c, want.h, want.w);
    [oh, ow] = [want.h, want.w];
  }
  const sample = pixels;
  return {
    file,
    size: 1,
    sampleShape: [oh, ow, c],
    layout: 'hwc',
    defaultScale: 1 / 255,
    read: async (indices) => {
      const out = new Float32Array(indices.length * sample.length);
      indices.forEach((_, k) => out.set(sample, k * sample.length));
      return out;
    },
    close: () => undefined,
  };
}
