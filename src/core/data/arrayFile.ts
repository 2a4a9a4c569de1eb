import { UserError } from '../errors';
import { decodeInto, ITEM_SIZE, type DType } from './dtype';
import type { RandomAccessFile } from './file';

/** Rows closer than this many bytes are fetched in one read (cheaper than another syscall). */
const MERGE_GAP_BYTES = 64 * 1024;

/**
 * A dense C-order array stored in a byte range of a file (IDX body, .npy body, stored .npz
 * member, or a decompressed cache file). Axis 0 is the sample axis; rows are read on demand.
 */
export class ArrayFile {
  readonly count: number;
  readonly rowElems: number;
  readonly rowBytes: number;

  constructor(
    readonly file: RandomAccessFile,
    /** Names the array in messages (file name, or archive[member]). */
    readonly label: string,
    readonly dtype: DType,
    readonly littleEndian: boolean,
    readonly shape: readonly number[],
    readonly dataOffset: number,
  ) {
    this.count = shape[0] ?? 1;
    this.rowElems = shape.slice(1).reduce((a, b) => a * b, 1);
    this.rowBytes = this.rowElems * ITEM_SIZE[dtype];
  }

  /** Reads rows first..first+n-1 into out[outOffset...] (row-major). */
  async readRange(first: number, n: number, out: Float32Array | Float64Array, outOffset = 0): Promise<void> {
    if (n === 0) return;
    const bytes = await this.file.read(this.dataOffset + first * this.rowBytes, n * this.rowBytes);
    decodeInto(bytes, this.dtype, this.littleEndian, out, outOffset);
  }

  /** Reads the rows at ascending `indices` into a new Float32Array, merging nearby rows into one read. */
  async readRows(indices: readonly number[]): Promise<Float32Array> {
    const out = new Float32Array(indices.length * this.rowElems);
    const gapRows = Math.max(1, Math.floor(MERGE_GAP_BYTES / Math.max(1, this.rowBytes)));
    let k = 0;
    while (k < indices.length) {
      // A run: indices[k..end) whose neighbours are at most gapRows apart.
      let end = k + 1;
      while (end < indices.length && indices[end] - indices[end - 1] <= gapRows) end++;
      const first = indices[k];
      const last = indices[end - 1];
      for (let j = k; j < end; j++) {
        const i = indices[j];
        if (!(i >= 0 && i < this.count) || (j > k && i <= indices[j - 1])) {
          throw new RangeError(`${this.label}: row indices must be ascending and in [0, ${this.count}); got ${i}`);
        }
      }
      if (last - first + 1 === end - k) {
        await this.readRange(first, end - k, out, k * this.rowElems);
      } else {
        const bytes = await this.file.read(this.dataOffset + first * this.rowBytes, (last - first + 1) * this.rowBytes);
        for (let j = k; j < end; j++) {
          const at = (indices[j] - first) * this.rowBytes;
          decodeInto(bytes.subarray(at, at + this.rowBytes), this.dtype, this.littleEndian, out, j * this.rowElems);
        }
      }
      k = end;
    }
    return out;
  }
}

/**
 * The product of `dims` times `itemSize`, or a UserError when it exceeds `available` bytes.
 * Checked factor by factor so a header with absurd dims fails before any overflow or allocation.
 */
export function checkedByteSize(
  dims: readonly number[],
  itemSize: number,
  available: number,
  label: string,
  file: string,
  what: string,
): number {
  let bytes = itemSize;
  for (const d of dims) {
    if (!Number.isSafeInteger(d) || d < 0) {
      throw new UserError(`${label}: the header declares an invalid dimension ${d}; the file is damaged or not ${what}.`, file);
    }
    bytes *= d;
    if (bytes > available) {
      throw new UserError(
        `${label}: the header declares shape [${dims.join(', ')}], which needs more bytes than the ${available} the file holds; the file is truncated or not ${what}. Copy or download it again.`,
        file,
      );
    }
  }
  return bytes;
}
