/**
 * HDF5 surgery for the reliability corpus, on h5wasm (a project dependency): a Keras file is copied
 * object by object into a new file, so the copy can leave out groups, change attributes or
 * datasets, or add links, exactly as a damaged or hostile writer would.
 */
import type * as H5Wasm from 'h5wasm/node';

type H5 = typeof H5Wasm;
let loading: Promise<H5> | undefined;

async function h5wasm(): Promise<H5> {
  loading ??= (async () => {
    const m = await import('h5wasm/node');
    await m.ready;
    return m;
  })();
  return loading;
}

/** A numeric or string value as the copy writes it. */
export interface H5Value {
  data: unknown;
  shape: number[] | null;
  dtype: string | null;
}

export interface H5Edit {
  /** Leave out the object at this path ("/model_weights/dense_1") and everything below it. */
  skip?: (path: string) => boolean;
  /** Change an attribute: return a new value, 'drop' to leave it out, or undefined to keep it. */
  attr?: (path: string, name: string, value: H5Value) => H5Value | 'drop' | undefined;
  /** Change a dataset's value: return a new value, or undefined to keep it. */
  dataset?: (path: string, value: H5Value) => H5Value | undefined;
  /** Adds objects after the copy (links, extra groups). */
  after?: (root: H5Wasm.File) => void;
}

let counter = 0;

function attrValue(a: H5Wasm.Attribute): H5Value {
  const meta = a.metadata;
  const dtype = a.dtype as unknown;
  return { data: a.value, shape: a.shape, dtype: typeof dtype === 'string' && meta.type !== 3 ? dtype : null };
}

/** A copy of HDF5 bytes with `edit` applied. */
export async function rebuildH5(src: Uint8Array, edit: H5Edit = {}): Promise<Uint8Array> {
  const h5 = await h5wasm();
  const id = `${process.pid}-${++counter}`;
  const inPath = `/reliability-in-${id}.h5`;
  const outPath = `/reliability-out-${id}.h5`;
  h5.FS!.writeFile(inPath, src);
  const input = new h5.File(inPath, 'r');
  const output = new h5.File(outPath, 'w');
  try {
    const copyAttrs = (from: H5Wasm.Group | H5Wasm.Dataset, to: H5Wasm.Group | H5Wasm.Dataset) => {
      for (const [name, a] of Object.entries(from.attrs)) {
        let v: H5Value | 'drop' | undefined = attrValue(a);
        v = edit.attr?.(from.path, name, v) ?? v;
        if (v === 'drop') continue;
        to.create_attribute(name, v.data as never, v.shape, v.dtype as never);
      }
    };
    const walk = (from: H5Wasm.Group, to: H5Wasm.Group) => {
      copyAttrs(from, to);
      for (const k of from.keys()) {
        const childPath = from.path === '/' ? `/${k}` : `${from.path}/${k}`;
        if (edit.skip?.(childPath)) continue;
        const obj = from.get(k);
        if (obj instanceof h5.Group) walk(obj, to.create_group(k));
        else if (obj instanceof h5.Dataset) {
          const v0: H5Value = { data: obj.value, shape: obj.shape, dtype: obj.dtype as string };
          const v = edit.dataset?.(childPath, v0) ?? v0;
          const ds = to.create_dataset({ name: k, data: v.data as never, shape: v.shape, dtype: v.dtype as never });
          copyAttrs(obj, ds);
        }
      }
    };
    walk(input, output);
    edit.after?.(output);
  } finally {
    input.close();
    output.close();
  }
  const bytes = h5.FS!.readFile(outPath) as Uint8Array;
  h5.FS!.unlink(inPath);
  h5.FS!.unlink(outPath);
  return new Uint8Array(bytes);
}

/** The paths of every group and dataset of HDF5 bytes. */
export async function h5Paths(src: Uint8Array): Promise<{ groups: string[]; datasets: string[] }> {
  const h5 = await h5wasm();
  const p = `/reliability-list-${process.pid}-${++counter}.h5`;
  h5.FS!.writeFile(p, src);
  const f = new h5.File(p, 'r');
  const groups: string[] = [];
  const datasets: string[] = [];
  try {
    const walk = (g: H5Wasm.Group) => {
      for (const k of g.keys()) {
        const obj = g.get(k);
        const at = g.path === '/' ? `/${k}` : `${g.path}/${k}`;
        if (obj instanceof h5.Group) {
          groups.push(at);
          walk(obj);
        } else if (obj instanceof h5.Dataset) datasets.push(at);
      }
    };
    walk(f);
  } finally {
    f.close();
    h5.FS!.unlink(p);
  }
  return { groups, datasets };
}
