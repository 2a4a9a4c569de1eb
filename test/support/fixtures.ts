/**
 * Model files made for the tests with @tensorflow/tfjs-layers itself (a dev dependency), so they are
 * genuine TF.js layers models rather than hand-written JSON.
 */
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export interface TinyModel {
  /** Path of model.json; its weights file lies beside it. */
  readonly file: string;
  readonly inputShape: readonly (number | null)[];
  readonly outputShape: readonly (number | null)[];
  /** Weight elements stored: conv 3*3*1*4+4, dense 144*3+3. */
  readonly paramCount: number;
  readonly layerNames: readonly string[];
}

/** Writes a small conv net (8x8x1 -> conv 4 -> flatten -> dense 3 softmax) as a TF.js layers model in a fresh temp folder. */
export async function writeTinyTfjsModel(): Promise<TinyModel> {
  await tf.setBackend('cpu');
  // Silences the cpu backend's "install tfjs-node" banner in the test output.
  tf.enableProdMode();
  const model = tfl.sequential({
    name: 'tiny',
    layers: [
      tfl.layers.conv2d({ name: 'conv', inputShape: [8, 8, 1], filters: 4, kernelSize: 3, activation: 'relu' }),
      tfl.layers.flatten({ name: 'flat' }),
      tfl.layers.dense({ name: 'logits', units: 3, activation: 'softmax' }),
    ],
  });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'linear-lens-test-'));
  const file = path.join(dir, 'model.json');
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      const data = a.weightData;
      const bytes = data === undefined ? new Uint8Array(0) : new Uint8Array(Array.isArray(data) ? tf.io.concatenateArrayBuffers(data) : data);
      fs.writeFileSync(path.join(dir, 'weights.bin'), bytes);
      const json = { format: a.format, generatedBy: a.generatedBy, convertedBy: a.convertedBy, modelTopology: a.modelTopology, weightsManifest: [{ paths: ['weights.bin'], weights: a.weightSpecs }] };
      fs.writeFileSync(file, JSON.stringify(json));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  model.dispose();
  return { file, inputShape: [null, 8, 8, 1], outputShape: [null, 3], paramCount: 3 * 3 * 1 * 4 + 4 + 144 * 3 + 3, layerNames: ['conv', 'flat', 'logits'] };
}

/** The corpus of real model files (../shared/corpus, or LINEAR_LENS_CORPUS), when present. */
export function corpusDir(): string | undefined {
  const dir = process.env.LINEAR_LENS_CORPUS ?? path.resolve(__dirname, '../../../shared/corpus');
  return fs.existsSync(path.join(dir, 'manifest.json')) ? dir : undefined;
}
