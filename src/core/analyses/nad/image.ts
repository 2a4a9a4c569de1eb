import { UserError } from '../../errors';
import { Graph, sizeOf } from '../../graph/ir';

/**
 * How a model's input sample reads as an image: height, width, channels, and where pixel
 * (y, x, c) sits in the sample in the model's own layout. NAD images, their spectra and the
 * Fourier directions all go through this.
 */
export interface ImageGeometry {
  readonly h: number;
  readonly w: number;
  readonly c: number;
  /** 'nhwc': [H, W, C]; 'nchw': [C, H, W]; 'flat': a flattened single-channel H×W image. */
  readonly layout: 'nhwc' | 'nchw' | 'flat';
  /** The model's own sample shape. */
  readonly sampleShape: readonly number[];
}

/** Flat index of pixel (y, x) of channel ch in the model's own sample layout. */
export function pixelIndex(g: ImageGeometry, y: number, x: number, ch: number): number {
  return g.layout === 'nchw' ? (ch * g.h + y) * g.w + x : (y * g.w + x) * g.c + ch;
}

/**
 * The image geometry of a graph's first input: rank 3 by the port's layout (NCHW for ONNX image
 * models, else NHWC), rank 2 as one channel, rank 1 as a square single-channel image when its
 * size is a square (784 → 28×28), else a 1×D strip. `override` ([H, W, C]) forces a reading (a
 * flat input is then taken as H×W×C in that order).
 */
export function imageGeometry(graph: Graph, override?: readonly [number, number, number]): ImageGeometry {
  const port = graph.inputs[0];
  const node = graph.nodes.find((n) => n.id === port.node)!;
  const s = node.shape;
  const d = sizeOf(s);
  if (override) {
    const [h, w, c] = override;
    if (h * w * c !== d) throw new UserError(`${graph.file}: an image of ${h}×${w}×${c} does not fit the model's input of ${d} values ([${s.join(', ')}]).`, graph.file);
    if (s.length === 3) return port.layout === 'nchw' ? { h, w, c, layout: 'nchw', sampleShape: s } : { h, w, c, layout: 'nhwc', sampleShape: s };
    return { h, w, c, layout: c === 1 ? 'flat' : 'nhwc', sampleShape: s };
  }
  if (s.length === 3) {
    if (port.layout === 'nchw') return { h: s[1], w: s[2], c: s[0], layout: 'nchw', sampleShape: s };
    return { h: s[0], w: s[1], c: s[2], layout: 'nhwc', sampleShape: s };
  }
  if (s.length === 2) return { h: s[0], w: s[1], c: 1, layout: 'flat', sampleShape: s };
  if (s.length === 1) {
    const r = Math.round(Math.sqrt(d));
    return r * r === d ? { h: r, w: r, c: 1, layout: 'flat', sampleShape: s } : { h: 1, w: d, c: 1, layout: 'flat', sampleShape: s };
  }
  throw new UserError(`${graph.file}: the model's input has shape [${s.join(', ')}]; neural anisotropy directions need an image (H×W×C) or a flat input.`, graph.file);
}
