/**
 * Cache keys: a SHA-256 over everything a result depends on, so a changed model file, dataset or
 * parameter gives a new key and an unchanged one finds the stored result. Plain node (no vscode),
 * so the unit tests run it directly.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, readFile, readdir, stat } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { JsonValue } from '../../protocol/webview';

/** Bumped when the way results are computed or stored changes, so old entries stop matching. */
export const CACHE_KEY_VERSION = 'linear-lens-results-1';

export type KeyPart =
  /** A file's bytes. */
  | { readonly file: string }
  /** A model file and the files it reads (a TF.js model.json's weight shards). */
  | { readonly model: string }
  /** A dataset: a file's bytes, or a folder's file list with sizes and modification times. */
  | { readonly dataset: string }
  /** Parameters; objects are hashed with sorted keys, so key order does not matter. */
  | { readonly value: JsonValue };

/** The key of a result: 64 hex digits. */
export async function cacheKey(parts: readonly KeyPart[]): Promise<string> {
  const h = createHash('sha256');
  h.update(CACHE_KEY_VERSION);
  for (const part of parts) {
    // Each part is tagged and length-framed: ["a","bc"] and ["ab","c"] must not collide.
    const text = await partText(part);
    h.update(`\n${text.length}:${text}`);
  }
  return h.digest('hex');
}

async function partText(part: KeyPart): Promise<string> {
  if ('file' in part) return `file:${await fileDigest(part.file)}`;
  if ('model' in part) return `model:${await modelDigest(part.model)}`;
  if ('dataset' in part) return `dataset:${await datasetDigest(part.dataset)}`;
  return `value:${stableJson(part.value)}`;
}

/** JSON with object keys sorted at every level. */
export function stableJson(value: JsonValue): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${(value as readonly JsonValue[]).map(stableJson).join(',')}]`;
  const obj = value as { readonly [key: string]: JsonValue };
  return `{${Object.keys(obj).sort().map((k) => `${JSON.stringify(k)}:${stableJson(obj[k]!)}`).join(',')}}`;
}

// Digests of files already read in this process, by path, size and modification time: reopening a
// panel must not read a large dataset again.
const digests = new Map<string, { size: number; mtimeMs: number; digest: string }>();
const MEMO_LIMIT = 500;

/**
 * Files up to this size are hashed whole. Beyond it (multi-gigabyte datasets) the size, the
 * modification time and the first and last MiB stand in: reading gigabytes to open a panel would
 * be worse than missing an in-place edit that keeps size and time.
 */
export const FULL_HASH_LIMIT = 512 * 1024 * 1024;
const EDGE = 1024 * 1024;

/** SHA-256 (hex) of a file's content. */
export async function fileDigest(path: string): Promise<string> {
  const abs = resolve(path);
  const st = await stat(abs);
  const memo = digests.get(abs);
  if (memo && memo.size === st.size && memo.mtimeMs === st.mtimeMs) return memo.digest;
  const digest = st.size <= FULL_HASH_LIMIT ? await hashStream(abs) : await hashEdges(abs, st.size, st.mtimeMs);
  if (digests.size >= MEMO_LIMIT) digests.delete(digests.keys().next().value!);
  digests.set(abs, { size: st.size, mtimeMs: st.mtimeMs, digest });
  return digest;
}

function hashStream(path: string): Promise<string> {
  return new Promise((ok, fail) => {
    const h = createHash('sha256');
    createReadStream(path).on('data', (d) => h.update(d)).on('error', fail).on('end', () => ok(h.digest('hex')));
  });
}

async function hashEdges(path: string, size: number, mtimeMs: number): Promise<string> {
  const h = createHash('sha256');
  h.update(`large:${size}:${mtimeMs}`);
  const fd = await open(path, 'r');
  try {
    for (const at of [0, size - EDGE]) {
      const buf = Buffer.alloc(EDGE);
      const { bytesRead } = await fd.read(buf, 0, EDGE, at);
      h.update(buf.subarray(0, bytesRead));
    }
  } finally {
    await fd.close();
  }
  return h.digest('hex');
}

/** The weight files a TF.js model.json names, resolved inside its folder; [] for other files. */
export async function modelCompanions(modelFile: string): Promise<string[]> {
  if (!modelFile.toLowerCase().endsWith('.json')) return [];
  let manifest: unknown;
  try {
    manifest = (JSON.parse(await readFile(modelFile, 'utf8')) as Record<string, unknown>).weightsManifest;
  } catch {
    return []; // Not JSON: the host will say so; the key still covers the file's bytes.
  }
  if (!Array.isArray(manifest)) return [];
  const folder = dirname(resolve(modelFile));
  const out: string[] = [];
  for (const group of manifest) {
    const paths = (group as Record<string, unknown> | null)?.paths;
    if (!Array.isArray(paths)) continue;
    for (const p of paths) {
      if (typeof p !== 'string' || isAbsolute(p)) continue;
      const abs = resolve(folder, p);
      // The host refuses paths that leave the model's folder; the key need not read them either.
      if (abs.startsWith(folder + sep)) out.push(abs);
    }
  }
  return out;
}

async function modelDigest(modelFile: string): Promise<string> {
  const parts = [await fileDigest(modelFile)];
  for (const f of await modelCompanions(modelFile)) {
    // A missing shard fails the analysis, and failures are not cached; it still changes the key.
    parts.push(await fileDigest(f).catch(() => `missing:${relative(dirname(modelFile), f)}`));
  }
  return parts.join(',');
}

/** Most files of a dataset folder listed in its key; image folders rarely have more. */
const FOLDER_LIMIT = 1_000_000;

async function datasetDigest(path: string): Promise<string> {
  const st = await stat(path);
  if (!st.isDirectory()) return fileDigest(path);
  // Hashing every image of a folder dataset would take long; names, sizes and times change when
  // the folder does.
  const h = createHash('sha256');
  let count = 0;
  const walk = async (dir: string): Promise<void> => {
    const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      if (count >= FOLDER_LIMIT) return;
      const p = join(dir, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile()) {
        const s = await stat(p);
        h.update(`${relative(path, p)}\0${s.size}\0${s.mtimeMs}\n`);
        count++;
      }
    }
  };
  await walk(path);
  return `folder:${h.digest('hex')}`;
}
