import { ExplicitPadding, Padding, Pair } from '../../../graph/ir';
import { toFloat, transposeConst } from '../consts';
import { Ctx, NodeValue } from '../context';
import { channelsLast } from '../layout';
import { OnnxNode } from '../proto';
import { Convert, setNode, staticInts } from './common';

/** A 4-D runtime input of a spatial op, with its ONNX height and width. */
function spatialInput(ctx: Ctx, node: OnnxNode): { x: NodeValue; h: number; w: number } {
  const x = ctx.nodeIn(node, 0);
  if (x.perm.length !== 4) throw ctx.fail(node, `its input has rank ${x.perm.length}; Linear Lens supports 2-D spatial ops on 4-D (N, C, H, W) tensors only`);
  const [, h, w] = ctx.sampleDims(x);
  return { x, h, w };
}

function pair(ctx: Ctx, node: OnnxNode, name: string, def: Pair, min: number): Pair {
  const v = ctx.attrs(node).ints(name);
  if (v === undefined) return def;
  if (v.length !== 2 || v.some((d) => !Number.isSafeInteger(d) || d < min)) throw ctx.fail(node, `attribute ${name} = [${v}] is not two integers >= ${min}`);
  return [v[0], v[1]];
}

/** Explicit per-side padding from `pads` or `auto_pad`, as ONNX defines them. */
function windowPads(ctx: Ctx, node: OnnxNode, size: Pair, k: Pair, s: Pair, d: Pair): ExplicitPadding {
  const pads = windowPadsAsWritten(ctx, node, size, k, s, d);
  // A window far wider than its input, or padding wider than input and window together, reaches
  // nothing but padding and can ask for gigabytes of it: a damaged file, refused before it runs.
  for (const i of [0, 1] as const) {
    const span = d[i] * (k[i] - 1) + 1;
    if (span > 2 * size[i] + 1) throw ctx.fail(node, `its ${k[i]}-tap window with dilation ${d[i]} spans ${span} pixels of an input ${size[i]} wide`);
    const [before, after] = i === 0 ? [pads.top, pads.bottom] : [pads.left, pads.right];
    if (before > size[i] + span || after > size[i] + span) throw ctx.fail(node, `its padding of ${Math.max(before, after)} is wider than its input (${size[i]}) and window (${span}) together`);
  }
  return pads;
}

function windowPadsAsWritten(ctx: Ctx, node: OnnxNode, size: Pair, k: Pair, s: Pair, d: Pair): ExplicitPadding {
  const auto = ctx.attrs(node).string('auto_pad', 'NOTSET');
  if (auto === 'VALID') return { top: 0, bottom: 0, left: 0, right: 0 };
  if (auto === 'SAME_UPPER' || auto === 'SAME_LOWER') {
    const side = (i: 0 | 1): [number, number] => {
      const eff = d[i] * (k[i] - 1) + 1;
      const total = Math.max((Math.ceil(size[i] / s[i]) - 1) * s[i] + eff - size[i], 0);
      const small = Math.floor(total / 2);
      return auto === 'SAME_UPPER' ? [small, total - small] : [total - small, small];
    };
    const [top, bottom] = side(0);
    const [left, right] = side(1);
    return { top, bottom, left, right };
  }
  if (auto !== 'NOTSET') throw ctx.fail(node, `unknown auto_pad "${auto}"`);
  const p = ctx.attrs(node).ints('pads') ?? [0, 0, 0, 0];
  if (p.length !== 4 || p.some((v) => !Number.isSafeInteger(v) || v < 0)) throw ctx.fail(node, `pads = [${p}] is not four non-negative integers`);
  return { top: p[0], left: p[1], bottom: p[2], right: p[3] };
}

function asPadding(p: ExplicitPadding): Padding {
  return p.top === 0 && p.bottom === 0 && p.left === 0 && p.right === 0 ? 'valid' : p;
}

function conv(ctx: Ctx, node: OnnxNode): void {
  const { x, h, w } = spatialInput(ctx, node);
  const wt = ctx.constIn(node, 1, 'weight');
  if (wt.dims.length !== 4) throw ctx.fail(node, `its weight has shape [${wt.dims}]; Linear Lens supports 2-D convolutions (O, I, kH, kW)`);
  const [o, , kh, kw] = wt.dims;
  const a = ctx.attrs(node);
  const ks = a.ints('kernel_shape');
  if (ks && (ks.length !== 2 || ks[0] !== kh || ks[1] !== kw)) throw ctx.fail(node, `kernel_shape [${ks}] disagrees with the weight [${wt.dims}]`);
  const groups = a.int('group', 1);
  if (!Number.isSafeInteger(groups) || groups < 1) throw ctx.fail(node, `group = ${groups} is not a positive integer`);
  const strides = pair(ctx, node, 'strides', [1, 1], 1);
  const dilations = pair(ctx, node, 'dilations', [1, 1], 1);
  const pads = windowPads(ctx, node, [h, w], [kh, kw], strides, dilations);
  // ONNX kernels are OIHW; the IR's are HWIO.
  const kernel = ctx.fold(node, () => toFloat(transposeConst(wt, [2, 3, 1, 0])));
  const params: { kernel: string; bias?: string } = { kernel: ctx.param(node.inputs[1], 'kernel', kernel.dims, kernel.data) };
  const b = ctx.optConst(node, 2, 'bias');
  if (b) {
    if (b.data.length !== o) throw ctx.fail(node, `its bias has ${b.data.length} values for ${o} output channels`);
    params.bias = ctx.param(node.inputs[2], 'bias', [o], ctx.fold(node, () => toFloat(b)).data);
  }
  const id = ctx.emit(node, { op: 'conv2d', strides, padding: asPadding(pads), dilations, groups }, [ctx.nhwc(x)], params);
  setNode(ctx, node, id, channelsLast(4));
}

/**
 * With ceil_mode the last window may hang past the input; it is kept only when it starts inside
 * the input or the leading padding (PyTorch's and onnxruntime's rule). The overhang is returned.
 */
function ceilExtra(size: number, k: number, s: number, before: number, after: number): number {
  const span = size + before + after - k;
  let out = Math.ceil(span / s) + 1;
  if ((out - 1) * s >= size + before) out--;
  return Math.max(0, (out - 1) * s + k - (size + before + after));
}

function pool(kind: 'max' | 'avg'): Convert {
  return (ctx, node) => {
    const { x, h, w } = spatialInput(ctx, node);
    const a = ctx.attrs(node);
    const ks = a.ints('kernel_shape');
    if (!ks || ks.length !== 2 || ks.some((v) => !Number.isSafeInteger(v) || v < 1)) throw ctx.fail(node, `kernel_shape = [${ks ?? ''}] is not two positive integers (only 2-D pooling is supported)`);
    const k: Pair = [ks[0], ks[1]];
    const strides = pair(ctx, node, 'strides', [1, 1], 1);
    const dil = pair(ctx, node, 'dilations', [1, 1], 1);
    if (dil[0] !== 1 || dil[1] !== 1) throw ctx.fail(node, `dilated pooling (dilations [${dil}]) is not supported`);
    if (ctx.used(node.outputs[1])) throw ctx.fail(node, 'its Indices output is used; not supported');
    const p = windowPads(ctx, node, [h, w], k, strides, dil);
    const ceil = a.int('ceil_mode', 0) === 1;
    const eh = ceil ? ceilExtra(h, k[0], strides[0], p.top, p.bottom) : 0;
    const ew = ceil ? ceilExtra(w, k[1], strides[1], p.left, p.right) : 0;
    const inId = ctx.nhwc(x);
    if (kind === 'max') {
      const padding = asPadding({ ...p, bottom: p.bottom + eh, right: p.right + ew });
      setNode(ctx, node, ctx.emit(node, { op: 'maxPool', poolSize: k, strides, padding }, [inId]), channelsLast(4));
      return;
    }
    const include = a.int('count_include_pad', 0) === 1;
    if (include && (eh > 0 || ew > 0)) {
      // The declared pads count in the divisor, the ceil overhang does not: pad with real zeros
      // first, then average over what is left without counting the overhang.
      let src = inId;
      if (asPadding(p) !== 'valid') src = ctx.emit(node, { op: 'pad', pads: [[p.top, p.bottom], [p.left, p.right], [0, 0]], value: 0 }, [inId], {}, '/pad');
      const padding = asPadding({ top: 0, left: 0, bottom: eh, right: ew });
      setNode(ctx, node, ctx.emit(node, { op: 'avgPool', poolSize: k, strides, padding, countIncludePad: false }, [src]), channelsLast(4));
      return;
    }
    const padding = asPadding({ ...p, bottom: p.bottom + eh, right: p.right + ew });
    setNode(ctx, node, ctx.emit(node, { op: 'avgPool', poolSize: k, strides, padding, countIncludePad: include }, [inId]), channelsLast(4));
  };
}

function globalPool(op: 'globalAvgPool' | 'globalMaxPool'): Convert {
  return (ctx, node) => {
    const { x } = spatialInput(ctx, node);
    // keepDims: ONNX keeps the 1x1 spatial axes, and Flatten / Reshape after it expect them.
    setNode(ctx, node, ctx.emit(node, { op, keepDims: true }, [ctx.nhwc(x)]), channelsLast(4));
  };
}

/** Integer scales of a nearest-neighbour resize, from `scales` or `sizes`. */
function resizeScales(ctx: Ctx, node: OnnxNode, dims: readonly number[]): Pair {
  let scales: number[] | undefined;
  if (node.opType === 'Upsample' && ctx.opset < 9) scales = ctx.attrs(node).floats('scales');
  else {
    const si = node.opType === 'Resize' && ctx.opset >= 11 ? 2 : 1;
    const sc = ctx.optConst(node, si, 'scales');
    if (sc && sc.data.length > 0) scales = Array.from(ctx.fold(node, () => toFloat(sc)).data);
    const sz = node.opType === 'Resize' && ctx.opset >= 11 ? ctx.optConst(node, 3, 'sizes') : undefined;
    if (!scales && sz && sz.data.length > 0) {
      if (sz.data.length !== 4) throw ctx.fail(node, `sizes [${sz.data}] do not match a 4-D input`);
      // sizes[0] is the batch, often computed by a Shape node and so unknown here.
      scales = [1, ...staticInts(ctx, node, { kind: 'int', dims: [3], data: Array.from(sz.data).slice(1) }, 'sizes').map((v, i) => v / dims[i])];
    }
  }
  if (!scales) throw ctx.fail(node, 'it has neither scales nor sizes');
  if (scales.length !== 4 || scales[0] !== 1 || scales[1] !== 1) throw ctx.fail(node, `scales [${scales}] resize the batch or channel axis; only H and W can be resized`);
  const sh = scales[2];
  const sw = scales[3];
  if (![sh, sw].every((s) => Number.isInteger(s) && s >= 1)) throw ctx.fail(node, `scales [${scales}] are not whole numbers; Linear Lens supports integer nearest-neighbour upsampling`);
  return [sh, sw];
}

function resize(ctx: Ctx, node: OnnxNode): void {
  const { x } = spatialInput(ctx, node);
  const a = ctx.attrs(node);
  const mode = a.string('mode', 'nearest');
  const modern = node.opType === 'Resize' && ctx.opset >= 11;
  const ctm = modern ? a.string('coordinate_transformation_mode', 'half_pixel') : 'asymmetric';
  const halfPixel = ctm === 'half_pixel' || ctm === 'pytorch_half_pixel';
  if (mode === 'nearest') {
    const nm = modern ? a.string('nearest_mode', 'round_prefer_floor') : 'floor';
    // For integer factors these all pick source pixel floor(x / s): a plain repeat.
    const repeat = (ctm === 'asymmetric' && nm === 'floor') || (halfPixel && nm.startsWith('round_prefer'));
    if (!repeat) throw ctx.fail(node, `coordinate_transformation_mode "${ctm}" with nearest_mode "${nm}" is not supported`);
  } else if (mode === 'linear') {
    // The IR's bilinear samples at half-pixel centres and clamps at the border, as ONNX half_pixel does.
    if (!halfPixel) throw ctx.fail(node, `linear resizing with coordinate_transformation_mode "${ctm}" is not supported (half_pixel and pytorch_half_pixel are)`);
  } else {
    throw ctx.fail(node, `mode "${mode}" is not supported; Linear Lens supports nearest and (half-pixel) linear resizing by integer factors`);
  }
  const size = resizeScales(ctx, node, ctx.sampleDims(x));
  setNode(ctx, node, ctx.emit(node, { op: 'upsample', size, mode: mode === 'linear' ? 'bilinear' : 'nearest' }, [ctx.nhwc(x)]), channelsLast(4));
}

/** Convolution, pooling and resize converters by ONNX op type. */
export const SPATIAL: Readonly<Record<string, Convert>> = {
  Conv: conv,
  MaxPool: pool('max'),
  AveragePool: pool('avg'),
  GlobalAveragePool: globalPool('globalAvgPool'),
  GlobalMaxPool: globalPool('globalMaxPool'),
  Upsample: resize,
  Resize: resize,
};
