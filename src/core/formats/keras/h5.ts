import type * as H5Wasm from 'h5wasm/node';
import { UserError } from '../../errors';
import { MAX_TENSOR_ELEMENTS } from '../../graph/builder';
import { decodeNumbers } from './numbers';

/**
 * HDF5 reading for Keras files, on h5wasm (the HDF5 C library in WebAssembly).
 *
 * This runs in the HDF5 worker thread only (h5Worker.ts, started by h5Thread.ts with a deadline):
 * a damaged file can make the C library loop, and only a worker can be stopped.
 *
 * h5wasm is ESM-only. It is reached through a dynamic import(), which works from CommonJS (tsx in
 * the tests) and in the esbuild CommonJS bundle dist/h5-worker.js, and loads its 4 MB of wasm only
 * when an HDF5 file is first opened. esbuild inlines the package; its node build reads
 * import.meta.url, which esbuild.mjs defines from the bundle's own file name, so nothing has to
 * ship beside the bundle.
 */

export { decodeHalf, decodeNumbers } from './numbers';

type H5Module = typeof H5Wasm;
type Group = H5Wasm.Group;
type Dataset = H5Wasm.Dataset;
/** h5wasm's group and dataset handles, for callers that walk a file. */
export type { Group as H5Group, Dataset as H5Dataset };

let loading: Promise<H5Module> | undefined;

async function h5wasm(): Promise<H5Module> {
  loading ??= (async () => {
    const m = await import('h5wasm/node');
    const mod = await m.ready;
    // HDF5 reports errors by printing a trace to stderr and returning -1; make them exceptions instead.
    mod.activate_throwing_error_handler();
    return m;
  })();
  return loading;
}

let counter = 0;

/** The last line of an HDF5 error trace says what went wrong ("truncated file: eof = ..."). */
function hdf5Reason(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  const lines = text.split('\n').map((l) => l.trim());
  for (let i = lines.length - 1; i >= 0; i--) {
    const m = /^#\d+: .* in (\S+)\(\): (.*)$/.exec(lines[i]);
    if (m) return m[2];
  }
  return lines.find((l) => l.length > 0) ?? 'unknown error';
}

/** A numeric dataset read as float32. */
export interface H5Tensor {
  readonly shape: number[];
  readonly data: Float32Array;
}

/** An open HDF5 file held in h5wasm's in-memory file system; close() frees it. */
export class H5File {
  private closed = false;

  private constructor(
    private readonly h5: H5Module,
    private readonly handle: H5Wasm.File,
    private readonly memPath: string,
    readonly file: string,
    private readonly byteLength: number,
  ) {}

  /** Opens HDF5 bytes; `file` is the path used in messages, `what` says what the bytes are. */
  static async open(file: string, bytes: Uint8Array, what = 'HDF5 file'): Promise<H5File> {
    const h5 = await h5wasm();
    const memPath = `/linear-lens-${process.pid}-${++counter}.h5`;
    h5.FS!.writeFile(memPath, bytes);
    try {
      return new H5File(h5, new h5.File(memPath, 'r'), memPath, file, bytes.length);
    } catch (e) {
      h5.FS!.unlink(memPath);
      throw new UserError(`${file}: the ${what} cannot be read by HDF5 (${hdf5Reason(e)}); it is damaged or truncated.`, file);
    }
  }

  get root(): Group {
    return this.handle;
  }

  /** Runs `f`, turning HDF5 errors into a UserError about this file. */
  guard<T>(where: string, f: () => T): T {
    try {
      return f();
    } catch (e) {
      if (e instanceof UserError) throw e;
      throw new UserError(`${this.file}: HDF5 could not read ${where} (${hdf5Reason(e)}); the file is damaged.`, this.file);
    }
  }

  /** The group at `path` (relative to `from`), or undefined when there is none or it is not a group. */
  group(path: string, from: Group = this.handle): Group | undefined {
    this.refuseLinksOut(path, from);
    const g = this.guard(`"${path}"`, () => from.get(path));
    return g instanceof this.h5.Group ? g : undefined;
  }

  /** The dataset at `path` (relative to `from`), or undefined. External links are never followed. */
  dataset(path: string, from: Group = this.handle): Dataset | undefined {
    this.refuseLinksOut(path, from);
    const d = this.guard(`"${path}"`, () => from.get(path));
    return d instanceof this.h5.Dataset ? d : undefined;
  }

  /**
   * HDF5 follows an external link (to another file) as soon as a path through it is looked up,
   * even just for its type; so every step of `path`, and of any soft link on the way, is checked
   * for one first. A model file must never make us read another file.
   */
  private refuseLinksOut(path: string, from: Group, depth = 0): void {
    const M = this.h5.Module as unknown as {
      get_external_link(id: bigint, p: string): { filename?: string };
      get_symbolic_link(id: bigint, p: string): string | null;
    };
    const id = this.handle.file_id;
    let at = path.startsWith('/') || from.path === '/' ? '' : from.path;
    for (const part of path.split('/').filter((p) => p !== '' && p !== '.')) {
      at = `${at}/${part}`;
      let ext: { filename?: string };
      let soft: string | null;
      try {
        ext = M.get_external_link(id, at);
        soft = M.get_symbolic_link(id, at);
      } catch {
        return; // no such name: nothing through it can be reached, and the lookup itself says so
      }
      if (ext && typeof ext.filename === 'string') {
        throw new UserError(`${this.file}: "${at}" is an external link to "${ext.filename}"; Linear Lens never follows links out of a model file.`, this.file);
      }
      if (typeof soft === 'string') {
        if (depth > 8) throw new UserError(`${this.file}: "${at}" is a chain of more than 8 soft links; the file is refused.`, this.file);
        this.refuseLinksOut(soft, this.handle, depth + 1);
      }
    }
  }

  /** Names of a group's members. */
  keys(g: Group): string[] {
    return this.guard(`the members of "${g.path}"`, () => g.keys());
  }

  /** True when `obj` has an attribute `name`. */
  hasAttr(obj: Group | Dataset, name: string): boolean {
    return this.guard(`the attributes of "${obj.path}"`, () => Object.prototype.hasOwnProperty.call(obj.attrs, name));
  }

  /** A string attribute (stored as str or bytes), or undefined. */
  attrText(obj: Group | Dataset, name: string): string | undefined {
    const v = this.attrValue(obj, name);
    if (typeof v === 'string') return v;
    if (Array.isArray(v) && v.length === 1 && typeof v[0] === 'string') return v[0];
    if (v instanceof Uint8Array || v instanceof Int8Array) return new TextDecoder().decode(v);
    return undefined;
  }

  /**
   * A list-of-strings attribute such as layer_names / weight_names, as bytes or str. Keras splits
   * lists too long for one HDF5 attribute into name0, name1, ...; they are joined back here.
   */
  attrList(obj: Group | Dataset, name: string): string[] | undefined {
    const one = (n: string): string[] | undefined => {
      const v = this.attrValue(obj, n);
      if (v === undefined) return undefined;
      if (typeof v === 'string') return [v];
      if (Array.isArray(v)) return v.map((s) => String(s));
      // h5py writes an empty list as an empty float array.
      if (ArrayBuffer.isView(v) && (v as unknown as ArrayLike<unknown>).length === 0) return [];
      return undefined;
    };
    const whole = one(name);
    if (whole) return whole;
    const parts: string[] = [];
    for (let i = 0; ; i++) {
      const p = one(`${name}${i}`);
      if (!p) break;
      parts.push(...p);
    }
    return parts.length > 0 || this.hasAttr(obj, `${name}0`) ? parts : undefined;
  }

  private attrValue(obj: Group | Dataset, name: string): unknown {
    return this.guard(`attribute "${name}" of "${obj.path}"`, () => {
      const attrs = obj.attrs;
      if (!Object.prototype.hasOwnProperty.call(attrs, name)) return undefined;
      return attrs[name].value;
    });
  }

  /** Shape of a dataset ([] for a scalar). */
  shape(ds: Dataset): number[] {
    return this.guard(`the shape of "${ds.path}"`, () => ds.shape ?? []);
  }

  /**
   * Reads a numeric dataset as float32, whatever its stored type (float16/32/64, integers of any
   * width, either byte order). The size is checked before anything is allocated, so a hostile
   * header cannot make us allocate gigabytes from a small file.
   */
  readFloat(ds: Dataset): H5Tensor {
    const where = `dataset "${ds.path}"`;
    const meta = this.guard(where, () => ds.metadata);
    const shape = meta.shape ?? [];
    const n = shape.reduce((a, d) => a * d, 1);
    const isFloat = meta.type === 1;
    const isInt = meta.type === 0;
    if ((!isFloat && !isInt) || meta.vlen || ![1, 2, 4, 8].includes(meta.size) || (isFloat && meta.size === 1)) {
      throw new UserError(`${this.file}: ${where} is not a numeric tensor (HDF5 type class ${meta.type}, ${meta.size} bytes).`, this.file);
    }
    const nbytes = n * meta.size;
    if (n > MAX_TENSOR_ELEMENTS || nbytes > Math.max(64 * 1024 ** 2, 16 * this.byteLength)) {
      throw new UserError(`${this.file}: ${where} declares ${n} values, far more than a file of ${this.byteLength} bytes can hold; the file is damaged or hostile.`, this.file);
    }
    const M = this.h5.Module;
    const raw = this.guard(where, () => {
      const ptr = M._malloc(Math.max(nbytes, 1));
      if (!ptr) throw new Error('out of memory');
      try {
        M.get_dataset_data(ds.file_id, ds.path, null, null, null, BigInt(ptr));
        return M.HEAPU8.slice(ptr, ptr + nbytes);
      } finally {
        M._free(ptr);
      }
    });
    // h5wasm reads big-endian datasets into little-endian memory, so the bytes are always LE here.
    return { shape, data: decodeNumbers(raw, n, meta.size, isFloat, meta.signed, true) };
  }

  /** Elements of every numeric dataset below `g` (counted from shapes, nothing read). */
  countElements(g: Group, depth = 0): number {
    if (depth > 64) throw new UserError(`${this.file}: its HDF5 groups nest more than 64 levels deep; the file is refused.`, this.file);
    let total = 0;
    for (const k of this.keys(g)) {
      const ds = this.dataset(k, g);
      if (ds) total += this.shape(ds).reduce((a, d) => a * d, 1);
      else {
        const sub = this.group(k, g);
        if (sub) total += this.countElements(sub, depth + 1);
      }
    }
    return total;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.handle.close();
    } finally {
      this.h5.FS!.unlink(this.memPath);
    }
  }
}
