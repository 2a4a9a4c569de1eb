import { UserError } from '../../errors';
import { Graph } from '../../graph/ir';
import { unzipEntries } from '../zip';
import { parseModel } from './config';
import { convertKeras } from './convert';
import { H5File, H5Group } from './h5';
import { isObject, parseEmbeddedJson } from './json';
import { kerasMajor, kerasProducer } from './producer';
import { LayerPathItem, StoredWeight, WeightSource } from './weights';

const WANTED = new Set(['config.json', 'metadata.json', 'model.weights.h5', 'model.weights.npz']);

/**
 * The weights of a .keras archive: model.weights.h5 keeps each layer's variables, unnamed, at
 * <container>/<key>/vars/0..n, nested for sub-models. Keras 3 calls the container "layers";
 * tf.keras 2.13-2.15 wrote "_layer_checkpoint_dependencies".
 */
class V3Weights implements WeightSource {
  readonly storedCount: number;
  private readonly read = new Set<string>();
  private readonly all: string[];

  constructor(
    private readonly h5: H5File,
    private readonly container: string,
  ) {
    const top = h5.group(container);
    const rootVars = h5.group('vars');
    this.storedCount = (top ? h5.countElements(top) : 0) + (rootVars ? h5.countElements(rootVars) : 0);
    this.all = top ? this.datasets(top, container, 0) : [];
  }

  private datasets(g: H5Group, at: string, depth: number): string[] {
    if (depth > 32) return [];
    const out: string[] = [];
    for (const k of this.h5.keys(g)) {
      if (this.h5.dataset(k, g)) out.push(`${at}/${k}`);
      else {
        const sub = this.h5.group(k, g);
        if (sub) out.push(...this.datasets(sub, `${at}/${k}`, depth + 1));
      }
    }
    return out;
  }

  /** The group of one layer inside a container group; Keras 3.6+ also records the layer's name on vars. */
  private layerGroup(container: H5Group, item: LayerPathItem): H5Group | undefined {
    const nameOf = (g: H5Group): string | undefined => {
      const v = this.h5.group('vars', g);
      return v ? this.h5.attrText(v, 'name') : undefined;
    };
    const byKey = this.h5.group(item.key, container);
    if (byKey && (nameOf(byKey) ?? item.name) === item.name) return byKey;
    for (const k of this.h5.keys(container)) {
      const g = this.h5.group(k, container);
      if (g && nameOf(g) === item.name) return g;
    }
    return byKey ?? this.h5.group(item.name, container);
  }

  layer(path: readonly LayerPathItem[]): readonly StoredWeight[] {
    let g: H5Group | undefined = this.h5.root;
    for (const item of path) {
      const container: H5Group | undefined = this.h5.group(this.container, g);
      g = container && this.layerGroup(container, item);
      if (!g) return [];
    }
    const vars = this.h5.group('vars', g);
    if (!vars) return [];
    const idx = this.h5.keys(vars).filter((k) => /^\d+$/.test(k)).sort((a, b) => Number(a) - Number(b));
    return idx.map((k) => {
      const ds = this.h5.dataset(k, vars);
      if (!ds) throw new UserError(`${this.h5.file}: ${vars.path}/${k} is not a dataset; the weights file is damaged.`, this.h5.file);
      this.read.add(ds.path.replace(/^\//, ''));
      return this.h5.readFloat(ds);
    });
  }

  unused(): string[] {
    return this.all.filter((p) => !this.read.has(p));
  }
}

async function convertArchive(file: string, bytes: Uint8Array): Promise<Graph> {
  const entries = unzipEntries(file, bytes, (n) => WANTED.has(n));
  const configBytes = entries['config.json'];
  if (!configBytes) throw new UserError(`${file}: is a zip archive without config.json, so it is not a Keras .keras model.`, file);
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  const config = parseEmbeddedJson(file, text(configBytes), 'config.json');
  const metadata = entries['metadata.json'] ? parseEmbeddedJson(file, text(entries['metadata.json']), 'metadata.json') : undefined;
  const version = isObject(metadata) && typeof metadata.keras_version === 'string' ? metadata.keras_version : undefined;
  const weightsBytes = entries['model.weights.h5'];
  if (!weightsBytes) {
    if (entries['model.weights.npz']) {
      throw new UserError(`${file}: stores its weights as model.weights.npz; Linear Lens reads .keras files with model.weights.h5 (the Keras default). Save the model again with model.save("model.keras").`, file);
    }
    throw new UserError(`${file}: the .keras archive has no model.weights.h5, so it holds an architecture without weights.`, file);
  }
  const model = parseModel(file, config);
  const h5 = await H5File.open(file, weightsBytes, 'model.weights.h5 inside the archive');
  try {
    const keys = h5.keys(h5.root);
    const container = ['layers', '_layer_checkpoint_dependencies'].find((k) => keys.includes(k));
    if (!container) {
      throw new UserError(`${file}: its model.weights.h5 has neither a "layers" nor a "_layer_checkpoint_dependencies" group, so its weights cannot be matched to the layers.`, file);
    }
    const warnings: string[] = [];
    if ((isObject(config) && isObject(config.compile_config)) || keys.includes('optimizer')) {
      warnings.push('The model\'s training configuration and optimizer state are ignored.');
    }
    return convertKeras({
      file,
      format: 'keras-v3',
      producer: kerasProducer(version),
      kerasMajor: kerasMajor(version),
      model,
      weights: new V3Weights(h5, container),
      warnings,
    });
  } finally {
    h5.close();
  }
}

/**
 * Reads a Keras .keras archive (Keras 3, or tf.keras 2.13-2.15) into the Graph IR, in this thread.
 * Only the HDF5 worker (h5Worker.ts) calls it; everyone else calls loadKerasV3 (h5Thread.ts).
 */
export async function readKerasV3(file: string, bytes: Uint8Array): Promise<Graph> {
  return convertArchive(file, bytes);
}
