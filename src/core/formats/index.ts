import * as path from 'node:path';
import { UserError } from '../errors';
import { Graph } from '../graph/ir';
import { readModelBytes } from './paths';
import { parseJson } from './json';

export { parseJson } from './json';
import { looksLikeOnnx, loadOnnx } from './onnx';
import { loadKerasH5, loadKerasV3, loadTfjsLayers } from './keras';
import { unzipEntryNames } from './zip';

/** What a file is, decided from its content (magic bytes, JSON keys, zip entries), never its name. */
export type FileKind =
  | 'onnx'
  | 'keras-v3'
  | 'hdf5'
  | 'tfjs-layers'
  | 'tfjs-graph'
  | 'keras-json'
  | 'safetensors'
  | 'pytorch'
  | 'npz'
  | 'unknown';

const HDF5_MAGIC = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

function startsWith(b: Uint8Array, magic: readonly number[], at = 0): boolean {
  return b.length >= at + magic.length && magic.every((m, i) => b[at + i] === m);
}

function firstNonSpace(b: Uint8Array): number {
  for (let i = 0; i < Math.min(b.length, 4096); i++) {
    const c = b[i];
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09 && c !== 0xef && c !== 0xbb && c !== 0xbf) return c;
  }
  return -1;
}

/** Decides what a file is from its bytes. */
export function sniff(bytes: Uint8Array, json?: () => unknown): FileKind {
  if (startsWith(bytes, HDF5_MAGIC)) return 'hdf5';
  if (startsWith(bytes, [0x50, 0x4b, 0x03, 0x04]) || startsWith(bytes, [0x50, 0x4b, 0x05, 0x06])) {
    let names: string[] = [];
    try {
      names = unzipEntryNames(bytes);
    } catch {
      return 'unknown';
    }
    if (names.includes('config.json') && (names.includes('model.weights.h5') || names.includes('metadata.json'))) return 'keras-v3';
    if (names.some((n) => n.endsWith('.npy'))) return 'npz';
    if (names.some((n) => /(^|\/)data\.pkl$/.test(n))) return 'pytorch';
    return 'unknown';
  }
  if (startsWith(bytes, [0x80]) && bytes.length > 1 && bytes[1] >= 2 && bytes[1] <= 5) return 'pytorch';
  if (bytes.length >= 9) {
    // safetensors: u64 little-endian header length, then a JSON object.
    const n = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
    if (n > 1 && n < bytes.length && bytes[8] === 0x7b) return 'safetensors';
  }
  if (firstNonSpace(bytes) === 0x7b && json) {
    const j = json() as Record<string, unknown> | null;
    if (j && typeof j === 'object') {
      const topo = typeof j.modelTopology === 'object' && j.modelTopology !== null ? (j.modelTopology as Record<string, unknown>) : undefined;
      if (j.format === 'graph-model' || (topo && 'node' in topo)) return 'tfjs-graph';
      if (topo || 'modelTopology' in j || j.format === 'layers-model') return 'tfjs-layers';
      if ('class_name' in j && 'config' in j) return 'keras-json';
    }
    return 'unknown';
  }
  if (looksLikeOnnx(bytes)) return 'onnx';
  return 'unknown';
}

/**
 * Refuses a model whose weights hold NaN, or an infinity anywhere but in a constant operand (an
 * ONNX mask or clip bound may be -inf on purpose). Such a model makes every analysis NaN, so it
 * is stopped here, where the message can name the weight, rather than giving silent NaN curves.
 */
export function checkFiniteWeights(graph: Graph): void {
  for (const p of graph.params.values()) {
    const d = p.data;
    let nan = 0;
    let inf = 0;
    let first = -1;
    for (let i = 0; i < d.length; i++) {
      const v = d[i];
      if (v - v === 0) continue;
      if (v !== v) nan++;
      else if (p.role !== 'constant') inf++;
      else continue;
      if (first < 0) first = i;
    }
    if (nan + inf > 0) {
      const what = [nan > 0 ? `${nan} NaN` : '', inf > 0 ? `${inf} infinite` : ''].filter((s) => s).join(' and ');
      throw new UserError(
        `${graph.file}: weight "${p.key}" holds ${what} value${nan + inf === 1 ? '' : 's'} (the first at index ${first} of ${d.length}); every analysis of this model would give NaN. The file is damaged or its training diverged: retrain or re-export it.`,
        graph.file,
      );
    }
  }
}

/** Loads any supported model file into the Graph IR, or throws a UserError saying what the file is. */
export async function loadModel(file: string): Promise<Graph> {
  const graph = await loadAnyModel(file);
  checkFiniteWeights(graph);
  return graph;
}

async function loadAnyModel(file: string): Promise<Graph> {
  const abs = path.resolve(file);
  const bytes = readModelBytes(abs);
  if (bytes.length === 0) throw new UserError(`${abs}: the file is empty.`, abs);
  let parsed: unknown;
  const json = () => (parsed ??= parseJson(abs, bytes));
  const kind = sniff(bytes, json);
  switch (kind) {
    case 'onnx':
      return loadOnnx(abs, bytes);
    case 'keras-v3':
      return loadKerasV3(abs, bytes);
    case 'hdf5':
      return loadKerasH5(abs, bytes);
    case 'tfjs-layers':
      return loadTfjsLayers(abs, json());
    case 'tfjs-graph':
      throw new UserError(`${abs}: is a TensorFlow.js graph model (converted from a SavedModel or frozen graph). Linear Lens reads TF.js layers models; convert the original Keras model with tensorflowjs_converter --output_format tfjs_layers_model, or export it to ONNX.`, abs);
    case 'keras-json':
      throw new UserError(`${abs}: is a Keras architecture without weights (model.to_json()). Save the whole model with model.save("model.keras") instead.`, abs);
    case 'safetensors':
      throw new UserError(`${abs}: is a safetensors file: weights only, with no architecture. Export the model to ONNX (torch.onnx.export) or save a whole Keras model.`, abs);
    case 'pytorch':
      throw new UserError(`${abs}: is a PyTorch checkpoint (pickle). Linear Lens never executes code from a model file, and pickles are code; export the model with torch.onnx.export and open the .onnx file.`, abs);
    case 'npz':
      throw new UserError(`${abs}: is a NumPy .npz archive, which holds data, not a model. Use it as a dataset.`, abs);
    case 'unknown':
      throw new UserError(`${abs}: is not a model file Linear Lens recognises. Supported: TF.js layers models (model.json), Keras .keras and .h5 files, and ONNX files.`, abs);
  }
}
