import { UserError } from '../../errors';
import { Graph, Node, Padding, Pair, Param } from '../../graph/ir';
import { samePads } from '../../graph/shapes';

/**
 * A conv layer as its dense equivalent W (rows: the C_out·H_out·W_out outputs, columns: the
 * C_in·H_in·W_in inputs, both flattened in our NHWC order: index (y·W + x)·C + c), stored by its
 * nonzeros: entry e sits at (row[e], col[e]) and is a copy of kernel element tap[e] (row-major
 * over the kernel's HWIO / depthwise layout). The weight-shared subspace is every W whose
 * entries with equal `tap` are equal; the sparsity pattern is the set of (row, col) listed.
 */
export interface ConvEmbedding {
  readonly node: string;
  readonly op: 'conv2d' | 'depthwiseConv2d';
  /** [H, W, C] in and out. */
  readonly inShape: readonly [number, number, number];
  readonly outShape: readonly [number, number, number];
  /** C_out·H_out·W_out. */
  readonly rows: number;
  /** C_in·H_in·W_in. */
  readonly cols: number;
  readonly nnz: number;
  readonly row: Uint32Array;
  readonly col: Uint32Array;
  readonly tap: Uint32Array;
  /** Elements of the kernel (the number of shared weights). */
  readonly kernelSize: number;
}

function pads(p: Padding, size: number, k: number, s: number, d: number, axis: 0 | 1): Pair {
  if (p === 'valid') return [0, 0];
  if (p === 'same') return samePads(size, k, s, d);
  return axis === 0 ? [p.top, p.bottom] : [p.left, p.right];
}

/** The sparse dense-equivalent of one conv2d (stride, padding, dilation, groups) or depthwise node. */
export function embedConv(graph: Graph, node: Node): ConvEmbedding {
  const op = node.op;
  if (op.op !== 'conv2d' && op.op !== 'depthwiseConv2d') throw new Error(`${node.id} is not a conv`);
  const input = graph.nodes.find((n) => n.id === node.inputs[0])!;
  if (input.shape.length !== 3 || node.shape.length !== 3) throw new UserError(`${graph.file}: conv "${node.id}" does not act on an H×W×C image.`, graph.file);
  const [hi, wi, ci] = input.shape as [number, number, number];
  const [ho, wo, co] = node.shape as [number, number, number];
  const kernel: Param = graph.params.get(node.params.kernel!)!;
  const [kh, kw, kc, km] = kernel.shape;
  const [sh, sw] = op.strides;
  const [dh, dw] = op.dilations;
  const [pt] = pads(op.padding, hi, kh, sh, dh, 0);
  const [pl] = pads(op.padding, wi, kw, sw, dw, 1);
  // For each output channel o: the input channels it reads and the kernel element of (tap, input channel).
  // conv2d: group g = ⌊o / (co/groups)⌋ reads channels g·kc .. g·kc + kc − 1, kernel [a, b, c, o].
  // depthwise: o = c·mult + m reads channel c, kernel [a, b, c, m].
  const perOut = op.op === 'conv2d' ? kc : 1;
  const inCh = new Uint32Array(co * perOut);
  const kIdx = new Uint32Array(co * perOut); // index within one (a, b) tap slice
  if (op.op === 'conv2d') {
    const cog = co / op.groups;
    for (let o = 0; o < co; o++) {
      const g = Math.floor(o / cog);
      for (let c = 0; c < kc; c++) {
        inCh[o * kc + c] = g * kc + c;
        kIdx[o * kc + c] = c * km + o;
      }
    }
  } else {
    for (let o = 0; o < co; o++) {
      inCh[o] = Math.floor(o / km);
      kIdx[o] = o; // c·mult + m = o, row-major over [c, m]
    }
  }
  const tapStride = kc * km;
  // Count first, then fill: the arrays are exact-size.
  let nnz = 0;
  const rowsOk = (i: number, a: number) => {
    const y = i * sh - pt + a * dh;
    return y >= 0 && y < hi;
  };
  const colsOk = (j: number, b: number) => {
    const x = j * sw - pl + b * dw;
    return x >= 0 && x < wi;
  };
  for (let i = 0; i < ho; i++) for (let a = 0; a < kh; a++) if (rowsOk(i, a)) for (let j = 0; j < wo; j++) for (let b = 0; b < kw; b++) if (colsOk(j, b)) nnz += co * perOut;
  const row = new Uint32Array(nnz);
  const col = new Uint32Array(nnz);
  const tap = new Uint32Array(nnz);
  let e = 0;
  for (let i = 0; i < ho; i++) {
    for (let j = 0; j < wo; j++) {
      const outBase = (i * wo + j) * co;
      for (let a = 0; a < kh; a++) {
        const y = i * sh - pt + a * dh;
        if (y < 0 || y >= hi) continue;
        for (let b = 0; b < kw; b++) {
          const x = j * sw - pl + b * dw;
          if (x < 0 || x >= wi) continue;
          const inBase = (y * wi + x) * ci;
          const tapBase = (a * kw + b) * tapStride;
          for (let q = 0; q < co * perOut; q++) {
            row[e] = outBase + Math.floor(q / perOut);
            col[e] = inBase + inCh[q];
            tap[e] = tapBase + kIdx[q];
            e++;
          }
        }
      }
    }
  }
  return { node: node.id, op: op.op, inShape: [hi, wi, ci], outShape: [ho, wo, co], rows: ho * wo * co, cols: hi * wi * ci, nnz, row, col, tap, kernelSize: kernel.data.length };
}

/** The dense weight as an IR dense kernel [in, out] (Wᵀ), row-major. */
export function denseKernel(e: ConvEmbedding, kernel: Float32Array): Float32Array {
  const out = new Float32Array(e.rows * e.cols);
  for (let k = 0; k < e.nnz; k++) out[e.col[k] * e.rows + e.row[k]] = kernel[e.tap[k]];
  return out;
}

/** The bias repeated over the output positions, [H_out·W_out·C_out]. */
export function denseBias(e: ConvEmbedding, bias: Float32Array): Float32Array {
  const [ho, wo, co] = e.outShape;
  const out = new Float32Array(ho * wo * co);
  for (let p = 0; p < ho * wo; p++) out.set(bias, p * co);
  return out;
}

/** Index of each nonzero in the flattened IR dense kernel [in, out]. */
export function kernelPositions(e: ConvEmbedding): Int32Array {
  const out = new Int32Array(e.nnz);
  for (let k = 0; k < e.nnz; k++) out[k] = e.col[k] * e.rows + e.row[k];
  return out;
}

/** Size and sparsity of one dense-equivalent layer. */
export interface LayerSize {
  /** rows × cols. */
  readonly denseElements: number;
  readonly nnz: number;
  /** 1 − nnz / denseElements. */
  readonly sparsity: number;
  /** float32 dense storage. */
  readonly denseBytes: number;
  /** CSR: float32 values and uint32 column indices per nonzero, uint32 row pointers. */
  readonly csrBytes: number;
  /** The kernel's own size, for comparison. */
  readonly kernelBytes: number;
}

/** How big the dense equivalent is, dense and sparse. */
export function layerSize(e: ConvEmbedding): LayerSize {
  const denseElements = e.rows * e.cols;
  return {
    denseElements,
    nnz: e.nnz,
    sparsity: 1 - e.nnz / denseElements,
    denseBytes: 4 * denseElements,
    csrBytes: 8 * e.nnz + 4 * (e.rows + 1),
    kernelBytes: 4 * e.kernelSize,
  };
}
