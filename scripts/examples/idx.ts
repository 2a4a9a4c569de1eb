import * as fs from 'node:fs';
import * as zlib from 'node:zlib';

/** A uint8 IDX array: MNIST images ([n, 28, 28]) or labels ([n]). */
export interface IdxU8 {
  readonly shape: readonly number[];
  readonly data: Uint8Array;
}

/** Reads a uint8 IDX file, gunzipping when the bytes start with the gzip magic. */
export function readIdxU8(file: string): IdxU8 {
  let bytes: Uint8Array = fs.readFileSync(file);
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) bytes = zlib.gunzipSync(bytes);
  if (bytes[0] !== 0 || bytes[1] !== 0 || bytes[2] !== 0x08) throw new Error(`${file}: not a uint8 IDX file`);
  const rank = bytes[3];
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shape: number[] = [];
  for (let i = 0; i < rank; i++) shape.push(dv.getUint32(4 + 4 * i, false));
  const start = 4 + 4 * rank;
  const n = shape.reduce((a, b) => a * b, 1);
  if (bytes.length !== start + n) throw new Error(`${file}: ${bytes.length} bytes, the header says ${start + n}`);
  return { shape, data: bytes.subarray(start, start + n) };
}

/** The first `count` items along axis 0. */
export function headIdx(a: IdxU8, count: number): IdxU8 {
  if (a.shape[0] < count) throw new Error(`only ${a.shape[0]} items, ${count} wanted`);
  const per = a.shape.slice(1).reduce((x, y) => x * y, 1);
  return { shape: [count, ...a.shape.slice(1)], data: a.data.slice(0, count * per) };
}

/**
 * Writes a uint8 IDX file, gzipped. Node's gzip header carries no file name and a zero mtime, so
 * the same array gives the same bytes on every run with the same zlib.
 */
export function writeIdxU8Gz(file: string, a: IdxU8): void {
  const head = new Uint8Array(4 + 4 * a.shape.length);
  const dv = new DataView(head.buffer);
  head[2] = 0x08;
  head[3] = a.shape.length;
  a.shape.forEach((d, i) => dv.setUint32(4 + 4 * i, d, false));
  const raw = Buffer.concat([head, a.data]);
  fs.writeFileSync(file, zlib.gzipSync(raw, { level: 9 }));
}
