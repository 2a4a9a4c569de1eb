import { UserError } from '../errors';
import { ArrayFile, checkedByteSize } from './arrayFile';
import { ITEM_SIZE, type DType } from './dtype';
import type { RandomAccessFile } from './file';
import { hex } from './idx';

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/** True when `head` starts with the .npy magic string. */
export function isNpy(head: Uint8Array): boolean {
  return head.length >= 6 && MAGIC.every((b, i) => head[i] === b);
}

interface NpyHeader {
  dtype: DType;
  littleEndian: boolean;
  shape: number[];
  dataOffset: number;
}

type HeaderResult = { ok: NpyHeader } | { error: string } | { needMore: true };

/** Total bytes a .npy file with this header must have, or undefined if the header is incomplete or invalid. */
export function npyDeclaredSize(head: Uint8Array): number | undefined {
  const r = parseHeader(head);
  if (!('ok' in r)) return undefined;
  return r.ok.dataOffset + r.ok.shape.reduce((a, b) => a * b, 1) * ITEM_SIZE[r.ok.dtype];
}

/**
 * Opens the .npy array stored in file[base, base+length) (the whole file, or a stored .npz member)
 * after checking the header against that length.
 */
export function openNpy(file: RandomAccessFile, label: string, base = 0, length = file.size): ArrayFile {
  // Headers are small (numpy pads them to 64 bytes); 1 MiB covers any real one.
  const head = file.readSyncAt(base, Math.min(length, 1 << 20));
  const r = parseHeader(head);
  if ('needMore' in r) {
    throw new UserError(`${label}: the .npy header is cut off (${length} bytes in all); the file is truncated. Save it again.`, file.path);
  }
  if ('error' in r) throw new UserError(`${label}: ${r.error}`, file.path);
  const { dtype, littleEndian, shape, dataOffset } = r.ok;
  const available = length - dataOffset;
  const bytes = checkedByteSize(shape, ITEM_SIZE[dtype], available, label, file.path, 'a .npy file');
  if (bytes !== available) {
    throw new UserError(
      `${label}: the .npy header declares ${dtype} [${shape.join(', ')}] (${bytes} bytes of data) but ${available} bytes follow the header; the file is damaged. Save it again.`,
      file.path,
    );
  }
  if (shape.length === 0) {
    throw new UserError(`${label}: holds a single number (a 0-d array), not samples. Save an array whose first axis runs over the samples.`, file.path);
  }
  if (shape[0] === 0) throw new UserError(`${label}: the array holds no samples (shape [${shape.join(', ')}]).`, file.path);
  return new ArrayFile(file, label, dtype, littleEndian, shape, base + dataOffset);
}

function parseHeader(head: Uint8Array): HeaderResult {
  if (head.length < 10) return isNpyPrefix(head) ? { needMore: true } : { error: `not a .npy file (magic ${hex(head)}).` };
  if (!isNpy(head)) return { error: `not a .npy file (magic ${hex(head)}; .npy files start with \\x93NUMPY).` };
  const major = head[6];
  if (major < 1 || major > 3) return { error: `.npy format version ${major}.${head[7]} is not supported (1.0 to 3.0 are).` };
  const dv = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const lenBytes = major === 1 ? 2 : 4;
  if (head.length < 8 + lenBytes) return { needMore: true };
  const headerLen = major === 1 ? dv.getUint16(8, true) : dv.getUint32(8, true);
  const dataOffset = 8 + lenBytes + headerLen;
  if (head.length < dataOffset) return { needMore: true };
  const text = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(head.subarray(8 + lenBytes, dataOffset));

  const fortran = /['"]fortran_order['"]\s*:\s*(True|False)/.exec(text);
  const shapeM = /['"]shape['"]\s*:\s*\(([^)]*)\)/.exec(text);
  const descrM = /['"]descr['"]\s*:\s*(?:'([^']*)'|"([^"]*)"|(\[))/.exec(text);
  if (!fortran || !shapeM || !descrM) return { error: `the .npy header is not valid (${JSON.stringify(text.trim())}).` };
  if (descrM[3]) {
    return { error: 'holds a structured (record) array, which is not supported. Save each field as its own plain numeric array.' };
  }
  const descr = descrM[1] ?? descrM[2];
  const dt = parseDescr(descr);
  if ('error' in dt) return dt;
  if (fortran[1] === 'True') {
    return {
      error:
        'the array is stored in Fortran (column-major) order, which is not supported. Save it in C order: np.save(path, np.ascontiguousarray(x)).',
    };
  }
  const shape: number[] = [];
  for (const part of shapeM[1].split(',')) {
    const s = part.trim().replace(/L$/, '');
    if (s === '') continue;
    if (!/^\d+$/.test(s)) return { error: `the .npy header has an invalid shape (${shapeM[1]}).` };
    shape.push(Number(s));
  }
  return { ok: { ...dt, shape, dataOffset } };
}

function isNpyPrefix(head: Uint8Array): boolean {
  return head.every((b, i) => i >= MAGIC.length || MAGIC[i] === b);
}

function parseDescr(descr: string): { dtype: DType; littleEndian: boolean } | { error: string } {
  const m = /^([<>|=]?)([a-zA-Z])(\d*)$/.exec(descr);
  const kind = m?.[2];
  if (kind === 'O') {
    return {
      error:
        "holds Python objects (dtype '|O'), which cannot be read without running Python code. Save a numeric array instead, e.g. np.save(path, x.astype(np.float32)).",
    };
  }
  const table: Record<string, DType> = {
    b1: 'bool',
    '?1': 'bool',
    u1: 'uint8',
    i1: 'int8',
    u2: 'uint16',
    i2: 'int16',
    u4: 'uint32',
    i4: 'int32',
    u8: 'uint64',
    i8: 'int64',
    f2: 'float16',
    f4: 'float32',
    f8: 'float64',
  };
  const dtype = m ? table[`${kind}${m[3] || '1'}`] : undefined;
  if (!m || !dtype) {
    return {
      error: `its dtype '${descr}' is not supported (bool, integers and float16/32/64 are). Convert it, e.g. np.save(path, x.astype(np.float32)).`,
    };
  }
  // '=' means native order of the machine that wrote it, which numpy itself never emits for
  // multi-byte types; little-endian is what every current writer is.
  return { dtype, littleEndian: m[1] !== '>' };
}
