import { Inflate } from 'fflate';
import { UserError } from '../errors';

/** Limits for reading zip archives (.keras, .npz): a zip bomb is refused before it is inflated. */
export const ZIP_LIMITS = { maxEntries: 10_000, maxTotalBytes: 4 * 1024 ** 3, maxEntryBytes: 2 * 1024 ** 3, maxRatio: 1000 } as const;

interface CentralEntry {
  readonly name: string;
  readonly compressedSize: number;
  readonly size: number;
  readonly method: number;
  readonly localOffset: number;
}

/** Reads the central directory (names and declared sizes) without inflating anything. */
export function centralDirectory(bytes: Uint8Array): CentralEntry[] {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let eocd = -1;
  for (let i = bytes.length - 22; i >= Math.max(0, bytes.length - 22 - 65535); i--) {
    if (dv.getUint32(i, true) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new Error('no end of central directory');
  let count = dv.getUint16(eocd + 10, true);
  let offset = dv.getUint32(eocd + 16, true);
  if (offset === 0xffffffff || count === 0xffff) {
    // zip64: the locator sits right before the EOCD record.
    const loc = eocd - 20;
    if (loc < 0 || dv.getUint32(loc, true) !== 0x07064b50) throw new Error('bad zip64 locator');
    const rec = Number(dv.getBigUint64(loc + 8, true));
    if (rec + 56 > bytes.length || dv.getUint32(rec, true) !== 0x06064b50) throw new Error('bad zip64 record');
    count = Number(dv.getBigUint64(rec + 32, true));
    offset = Number(dv.getBigUint64(rec + 48, true));
  }
  if (count > ZIP_LIMITS.maxEntries) throw new Error(`${count} entries`);
  const out: CentralEntry[] = [];
  let p = offset;
  for (let i = 0; i < count; i++) {
    if (p + 46 > bytes.length || dv.getUint32(p, true) !== 0x02014b50) throw new Error('bad central directory');
    const method = dv.getUint16(p + 10, true);
    let csize = dv.getUint32(p + 20, true);
    let size = dv.getUint32(p + 24, true);
    let localOffset = dv.getUint32(p + 42, true);
    const nlen = dv.getUint16(p + 28, true);
    const xlen = dv.getUint16(p + 30, true);
    const clen = dv.getUint16(p + 32, true);
    const name = new TextDecoder().decode(bytes.subarray(p + 46, p + 46 + nlen));
    // zip64 extra field carries the real sizes when the 32-bit ones are saturated
    let x = p + 46 + nlen;
    const xend = x + xlen;
    while (x + 4 <= xend) {
      const id = dv.getUint16(x, true);
      const len = dv.getUint16(x + 2, true);
      if (id === 0x0001) {
        let q = x + 4;
        if (size === 0xffffffff && q + 8 <= xend) { size = Number(dv.getBigUint64(q, true)); q += 8; }
        if (csize === 0xffffffff && q + 8 <= xend) { csize = Number(dv.getBigUint64(q, true)); q += 8; }
        if (localOffset === 0xffffffff && q + 8 <= xend) { localOffset = Number(dv.getBigUint64(q, true)); q += 8; }
      }
      x += 4 + len;
    }
    out.push({ name, compressedSize: csize, size, method, localOffset });
    p = xend + clen;
  }
  return out;
}

/** Entry names of a zip archive. */
export function unzipEntryNames(bytes: Uint8Array): string[] {
  return centralDirectory(bytes).map((e) => e.name);
}

/**
 * Inflates the named entries of a zip archive after checking the declared sizes against limits,
 * and checks the real sizes after inflating (a lying header cannot get past both).
 */
export function unzipEntries(file: string, bytes: Uint8Array, wanted: (name: string) => boolean): Record<string, Uint8Array> {
  let entries: CentralEntry[];
  try {
    entries = centralDirectory(bytes);
  } catch (e) {
    throw new UserError(`${file}: is not a readable zip archive (${e instanceof Error ? e.message : String(e)}).`, file);
  }
  let total = 0;
  for (const e of entries) {
    if (!wanted(e.name)) continue;
    total += e.size;
    if (e.size > ZIP_LIMITS.maxEntryBytes || total > ZIP_LIMITS.maxTotalBytes || (e.compressedSize > 0 && e.size / e.compressedSize > ZIP_LIMITS.maxRatio && e.size > 64 * 1024 * 1024)) {
      throw new UserError(`${file}: the archive entry "${e.name}" would inflate to ${e.size} bytes from ${e.compressedSize}; that looks like a zip bomb, so it is refused.`, file);
    }
  }
  const out: Record<string, Uint8Array> = {};
  for (const e of entries) {
    if (!wanted(e.name) || e.name in out) continue;
    out[e.name] = inflateEntry(file, bytes, e);
  }
  return out;
}

/** Compressed bytes inflated at a time: one step can produce at most about 1000 times that (16 MB). */
const INFLATE_STEP = 16 * 1024;

/**
 * One entry's bytes, inflated in steps that stop as soon as the output passes the declared size,
 * so an entry whose header lies about its size costs no more memory than the truth it declared.
 */
function inflateEntry(file: string, bytes: Uint8Array, e: CentralEntry): Uint8Array {
  const damaged = (why: string) => new UserError(`${file}: the zip archive is damaged (entry "${e.name}": ${why}).`, file);
  const at = e.localOffset;
  if (at + 30 > bytes.length) throw damaged('its local header lies past the end of the file');
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (dv.getUint32(at, true) !== 0x04034b50) throw damaged('bad local header');
  const start = at + 30 + dv.getUint16(at + 26, true) + dv.getUint16(at + 28, true);
  const end = start + e.compressedSize;
  if (end > bytes.length) throw damaged('its data runs past the end of the file');
  const data = bytes.subarray(start, end);
  let got: Uint8Array;
  if (e.method === 0) got = data;
  else if (e.method === 8) {
    const parts: Uint8Array[] = [];
    let total = 0;
    const inflate = new Inflate((chunk) => {
      parts.push(chunk);
      total += chunk.length;
    });
    try {
      for (let p = 0; p < data.length || p === 0; p += INFLATE_STEP) {
        inflate.push(data.subarray(p, p + INFLATE_STEP), p + INFLATE_STEP >= data.length);
        if (total > e.size) break;
      }
    } catch (err) {
      throw damaged(err instanceof Error ? err.message : String(err));
    }
    if (total > e.size) throw new UserError(`${file}: the archive entry "${e.name}" inflates to more than the ${e.size} bytes it declares; the archive is damaged or hostile.`, file);
    got = new Uint8Array(total);
    let o = 0;
    for (const c of parts) {
      got.set(c, o);
      o += c.length;
    }
  } else throw new UserError(`${file}: the archive entry "${e.name}" uses zip compression method ${e.method}; only stored and deflated entries can be read.`, file);
  if (got.length !== e.size) {
    throw new UserError(`${file}: the archive entry "${e.name}" inflated to ${got.length} bytes but declares ${e.size}; the archive is damaged.`, file);
  }
  return got;
}
