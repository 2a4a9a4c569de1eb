import { isUserError, UserError } from '../../errors';
import { MAX_TENSOR_ELEMENTS } from '../../graph/builder';
import { readModelBytes, resolveInside } from '../paths';
import { decodeHalf, decodeNumbers } from './numbers';
import { isObject } from './json';
import { StoredWeight } from './weights';

/**
 * TF.js weight manifests: groups of shard files, read back to back, holding the weights in the
 * manifest's order. Shard paths are resolved only inside the model's folder.
 */

interface Entry {
  readonly name: string;
  readonly shape: number[];
  readonly dtype: string;
  readonly quantization?: { readonly dtype: string; readonly scale?: number; readonly min?: number };
}

const BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, uint8: 1, uint16: 2, float16: 2 };

function parseEntry(file: string, v: unknown, g: number): Entry {
  if (!isObject(v) || typeof v.name !== 'string') throw new UserError(`${file}: weight group ${g} of the weightsManifest has an entry without a name.`, file);
  const shape = v.shape;
  if (!Array.isArray(shape) || !shape.every((d) => typeof d === 'number' && Number.isInteger(d) && d >= 0)) {
    throw new UserError(`${file}: weight "${v.name}" has no valid shape in the weightsManifest.`, file);
  }
  const dtype = typeof v.dtype === 'string' ? v.dtype : 'float32';
  let quantization: Entry['quantization'];
  if (isObject(v.quantization)) {
    const q = v.quantization;
    if (typeof q.dtype !== 'string' || !['uint8', 'uint16', 'float16'].includes(q.dtype)) {
      throw new UserError(`${file}: weight "${v.name}" is quantized as "${String(q.dtype)}", which Linear Lens cannot read (it reads uint8, uint16 and float16).`, file);
    }
    if (q.dtype !== 'float16' && (typeof q.scale !== 'number' || typeof q.min !== 'number')) {
      throw new UserError(`${file}: weight "${v.name}" is quantized as ${q.dtype} without a scale and min.`, file);
    }
    quantization = { dtype: q.dtype, scale: q.scale as number | undefined, min: q.min as number | undefined };
  } else if (!Object.hasOwn(BYTES, dtype) || dtype === 'uint8' || dtype === 'uint16' || dtype === 'float16') {
    throw new UserError(`${file}: weight "${v.name}" has dtype "${dtype}"; a TF.js layers model stores float32, int32 or bool weights.`, file);
  }
  return { name: v.name, shape: shape as number[], dtype, quantization };
}

function decode(e: Entry, bytes: Uint8Array, n: number): Float32Array {
  const q = e.quantization;
  if (q) {
    if (q.dtype === 'float16') return decodeHalf(bytes, n);
    const ints = decodeNumbers(bytes, n, q.dtype === 'uint8' ? 1 : 2, false, false, true);
    // TF.js affine dequantization: value = q * scale + min.
    return ints.map((v) => v * q.scale! + q.min!);
  }
  if (e.dtype === 'float32') return decodeNumbers(bytes, n, 4, true, true, true);
  if (e.dtype === 'int32') return decodeNumbers(bytes, n, 4, false, true, true);
  return decodeNumbers(bytes, n, 1, false, false, true);
}

/** Reads every weight a TF.js weightsManifest describes, as float32, from its shard files. */
export function readTfjsWeights(file: string, manifest: unknown): StoredWeight[] {
  if (manifest === undefined || manifest === null) {
    throw new UserError(`${file}: the model.json has no weightsManifest, so it holds an architecture without weights. Save the whole model (model.save / tensorflowjs_converter) to get the weight shards too.`, file);
  }
  if (!Array.isArray(manifest)) throw new UserError(`${file}: its weightsManifest is not a list of weight groups.`, file);
  const out: StoredWeight[] = [];
  manifest.forEach((group, g) => {
    if (!isObject(group) || !Array.isArray(group.paths) || !Array.isArray(group.weights)) {
      throw new UserError(`${file}: weight group ${g} of the weightsManifest has no paths or weights.`, file);
    }
    const entries = group.weights.map((w) => parseEntry(file, w, g));
    const paths = group.paths.map((p) => {
      if (typeof p !== 'string') throw new UserError(`${file}: weight group ${g} lists a shard path that is not a string.`, file);
      return p;
    });
    const shards = paths.map((p) => readShard(file, p));
    const total = shards.reduce((a, s) => a + s.length, 0);
    let need = 0;
    for (const e of entries) {
      const n = e.shape.reduce((a, d) => a * d, 1);
      if (n > MAX_TENSOR_ELEMENTS) throw new UserError(`${file}: weight "${e.name}" has an impossible shape [${e.shape.join(', ')}].`, file);
      need += n * BYTES[e.quantization?.dtype ?? e.dtype];
    }
    if (total < need) {
      throw new UserError(
        `${file}: the weight shard${paths.length > 1 ? 's' : ''} ${paths.map((p) => `"${p}"`).join(', ')} hold${paths.length > 1 ? '' : 's'} ${total} bytes, but the weightsManifest describes ${need}; the shard is truncated or belongs to another model.`,
        file,
      );
    }
    const bytes = shards.length === 1 ? shards[0] : concat(shards, total);
    let offset = 0;
    for (const e of entries) {
      const n = e.shape.reduce((a, d) => a * d, 1);
      const len = n * BYTES[e.quantization?.dtype ?? e.dtype];
      out.push({ name: e.name, shape: e.shape, data: decode(e, bytes.subarray(offset, offset + len), n) });
      offset += len;
    }
  });
  return out;
}

/** A shard's bytes; a problem with it is reported against the model file, naming the shard as written there. */
function readShard(file: string, shard: string): Uint8Array {
  const target = resolveInside(file, shard);
  try {
    return readModelBytes(target, 'weight shard');
  } catch (e) {
    if (!isUserError(e)) throw e;
    throw new UserError(`${file}: cannot use its weight shard "${shard}": ${e.message.startsWith(`${target}: `) ? e.message.slice(target.length + 2) : e.message}`, file);
  }
}

function concat(parts: readonly Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
