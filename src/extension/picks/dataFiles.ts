/**
 * Which workspace files and folders to offer as datasets, from file lists found by name: IDX files
 * (labels files paired with their images file rather than offered alone), .npy (y_ paired with x_),
 * .npz, CSV, and folders whose subfolders (one per class) hold images. No `vscode` here.
 */
import * as path from 'node:path';

export type DataKind = 'idx' | 'npy' | 'npz' | 'csv' | 'images';

export interface DataCandidate {
  /** Absolute path of the file or folder. */
  readonly path: string;
  /** A separate labels file paired with it. */
  readonly labels?: string;
  readonly kind: DataKind;
  /** A few words on what it is, e.g. "IDX, labels t10k-labels-idx1-ubyte.gz" or "images, 10 classes". */
  readonly detail: string;
}

/** Glob (for workspace.findFiles) of the data files offered. */
export const DATA_FILE_GLOB = '**/{*-ubyte,*-ubyte.gz,*.idx,*.idx.gz,*.npy,*.npz,*.csv,*.csv.gz}';
/** Glob of images, whose folders are grouped into class folders. */
export const IMAGE_FILE_GLOB = '**/*.{png,jpg,jpeg,PNG,JPG,JPEG}';

function kindOf(file: string): Exclude<DataKind, 'images'> | undefined {
  const n = path.basename(file).toLowerCase().replace(/\.gz$/, '');
  if (/-ubyte$|\.idx$/.test(n)) return 'idx';
  if (n.endsWith('.npy')) return 'npy';
  if (n.endsWith('.npz')) return 'npz';
  if (n.endsWith('.csv')) return 'csv';
  return undefined;
}

/** The images file an MNIST-style labels file belongs to (…-labels-idx1-ubyte -> …-images-idx3-ubyte), or y_ -> x_. */
function dataPartnerOfLabels(file: string): string | undefined {
  const base = path.basename(file);
  let name: string | undefined;
  if (/labels/.test(base)) name = base.replace('labels', 'images').replace('idx1', 'idx3');
  else if (/^[yY](?=[._])/.test(base)) name = `x${base.slice(1)}`;
  return name && name !== base ? path.join(path.dirname(file), name) : undefined;
}

/** The labels file paired with a data file (the same convention the host's dataset reader follows). */
function labelsPartnerOfData(file: string): string | undefined {
  const base = path.basename(file);
  let name: string | undefined;
  if (/images/.test(base)) name = base.replace('images', 'labels').replace('idx3', 'idx1');
  else if (/^[xX](?=[._])/.test(base)) name = `y${base.slice(1)}`;
  return name && name !== base ? path.join(path.dirname(file), name) : undefined;
}

/**
 * Folders with at least two subfolders holding images: the class-per-subfolder layout. `images`
 * are absolute paths; an image's folder is its class, the folder above is the dataset.
 */
export function imageFolders(images: readonly string[]): DataCandidate[] {
  const classes = new Map<string, Map<string, number>>();
  for (const img of images) {
    const classDir = path.dirname(img);
    const root = path.dirname(classDir);
    if (root === classDir) continue;
    const m = classes.get(root) ?? new Map<string, number>();
    m.set(classDir, (m.get(classDir) ?? 0) + 1);
    classes.set(root, m);
  }
  const out: DataCandidate[] = [];
  for (const [root, m] of classes) {
    if (m.size < 2) continue;
    const n = [...m.values()].reduce((a, b) => a + b, 0);
    out.push({ path: root, kind: 'images', detail: `image folder: ${m.size} classes, ${n}${n >= 1000 ? '+' : ''} images` });
  }
  return out;
}

/** The dataset candidates among `files` (data files by name) and `images` (image files), sorted by path. */
export function dataCandidates(files: readonly string[], images: readonly string[] = []): DataCandidate[] {
  const present = new Set(files);
  const out: DataCandidate[] = [];
  for (const file of files) {
    const kind = kindOf(file);
    if (!kind) continue;
    const partner = dataPartnerOfLabels(file);
    if (partner && present.has(partner)) continue; // offered with its data file
    const labels = labelsPartnerOfData(file);
    const paired = labels && present.has(labels) ? labels : undefined;
    const what = { idx: 'IDX', npy: 'NumPy array', npz: 'NumPy archive', csv: 'CSV' }[kind];
    out.push({ path: file, kind, ...(paired ? { labels: paired } : {}), detail: paired ? `${what}, labels ${path.basename(paired)}` : what });
  }
  out.push(...imageFolders(images));
  return out.sort((a, b) => a.path.localeCompare(b.path));
}

/** A most-recent-first list with `item` in front, without duplicates, at most `max` long. */
export function pushRecent<T>(list: readonly T[], item: T, max = 5, same: (a: T, b: T) => boolean = (a, b) => a === b): T[] {
  return [item, ...list.filter((x) => !same(x, item))].slice(0, max);
}
