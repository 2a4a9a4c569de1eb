/**
 * Datasets: IDX (MNIST family), .npy, .npz, CSV (each maybe gzipped) and image folders, read
 * lazily in batches and preprocessed to the model's input. The format is sniffed from the content.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { UserError, isUserError } from '../errors';
import type { WorkContext } from '../progress';
import type { ArrayFile } from './arrayFile';
import { defaultCacheDir } from './cache';
import { openCsv, looksLikeText } from './csv';
import { makeDataset } from './dataset';
import { describeFsError, RandomAccessFile } from './file';
import { gunzipToCache, isGzip } from './gzip';
import { hex, isIdx, openIdx } from './idx';
import { imageKind } from './imageHeader';
import { openImageFolder } from './imageFolder';
import { openImageFile } from './imageFile';
import { checkLabelCount, readLabelArray } from './labels';
import { isNpy, openNpy } from './npy';
import { isZip, listZip, npzKey, openNpzMember, type ZipEntry } from './npz';
import { arraySampleLayout, planPreprocess } from './preprocess';
import { pickSubset } from './subset';
import type { Dataset, DatasetSpec, LabelSet, Preprocess, SampleSource } from './types';

export type { Batch, Dataset, DatasetSpec, Preprocess } from './types';
export { subsetIndices } from './subset';

/** The content kinds openDataset recognises in a single file. */
export type FileKind = 'idx' | 'npy' | 'npz' | 'csv';

/** Bytes looked at to tell the formats apart (CSV needs enough to judge that it is text). */
const SNIFF_BYTES = 64 * 1024;

/** (x, y) member names tried in order when npzKeys does not say. */
const NPZ_PAIRS: [string, string][] = [
  ['x', 'y'],
  ['x_test', 'y_test'],
  ['x_train', 'y_train'],
  ['X', 'y'],
  ['X', 'Y'],
  ['images', 'labels'],
  ['data', 'target'],
  ['data', 'labels'],
  ['inputs', 'targets'],
  ['features', 'labels'],
  ['arr_0', 'arr_1'],
];

/** True when the file starts with PNG or JPEG magic bytes: a single picture, read as a one-sample dataset. */
function isImageFile(p: string): boolean {
  const fd = fs.openSync(p, 'r');
  try {
    const head = new Uint8Array(16);
    const n = fs.readSync(fd, head, 0, 16, 0);
    return imageKind(head.subarray(0, n)) !== undefined;
  } finally {
    fs.closeSync(fd);
  }
}

/** Opens a dataset: sniffs the format, validates everything against the file sizes, and plans preprocessing. */
export async function openDataset(spec: DatasetSpec, ctx?: WorkContext): Promise<Dataset> {
  const cacheDir = spec.cacheDir ?? defaultCacheDir();
  const files: RandomAccessFile[] = [];
  const closeAll = (): void => {
    for (const f of files) f.close();
  };
  try {
    const st = statOrThrow(spec.path);
    let source: SampleSource;
    let labels: LabelSet | undefined;
    let kind: FileKind | 'folder';
    if (st.isDirectory()) {
      ({ source, labels } = await openImageFolder(spec.path, ctx));
      kind = 'folder';
    } else if (isImageFile(spec.path)) {
      source = openImageFile(spec.path, spec.preprocess);
      kind = 'folder';
    } else {
      const opened = await openSniffed(spec.path, cacheDir, ctx);
      files.push(opened.file);
      kind = opened.kind;
      if (kind === 'csv') {
        ({ source, labels } = await openCsv(opened.file, spec.labelColumn, ctx));
      } else if (kind === 'npz') {
        const pair = chooseNpzMembers(opened.file, spec.npzKeys);
        const x = await openNpzMember(opened.file, pair.x, cacheDir, ctx);
        if (x.ownFile) files.push(x.ownFile);
        source = arraySource(x.array, spec.preprocess);
        if (pair.y && spec.labels === undefined) {
          const y = await openNpzMember(opened.file, pair.y, cacheDir, ctx);
          try {
            labels = await readLabelArray(y.array, ctx);
          } finally {
            y.ownFile?.close();
          }
        }
      } else {
        source = arraySource(kind === 'idx' ? openIdx(opened.file) : openNpy(opened.file, opened.file.label), spec.preprocess);
      }
    }

    if (spec.labels !== undefined) {
      labels = await openLabels(spec.labels, spec.npzKeys?.y, cacheDir, ctx);
    } else if (!labels && (kind === 'idx' || kind === 'npy')) {
      const sibling = labelSibling(spec.path);
      if (sibling) {
        try {
          labels = await openLabels(sibling, undefined, cacheDir, ctx);
          checkLabelCount(labels, source.size, source.file, sibling);
        } catch (e) {
          if (!isUserError(e)) throw e;
          throw new UserError(`${e.message} (These labels were found next to the data; pass the right label file explicitly.)`, sibling);
        }
      }
    }
    if (labels) checkLabelCount(labels, source.size, source.file, spec.labels ?? spec.path);

    const plan = planPreprocess({ ...source, path: spec.path }, spec.preprocess);
    const subset = spec.subset ? pickSubset(source.size, spec.subset, source.file) : undefined;
    return Object.assign(makeDataset({ source, labels, plan, subset, onClose: closeAll, path: spec.path }), { spec });
  } catch (e) {
    closeAll();
    throw e;
  }
}

/** Which format `file` holds, judged from its content (gzip is looked through). */
export async function sniffFile(file: string, cacheDir = defaultCacheDir(), ctx?: WorkContext): Promise<FileKind> {
  const opened = await openSniffed(file, cacheDir, ctx);
  opened.file.close();
  return opened.kind;
}

/** Opens a file, decompressing gzip into the cache first, and names the format inside. */
async function openSniffed(p: string, cacheDir: string, ctx?: WorkContext): Promise<{ file: RandomAccessFile; kind: FileKind }> {
  const label = path.basename(p);
  let file = RandomAccessFile.open(p, label);
  let head = file.readSyncAt(0, SNIFF_BYTES);
  if (isGzip(head)) {
    file.close();
    file = RandomAccessFile.open(await gunzipToCache(p, label, cacheDir, ctx), label);
    head = file.readSyncAt(0, SNIFF_BYTES);
    if (isGzip(head)) {
      file.close();
      throw new UserError(`${label}: is gzip inside gzip; decompress it once (gunzip) and open the result.`, p);
    }
  }
  const kind = sniffHead(head);
  if (kind) return { file, kind };
  file.close();
  if (head.length === 0) throw new UserError(`${label}: the file is empty.`, p);
  if (imageKind(head)) {
    throw new UserError(
      `${label}: is a single image; open a folder instead, with one subfolder per class holding the images.`,
      p,
    );
  }
  throw new UserError(
    `${label}: not a dataset format Linear Lens reads (first bytes ${hex(head)}). Use IDX, .npy, .npz or CSV (optionally gzipped), or a folder of class subfolders with PNG/JPEG images.`,
    p,
  );
}

function sniffHead(head: Uint8Array): FileKind | undefined {
  if (isIdx(head)) return 'idx';
  if (isNpy(head)) return 'npy';
  if (isZip(head)) return 'npz';
  if (looksLikeText(head)) return 'csv';
  return undefined;
}

/** A reader over an IDX/npy/npz array whose axis 0 runs over samples. */
function arraySource(array: ArrayFile, pre: Preprocess | undefined): SampleSource {
  if (array.shape.length < 2) {
    throw new UserError(
      `${array.label}: holds one number per sample (shape [${array.shape.join(', ')}]), which looks like labels. Open the samples file and pass this one as its labels.`,
      array.file.path,
    );
  }
  const { sampleShape, layout } = arraySampleLayout(array.shape.slice(1), pre?.dataLayout);
  return {
    file: array.label,
    size: array.count,
    sampleShape,
    layout,
    defaultScale: array.dtype === 'uint8' ? 1 / 255 : 1,
    read: (indices) => array.readRows(indices),
    close: () => undefined, // the files are closed by the dataset
  };
}

/** Reads a separate label file (IDX, .npy, or an .npz member), validated and held in memory. */
async function openLabels(p: string, npzY: string | undefined, cacheDir: string, ctx?: WorkContext): Promise<LabelSet> {
  statOrThrow(p);
  const { file, kind } = await openSniffed(p, cacheDir, ctx);
  try {
    if (kind === 'idx') return await readLabelArray(openIdx(file), ctx);
    if (kind === 'npy') return await readLabelArray(openNpy(file, file.label), ctx);
    if (kind === 'npz') {
      const entries = listZip(file);
      const keys = entries.map(npzKey);
      const want = npzY ?? NPZ_PAIRS.map((pr) => pr[1]).find((k) => keys.includes(k)) ?? (entries.length === 1 ? keys[0] : undefined);
      const entry = entries.find((e) => npzKey(e) === want);
      if (!entry) {
        throw new UserError(`${file.label}: no labels array found (arrays: ${keys.join(', ')}); set npzKeys.y.`, p);
      }
      const y = await openNpzMember(file, entry, cacheDir, ctx);
      try {
        return await readLabelArray(y.array, ctx);
      } finally {
        y.ownFile?.close();
      }
    }
    throw new UserError(`${file.label}: label files must be IDX, .npy or .npz; this one looks like CSV. Put the labels in a column of the CSV and set labelColumn.`, p);
  } finally {
    file.close();
  }
}

/** Picks the sample and label members of an .npz archive. */
function chooseNpzMembers(file: RandomAccessFile, keys: DatasetSpec['npzKeys']): { x: ZipEntry; y?: ZipEntry } {
  const entries = listZip(file);
  if (entries.length === 0) throw new UserError(`${file.label}: the .npz archive is empty.`, file.path);
  const byKey = new Map(entries.map((e) => [npzKey(e), e]));
  const names = [...byKey.keys()].join(', ');
  const get = (k: string, what: string): ZipEntry => {
    const e = byKey.get(k);
    if (!e) throw new UserError(`${file.label}: has no array '${k}' (npzKeys.${what}); it holds ${names}.`, file.path);
    return e;
  };
  let xKey = keys?.x;
  let yKey = keys?.y;
  if (xKey === undefined) {
    const pair = NPZ_PAIRS.find(([x]) => byKey.has(x));
    if (pair) {
      xKey = pair[0];
      if (yKey === undefined && byKey.has(pair[1])) yKey = pair[1];
    } else if (entries.length === 1) {
      xKey = npzKey(entries[0]);
    } else {
      throw new UserError(`${file.label}: cannot tell which array holds the samples (it holds ${names}); set npzKeys.x (and npzKeys.y for labels).`, file.path);
    }
  } else if (yKey === undefined) {
    const partner = NPZ_PAIRS.find(([x]) => x === xKey)?.[1] ?? xKey.replace(/^[xX](?=$|_)/, 'y');
    if (partner !== xKey && byKey.has(partner)) yKey = partner;
  }
  return { x: get(xKey, 'x'), y: yKey !== undefined ? get(yKey, 'y') : undefined };
}

/**
 * The label file conventionally stored next to an MNIST-style data file
 * (train-images-idx3-ubyte -> train-labels-idx1-ubyte, x_test.npy -> y_test.npy), if it exists.
 */
export function labelSibling(dataPath: string): string | undefined {
  const base = path.basename(dataPath);
  let name: string | undefined;
  if (/images/.test(base)) name = base.replace('images', 'labels').replace('idx3', 'idx1');
  else if (/^[xX](?=[._])/.test(base)) name = `y${base.slice(1)}`;
  if (!name || name === base) return undefined;
  const p = path.join(path.dirname(dataPath), name);
  try {
    return fs.statSync(p).isFile() ? p : undefined;
  } catch {
    return undefined;
  }
}

function statOrThrow(p: string): fs.Stats {
  if (typeof p !== 'string' || p === '') throw new UserError('No dataset path was given.');
  try {
    return fs.statSync(p);
  } catch (e) {
    throw new UserError(`${path.basename(p)}: cannot open ${p} (${describeFsError(e)}).`, p);
  }
}
