import { UserError } from '../../errors';
import { Graph } from '../../graph/ir';
import { keras1Marker, ModelDef, parseModel } from './config';
import { convertKeras } from './convert';
import { isObject } from './json';
import { kerasMajor, tfjsProducer } from './producer';
import { readTfjsWeights } from './tfjsWeights';
import { NamedWeights } from './weights';

function usesBilinear(model: ModelDef): boolean {
  return model.layers.some((l) => (l.model ? usesBilinear(l.model) : l.className === 'UpSampling2D' && l.config.interpolation === 'bilinear'));
}

/** Loads a TF.js layers model (model.json + weight shards beside it) into the Graph IR. */
export async function loadTfjsLayers(file: string, json: unknown): Promise<Graph> {
  if (!isObject(json) || !isObject(json.modelTopology)) {
    throw new UserError(`${file}: is not a TF.js layers model: it has no modelTopology object.`, file);
  }
  const topo = json.modelTopology;
  if (json.format === 'graph-model' || 'node' in topo) {
    throw new UserError(`${file}: is a TensorFlow.js graph model (converted from a SavedModel or frozen graph), not a layers model. Convert the original Keras model with tensorflowjs_converter --output_format tfjs_layers_model, or export it to ONNX.`, file);
  }
  // Converted files wrap the Keras config ({keras_version, backend, model_config, training_config});
  // files saved by TF.js itself put the config at the top.
  const entry = isObject(topo.model_config) ? topo.model_config : topo;
  const marker = keras1Marker(entry);
  if (marker) {
    throw new UserError(`${file}: holds a Keras 1 model (its layer configs use "${marker}"), which Linear Lens does not read. Load it in Keras 2 and save it again, then convert it.`, file);
  }
  const model = parseModel(file, entry);
  const weights = readTfjsWeights(file, json.weightsManifest);
  const producer = tfjsProducer(json.generatedBy, topo.keras_version);
  const warnings: string[] = [];
  if (topo.training_config) warnings.push('The model\'s training configuration (optimizer, loss, metrics) is ignored.');
  if (producer.framework === 'tfjs' && usesBilinear(model)) {
    warnings.push('TF.js layers resizes bilinear UpSampling2D without half-pixel centres; Linear Lens follows Keras (half-pixel centres), so those layers differ slightly from the model in the browser.');
  }
  const stored = weights.reduce((a, w) => a + w.data.length, 0);
  return convertKeras({
    file,
    format: 'tfjs-layers',
    producer,
    kerasMajor: producer.framework === 'keras' ? kerasMajor(producer.version) : 2,
    model,
    weights: new NamedWeights(weights.map((w) => ({ name: w.name!, load: () => w })), stored),
    warnings,
  });
}
