import * as fs from 'node:fs';
import * as path from 'node:path';
import { UserError } from '../errors';

/**
 * Resolves a path written inside a model file (a weight shard, an external-data file) against the
 * model's folder, and refuses anything that would leave that folder: `..`, absolute paths, and
 * symbolic links that point outside. A model file must never make us read elsewhere.
 */
export function resolveInside(modelFile: string, relative: string): string {
  const dir = path.dirname(path.resolve(modelFile));
  const refuse = (why: string) =>
    new UserError(`${modelFile}: refers to "${relative}", which ${why}; Linear Lens only reads files inside the model's folder.`, modelFile);
  if (typeof relative !== 'string' || relative.length === 0 || relative.includes('\0')) throw refuse('is not a valid file name');
  if (path.isAbsolute(relative) || /^[a-zA-Z]:[\\/]/.test(relative) || relative.startsWith('\\\\')) throw refuse('is an absolute path');
  const target = path.resolve(dir, relative);
  const rel = path.relative(dir, target);
  if (rel.startsWith('..') || path.isAbsolute(rel)) throw refuse("lies outside the model's folder");
  if (fs.existsSync(target)) {
    const realDir = fs.realpathSync(dir);
    const real = fs.realpathSync(target);
    const realRel = path.relative(realDir, real);
    if (realRel.startsWith('..') || path.isAbsolute(realRel)) throw refuse("is a link that points outside the model's folder");
  }
  return target;
}

/** Largest model or weight file read into memory; larger files are refused with a clear message. */
export const MAX_MODEL_FILE_BYTES = 2 * 1024 ** 3;

/** Reads a whole file after checking that it exists, is a regular file and is not absurdly large. */
export function readModelBytes(file: string, what = 'model file'): Uint8Array {
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch {
    throw new UserError(`${file}: the ${what} does not exist.`, file);
  }
  if (!st.isFile()) throw new UserError(`${file}: the ${what} is not a regular file.`, file);
  if (st.size > MAX_MODEL_FILE_BYTES) throw new UserError(`${file}: the ${what} is ${(st.size / 1024 ** 3).toFixed(1)} GB; Linear Lens reads files up to 2 GB.`, file);
  return new Uint8Array(fs.readFileSync(file));
}
