import type { RandomAccessFile } from './file';

/** What a PNG or JPEG header says about the image, read without decoding it. */
export interface ImageInfo {
  kind: 'png' | 'jpeg';
  width: number;
  height: number;
  /** True for grayscale images (PNG colour types 0/4, one-component JPEG). */
  gray: boolean;
}

/** 'png' / 'jpeg' from the magic bytes, else undefined. */
export function imageKind(head: Uint8Array): 'png' | 'jpeg' | undefined {
  if (head.length >= 8 && head[0] === 0x89 && head[1] === 0x50 && head[2] === 0x4e && head[3] === 0x47 && head[4] === 0x0d && head[5] === 0x0a) {
    return 'png';
  }
  if (head.length >= 3 && head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return 'jpeg';
  return undefined;
}

/**
 * Reads the size and colour model from the header (PNG IHDR, JPEG SOFn), with a few small reads.
 * Returns undefined for files that are not PNG/JPEG and a string for damaged headers.
 */
export function probeImage(file: RandomAccessFile): ImageInfo | string | undefined {
  const head = file.readSyncAt(0, 33);
  const kind = imageKind(head);
  if (kind === 'png') {
    if (head.length < 26 || String.fromCharCode(...head.subarray(12, 16)) !== 'IHDR') return 'the PNG header is damaged';
    const dv = new DataView(head.buffer, head.byteOffset, head.byteLength);
    const colorType = head[25];
    return { kind, width: dv.getUint32(16, false), height: dv.getUint32(20, false), gray: colorType === 0 || colorType === 4 };
  }
  if (kind === 'jpeg') return probeJpeg(file);
  return undefined;
}

function probeJpeg(file: RandomAccessFile): ImageInfo | string {
  let p = 2;
  while (p + 4 <= file.size) {
    const seg = file.readSyncAt(p, 10);
    if (seg[0] !== 0xff) return 'the JPEG header is damaged';
    const marker = seg[1];
    if (marker === 0xff) {
      p++; // fill byte
      continue;
    }
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      p += 2;
      continue;
    }
    if (marker === 0xd9 || marker === 0xda) return 'the JPEG has no frame header before its image data';
    const len = (seg[2] << 8) | seg[3];
    const isSof = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isSof) {
      if (seg.length < 10) return 'the JPEG frame header is cut off';
      return { kind: 'jpeg', height: (seg[5] << 8) | seg[6], width: (seg[7] << 8) | seg[8], gray: seg[9] === 1 };
    }
    if (len < 2) return 'the JPEG header is damaged';
    p += 2 + len;
  }
  return 'the JPEG file is cut off before its frame header';
}
