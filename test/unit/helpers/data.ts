// Small writers for the dataset tests (test/unit/data*.test.ts): every fixture is generated into a temp folder.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { zipSync, type Zippable } from 'fflate';
import { encode as encodeJpeg } from 'jpeg-js';
import { PNG } from 'pngjs';

/** Selects the cpu backend once. */
export async function useCpu(): Promise<void> {
  if (tf.getBackend() !== 'cpu') await tf.setBackend('cpu');
}

/** A fresh temp folder, removed by the returned cleanup. */
export function tempDir(prefix = 'll-data-'): { dir: string; cleanup: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

const IDX_CODES = { uint8: 0x08, int8: 0x09, int16: 0x0b, int32: 0x0c, float32: 0x0d, float64: 0x0e } as const;
type IdxType = keyof typeof IDX_CODES;
const IDX_SIZE: Record<IdxType, number> = { uint8: 1, int8: 1, int16: 2, int32: 4, float32: 4, float64: 8 };

/** An IDX file (big-endian) holding `values` with `shape`. */
export function idxBytes(type: IdxType, shape: number[], values: ArrayLike<number>): Uint8Array {
  const head = 4 + 4 * shape.length;
  const out = new Uint8Array(head + values.length * IDX_SIZE[type]);
  const dv = new DataView(out.buffer);
  out[2] = IDX_CODES[type];
  out[3] = shape.length;
  shape.forEach((d, i) => dv.setUint32(4 + 4 * i, d, false));
  for (let i = 0; i < values.length; i++) {
    const at = head + i * IDX_SIZE[type];
    const v = values[i];
    if (type === 'uint8') dv.setUint8(at, v);
    else if (type === 'int8') dv.setInt8(at, v);
    else if (type === 'int16') dv.setInt16(at, v, false);
    else if (type === 'int32') dv.setInt32(at, v, false);
    else if (type === 'float32') dv.setFloat32(at, v, false);
    else dv.setFloat64(at, v, false);
  }
  return out;
}

/** A .npy file with the given descr (e.g. '<f4', '|u1', '<i8', or a record list) and raw little-endian data bytes. */
export function npyBytes(descr: string, shape: number[], data: Uint8Array, fortran = false): Uint8Array {
  const shapeStr = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  const d = descr.startsWith('[') ? descr : `'${descr}'`;
  let dict = `{'descr': ${d}, 'fortran_order': ${fortran ? 'True' : 'False'}, 'shape': ${shapeStr}, }`;
  const total = 10 + dict.length + 1;
  dict += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const out = new Uint8Array(10 + dict.length + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0], 0);
  new DataView(out.buffer).setUint16(8, dict.length, true);
  out.set(new TextEncoder().encode(dict), 10);
  out.set(data, 10 + dict.length);
  return out;
}

/** Bytes of a typed array (host order, little-endian on every machine these tests run on). */
export function bytesOf(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/** An .npz archive of the given .npy members, stored (level 0) or deflated. */
export function npzBytes(members: Record<string, Uint8Array>, deflate: boolean): Uint8Array {
  const input: Zippable = {};
  for (const [k, v] of Object.entries(members)) input[`${k}.npy`] = [v, { level: deflate ? 6 : 0 }];
  return zipSync(input);
}

/** A PNG of width x height with RGBA pixels from `pixel(x, y)`; gray PNGs use colour type 0. */
export function pngBytes(width: number, height: number, pixel: (x: number, y: number) => [number, number, number], gray = false): Buffer {
  const png = new PNG({ width, height, colorType: gray ? 0 : 2, inputColorType: 6 } as ConstructorParameters<typeof PNG>[0]);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const [r, g, b] = pixel(x, y);
      const o = (y * width + x) * 4;
      png.data[o] = r;
      png.data[o + 1] = g;
      png.data[o + 2] = b;
      png.data[o + 3] = 255;
    }
  }
  return PNG.sync.write(png, { colorType: gray ? 0 : 2, inputColorType: 6 });
}

/** A JPEG of a flat colour. */
export function jpegBytes(width: number, height: number, rgb: [number, number, number]): Buffer {
  const data = Buffer.alloc(width * height * 4);
  for (let p = 0; p < width * height; p++) data.set([...rgb, 255], p * 4);
  return encodeJpeg({ width, height, data }, 95).data;
}

/** True when python3 with numpy can run here. */
export function hasNumpy(): boolean {
  try {
    execFileSync('python3', ['-c', 'import numpy'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Runs a python3 snippet (numpy imported as np) with `dir` as working directory. */
export function python(dir: string, code: string): string {
  return execFileSync('python3', ['-c', `import numpy as np\n${code}`], { cwd: dir, encoding: 'utf8' });
}

/** Sum of the live tensors' count, for leak checks. */
export function liveTensors(): number {
  return tf.memory().numTensors;
}

/** Open file descriptors of this process that point into `dir`, for leak checks (Linux; [] elsewhere). */
export function openFilesUnder(dir: string): string[] {
  const out: string[] = [];
  if (!fs.existsSync('/proc/self/fd')) return out;
  for (const fd of fs.readdirSync('/proc/self/fd')) {
    try {
      const target = fs.readlinkSync(`/proc/self/fd/${fd}`);
      if (target.startsWith(dir)) out.push(target);
    } catch {
      // closed while listing
    }
  }
  return out;
}
