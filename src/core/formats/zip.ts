import { unzipSync, Unzipped } from 'fflate';
import { UserError } from '../errors';

/** Limits for reading zip archives (.keras, .npz): a zip bomb is refused before it is inflated. */
export const ZIP_LIMITS = { maxEntries: 10_000, maxTotalBytes: 4 * 1024 ** 3, maxEntryBytes: 2 * 1024 ** 3, maxRatio: 1000 } as const;

interface CentralEntry {
  readonly name: string;
  readonly compressedSize: number;
  readonly size: number;
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
    let csize = dv.getUint32(p + 20, true);
    let size = dv.getUint32(p + 24, true);
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
      }
      x += 4 + len;
    }
    out.push({ name, compressedSize: csize, size });
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
export function unzipEntries(file: string, bytes: Uint8Array, wanted: (name: string) => boolean): Unzipped {
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
  let out: Unzipped;
  try {
    out = unzipSync(bytes, { filter: (f) => wanted(f.name) && f.originalSize <= ZIP_LIMITS.maxEntryBytes });
  } catch (e) {
    throw new UserError(`${file}: the zip archive is damaged (${e instanceof Error ? e.message : String(e)}).`, file);
  }
  for (const [name, data] of Object.entries(out)) {
    const declared = entries.find((e) => e.name === name)?.size;
    if (declared !== undefined && data.length !== declared) {
      throw new UserError(`${file}: the archive entry "${name}" inflated to ${data.length} bytes but declares ${declared}; the archive is damaged.`, file);
    }
  }
  return out;
}
