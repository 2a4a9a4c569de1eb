import { Pair } from '../../../graph/ir';
import { concatConst, count, ints, reshapeConst, transposeConst } from '../consts';
import { Ctx, NodeValue } from '../context';
import { afterTranspose, channelsLast, identity, isIdentity, normAxis, samePerm } from '../layout';
import { OnnxNode } from '../proto';
import { Convert, scalar, setNode, staticInts } from './common';

/**
 * `x` reshaped to the ONNX sample dims `sample`. A reshape to one axis is a flatten, done in the
 * model's own (NCHW) order straight from the NHWC layout; other reshapes run on the plain layout.
 */
function reshapeTo(ctx: Ctx, node: OnnxNode, x: NodeValue, sample: readonly number[]): NodeValue {
  const r = x.perm.length;
  const cur = ctx.sampleDims(x);
  if (sample.length === 1) {
    if (cur.length === 1) return x;
    let order: 'nhwc' | 'nchw' = 'nhwc';
    let src = x.id;
    if (samePerm(x.perm, channelsLast(r)) && !isIdentity(x.perm)) order = 'nchw';
    else if (!isIdentity(x.perm)) src = ctx.plain(x);
    return { kind: 'node', id: ctx.emit(node, { op: 'flatten', order }, [src]), perm: [0, 1] };
  }
  const src = ctx.plain(x);
  if (cur.length === sample.length && cur.every((d, i) => d === sample[i])) return { kind: 'node', id: src, perm: identity(r) };
  return { kind: 'node', id: ctx.emit(node, { op: 'reshape', shape: [...sample] }, [src]), perm: identity(sample.length + 1) };
}

/** Resolves ONNX Reshape's 0 (copy) and -1 (infer) entries against the input dims, batch first. */
function reshapeDims(ctx: Ctx, node: OnnxNode, input: readonly (number | null)[], target: readonly (number | null)[], allowZero: boolean): (number | null)[] {
  const out = target.map((t, i) => {
    if (t === 0 && !allowZero) {
      if (i >= input.length) throw ctx.fail(node, `shape entry ${i} copies a dimension the input does not have`);
      return input[i];
    }
    return t;
  });
  const free = out.filter((d) => d === -1).length;
  if (free > 1) throw ctx.fail(node, `shape [${target}] has more than one -1`);
  if (free === 0) return out;
  const at = out.indexOf(-1);
  // With a free batch, `total` is per sample, and the target's null (if any) is that batch.
  const freeBatch = input.length > 0 && input[0] === null;
  const total = input.reduce<number>((p, d) => p * (d ?? 1), 1);
  const known = out.reduce<number>((p, d) => (d === null || d === -1 ? p : p * d), 1);
  if (freeBatch && !out.includes(null)) {
    // The -1 must absorb the batch itself, e.g. [-1, 243] after a conv.
    if (known !== total) throw ctx.fail(node, `shape [${target}] cannot be resolved without knowing the batch size`);
    out[at] = null;
    return out;
  }
  if (known === 0 || total % known !== 0) throw ctx.fail(node, `cannot reshape [${input.map((d) => d ?? 'N')}] to [${target.map((d) => d ?? 'N')}]`);
  out[at] = total / known;
  return out;
}

function reshape(ctx: Ctx, node: OnnxNode): void {
  const data = ctx.need(node, 0, 'data');
  const target = ctx.constIn(node, 1, 'shape');
  const shape = ints(target);
  const allowZero = ctx.attrs(node).int('allowzero', 0) === 1;
  if (data.kind === 'const') {
    const dims = reshapeDims(ctx, node, data.c.dims, shape, allowZero);
    const c = ctx.fold(node, () => reshapeConst(data.c, dims as number[]));
    ctx.set(node.outputs[0], { kind: 'const', c, name: node.outputs[0] });
    return;
  }
  const input = ctx.dims(data);
  const sample = sampleAfterReshape(ctx, node, input, reshapeDims(ctx, node, input, shape, allowZero), shape);
  const y = reshapeTo(ctx, node, data, sample);
  setNode(ctx, node, y.id, y.perm);
}

/** The output's sample dims after checking that its first axis is still the batch. */
function sampleAfterReshape(ctx: Ctx, node: OnnxNode, input: readonly (number | null)[], out: readonly (number | null)[], target: readonly (number | null)[]): number[] {
  const sample = out.slice(1);
  const inSample = input.slice(1) as number[];
  if (sample.some((d) => d === null || d < 0)) throw ctx.fail(node, `shape [${target}] depends on the batch size beyond the first axis; Linear Lens needs static shapes apart from the batch`);
  const batchKept = out[0] === null ? input[0] === null : input[0] !== null && out[0] === input[0];
  if (!batchKept || count(sample as number[]) !== count(inSample)) {
    throw ctx.fail(node, `reshaping [${input.map((d) => d ?? 'N')}] to [${target.map((d) => d ?? 'N')}] mixes the batch with other axes; not supported`);
  }
  return sample as number[];
}

function flatten(ctx: Ctx, node: OnnxNode): void {
  const v = ctx.need(node, 0, 'input');
  const rank = v.kind === 'node' ? v.perm.length : v.c.dims.length;
  const axis = normAxis(ctx.attrs(node).int('axis', 1), rank + 1);
  if (axis === undefined) throw ctx.fail(node, 'axis is out of range');
  if (v.kind === 'const') {
    const d = v.c.dims;
    const c = reshapeConst(v.c, [count(d.slice(0, axis)), count(d.slice(axis))]);
    ctx.set(node.outputs[0], { kind: 'const', c, name: node.outputs[0] });
    return;
  }
  if (axis !== 1) throw ctx.fail(node, `flattening from axis ${axis} mixes the batch with other axes; Linear Lens supports Flatten with axis 1`);
  const y = reshapeTo(ctx, node, v, [count(ctx.sampleDims(v))]);
  setNode(ctx, node, y.id, y.perm);
}

function transpose(ctx: Ctx, node: OnnxNode): void {
  const v = ctx.need(node, 0, 'input');
  const rank = v.kind === 'node' ? v.perm.length : v.c.dims.length;
  const perm = ctx.attrs(node).ints('perm') ?? identity(rank).reverse();
  if (perm.length !== rank || [...perm].sort((a, b) => a - b).some((p, i) => p !== i)) throw ctx.fail(node, `perm [${perm}] is not a permutation of ${rank} axes`);
  if (v.kind === 'const') {
    ctx.set(node.outputs[0], { kind: 'const', c: transposeConst(v.c, perm), name: node.outputs[0] });
    return;
  }
  if (perm[0] !== 0) throw ctx.fail(node, `perm [${perm}] moves the batch axis; not supported`);
  // No node: the value just reads its axes in a different order (see layout.ts).
  ctx.set(node.outputs[0], { kind: 'node', id: v.id, perm: afterTranspose(v.perm, perm) });
}

function axesOf(ctx: Ctx, node: OnnxNode): number[] | undefined {
  if (ctx.opset >= 13) {
    const c = ctx.optConst(node, 1, 'axes');
    return c ? staticInts(ctx, node, c, 'axes') : undefined;
  }
  return ctx.attrs(node).ints('axes');
}

function squeezeLike(ctx: Ctx, node: OnnxNode): void {
  const v = ctx.need(node, 0, 'input');
  const dims = v.kind === 'node' ? ctx.dims(v) : [...v.c.dims];
  const axes = axesOf(ctx, node);
  let out: (number | null)[];
  if (node.opType === 'Squeeze') {
    const drop = new Set((axes ?? dims.flatMap((d, i) => (d === 1 && (i > 0 || v.kind === 'const') ? [i] : []))).map((a) => normAxis(a, dims.length)));
    if (drop.has(undefined)) throw ctx.fail(node, `axes [${axes}] are out of range`);
    for (const a of drop) if (dims[a!] !== 1) throw ctx.fail(node, `axis ${a} has size ${dims[a!]}, not 1`);
    out = dims.filter((_, i) => !drop.has(i));
  } else {
    if (!axes) throw ctx.fail(node, 'it has no axes');
    const rank = dims.length + axes.length;
    const add = new Set(axes.map((a) => normAxis(a, rank)));
    if (add.has(undefined) || add.size !== axes.length) throw ctx.fail(node, `axes [${axes}] are invalid for rank ${rank}`);
    out = [];
    let k = 0;
    for (let i = 0; i < rank; i++) out.push(add.has(i) ? 1 : dims[k++]);
  }
  if (v.kind === 'const') {
    ctx.set(node.outputs[0], { kind: 'const', c: reshapeConst(v.c, out as number[]), name: node.outputs[0] });
    return;
  }
  if (out.length === 0 || out[0] !== dims[0] || (node.opType === 'Unsqueeze' && out.length > 1 && (axes ?? []).some((a) => normAxis(a, out.length) === 0))) {
    throw ctx.fail(node, 'it adds or removes the batch axis; not supported');
  }
  const y = reshapeTo(ctx, node, v, out.slice(1) as number[]);
  setNode(ctx, node, y.id, y.perm);
}

function concat(ctx: Ctx, node: OnnxNode): void {
  const vs = node.inputs.map((_, i) => ctx.need(node, i, `input ${i + 1}`));
  const axisAttr = ctx.attrs(node).int('axis', Number.NaN);
  if (Number.isNaN(axisAttr)) throw ctx.fail(node, 'it has no axis');
  if (vs.every((v) => v.kind === 'const')) {
    const cs = vs.map((v) => (v.kind === 'const' ? v.c : undefined!));
    const axis = normAxis(axisAttr, cs[0].dims.length);
    if (axis === undefined) throw ctx.fail(node, `axis ${axisAttr} is out of range`);
    ctx.set(node.outputs[0], { kind: 'const', c: ctx.fold(node, () => concatConst(cs, axis)), name: node.outputs[0] });
    return;
  }
  if (vs.some((v) => v.kind === 'const')) throw ctx.fail(node, 'it joins a constant to a runtime tensor; not supported');
  const nodes = vs as NodeValue[];
  const first = nodes[0];
  const axis = normAxis(axisAttr, first.perm.length);
  if (axis === undefined || axis === 0) throw ctx.fail(node, `concatenating on axis ${axisAttr} is not supported (the batch axis cannot be joined)`);
  if (nodes.some((v) => v.perm.length !== first.perm.length)) throw ctx.fail(node, 'its inputs differ in rank');
  const ids = nodes.map((v) => ctx.laidOut(v, first.perm));
  setNode(ctx, node, ctx.emit(node, { op: 'concat', axis: first.perm.indexOf(axis) - 1 }, ids), first.perm);
}

function pad(ctx: Ctx, node: OnnxNode): void {
  const a = ctx.attrs(node);
  const mode = a.string('mode', 'constant');
  if (mode !== 'constant') throw ctx.fail(node, `mode "${mode}" is not supported; Linear Lens supports constant padding`);
  const x = ctx.nodeIn(node, 0);
  const r = x.perm.length;
  let pads: number[];
  let value = 0;
  let axes = identity(r);
  if (ctx.opset < 11) {
    pads = a.ints('pads') ?? [];
    value = a.float('value', 0);
  } else {
    pads = staticInts(ctx, node, ctx.constIn(node, 1, 'pads'), 'pads');
    const v = ctx.optConst(node, 2, 'constant value');
    if (v) value = scalar(ctx, node, v, 'constant value');
    const ax = ctx.opset >= 18 ? ctx.optConst(node, 3, 'axes') : undefined;
    if (ax) {
      axes = staticInts(ctx, node, ax, 'axes').map((d) => {
        const n = normAxis(d, r);
        if (n === undefined) throw ctx.fail(node, `axis ${d} is out of range`);
        return n;
      });
    }
  }
  if (pads.length !== 2 * axes.length) throw ctx.fail(node, `pads [${pads}] do not give a begin and end for each of ${axes.length} axes`);
  const begin = new Array<number>(r).fill(0);
  const end = new Array<number>(r).fill(0);
  axes.forEach((ax, i) => {
    begin[ax] = pads[i];
    end[ax] = pads[i + axes.length];
  });
  if (begin[0] !== 0 || end[0] !== 0) throw ctx.fail(node, 'it pads the batch axis; not supported');
  if ([...begin, ...end].some((p) => p < 0)) throw ctx.fail(node, 'negative pads (cropping) are not supported');
  const irPads: Pair[] = x.perm.slice(1).map((ax) => [begin[ax], end[ax]]);
  setNode(ctx, node, ctx.emit(node, { op: 'pad', pads: irPads, value }, [x.id]), x.perm);
}

/** Shape-changing converters by ONNX op type. */
export const STRUCTURE: Readonly<Record<string, Convert>> = {
  Reshape: reshape,
  Flatten: flatten,
  Transpose: transpose,
  Squeeze: squeezeLike,
  Unsqueeze: squeezeLike,
  Concat: concat,
  Pad: pad,
};
