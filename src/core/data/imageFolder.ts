import * as fs from 'node:fs';
import * as path from 'node:path';
import { decode as decodeJpeg } from 'jpeg-js';
import { PNG } from 'pngjs';
import { UserError } from '../errors';
import { throwIfCancelled, type WorkContext } from '../progress';
import { describeFsError, RandomAccessFile } from './file';
import { imageKind, probeImage, type ImageInfo } from './imageHeader';
import type { LabelSet, SampleSource } from './types';

/** Files read and decoded at once within a batch. */
const READ_CONCURRENCY = 16;

/** Files that file managers leave in folders; never images. */
const IGNORED = new Set(['Thumbs.db', 'desktop.ini']);

/**
 * Opens a folder of images: one subfolder per class (sorted by name, like Keras and torchvision;
 * images in nested folders belong to the class), or images directly in the folder (no labels).
 * Every image header is checked at open so that mixed sizes fail before any batch. Colour images
 * give 3 channels (alpha is dropped); if all images are grayscale the samples have 1 channel.
 */
export async function openImageFolder(dir: string, ctx?: WorkContext): Promise<{ source: SampleSource; labels?: LabelSet }> {
  const name = path.basename(path.resolve(dir));
  const err = (msg: string, file?: string): UserError => new UserError(`${name}: ${msg}`, file ?? dir);
  const top = readDirSorted(dir, err);
  const classDirs = top.filter((e) => e.dir);
  const looseImages = top.filter((e) => e.file && isImageFile(path.join(dir, e.name)));

  const files: string[] = [];
  const classOf: number[] = [];
  let classNames: string[] | undefined;
  if (classDirs.length > 0) {
    if (looseImages.length > 0) {
      throw err(
        `holds both class subfolders and loose images (e.g. ${looseImages[0].name}); put every image into the subfolder of its class.`,
      );
    }
    classNames = classDirs.map((d) => d.name);
    classNames.forEach((c, k) => {
      for (const f of walk(path.join(dir, c), err)) {
        files.push(f);
        classOf.push(k);
      }
    });
  } else {
    for (const e of top) if (e.file) files.push(path.join(dir, e.name));
  }
  if (files.length === 0) {
    throw err('has no images; it should hold one subfolder per class with PNG or JPEG images in each.');
  }

  const infos: ImageInfo[] = [];
  for (let i = 0; i < files.length; i++) {
    if (i % 1024 === 0) {
      throwIfCancelled(ctx);
      ctx?.progress?.(i / files.length, `Checking images in ${name}`);
    }
    infos.push(probe(files[i], dir, err));
  }
  const { width, height } = infos[0];
  const odd = infos.findIndex((v) => v.width !== width || v.height !== height);
  if (odd >= 0) {
    throw err(
      `images must all have the same size, but ${rel(dir, files[0])} is ${width}x${height} and ${rel(dir, files[odd])} is ${infos[odd].width}x${infos[odd].height}. Resize them to the model's input size first.`,
      files[odd],
    );
  }
  const channels = infos.every((v) => v.gray) ? 1 : 3;
  const kinds = infos.map((v) => v.kind);

  const source: SampleSource = {
    file: name,
    size: files.length,
    sampleShape: [height, width, channels],
    layout: 'hwc',
    defaultScale: 1 / 255,
    read: async (indices) => {
      const per = height * width * channels;
      const out = new Float32Array(indices.length * per);
      for (let k = 0; k < indices.length; k += READ_CONCURRENCY) {
        await Promise.all(
          indices.slice(k, k + READ_CONCURRENCY).map(async (i, j) => {
            const rgba = await decodeFile(files[i], kinds[i], width, height, dir, err);
            const o = (k + j) * per;
            for (let p = 0; p < width * height; p++) {
              for (let c = 0; c < channels; c++) out[o + p * channels + c] = rgba[p * 4 + c];
            }
          }),
        );
      }
      return out;
    },
    close: () => undefined,
  };
  if (!classNames) return { source };
  return {
    source,
    labels: { file: name, labels: Int32Array.from(classOf), numClasses: classNames.length, classNames },
  };
}

interface Entry {
  name: string;
  dir: boolean;
  file: boolean;
}

/** Visible entries sorted by code point; symlinks count as what they point to. */
function readDirSorted(dir: string, err: (m: string, f?: string) => UserError): Entry[] {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch (e) {
    throw err(`cannot list ${dir} (${describeFsError(e)}).`);
  }
  return entries
    .filter((e) => !e.name.startsWith('.') && !IGNORED.has(e.name))
    .map((e): Entry => {
      if (!e.isSymbolicLink()) return { name: e.name, dir: e.isDirectory(), file: e.isFile() };
      try {
        const st = fs.statSync(path.join(dir, e.name));
        return { name: e.name, dir: st.isDirectory(), file: st.isFile() };
      } catch {
        return { name: e.name, dir: false, file: true }; // a dangling link is reported when probed
      }
    })
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Files under `dir` in sorted order; `seen` stops symlink loops. */
function* walk(dir: string, err: (m: string, f?: string) => UserError, seen = new Set<string>()): Generator<string> {
  const real = fs.realpathSync(dir);
  if (seen.has(real)) return;
  seen.add(real);
  for (const e of readDirSorted(dir, err)) {
    const p = path.join(dir, e.name);
    if (e.dir) yield* walk(p, err, seen);
    else yield p;
  }
}

function isImageFile(file: string): boolean {
  let f: RandomAccessFile | undefined;
  try {
    f = RandomAccessFile.open(file);
    return imageKind(f.readSyncAt(0, 8)) !== undefined;
  } catch {
    return false;
  } finally {
    f?.close();
  }
}

function probe(file: string, dir: string, err: (m: string, f?: string) => UserError): ImageInfo {
  const f = RandomAccessFile.open(file, rel(dir, file));
  try {
    const info = probeImage(f);
    if (info === undefined) {
      throw err(`${rel(dir, file)} is not a PNG or JPEG image; move it out of the image folder.`, file);
    }
    if (typeof info === 'string') throw err(`${rel(dir, file)}: ${info}. Re-export or remove it.`, file);
    if (info.width === 0 || info.height === 0) throw err(`${rel(dir, file)} has no pixels (${info.width}x${info.height}).`, file);
    return info;
  } finally {
    f.close();
  }
}

async function decodeFile(
  file: string,
  kind: 'png' | 'jpeg',
  width: number,
  height: number,
  dir: string,
  err: (m: string, f?: string) => UserError,
): Promise<Uint8Array> {
  let bytes: Buffer;
  try {
    bytes = await fs.promises.readFile(file);
  } catch (e) {
    throw err(`cannot read ${rel(dir, file)} (${describeFsError(e)}).`, file);
  }
  let img: { width: number; height: number; data: Uint8Array };
  try {
    img = kind === 'png' ? PNG.sync.read(bytes) : decodeJpeg(bytes, { useTArray: true, formatAsRGBA: true, maxMemoryUsageInMB: 1024 });
  } catch (e) {
    throw err(`cannot decode ${rel(dir, file)} (${e instanceof Error ? e.message : e}); re-export or remove it.`, file);
  }
  if (img.width !== width || img.height !== height || img.data.length < width * height * 4) {
    throw err(`${rel(dir, file)} decodes to ${img.width}x${img.height} but its header said ${width}x${height}; it is damaged.`, file);
  }
  return img.data;
}

function rel(dir: string, file: string): string {
  return path.relative(dir, file) || path.basename(file);
}
