import { UserError } from '../errors';
import { ArrayFile, checkedByteSize } from './arrayFile';
import { ITEM_SIZE, type DType } from './dtype';
import type { RandomAccessFile } from './file';

/** IDX type codes (third magic byte); the data is big-endian. */
const IDX_TYPES: Readonly<Record<number, DType>> = {
  0x08: 'uint8',
  0x09: 'int8',
  0x0b: 'int16',
  0x0c: 'int32',
  0x0d: 'float32',
  0x0e: 'float64',
};

/** More axes than this is not an IDX file that happens to start with two zero bytes. */
const MAX_IDX_RANK = 16;

/** True when `head` starts with an IDX magic number (00 00 type rank). */
export function isIdx(head: Uint8Array): boolean {
  return head.length >= 4 && head[0] === 0 && head[1] === 0 && head[2] in IDX_TYPES && head[3] >= 1 && head[3] <= MAX_IDX_RANK;
}

/** Total bytes an IDX file with this header must have, or undefined while the header is incomplete. */
export function idxDeclaredSize(head: Uint8Array): number | undefined {
  if (!isIdx(head)) return undefined;
  const rank = head[3];
  if (head.length < 4 + 4 * rank) return undefined;
  const dv = new DataView(head.buffer, head.byteOffset, head.byteLength);
  let n = ITEM_SIZE[IDX_TYPES[head[2]]];
  for (let i = 0; i < rank; i++) n *= dv.getUint32(4 + 4 * i, false);
  return 4 + 4 * rank + n;
}

/** Parses an IDX header and checks it against the file size; the rows are read later. */
export function openIdx(file: RandomAccessFile, label = file.label): ArrayFile {
  const head = file.readSyncAt(0, 4);
  if (!isIdx(head)) {
    throw new UserError(
      `${label}: not an IDX file (magic ${hex(head)}; IDX files start with 00 00, a type code and the number of axes). Check that this is an MNIST-style file and not an HTML page or a truncated download.`,
      file.path,
    );
  }
  const dtype = IDX_TYPES[head[2]];
  const rank = head[3];
  const headerBytes = 4 + 4 * rank;
  if (file.size < headerBytes) {
    throw new UserError(
      `${label}: the file is ${file.size} bytes, shorter than its own ${headerBytes}-byte IDX header; it is truncated. Download it again.`,
      file.path,
    );
  }
  const dimBytes = file.readSyncAt(4, 4 * rank);
  const dv = new DataView(dimBytes.buffer, dimBytes.byteOffset, dimBytes.byteLength);
  const shape: number[] = [];
  for (let i = 0; i < rank; i++) shape.push(dv.getUint32(4 * i, false));
  const bytes = checkedByteSize(shape, ITEM_SIZE[dtype], file.size - headerBytes, label, file.path, 'an IDX file');
  const expected = headerBytes + bytes;
  if (file.size !== expected) {
    throw new UserError(
      `${label}: the IDX header declares ${dtype} [${shape.join(', ')}] (${expected} bytes with the header) but the file has ${file.size} bytes; it is damaged or has data appended. Download it again.`,
      file.path,
    );
  }
  if (shape[0] === 0) throw new UserError(`${label}: the IDX file holds no samples (first dimension is 0).`, file.path);
  return new ArrayFile(file, label, dtype, false, shape, headerBytes);
}

/** The first bytes as hex, for messages about bad magic numbers. */
export function hex(bytes: Uint8Array, n = 8): string {
  return Array.from(bytes.subarray(0, n), (b) => b.toString(16).padStart(2, '0')).join(' ') || '(empty file)';
}
