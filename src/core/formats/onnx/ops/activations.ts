import { OpSpec } from '../../../graph/ir';
import { Ctx, nodeName } from '../context';
import { identity, normAxis } from '../layout';
import { OnnxNode } from '../proto';
import { constOperand, Convert, scalar, setNode, unary } from './common';

const SELU_ALPHA = 1.67326319217681884765625;
const SELU_GAMMA = 1.05070102214813232421875;
const FLOAT_MAX = 3.4028234663852886e38;

const simple = (op: OpSpec): Convert => (ctx, node) => unary(ctx, node, op);

/** Sigmoid(x) whose only reader is Mul(x, sigmoid) is SiLU / swish; emitting it as one op lets analyses gate it as a unit. */
function sigmoid(ctx: Ctx, node: OnnxNode): void {
  const x = ctx.nodeIn(node, 0);
  const mul = ctx.soleConsumer(node.outputs[0]);
  if (mul && mul.opType === 'Mul' && mul.inputs.length === 2) {
    const other = mul.inputs[0] === node.outputs[0] ? mul.inputs[1] : mul.inputs[0];
    if (other === node.inputs[0]) {
      const id = ctx.b.node(nodeName(mul), { op: 'silu' }, [x.id], {}, { layer: nodeName(node), layerType: 'SiLU' });
      ctx.absorbed.add(mul);
      ctx.set(mul.outputs[0], { kind: 'node', id, perm: x.perm });
      return;
    }
  }
  unary(ctx, node, { op: 'sigmoid' });
}

function selu(ctx: Ctx, node: OnnxNode): void {
  const a = ctx.attrs(node);
  const alpha = a.float('alpha', SELU_ALPHA);
  const gamma = a.float('gamma', SELU_GAMMA);
  if (Math.abs(alpha - SELU_ALPHA) < 1e-6 && Math.abs(gamma - SELU_GAMMA) < 1e-6) return unary(ctx, node, { op: 'selu' });
  // Non-standard constants: selu = gamma * elu_alpha(x).
  const x = ctx.nodeIn(node, 0);
  const elu = ctx.emit(node, { op: 'elu', alpha }, [x.id], {}, '/elu');
  const k = ctx.param(`${nodeName(node)}/gamma`, 'constant', [], Float32Array.of(gamma));
  setNode(ctx, node, ctx.emit(node, { op: 'mul' }, [elu], { constant: k }), x.perm);
}

function clip(ctx: Ctx, node: OnnxNode): void {
  let min = -FLOAT_MAX;
  let max = FLOAT_MAX;
  if (ctx.opset < 11) {
    const a = ctx.attrs(node);
    min = a.float('min', min);
    max = a.float('max', max);
  } else {
    const lo = ctx.optConst(node, 1, 'minimum');
    const hi = ctx.optConst(node, 2, 'maximum');
    if (lo) min = scalar(ctx, node, lo, 'minimum');
    if (hi) max = scalar(ctx, node, hi, 'maximum');
  }
  min = Math.max(min, -FLOAT_MAX);
  max = Math.min(max, FLOAT_MAX);
  // ONNX: when min > max every value becomes max.
  if (min > max) min = max;
  if (min === 0 && max === FLOAT_MAX) return unary(ctx, node, { op: 'relu' });
  unary(ctx, node, { op: 'clip', min, max });
}

function prelu(ctx: Ctx, node: OnnxNode): void {
  const x = ctx.nodeIn(node, 0);
  const slope = ctx.need(node, 1, 'slope');
  if (slope.kind !== 'const') throw ctx.fail(node, 'its slope is computed at run time; Linear Lens needs a learned (constant) slope');
  // The slope broadcasts like a constant operand of an elementwise op.
  const { shape, data } = constOperand(ctx, node, slope.c, x);
  const key = ctx.param(slope.name, 'alpha', shape, data);
  setNode(ctx, node, ctx.emit(node, { op: 'prelu' }, [x.id], { alpha: key }), x.perm);
}

function softmax(ctx: Ctx, node: OnnxNode): void {
  const x = ctx.nodeIn(node, 0);
  const r = x.perm.length;
  const a = normAxis(ctx.attrs(node).int('axis', ctx.opset >= 13 ? -1 : 1), r);
  if (a === undefined || a === 0) throw ctx.fail(node, `softmax over axis ${ctx.attrs(node).int('axis', 1)} of a rank-${r} tensor is not supported (the batch axis cannot be normalised)`);
  if (ctx.opset >= 13 || a === r - 1) {
    setNode(ctx, node, ctx.emit(node, { op: 'softmax', axis: x.perm.indexOf(a) - 1 }, [x.id]), x.perm);
    return;
  }
  // Before opset 13 Softmax normalises over all axes from `axis` on, flattened together.
  const s = ctx.sampleDims(x);
  const inner = s.slice(a - 1).reduce((p, d) => p * d, 1);
  const flat = ctx.emit(node, { op: 'reshape', shape: [...s.slice(0, a - 1), inner] }, [ctx.plain(x)], {}, '/flatten');
  const sm = ctx.emit(node, { op: 'softmax', axis: -1 }, [flat]);
  setNode(ctx, node, ctx.emit(node, { op: 'reshape', shape: s }, [sm], {}, '/unflatten'), identity(r));
}

function gelu(ctx: Ctx, node: OnnxNode): void {
  const approx = ctx.attrs(node).string('approximate', 'none');
  if (approx !== 'none' && approx !== 'tanh') throw ctx.fail(node, `unknown approximation "${approx}"`);
  unary(ctx, node, { op: 'gelu', approximate: approx === 'tanh' });
}

function hardSwish(ctx: Ctx, node: OnnxNode): void {
  const x = ctx.nodeIn(node, 0);
  const hs = ctx.emit(node, { op: 'hardSigmoid', alpha: 1 / 6, beta: 0.5 }, [x.id], {}, '/hardSigmoid');
  setNode(ctx, node, ctx.emit(node, { op: 'mul' }, [x.id, hs]), x.perm);
}

/** Identity and Dropout vanish: their output is their input, runtime or constant. */
function passThrough(ctx: Ctx, node: OnnxNode): void {
  const v = ctx.need(node, 0, 'input');
  if (node.opType === 'Dropout') {
    if (ctx.used(node.outputs[1])) throw ctx.fail(node, 'its mask output is used; Linear Lens runs models in inference mode only');
    ctx.warn('Dropout layers are inactive at inference and were left out.');
  }
  ctx.set(node.outputs[0], v);
}

/** Activation and pass-through converters by ONNX op type. */
export const ACTIVATIONS: Readonly<Record<string, Convert>> = {
  Relu: simple({ op: 'relu' }),
  Tanh: simple({ op: 'tanh' }),
  Softplus: simple({ op: 'softplus' }),
  Softsign: simple({ op: 'softsign' }),
  Sigmoid: sigmoid,
  Selu: selu,
  Elu: (ctx, node) => unary(ctx, node, { op: 'elu', alpha: ctx.attrs(node).float('alpha', 1) }),
  LeakyRelu: (ctx, node) => unary(ctx, node, { op: 'leakyRelu', alpha: ctx.attrs(node).float('alpha', 0.01) }),
  HardSigmoid: (ctx, node) => {
    const a = ctx.attrs(node);
    unary(ctx, node, { op: 'hardSigmoid', alpha: a.float('alpha', 0.2), beta: a.float('beta', 0.5) });
  },
  HardSwish: hardSwish,
  Clip: clip,
  PRelu: prelu,
  Softmax: softmax,
  Gelu: gelu,
  Identity: passThrough,
  Dropout: passThrough,
};
