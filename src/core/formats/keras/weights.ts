import { UserError } from '../../errors';
import { sizeOf } from '../../graph/ir';

/** One weight tensor as a file stores it, already decoded to float32. */
export interface StoredWeight {
  /** The name the file gives it ("conv1/kernel:0"); Keras 3 .keras files store none. */
  readonly name?: string;
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

/** A layer as the weight stores address it: its name, class and Keras-3 attribute key. */
export interface LayerPathItem {
  readonly name: string;
  readonly className: string;
  /** The key Keras 3 / tf.keras 2.13+ use for the layer in model.weights.h5 ("conv2d_1"). */
  readonly key: string;
}

/** Where the converter gets each layer's weights, whatever the container. */
export interface WeightSource {
  /** The stored weights of one layer (path from the top model), in the file's own order. */
  layer(path: readonly LayerPathItem[]): readonly StoredWeight[];
  /** Every weight element the file stores, optimizer state excluded. */
  readonly storedCount: number;
  /** Stored weights that no layer took, for a warning. */
  unused(): string[];
}

/** A weight a layer expects, by its Keras name (the layer leaves out those its flags switch off: use_bias, center, ...). */
export interface WeightSlot {
  readonly name: string;
  readonly aliases?: readonly string[];
}

/** 'model/conv1/kernel:0' -> 'kernel'. */
export function shortName(name: string): string {
  const last = name.split('/').pop() ?? name;
  return last.replace(/:\d+$/, '');
}

/** The layer that owns a stored weight by its name: 'model/conv1/kernel:0' -> 'conv1'. */
export function ownerName(name: string): string | undefined {
  const parts = name.split('/');
  return parts.length >= 2 ? parts[parts.length - 2] : undefined;
}

function matchSlot(slots: readonly WeightSlot[], name: string): number {
  const short = shortName(name);
  const candidates = [short, short.replace(/_\d+$/, '')];
  for (const c of candidates) {
    const i = slots.findIndex((s) => s.name === c || (s.aliases ?? []).includes(c));
    if (i >= 0) return i;
  }
  return -1;
}

/**
 * Matches a layer's stored weights to the slots its config implies: by name when every stored
 * weight has a name that says which slot it fills, else by position (Keras order: trainable
 * weights first, each in creation order).
 */
export function assignWeights(file: string, layer: string, className: string, slots: readonly WeightSlot[], stored: readonly StoredWeight[]): Map<string, StoredWeight> {
  const out = new Map<string, StoredWeight>();
  if (stored.length === slots.length && stored.every((w) => w.name !== undefined)) {
    const idx = stored.map((w) => matchSlot(slots, w.name!));
    if (idx.every((i) => i >= 0) && new Set(idx).size === idx.length) {
      stored.forEach((w, k) => out.set(slots[idx[k]].name, w));
      return out;
    }
  }
  if (stored.length !== slots.length) {
    const names = stored.map((w) => (w.name ? shortName(w.name) : `[${w.shape.join(', ')}]`)).join(', ');
    const want = slots.map((s) => s.name).join(', ') || 'none';
    throw new UserError(
      `${file}: layer "${layer}" (${className}) stores ${stored.length} weight${stored.length === 1 ? '' : 's'} (${names || 'none'}) but its config implies ${slots.length} (${want}); the file's weights do not fit its architecture.`,
      file,
    );
  }
  slots.forEach((s, i) => out.set(s.name, stored[i]));
  return out;
}

/** Checks that a stored weight has the element count of `shape` (the config's idea of it). */
export function checkSize(file: string, layer: string, what: string, w: StoredWeight, shape: readonly number[]): void {
  if (w.data.length !== sizeOf(shape)) {
    throw new UserError(`${file}: layer "${layer}": the stored ${what} has shape [${w.shape.join(', ')}] but the layer needs [${shape.join(', ')}].`, file);
  }
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A stored weight addressed by name, read only when a layer asks for it. */
export interface NamedEntry {
  /** The top-level layer group holding it (legacy .h5); undefined where names alone address weights (TF.js). */
  readonly group?: string;
  readonly name: string;
  load(): StoredWeight;
}

/**
 * Weights addressed by name, as TF.js manifests and legacy .h5 files store them: a layer owns the
 * weights whose name's next-to-last part is the layer's name ("conv1_bn/gamma"). A legacy .h5
 * file also groups them by top-level layer, which is all a layer of the top model needs.
 */
export class NamedWeights implements WeightSource {
  private readonly used = new Set<NamedEntry>();

  constructor(
    private readonly entries: readonly NamedEntry[],
    readonly storedCount: number,
  ) {}

  layer(path: readonly LayerPathItem[]): readonly StoredWeight[] {
    const top = path[0].name;
    const last = path[path.length - 1];
    let found = this.entries.filter((e) => e.group === undefined || e.group === top);
    const grouped = found.some((e) => e.group !== undefined);
    if (!(grouped && path.length === 1)) {
      const all = found;
      found = all.filter((e) => ownerName(e.name) === last.name);
      // TF1-era Keras numbered variable scopes apart from layer names ("dense_1" owns "dense_1_1/kernel:0").
      if (found.length === 0) found = all.filter((e) => new RegExp(`^${escapeRegExp(last.name)}_\\d+$`).test(ownerName(e.name) ?? ''));
      // The same layer name can occur in two nested models; the enclosing model's name decides.
      const parent = path.length > 1 ? path[path.length - 2].name : undefined;
      const prefixes = new Set(found.map((e) => e.name.split('/').slice(0, -2).join('/')));
      if (prefixes.size > 1 && parent !== undefined) {
        const inParent = found.filter((e) => e.name.split('/').slice(0, -2).includes(parent));
        if (inParent.length > 0) found = inParent;
      }
    }
    for (const e of found) this.used.add(e);
    return found.map((e) => e.load());
  }

  unused(): string[] {
    return this.entries.filter((e) => !this.used.has(e)).map((e) => (e.group && !e.name.startsWith(`${e.group}/`) ? `${e.group}/${e.name}` : e.name));
  }
}
