import { halfToFloat } from '../float16';

/** Element types that IDX and .npy files can hold and that Linear Lens reads. */
export type DType =
  | 'bool'
  | 'uint8'
  | 'int8'
  | 'uint16'
  | 'int16'
  | 'uint32'
  | 'int32'
  | 'uint64'
  | 'int64'
  | 'float16'
  | 'float32'
  | 'float64';

/** Bytes per element of each dtype. */
export const ITEM_SIZE: Readonly<Record<DType, number>> = {
  bool: 1,
  uint8: 1,
  int8: 1,
  uint16: 2,
  int16: 2,
  uint32: 4,
  int32: 4,
  uint64: 8,
  int64: 8,
  float16: 2,
  float32: 4,
  float64: 8,
};

const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

type NumberArray = Float32Array | Float64Array;

/**
 * Decodes `bytes` (a whole number of elements) into out[outOffset...]. Native-endian aligned data
 * goes through a typed-array view (one bulk conversion); the rest through a DataView.
 */
export function decodeInto(
  bytes: Uint8Array,
  dtype: DType,
  littleEndian: boolean,
  out: NumberArray,
  outOffset: number,
): void {
  const size = ITEM_SIZE[dtype];
  const n = bytes.byteLength / size;
  if (size === 1) {
    if (dtype === 'int8') out.set(new Int8Array(bytes.buffer, bytes.byteOffset, n), outOffset);
    else out.set(bytes, outOffset);
    return;
  }
  if (dtype === 'float16') {
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let i = 0; i < n; i++) out[outOffset + i] = halfToFloat(dv.getUint16(i * 2, littleEndian));
    return;
  }
  if (littleEndian === HOST_LITTLE_ENDIAN) {
    // Typed-array views need alignment; a copy is cheaper than a DataView loop.
    const src = bytes.byteOffset % size === 0 ? bytes : bytes.slice();
    const view = nativeView(src, dtype, n);
    if (view instanceof BigInt64Array || view instanceof BigUint64Array) {
      for (let i = 0; i < n; i++) out[outOffset + i] = Number(view[i]);
    } else {
      out.set(view, outOffset);
    }
    return;
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const le = littleEndian;
  switch (dtype) {
    case 'uint16':
      for (let i = 0; i < n; i++) out[outOffset + i] = dv.getUint16(i * 2, le);
      break;
    case 'int16':
      for (let i = 0; i < n; i++) out[outOffset + i] = dv.getInt16(i * 2, le);
      break;
    case 'uint32':
      for (let i = 0; i < n; i++) out[outOffset + i] = dv.getUint32(i * 4, le);
      break;
    case 'int32':
      for (let i = 0; i < n; i++) out[outOffset + i] = dv.getInt32(i * 4, le);
      break;
    case 'uint64':
      for (let i = 0; i < n; i++) out[outOffset + i] = Number(dv.getBigUint64(i * 8, le));
      break;
    case 'int64':
      for (let i = 0; i < n; i++) out[outOffset + i] = Number(dv.getBigInt64(i * 8, le));
      break;
    case 'float32':
      for (let i = 0; i < n; i++) out[outOffset + i] = dv.getFloat32(i * 4, le);
      break;
    case 'float64':
      for (let i = 0; i < n; i++) out[outOffset + i] = dv.getFloat64(i * 8, le);
      break;
  }
}

function nativeView(
  b: Uint8Array,
  dtype: DType,
  n: number,
): Uint16Array | Int16Array | Uint32Array | Int32Array | Float32Array | Float64Array | BigInt64Array | BigUint64Array {
  switch (dtype) {
    case 'uint16':
      return new Uint16Array(b.buffer, b.byteOffset, n);
    case 'int16':
      return new Int16Array(b.buffer, b.byteOffset, n);
    case 'uint32':
      return new Uint32Array(b.buffer, b.byteOffset, n);
    case 'int32':
      return new Int32Array(b.buffer, b.byteOffset, n);
    case 'uint64':
      return new BigUint64Array(b.buffer, b.byteOffset, n);
    case 'int64':
      return new BigInt64Array(b.buffer, b.byteOffset, n);
    case 'float32':
      return new Float32Array(b.buffer, b.byteOffset, n);
    case 'float64':
      return new Float64Array(b.buffer, b.byteOffset, n);
    default:
      throw new Error(`no native view for ${dtype}`);
  }
}

