import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';

export const WEIGHTS_FILE = 'group1-shard1of1.bin';

/**
 * A tfjs-layers save handler that writes `<dir>/model.json` and one weight shard, the layout the
 * tensorflowjs converter writes. The JSON is stable (no dates, no absolute paths), so a rerun
 * that trains the same weights gives byte-identical files.
 */
export function fileSaveHandler(dir: string): tf.io.IOHandler {
  return tf.io.withSaveHandler(async (artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> => {
    if (!artifacts.weightSpecs || artifacts.weightData === undefined) throw new Error('the model has no weights to save');
    const weights = new Uint8Array(tf.io.CompositeArrayBuffer.join(artifacts.weightData));
    const modelJson = {
      format: 'layers-model',
      generatedBy: artifacts.generatedBy,
      convertedBy: null,
      modelTopology: artifacts.modelTopology,
      weightsManifest: [{ paths: [WEIGHTS_FILE], weights: artifacts.weightSpecs }],
    };
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify(modelJson, null, 1) + '\n');
    fs.writeFileSync(path.join(dir, WEIGHTS_FILE), weights);
    return {
      modelArtifactsInfo: {
        dateSaved: new Date(0),
        modelTopologyType: 'JSON',
        weightDataBytes: weights.byteLength,
      },
    };
  });
}

/** A load handler for `tf.loadLayersModel` reading model.json and its shards from disk. */
export function fileLoadHandler(modelJsonPath: string): tf.io.IOHandler {
  return {
    load: async () => {
      const dir = path.dirname(modelJsonPath);
      const json = JSON.parse(fs.readFileSync(modelJsonPath, 'utf8')) as tf.io.ModelJSON;
      return tf.io.getModelArtifactsForJSON(json, async (manifest) => {
        const specs: tf.io.WeightsManifestEntry[] = [];
        const buffers: ArrayBuffer[] = [];
        for (const group of manifest) {
          specs.push(...group.weights);
          for (const p of group.paths) {
            const b = fs.readFileSync(path.join(dir, p));
            buffers.push(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer);
          }
        }
        return [specs, tf.io.CompositeArrayBuffer.join(buffers)];
      });
    },
  };
}
