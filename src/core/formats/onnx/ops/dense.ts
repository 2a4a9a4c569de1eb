import { count, reshapeConst, toFloat, transposeConst } from '../consts';
import { Ctx, NodeValue } from '../context';
import { identity } from '../layout';
import { OnnxNode } from '../proto';
import { Const } from '../tensor';
import { Convert, setNode } from './common';

/** A bias of `m` values from a constant shaped [m], [1, m], [] ...; undefined when it is not one. */
function asBias(c: Const, m: number): Float32Array | undefined {
  if (c.kind === 'int' && c.data.some((v) => v === null)) return undefined;
  const f = toFloat(c);
  const n = count(f.dims);
  if (n === 1) return new Float32Array(m).fill(f.data[0]);
  if (n !== m || f.dims[f.dims.length - 1] !== m) return undefined;
  return f.data;
}

/**
 * keras2onnx and others write a dense layer as MatMul then Add(bias). When the product's only
 * reader is such an Add, the bias joins the dense op (role 'bias', so interpolation and
 * permutation treat it as one), and the Add is consumed here.
 */
function absorbBias(ctx: Ctx, node: OnnxNode, m: number, rank: number): { bias: Float32Array; name: string; add: OnnxNode } | undefined {
  const out = node.outputs[0];
  const add = ctx.soleConsumer(out);
  if (!add || add.opType !== 'Add' || add.inputs.length !== 2) return undefined;
  const otherName = add.inputs[0] === out ? add.inputs[1] : add.inputs[0];
  if (otherName === out) return undefined;
  const other = ctx.lookup(otherName);
  if (!other || other.kind !== 'const' || other.c.dims.length > rank) return undefined;
  const bias = asBias(other.c, m);
  return bias ? { bias, name: otherName, add } : undefined;
}

function emitDense(ctx: Ctx, node: OnnxNode, x: NodeValue, inId: string, kernel: Const, kernelName: string, bias: { data: Float32Array; name: string } | undefined): void {
  const [k, m] = kernel.dims;
  const kKey = ctx.param(kernelName, 'kernel', [k, m], toFloat(kernel).data);
  let bKey: string | undefined;
  let outNode = node;
  if (bias) bKey = ctx.param(bias.name, 'bias', [m], bias.data);
  else {
    const found = absorbBias(ctx, node, m, x.perm.length);
    if (found) {
      bKey = ctx.param(found.name, 'bias', [m], found.bias);
      ctx.absorbed.add(found.add);
      outNode = found.add;
    }
  }
  const id = ctx.emit(node, { op: 'dense' }, [inId], bKey ? { kernel: kKey, bias: bKey } : { kernel: kKey });
  setNode(ctx, outNode, id, x.perm);
}

function gemm(ctx: Ctx, node: OnnxNode): void {
  const a = ctx.attrs(node);
  const x = ctx.nodeIn(node, 0);
  if (x.perm.length !== 2) throw ctx.fail(node, `its input has rank ${x.perm.length}; Gemm takes a matrix (batch, features)`);
  if (a.int('transA', 0) !== 0) throw ctx.fail(node, 'transA = 1 would multiply across the batch; Linear Lens supports Gemm with the data on the left');
  const w = ctx.constIn(node, 1, 'weight');
  if (w.dims.length !== 2) throw ctx.fail(node, `its weight has shape [${w.dims}]; Gemm needs a matrix`);
  let kernel = ctx.fold(node, () => toFloat(a.int('transB', 0) ? transposeConst(w, [1, 0]) : w));
  const alpha = a.float('alpha', 1);
  if (alpha !== 1) kernel = { kind: 'float', dims: kernel.dims, data: kernel.data.map((v) => v * alpha) };
  const m = kernel.dims[1];
  const c = ctx.optConst(node, 2, 'bias');
  let bias: { data: Float32Array; name: string } | undefined;
  if (c) {
    const beta = a.float('beta', 1);
    const b = ctx.fold(node, () => asBias(c, m));
    if (!b) throw ctx.fail(node, `its bias of shape [${c.dims}] does not broadcast as one value per output (${m})`);
    bias = { data: beta === 1 ? b : b.map((v) => v * beta), name: node.inputs[2] };
  }
  emitDense(ctx, node, x, x.id, kernel, node.inputs[1], bias);
}

function matMul(ctx: Ctx, node: OnnxNode): void {
  const a = ctx.need(node, 0, 'left operand');
  const b = ctx.need(node, 1, 'right operand');
  if (a.kind !== 'node' || b.kind !== 'const') {
    const why = a.kind === 'const' && b.kind === 'const' ? 'both operands are constants' : b.kind === 'node' ? 'its right operand is computed at run time (Linear Lens supports MatMul by a weight matrix)' : 'the weight is on the left';
    throw ctx.fail(node, `${why}; not supported`);
  }
  const r = a.perm.length;
  // A weight with leading ones ([1, K, M]) broadcasts exactly like the matrix [K, M].
  let wdims = [...b.c.dims];
  while (wdims.length > 2 && wdims[0] === 1 && wdims.length <= r) wdims = wdims.slice(1);
  if (wdims.length !== 2) throw ctx.fail(node, `its weight has shape [${b.c.dims}]; Linear Lens supports MatMul by a 2-D weight`);
  const weight = ctx.fold(node, () => reshapeConst(b.c, wdims));
  if (r < 2) throw ctx.fail(node, 'its input has no feature axis');
  // dense acts on the IR's last axis, which must be the ONNX last axis; the others may stay permuted.
  const x = a.perm[r - 1] === r - 1 ? a : { ...a, id: ctx.plain(a), perm: identity(r) };
  emitDense(ctx, node, x, x.id, weight, node.inputs[1], undefined);
}

/** Gemm and MatMul converters (both become dense). */
export const DENSE: Readonly<Record<string, Convert>> = { Gemm: gemm, MatMul: matMul };
