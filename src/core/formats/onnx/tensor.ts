import * as fs from 'node:fs';
import { UserError } from '../../errors';
import { halfToFloat } from '../../float16';
import { MAX_TENSOR_ELEMENTS } from '../../graph/builder';
import { resolveInside } from '../paths';
import { DataType, OnnxTensor } from './proto';

/**
 * A tensor known while loading: an initializer, a Constant, or a folded shape computation.
 * Integer tensors may hold `null` for "the batch size", which is unknown until run time; that is
 * how PyTorch's Shape -> Gather -> Concat -> Reshape flatten chains fold to a static reshape.
 */
export type Const =
  | { readonly kind: 'float'; readonly dims: readonly number[]; readonly data: Float32Array }
  | { readonly kind: 'int'; readonly dims: readonly number[]; readonly data: readonly (number | null)[] };

const FLOAT_TYPES = new Set<number>([DataType.FLOAT, DataType.DOUBLE, DataType.FLOAT16, DataType.BFLOAT16]);
const INT_TYPES = new Set<number>([DataType.UINT8, DataType.INT8, DataType.UINT16, DataType.INT16, DataType.INT32, DataType.INT64, DataType.BOOL, DataType.UINT32, DataType.UINT64]);

const TYPE_NAMES: Readonly<Record<number, string>> = {
  1: 'float32', 2: 'uint8', 3: 'int8', 4: 'uint16', 5: 'int16', 6: 'int32', 7: 'int64', 8: 'string', 9: 'bool',
  10: 'float16', 11: 'float64', 12: 'uint32', 13: 'uint64', 14: 'complex64', 15: 'complex128', 16: 'bfloat16',
};

/** A readable name of an ONNX element type, for messages. */
export function typeName(t: number): string {
  return TYPE_NAMES[t] ?? `type ${t}`;
}

/** True for element types a Const can hold as floats. */
export function isFloatType(t: number): boolean {
  return FLOAT_TYPES.has(t);
}

/** True for element types a Const can hold as integers (booleans are 0 / 1). */
export function isIntType(t: number): boolean {
  return INT_TYPES.has(t);
}

const BYTES: Readonly<Record<number, number>> = { 1: 4, 2: 1, 3: 1, 4: 2, 5: 2, 6: 4, 7: 8, 9: 1, 10: 2, 11: 8, 12: 4, 13: 8, 16: 2 };

/** Element count of `dims`, refusing negative, fractional or absurd sizes before anything is allocated. */
export function elementCount(dims: readonly number[], file: string, what: string): number {
  let n = 1;
  for (const d of dims) {
    if (!Number.isSafeInteger(d) || d < 0) throw new UserError(`${file}: ${what} has an impossible dimension ${d} in [${dims.join(', ')}].`, file);
    n *= d;
    if (n > MAX_TENSOR_ELEMENTS) throw new UserError(`${file}: ${what} would have ${n} or more elements ([${dims.join(', ')}]); that is not a model Linear Lens can hold.`, file);
  }
  return n;
}

function bfloat(b: number): number {
  const u = new Uint32Array([b << 16]);
  return new Float32Array(u.buffer)[0];
}

/** Reads a tensor's bytes from its external data file, inside the model's folder only. */
function externalBytes(file: string, t: OnnxTensor, expected: number): Uint8Array {
  const entries = new Map(t.externalData);
  const location = entries.get('location');
  const what = `tensor "${t.name}"`;
  if (!location) throw new UserError(`${file}: ${what} is stored externally but names no file (no "location").`, file);
  const target = resolveInside(file, location);
  const num = (key: string): number | undefined => {
    const s = entries.get(key);
    if (s === undefined || s === '') return undefined;
    if (!/^\d+$/.test(s) || !Number.isSafeInteger(Number(s))) throw new UserError(`${file}: ${what} has an invalid external-data ${key} "${s}".`, file);
    return Number(s);
  };
  const offset = num('offset') ?? 0;
  const length = num('length') ?? expected;
  if (length !== expected) throw new UserError(`${file}: ${what} claims ${length} bytes of external data in "${location}" but its shape and type need ${expected}.`, file);
  let st: fs.Stats;
  try {
    st = fs.statSync(target);
  } catch {
    throw new UserError(`${file}: ${what} keeps its data in "${location}", which does not exist beside the model. Copy the data file next to the .onnx file.`, file);
  }
  if (!st.isFile()) throw new UserError(`${file}: ${what} keeps its data in "${location}", which is not a regular file.`, file);
  if (offset + length > st.size) throw new UserError(`${file}: ${what} reads bytes ${offset}..${offset + length} of "${location}", which has only ${st.size} bytes.`, file);
  const out = new Uint8Array(length);
  const fd = fs.openSync(target, 'r');
  try {
    let done = 0;
    while (done < length) {
      const n = fs.readSync(fd, out, done, length - done, offset + done);
      if (n <= 0) throw new UserError(`${file}: could not read the external data of ${what} from "${location}".`, file);
      done += n;
    }
  } finally {
    fs.closeSync(fd);
  }
  return out;
}

function fromBytes(b: Uint8Array, type: number, n: number): Float32Array | (number | null)[] {
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  switch (type) {
    case DataType.FLOAT: {
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = view.getFloat32(4 * i, true);
      return out;
    }
    case DataType.DOUBLE: {
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = view.getFloat64(8 * i, true);
      return out;
    }
    case DataType.FLOAT16: {
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = halfToFloat(view.getUint16(2 * i, true));
      return out;
    }
    case DataType.BFLOAT16: {
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = bfloat(view.getUint16(2 * i, true));
      return out;
    }
  }
  const out: number[] = new Array(n);
  for (let i = 0; i < n; i++) {
    switch (type) {
      case DataType.UINT8:
      case DataType.BOOL:
        out[i] = view.getUint8(i);
        break;
      case DataType.INT8:
        out[i] = view.getInt8(i);
        break;
      case DataType.UINT16:
        out[i] = view.getUint16(2 * i, true);
        break;
      case DataType.INT16:
        out[i] = view.getInt16(2 * i, true);
        break;
      case DataType.INT32:
        out[i] = view.getInt32(4 * i, true);
        break;
      case DataType.UINT32:
        out[i] = view.getUint32(4 * i, true);
        break;
      case DataType.INT64:
        out[i] = Number(view.getBigInt64(8 * i, true));
        break;
      case DataType.UINT64:
        out[i] = Number(view.getBigUint64(8 * i, true));
        break;
    }
  }
  return out;
}

/** The values of a TensorProto, from raw_data, the typed repeated fields or an external file. */
export function tensorToConst(file: string, t: OnnxTensor): Const {
  const what = `tensor "${t.name}"`;
  const type = t.dataType;
  if (!isFloatType(type) && !isIntType(type)) throw new UserError(`${file}: ${what} has element type ${typeName(type)}, which Linear Lens cannot use as a weight or shape.`, file);
  const n = elementCount(t.dims, file, what);
  const dims = [...t.dims];
  const width = BYTES[type];
  let raw = t.rawData;
  if (t.dataLocation === 1) raw = externalBytes(file, t, n * width);
  if (raw !== undefined && (raw.length > 0 || n === 0)) {
    if (raw.length !== n * width) throw new UserError(`${file}: ${what} has ${raw.length} bytes of data but its shape [${dims.join(', ')}] of ${typeName(type)} needs ${n * width}.`, file);
    const data = fromBytes(raw, type, n);
    return data instanceof Float32Array ? { kind: 'float', dims, data } : { kind: 'int', dims, data };
  }
  let values: ArrayLike<number>;
  switch (type) {
    case DataType.FLOAT:
      values = t.floatData;
      break;
    case DataType.DOUBLE:
      values = t.doubleData;
      break;
    case DataType.INT64:
      values = t.int64Data;
      break;
    case DataType.UINT32:
    case DataType.UINT64:
      values = t.uint64Data;
      break;
    default:
      // int32_data carries every narrower type, float16 and bfloat16 as bit patterns.
      values = t.int32Data;
  }
  if (values.length !== n) throw new UserError(`${file}: ${what} has ${values.length} values but its shape [${dims.join(', ')}] needs ${n}.`, file);
  if (type === DataType.FLOAT16 || type === DataType.BFLOAT16) {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = type === DataType.FLOAT16 ? halfToFloat(values[i] & 0xffff) : bfloat(values[i] & 0xffff);
    return { kind: 'float', dims, data: out };
  }
  if (isFloatType(type)) return { kind: 'float', dims, data: Float32Array.from(values) };
  return { kind: 'int', dims, data: Array.from(values) };
}
