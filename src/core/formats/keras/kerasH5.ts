import { UserError } from '../../errors';
import { Graph } from '../../graph/ir';
import { keras1Marker, parseModel } from './config';
import { convertKeras } from './convert';
import { H5File, H5Group } from './h5';
import { parseEmbeddedJson } from './json';
import { kerasMajor, kerasProducer } from './producer';
import { NamedEntry, NamedWeights } from './weights';

/** Top-level members that mark a Keras weights-only file (save_weights), Keras 2 or 3. */
const WEIGHTS_ONLY_GROUPS = ['layers', 'vars', '_layer_checkpoint_dependencies'];

function refuseWithoutConfig(h5: H5File): never {
  const { file } = h5;
  const keys = h5.keys(h5.root);
  if (h5.hasAttr(h5.root, 'layer_names') || WEIGHTS_ONLY_GROUPS.some((k) => keys.includes(k))) {
    throw new UserError(
      `${file}: is a Keras weights-only file (model.save_weights / a .weights.h5 file): it holds weights but no architecture, so there is nothing to rebuild the network from. Save the whole model instead (model.save("model.keras") or model.save("model.h5")).`,
      file,
    );
  }
  if (keys.includes('model_weights')) {
    throw new UserError(`${file}: has a model_weights group but no model_config attribute, so its architecture is missing. Save the whole model again with model.save().`, file);
  }
  throw new UserError(`${file}: is an HDF5 file but not a Keras model (no model_config attribute; top-level members: ${keys.slice(0, 8).join(', ') || 'none'}).`, file);
}

/** The stored weights of a legacy .h5 model_weights group, addressed by layer group and weight name. */
function legacyEntries(h5: H5File, mw: H5Group): NamedEntry[] {
  const names = h5.attrList(mw, 'layer_names') ?? h5.keys(mw).filter((k) => k !== 'top_level_model_weights');
  const groups = h5.keys(mw).includes('top_level_model_weights') ? [...names, 'top_level_model_weights'] : names;
  const entries: NamedEntry[] = [];
  for (const layer of groups) {
    const g = h5.group(layer, mw);
    if (!g) continue;
    const weightNames = h5.attrList(g, 'weight_names') ?? datasetPaths(h5, g);
    for (const name of weightNames) {
      entries.push({
        group: layer,
        name,
        load: () => {
          const ds = h5.dataset(name, g);
          if (!ds) throw new UserError(`${h5.file}: layer "${layer}" lists weight "${name}", but model_weights/${layer} has no such dataset; the file is damaged.`, h5.file);
          return { name, ...h5.readFloat(ds) };
        },
      });
    }
  }
  return entries;
}

/** Paths of every dataset below a group, for layer groups written without a weight_names list. */
function datasetPaths(h5: H5File, g: H5Group, prefix = '', depth = 0): string[] {
  if (depth > 16) return [];
  const out: string[] = [];
  for (const k of h5.keys(g)) {
    if (h5.dataset(k, g)) out.push(prefix + k);
    else {
      const sub = h5.group(k, g);
      if (sub) out.push(...datasetPaths(h5, sub, `${prefix}${k}/`, depth + 1));
    }
  }
  return out;
}

function convertH5(h5: H5File): Graph {
  const { file, root } = h5;
  const configText = h5.attrText(root, 'model_config');
  if (configText === undefined) refuseWithoutConfig(h5);
  const mw = h5.group('model_weights');
  const version = h5.attrText(root, 'keras_version') ?? (mw && h5.attrText(mw, 'keras_version'));
  const backend = h5.attrText(root, 'backend') ?? (mw && h5.attrText(mw, 'backend'));
  const config = parseEmbeddedJson(file, configText, 'model_config attribute');
  const marker = keras1Marker(config);
  if ((version && version.startsWith('1.')) || marker) {
    throw new UserError(
      `${file}: is a Keras 1 model (keras_version ${version ?? 'unknown'}${marker ? `; its layer configs use the Keras 1 key "${marker}"` : ''}). Linear Lens reads Keras 2 and 3 files only: load the model in Keras 2 and save it again with model.save("model.h5").`,
      file,
    );
  }
  if (!mw) {
    throw new UserError(`${file}: has a Keras architecture (model_config) but no model_weights group, so it holds no weights to load. Save the model again with model.save().`, file);
  }
  const model = parseModel(file, config);
  const warnings: string[] = [];
  const keys = h5.keys(root);
  if (h5.hasAttr(root, 'training_config') || keys.includes('optimizer_weights')) {
    warnings.push('The model\'s training configuration and optimizer state are ignored.');
  }
  return convertKeras({
    file,
    format: 'keras-h5',
    producer: kerasProducer(version, backend),
    kerasMajor: kerasMajor(version),
    model,
    weights: new NamedWeights(legacyEntries(h5, mw), h5.countElements(mw)),
    warnings,
  });
}

/**
 * Reads a legacy Keras .h5 full model (model_config + model_weights) into the Graph IR, in this
 * thread. Only the HDF5 worker (h5Worker.ts) calls it: everyone else calls loadKerasH5
 * (h5Thread.ts), which runs it there with a deadline, since h5wasm cannot be interrupted.
 */
export async function readKerasH5(file: string, bytes: Uint8Array): Promise<Graph> {
  const h5 = await H5File.open(file, bytes, 'HDF5 file');
  try {
    return convertH5(h5);
  } finally {
    h5.close();
  }
}
