/**
 * Number decoding shared by the HDF5 reader (which runs in the HDF5 worker thread, h5Thread.ts)
 * and the TF.js weight shards (main thread): kept apart from h5.ts so that the main bundles do not
 * pull in h5wasm.
 */

import { halfToFloat } from '../../float16';

/** Decodes `n` numbers of `size` bytes each into float32. */
export function decodeNumbers(raw: Uint8Array, n: number, size: number, isFloat: boolean, signed: boolean, littleEndian: boolean): Float32Array {
  const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const out = new Float32Array(n);
  const le = littleEndian || size === 1;
  if (isFloat && size === 4 && le) return new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + n * 4));
  for (let i = 0; i < n; i++) {
    const o = i * size;
    if (isFloat) out[i] = size === 8 ? dv.getFloat64(o, le) : size === 4 ? dv.getFloat32(o, le) : halfToFloat(dv.getUint16(o, le));
    else if (size === 8) out[i] = Number(signed ? dv.getBigInt64(o, le) : dv.getBigUint64(o, le));
    else if (size === 4) out[i] = signed ? dv.getInt32(o, le) : dv.getUint32(o, le);
    else if (size === 2) out[i] = signed ? dv.getInt16(o, le) : dv.getUint16(o, le);
    else out[i] = signed ? dv.getInt8(o) : dv.getUint8(o);
  }
  return out;
}

/** Decodes IEEE half floats (TF.js float16 quantization, HDF5 float16). */
export function decodeHalf(raw: Uint8Array, n: number): Float32Array {
  return decodeNumbers(raw, n, 2, true, true, true);
}
