import { ParamRole, ParamSlot } from '../../../graph/ir';
import { toFloat } from '../consts';
import { Ctx } from '../context';
import { channelsLast, identity, normAxis } from '../layout';
import { OnnxNode } from '../proto';
import { Convert, setNode } from './common';

/** A per-channel vector input (scale, bias, mean, variance) as a parameter. */
function channelParam(ctx: Ctx, node: OnnxNode, i: number, role: ParamRole, c: number, what: string): string {
  const v = ctx.constIn(node, i, what);
  if (v.data.length !== c) throw ctx.fail(node, `its ${what} has ${v.data.length} values for ${c} channels`);
  return ctx.param(node.inputs[i], role, [c], ctx.fold(node, () => toFloat(v)).data);
}

function batchNorm(ctx: Ctx, node: OnnxNode): void {
  const x = ctx.nodeIn(node, 0);
  const r = x.perm.length;
  if (r < 2) throw ctx.fail(node, 'its input has no channel axis');
  const a = ctx.attrs(node);
  if (a.int('training_mode', 0) === 1 || node.outputs.slice(1).some((o) => ctx.used(o))) {
    throw ctx.fail(node, 'it is exported in training mode (running statistics as outputs); export the model in eval mode');
  }
  // The channel axis is ONNX axis 1; the IR normalises over its last axis.
  const c = ctx.sampleDims(x)[0];
  const slots: [ParamSlot, ParamRole, string][] = [['gamma', 'gamma', 'scale'], ['beta', 'beta', 'bias'], ['movingMean', 'movingMean', 'mean'], ['movingVariance', 'movingVariance', 'variance']];
  const params: Partial<Record<ParamSlot, string>> = {};
  slots.forEach(([slot, role, what], i) => (params[slot] = channelParam(ctx, node, i + 1, role, c, what)));
  const id = ctx.emit(node, { op: 'batchNorm', epsilon: a.float('epsilon', 1e-5) }, [ctx.nhwc(x)], params);
  setNode(ctx, node, id, channelsLast(r));
}

function instanceNorm(ctx: Ctx, node: OnnxNode): void {
  const x = ctx.nodeIn(node, 0);
  if (x.perm.length !== 4) throw ctx.fail(node, `its input has rank ${x.perm.length}; Linear Lens supports instance norm on 4-D (N, C, H, W) tensors`);
  const c = ctx.sampleDims(x)[0];
  const params = { gamma: channelParam(ctx, node, 1, 'gamma', c, 'scale'), beta: channelParam(ctx, node, 2, 'beta', c, 'bias') };
  const id = ctx.emit(node, { op: 'instanceNorm', epsilon: ctx.attrs(node).float('epsilon', 1e-5) }, [ctx.nhwc(x)], params);
  setNode(ctx, node, id, channelsLast(4));
}

function layerNorm(ctx: Ctx, node: OnnxNode): void {
  const x = ctx.nodeIn(node, 0);
  const r = x.perm.length;
  const a = ctx.attrs(node);
  const axis = normAxis(a.int('axis', -1), r);
  if (axis === undefined || axis === 0) throw ctx.fail(node, `normalising from axis ${a.int('axis', -1)} would mix the batch`);
  if (node.outputs.slice(1).some((o) => ctx.used(o))) throw ctx.fail(node, 'its mean / inverse-deviation outputs are used; not supported');
  // Normalised axes and scale shapes are in ONNX order, so the op runs on the plain layout.
  const dims = ctx.sampleDims(x);
  const tail = dims.slice(axis - 1);
  const n = tail.reduce((p, d) => p * d, 1);
  const params: Partial<Record<ParamSlot, string>> = {};
  const add = (i: number, slot: 'gamma' | 'beta', what: string) => {
    const v = ctx.optConst(node, i, what);
    if (!v) return;
    const f = ctx.fold(node, () => toFloat(v));
    if (f.data.length === n) params[slot] = ctx.param(node.inputs[i], slot, tail, f.data);
    else if (f.data.length === 1) params[slot] = ctx.param(node.inputs[i], slot, [], f.data);
    else throw ctx.fail(node, `its ${what} of shape [${v.dims}] does not match the normalised shape [${tail}]`);
  };
  add(1, 'gamma', 'scale');
  add(2, 'beta', 'bias');
  const axes = tail.map((_, i) => axis - 1 + i);
  const id = ctx.emit(node, { op: 'layerNorm', axes, epsilon: a.float('epsilon', 1e-5) }, [ctx.plain(x)], params);
  setNode(ctx, node, id, identity(r));
}

/** Normalisation converters by ONNX op type. */
export const NORM: Readonly<Record<string, Convert>> = {
  BatchNormalization: batchNorm,
  InstanceNormalization: instanceNorm,
  LayerNormalization: layerNorm,
};
