import { arithConst, ArithOp } from '../consts';
import { Ctx, nodeName, Value } from '../context';
import { OnnxNode } from '../proto';
import { constOperand, Convert, setNode } from './common';

type IrArith = 'add' | 'sub' | 'mul' | 'div' | 'maximum' | 'minimum';

const FOLD: Readonly<Record<IrArith, ArithOp>> = { add: 'add', sub: 'sub', mul: 'mul', div: 'div', maximum: 'max', minimum: 'min' };

function near(v: number, want: number): boolean {
  return Math.abs(v - want) <= 1e-3 * Math.abs(want);
}

/** The single value of a constant input, if that input is a one-element constant. */
function constScalar(ctx: Ctx, name: string): number | undefined {
  const v = ctx.lookup(name);
  if (!v || v.kind !== 'const' || v.c.data.length !== 1) return undefined;
  const x = v.c.data[0];
  return x === null ? undefined : x;
}

function otherInput(n: OnnxNode, name: string): string | undefined {
  if (n.inputs.length !== 2) return undefined;
  if (n.inputs[0] === name && n.inputs[1] !== name) return n.inputs[1];
  if (n.inputs[1] === name && n.inputs[0] !== name) return n.inputs[0];
  return undefined;
}

/**
 * PyTorch before opset 20 exports exact GELU as x * 0.5 * (1 + erf(x / sqrt 2)):
 * Div(x, 1.414) | Mul(x, 0.707) -> Erf -> Add(1) -> Mul(x) -> Mul(0.5). Found from its first node,
 * it becomes one gelu op; there is no Erf in the IR otherwise.
 */
function erfGelu(ctx: Ctx, node: OnnxNode): boolean {
  if (node.inputs.length !== 2) return false;
  const xName = node.inputs.find((n) => ctx.lookup(n)?.kind === 'node');
  if (!xName) return false;
  const k = constScalar(ctx, otherInput(node, xName) ?? '');
  if (k === undefined || !((node.opType === 'Div' && node.inputs[0] === xName && near(k, Math.SQRT2)) || (node.opType === 'Mul' && near(k, Math.SQRT1_2)))) return false;
  const erf = ctx.soleConsumer(node.outputs[0]);
  if (!erf || erf.opType !== 'Erf') return false;
  const add = ctx.soleConsumer(erf.outputs[0]);
  if (!add || add.opType !== 'Add' || constScalar(ctx, otherInput(add, erf.outputs[0]) ?? '') !== 1) return false;
  const mul1 = ctx.soleConsumer(add.outputs[0]);
  if (!mul1 || mul1.opType !== 'Mul' || otherInput(mul1, add.outputs[0]) !== xName) return false;
  const mul2 = ctx.soleConsumer(mul1.outputs[0]);
  const half = mul2 && mul2.opType === 'Mul' ? constScalar(ctx, otherInput(mul2, mul1.outputs[0]) ?? '') : undefined;
  if (!mul2 || half === undefined || !near(half, 0.5)) return false;
  const x = ctx.lookup(xName);
  if (!x || x.kind !== 'node') return false;
  const id = ctx.b.node(nodeName(mul2), { op: 'gelu', approximate: false }, [x.id], {}, { layer: nodeName(node), layerType: 'Gelu' });
  for (const n of [erf, add, mul1, mul2]) ctx.absorbed.add(n);
  ctx.set(mul2.outputs[0], { kind: 'node', id, perm: x.perm });
  return true;
}

function binary(op: IrArith): Convert {
  return (ctx, node) => {
    if (node.inputs.length !== 2) throw ctx.fail(node, `takes ${node.inputs.length} operands; Linear Lens supports two here`);
    if ((op === 'div' || op === 'mul') && erfGelu(ctx, node)) return;
    const a = ctx.need(node, 0, 'first operand');
    const b = ctx.need(node, 1, 'second operand');
    if (a.kind === 'const' && b.kind === 'const') {
      ctx.set(node.outputs[0], { kind: 'const', c: ctx.fold(node, () => arithConst(FOLD[op], a.c, b.c)), name: node.outputs[0] });
      return;
    }
    if (a.kind === 'node' && b.kind === 'node') {
      if (a.perm.length !== b.perm.length) throw ctx.fail(node, `combines runtime tensors of ranks ${a.perm.length} and ${b.perm.length}; Linear Lens needs equal ranks (both carry the batch)`);
      setNode(ctx, node, ctx.emit(node, { op }, [a.id, ctx.laidOut(b, a.perm)]), a.perm);
      return;
    }
    const [x, c] = a.kind === 'node' ? [a, b as Extract<Value, { kind: 'const' }>] : [b as Extract<Value, { kind: 'node' }>, a];
    const operand = constOperand(ctx, node, c.c, x);
    const key = ctx.param(c.name, 'constant', operand.shape, operand.data);
    const constantFirst = a.kind === 'const' && (op === 'sub' || op === 'div');
    setNode(ctx, node, ctx.emit(node, { op }, [x.id], { constant: key }, '', { constantFirst }), x.perm);
  };
}

/** Sum, Max and Min of runtime tensors (n-ary); with two operands they behave like Add / Max / Min. */
function nary(op: 'add' | 'maximum' | 'minimum'): Convert {
  const two = binary(op);
  return (ctx, node) => {
    if (node.inputs.length === 2) return two(ctx, node);
    if (node.inputs.length === 1) {
      ctx.set(node.outputs[0], ctx.need(node, 0, 'operand'));
      return;
    }
    const vs = node.inputs.map((_, i) => ctx.nodeIn(node, i, `operand ${i + 1}`));
    const first = vs[0];
    if (vs.some((v) => v.perm.length !== first.perm.length)) throw ctx.fail(node, 'combines runtime tensors of different ranks');
    setNode(ctx, node, ctx.emit(node, { op }, vs.map((v) => ctx.laidOut(v, first.perm))), first.perm);
  };
}

/** Elementwise arithmetic converters by ONNX op type. */
export const ARITH: Readonly<Record<string, Convert>> = {
  Add: binary('add'),
  Sub: binary('sub'),
  Mul: binary('mul'),
  Div: binary('div'),
  Sum: nary('add'),
  Max: nary('maximum'),
  Min: nary('minimum'),
};
