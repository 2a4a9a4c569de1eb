/*
 * How an ONNX tensor is laid out in the IR. ONNX models are NCHW; the IR is NHWC. Rather than
 * transposing around every conv, each runtime ONNX value remembers a permutation `perm` (over all
 * axes, batch included, perm[0] = 0): IR axis j holds ONNX axis perm[j]. Ops that care (conv,
 * pooling, batch-norm, flatten, reshape, outputs) ask for the permutation they need and a transpose
 * node is inserted only when the value is not already laid out that way. An ONNX Transpose just
 * changes `perm`, so keras2onnx's NHWC -> NCHW Transpose before a conv costs nothing.
 */

/** [0, 1, ..., rank-1]. */
export function identity(rank: number): number[] {
  return Array.from({ length: rank }, (_, i) => i);
}

/** The NHWC view of an N, C, spatial... tensor: [0, 2, ..., rank-1, 1]; identity below rank 3. */
export function channelsLast(rank: number): number[] {
  if (rank < 3) return identity(rank);
  return [0, ...Array.from({ length: rank - 2 }, (_, i) => i + 2), 1];
}

/** The inverse permutation. */
export function invert(p: readonly number[]): number[] {
  const q = new Array<number>(p.length);
  p.forEach((a, i) => (q[a] = i));
  return q;
}

/** True when both permutations are the same. */
export function samePerm(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** True for [0, 1, ..., n-1]. */
export function isIdentity(p: readonly number[]): boolean {
  return p.every((v, i) => v === i);
}

/**
 * The transpose (over all axes) that turns an IR tensor laid out as `from` into one laid out as
 * `to`, both describing the same ONNX tensor.
 */
export function relayout(from: readonly number[], to: readonly number[]): number[] {
  const inv = invert(from);
  return to.map((a) => inv[a]);
}

/** The layout after an ONNX Transpose with `onnxPerm` of a value laid out as `perm`. */
export function afterTranspose(perm: readonly number[], onnxPerm: readonly number[]): number[] {
  const inv = invert(onnxPerm);
  return perm.map((a) => inv[a]);
}

/** A full-rank permutation (batch fixed at 0) as the IR's sample-axis permutation. */
export function samplePerm(full: readonly number[]): number[] {
  return full.slice(1).map((a) => a - 1);
}

/** The IR axis (batch = 0) that holds ONNX axis `onnxAxis`. */
export function irAxis(perm: readonly number[], onnxAxis: number): number {
  return perm.indexOf(onnxAxis);
}

/** Normalises a possibly negative axis; undefined when out of range. */
export function normAxis(axis: number, rank: number): number | undefined {
  const a = axis < 0 ? axis + rank : axis;
  return Number.isInteger(a) && a >= 0 && a < rank ? a : undefined;
}
