import { OpSpec } from '../../../graph/ir';
import { Const } from '../tensor';
import { toFloat, transposeConst } from '../consts';
import { Ctx, NodeValue } from '../context';
import { samplePerm } from '../layout';
import { OnnxNode } from '../proto';

/** Converts one ONNX node: reads its inputs from the context and sets its outputs there. */
export type Convert = (ctx: Ctx, node: OnnxNode) => void;

/** Records a runtime output of `node`. */
export function setNode(ctx: Ctx, node: OnnxNode, id: string, perm: readonly number[], output = 0): void {
  ctx.set(node.outputs[output], { kind: 'node', id, perm });
}

/** An elementwise op: same layout in and out, so no transpose is ever needed. */
export function unary(ctx: Ctx, node: OnnxNode, op: OpSpec): void {
  const x = ctx.nodeIn(node, 0);
  setNode(ctx, node, ctx.emit(node, op, [x.id]), x.perm);
}

/**
 * A constant operand of an elementwise op on `x`, re-laid out like `x` in the IR: ONNX broadcasts
 * it against the whole tensor (batch included), the IR against the sample, so its batch axis must
 * be 1 and its other axes follow x's permutation. Leading ones are dropped (trailing broadcast).
 */
export function constOperand(ctx: Ctx, node: OnnxNode, c: Const, x: NodeValue): { shape: number[]; data: Float32Array } {
  const f = ctx.fold(node, () => toFloat(c));
  const r = x.perm.length;
  const dims = [...f.dims];
  while (dims.length > r) {
    if (dims[0] !== 1) throw ctx.fail(node, `its constant operand of shape [${c.dims}] has more axes than the tensor it combines with`);
    dims.shift();
  }
  while (dims.length < r) dims.unshift(1);
  if (dims[0] !== 1) throw ctx.fail(node, `its constant operand of shape [${c.dims}] has a batch axis of ${dims[0]}; Linear Lens needs operands that do not depend on the batch position`);
  const sample = dims.slice(1);
  const moved = transposeConst({ kind: 'float', dims: sample, data: f.data }, samplePerm(x.perm));
  const shape = [...moved.dims];
  while (shape.length > 0 && shape[0] === 1) shape.shift();
  return { shape, data: moved.data as Float32Array };
}

/** A one-value constant as a number, failing clearly otherwise. */
export function scalar(ctx: Ctx, node: OnnxNode, c: Const, what: string): number {
  if (c.data.length !== 1) throw ctx.fail(node, `its ${what} must be a single value, got shape [${c.dims}]`);
  const v = c.data[0];
  if (v === null) throw ctx.fail(node, `its ${what} depends on the batch size`);
  return v;
}

/** Integer list from a constant, refusing the unknown batch size. */
export function staticInts(ctx: Ctx, node: OnnxNode, c: Const, what: string): number[] {
  return Array.from(c.data, (v) => {
    if (v === null) throw ctx.fail(node, `its ${what} depends on the batch size, which is only known at run time`);
    return Math.trunc(v);
  });
}
