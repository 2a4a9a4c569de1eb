import * as fs from 'node:fs';
import { Inflate } from 'fflate';
import { UserError } from '../errors';
import { throwIfCancelled, type WorkContext } from '../progress';
import type { ArrayFile } from './arrayFile';
import { CacheWriter, cacheFileFor, formatBytes } from './cache';
import { RandomAccessFile } from './file';
import { openNpy } from './npy';

/** True when `head` starts with a zip local-file or empty-archive signature. */
export function isZip(head: Uint8Array): boolean {
  return head.length >= 4 && head[0] === 0x50 && head[1] === 0x4b && ((head[2] === 3 && head[3] === 4) || (head[2] === 5 && head[3] === 6));
}

/** One member of the archive as listed in its central directory. */
export interface ZipEntry {
  name: string;
  method: number;
  flags: number;
  compressedSize: number;
  size: number;
  localHeaderOffset: number;
}

const EOCD_SIG = 0x06054b50;
const ZIP64_LOCATOR_SIG = 0x07064b50;
const ZIP64_EOCD_SIG = 0x06064b50;
const CENTRAL_SIG = 0x02014b50;
const LOCAL_SIG = 0x04034b50;
/**
 * Deflate cannot compress better than about 1032:1, which only constant data reaches; a large
 * member (or gzip file) above this ratio is a zip bomb, refused before it fills the disk.
 */
export const BOMB_RATIO = 1000;
export const BOMB_MIN_BYTES = 64 * 1024 * 1024;
/** Compressed bytes per inflate step: bounds the output of one step to about 64 MB even for a bomb. */
const INFLATE_STEP = 64 * 1024;

/** Reads the central directory (zip64 included) and checks every entry lies inside the file. */
export function listZip(file: RandomAccessFile, label = file.label): ZipEntry[] {
  const bad = (why: string): UserError =>
    new UserError(`${label}: not a valid .npz (zip) archive: ${why}. Save it again with np.savez or np.savez_compressed.`, file.path);
  const tailLen = Math.min(file.size, 22 + 0xffff);
  const tail = file.readSyncAt(file.size - tailLen, tailLen);
  const tv = new DataView(tail.buffer, tail.byteOffset, tail.byteLength);
  let eocd = -1;
  for (let i = tail.length - 22; i >= 0; i--) {
    if (tv.getUint32(i, true) === EOCD_SIG) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw bad('its end-of-archive record is missing (truncated download?)');
  let entries = tv.getUint16(eocd + 10, true);
  let cdSize = tv.getUint32(eocd + 12, true);
  let cdOffset = tv.getUint32(eocd + 16, true);
  if (entries === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    const locAt = file.size - tailLen + eocd - 20;
    const loc = locAt >= 0 ? view(file.readSyncAt(locAt, 20)) : undefined;
    if (!loc || loc.byteLength < 20 || loc.getUint32(0, true) !== ZIP64_LOCATOR_SIG) throw bad('its zip64 locator is missing');
    const z64At = Number(loc.getBigUint64(8, true));
    const z = view(file.readSyncAt(z64At, 56));
    if (z.byteLength < 56 || z.getUint32(0, true) !== ZIP64_EOCD_SIG) throw bad('its zip64 end record is missing');
    entries = Number(z.getBigUint64(32, true));
    cdSize = Number(z.getBigUint64(40, true));
    cdOffset = Number(z.getBigUint64(48, true));
  }
  if (cdOffset + cdSize > file.size) throw bad('its directory points past the end of the file (truncated?)');
  const cd = file.readSyncAt(cdOffset, cdSize);
  const dv = view(cd);
  const out: ZipEntry[] = [];
  let p = 0;
  for (let k = 0; k < entries; k++) {
    if (p + 46 > cd.length || dv.getUint32(p, true) !== CENTRAL_SIG) throw bad('its directory is damaged');
    const flags = dv.getUint16(p + 8, true);
    const method = dv.getUint16(p + 10, true);
    let compressedSize = dv.getUint32(p + 20, true);
    let size = dv.getUint32(p + 24, true);
    const nameLen = dv.getUint16(p + 28, true);
    const extraLen = dv.getUint16(p + 30, true);
    const commentLen = dv.getUint16(p + 32, true);
    let localHeaderOffset = dv.getUint32(p + 42, true);
    if (p + 46 + nameLen + extraLen > cd.length) throw bad('its directory is damaged');
    const name = new TextDecoder().decode(cd.subarray(p + 46, p + 46 + nameLen));
    // Zip64 extra field: the 64-bit values of whichever fields were saturated, in this order.
    let e = p + 46 + nameLen;
    const extraEnd = e + extraLen;
    while (e + 4 <= extraEnd) {
      const id = dv.getUint16(e, true);
      const len = dv.getUint16(e + 2, true);
      if (id === 0x0001) {
        let q = e + 4;
        const next = (): number => {
          if (q + 8 > e + 4 + len) throw bad(`the zip64 sizes of ${name} are damaged`);
          const v = Number(dv.getBigUint64(q, true));
          q += 8;
          return v;
        };
        if (size === 0xffffffff) size = next();
        if (compressedSize === 0xffffffff) compressedSize = next();
        if (localHeaderOffset === 0xffffffff) localHeaderOffset = next();
      }
      e += 4 + len;
    }
    if (localHeaderOffset + 30 + compressedSize > file.size) throw bad(`member ${name} extends past the end of the file (truncated?)`);
    out.push({ name, method, flags, compressedSize, size, localHeaderOffset });
    p += 46 + nameLen + extraLen + commentLen;
  }
  return out;
}

/** The offset of a member's data, after its local header. */
function dataStart(file: RandomAccessFile, entry: ZipEntry, label: string): number {
  const h = view(file.readSyncAt(entry.localHeaderOffset, 30));
  if (h.byteLength < 30 || h.getUint32(0, true) !== LOCAL_SIG) {
    throw new UserError(`${label}: the local header of member ${entry.name} is damaged. Save the archive again.`, file.path);
  }
  const start = entry.localHeaderOffset + 30 + h.getUint16(26, true) + h.getUint16(28, true);
  if (start + entry.compressedSize > file.size) {
    throw new UserError(`${label}: member ${entry.name} extends past the end of the file; it is truncated. Save it again.`, file.path);
  }
  return start;
}

/** The array key of a member: its name without a trailing .npy. */
export function npzKey(entry: ZipEntry): string {
  return entry.name.replace(/\.npy$/, '');
}

/**
 * Opens one member as an array. Stored members are read in place; deflated ones are inflated
 * (streaming, with fflate) once into the cache folder, so neither needs to fit in memory.
 * `archive` stays open as long as the returned array reads from it; a cached copy gets its own file.
 */
export async function openNpzMember(
  archive: RandomAccessFile,
  entry: ZipEntry,
  cacheDir: string,
  ctx?: WorkContext,
): Promise<{ array: ArrayFile; ownFile?: RandomAccessFile }> {
  const label = `${archive.label}[${npzKey(entry)}]`;
  if (entry.flags & 1) {
    throw new UserError(`${label}: the member is encrypted, which is not supported. Save the archive without a password.`, archive.path);
  }
  const start = dataStart(archive, entry, archive.label);
  if (entry.method === 0) {
    if (entry.compressedSize !== entry.size) {
      throw new UserError(`${label}: a stored member whose sizes disagree; the archive is damaged.`, archive.path);
    }
    return { array: openNpy(archive, label, start, entry.size) };
  }
  if (entry.method !== 8) {
    throw new UserError(
      `${label}: compressed with zip method ${entry.method}; only stored and deflated members are supported. Save it with np.savez or np.savez_compressed.`,
      archive.path,
    );
  }
  if (entry.size > BOMB_MIN_BYTES && entry.size > BOMB_RATIO * entry.compressedSize) {
    throw new UserError(
      `${label}: would inflate to ${formatBytes(entry.size)} from ${formatBytes(entry.compressedSize)}; no real array compresses that well, so this looks like a zip bomb and is refused.`,
      archive.path,
    );
  }
  const target = cacheFileFor(cacheDir, archive.path, `npz:${entry.name}`);
  if (!fs.existsSync(target)) await inflateToCache(archive, entry, start, target, label, ctx);
  const own = RandomAccessFile.open(target, label);
  try {
    return { array: openNpy(own, label), ownFile: own };
  } catch (e) {
    own.close();
    throw e;
  }
}

async function inflateToCache(
  archive: RandomAccessFile,
  entry: ZipEntry,
  start: number,
  target: string,
  label: string,
  ctx?: WorkContext,
): Promise<void> {
  const out = new CacheWriter(target, label);
  try {
    out.requireFree(entry.size);
    let pending: Uint8Array[] = [];
    let ended = false;
    const inflate = new Inflate((data, final) => {
      pending.push(data);
      if (final) ended = true;
    });
    for (let pos = 0; pos < entry.compressedSize; pos += INFLATE_STEP) {
      throwIfCancelled(ctx);
      const n = Math.min(INFLATE_STEP, entry.compressedSize - pos);
      const chunk = await archive.read(start + pos, n);
      try {
        inflate.push(chunk, pos + n >= entry.compressedSize);
      } catch (e) {
        throw new UserError(`${label}: the compressed data is damaged (${e instanceof Error ? e.message : e}). Save the archive again.`, archive.path);
      }
      for (const d of pending) await out.write(d);
      pending = [];
      if (out.written > entry.size) {
        throw new UserError(`${label}: inflates to more than the ${formatBytes(entry.size)} the archive declares; it is damaged.`, archive.path);
      }
      ctx?.progress?.((pos + n) / entry.compressedSize, `Decompressing ${label}`);
    }
    if (entry.compressedSize === 0) throw new UserError(`${label}: the member is empty; the archive is damaged.`, archive.path);
    if (!ended || out.written !== entry.size) {
      throw new UserError(
        `${label}: inflated to ${out.written} bytes but the archive declares ${entry.size}; it is damaged. Save it again.`,
        archive.path,
      );
    }
    out.commit();
  } catch (e) {
    out.abort();
    throw e;
  }
}

function view(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}
