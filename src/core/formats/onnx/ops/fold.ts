import { count, gatherConst, ints, sliceConst, toFloat, toInt } from '../consts';
import { Ctx } from '../context';
import { normAxis } from '../layout';
import { DataType, OnnxNode } from '../proto';
import { Const, isFloatType, isIntType, tensorToConst, typeName } from '../tensor';
import { Convert, staticInts } from './common';

/*
 * Ops evaluated at load time. Exporters compute reshape targets from the tensor's own shape
 * (PyTorch: Shape -> Gather -> Unsqueeze -> Concat -> Reshape); with the sample shape fixed, all of
 * that folds to a constant, the batch size staying symbolic (null).
 */

function setConst(ctx: Ctx, node: OnnxNode, c: Const): void {
  ctx.set(node.outputs[0], { kind: 'const', c, name: node.outputs[0] });
}

function shape(ctx: Ctx, node: OnnxNode): void {
  const v = ctx.need(node, 0, 'input');
  const dims = v.kind === 'node' ? ctx.dims(v) : [...v.c.dims];
  const a = ctx.attrs(node);
  const r = dims.length;
  const clamp = (i: number) => Math.min(Math.max(i < 0 ? i + r : i, 0), r);
  const start = clamp(a.int('start', 0));
  const end = clamp(a.int('end', r));
  const out = dims.slice(start, Math.max(start, end));
  setConst(ctx, node, { kind: 'int', dims: [out.length], data: out });
}

function size(ctx: Ctx, node: OnnxNode): void {
  const v = ctx.need(node, 0, 'input');
  const dims = v.kind === 'node' ? ctx.dims(v) : [...v.c.dims];
  if (dims.some((d) => d === null)) throw ctx.fail(node, 'the element count depends on the batch size, which is only known at run time');
  setConst(ctx, node, { kind: 'int', dims: [], data: [count(dims as number[])] });
}

function gather(ctx: Ctx, node: OnnxNode): void {
  const data = ctx.need(node, 0, 'data');
  if (data.kind !== 'const') throw ctx.fail(node, 'it gathers from a tensor computed at run time; Linear Lens supports Gather only on constants and static shapes');
  const idx = ctx.constIn(node, 1, 'indices');
  const axis = normAxis(ctx.attrs(node).int('axis', 0), data.c.dims.length);
  if (axis === undefined) throw ctx.fail(node, 'axis is out of range');
  setConst(ctx, node, ctx.fold(node, () => gatherConst(data.c, idx, axis)));
}

function cast(ctx: Ctx, node: OnnxNode): void {
  const to = ctx.attrs(node).int('to', 0);
  const v = ctx.need(node, 0, 'input');
  if (v.kind === 'node') {
    // Runtime tensors are float32 in the IR; a cast between float types changes nothing that matters here.
    if (!isFloatType(to)) throw ctx.fail(node, `it casts a runtime tensor to ${typeName(to)}; Linear Lens computes in float32 only`);
    ctx.set(node.outputs[0], v);
    return;
  }
  if (isFloatType(to)) return setConst(ctx, node, ctx.fold(node, () => toFloat(v.c)));
  if (to === DataType.BOOL) return setConst(ctx, node, { kind: 'int', dims: v.c.dims, data: Array.from(ints(v.c), (x) => (x === null ? null : x !== 0 ? 1 : 0)) });
  if (isIntType(to)) return setConst(ctx, node, toInt(v.c));
  throw ctx.fail(node, `casting to ${typeName(to)} is not supported`);
}

function slice(ctx: Ctx, node: OnnxNode): void {
  const data = ctx.need(node, 0, 'data');
  if (data.kind !== 'const') throw ctx.fail(node, 'it slices a tensor computed at run time; Linear Lens supports Slice only on constants and static shapes');
  const rank = data.c.dims.length;
  let starts: number[];
  let ends: number[];
  let axes: number[] | undefined;
  let steps: number[] | undefined;
  if (ctx.opset < 10) {
    const a = ctx.attrs(node);
    starts = a.ints('starts') ?? [];
    ends = a.ints('ends') ?? [];
    axes = a.ints('axes');
  } else {
    const get = (i: number, what: string) => {
      const c = ctx.optConst(node, i, what);
      return c ? staticInts(ctx, node, c, what) : undefined;
    };
    starts = get(1, 'starts') ?? [];
    ends = get(2, 'ends') ?? [];
    axes = get(3, 'axes');
    steps = get(4, 'steps');
  }
  axes ??= starts.map((_, i) => i);
  steps ??= starts.map(() => 1);
  if (ends.length !== starts.length || axes.length !== starts.length || steps.length !== starts.length) throw ctx.fail(node, 'starts, ends, axes and steps differ in length');
  if (axes.some((ax) => normAxis(ax, rank) === undefined)) throw ctx.fail(node, `axes [${axes}] are out of range`);
  setConst(ctx, node, ctx.fold(node, () => sliceConst(data.c, starts, ends, axes!, steps!)));
}

function constant(ctx: Ctx, node: OnnxNode): void {
  const a = ctx.attrs(node);
  const t = a.tensor('value');
  if (t) return setConst(ctx, node, tensorToConst(ctx.file, { ...t, name: t.name || node.outputs[0] }));
  if (a.has('value_float')) return setConst(ctx, node, { kind: 'float', dims: [], data: Float32Array.of(a.float('value_float', 0)) });
  if (a.has('value_floats')) {
    const f = a.floats('value_floats') ?? [];
    return setConst(ctx, node, { kind: 'float', dims: [f.length], data: Float32Array.from(f) });
  }
  if (a.has('value_int')) return setConst(ctx, node, { kind: 'int', dims: [], data: [a.int('value_int', 0)] });
  if (a.has('value_ints')) {
    const i = a.ints('value_ints') ?? [];
    return setConst(ctx, node, { kind: 'int', dims: [i.length], data: i });
  }
  throw ctx.fail(node, 'it holds no numeric value (sparse and string constants are not supported)');
}

function constantOfShape(ctx: Ctx, node: OnnxNode): void {
  const dims = staticInts(ctx, node, ctx.constIn(node, 0, 'shape'), 'shape');
  const t = ctx.attrs(node).tensor('value');
  const fill: Const = t ? tensorToConst(ctx.file, t) : { kind: 'float', dims: [1], data: Float32Array.of(0) };
  if (fill.data.length !== 1) throw ctx.fail(node, 'its value must hold one element');
  const n = count(dims);
  if (dims.some((d) => d < 0) || n > 1 << 24) throw ctx.fail(node, `shape [${dims}] is not a sensible constant size`);
  setConst(ctx, node, fill.kind === 'float' ? { kind: 'float', dims, data: new Float32Array(n).fill(fill.data[0]) } : { kind: 'int', dims, data: new Array(n).fill(fill.data[0]) });
}

/** Converters that compute constants at load time, by ONNX op type. */
export const FOLD: Readonly<Record<string, Convert>> = {
  Shape: shape,
  Size: size,
  Gather: gather,
  Cast: cast,
  Slice: slice,
  Constant: constant,
  ConstantOfShape: constantOfShape,
};
