/**
 * Makes the bundled examples: a Fashion-MNIST subset (from Debian's dataset-fashion-mnist), four
 * TF.js layers models trained here on the WASM backend with fixed seeds, and an ONNX and a Keras
 * .h5 copy written by scripts/export_copies.py. examples/README.md describes every file.
 *
 *   npm run examples                       # data (if missing) + models + copies
 *   npm run examples -- --data             # rebuild the data subset from the Debian package
 *   npm run examples -- --only cnn-seed1   # train just these models (comma-separated)
 *   npm run examples -- --models-dir DIR   # write models elsewhere (determinism checks)
 *   npm run examples -- --no-copies        # skip the Python ONNX / Keras copies
 *
 * FASHION_MNIST_DIR overrides the source folder; PYTHON the interpreter used for the copies.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as crypto from 'node:crypto';
import { spawnSync } from 'node:child_process';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { initBackend } from '../src/core/tf/backend';
import { headIdx, readIdxU8, writeIdxU8Gz, type IdxU8 } from './examples/idx';
import { build, type Family } from './examples/models';
import { fileLoadHandler, fileSaveHandler, WEIGHTS_FILE } from './examples/tfjsFiles';
import { accuracy, predictLogits, train, type Split } from './examples/train';

const ROOT = path.resolve(__dirname, '..');
const DATA_DIR = path.join(ROOT, 'examples/data/fashion-mnist');
const DEBIAN_DIR = '/usr/share/datasets/fashion-mnist';
const DEBIAN_COPYRIGHT = '/usr/share/doc/dataset-fashion-mnist/copyright';
const N_TRAIN = 10_000;
const N_TEST = 2_000;
const MIN_ACCURACY = 0.8;

interface Spec {
  readonly name: string;
  readonly family: Family;
  readonly seed: number;
  readonly epochs: number;
  readonly batchSize: number;
  readonly learningRate: number;
}

const SPECS: readonly Spec[] = [
  { name: 'mlp-seed1', family: 'mlp', seed: 1, epochs: 5, batchSize: 128, learningRate: 1e-3 },
  { name: 'mlp-seed2', family: 'mlp', seed: 2, epochs: 5, batchSize: 128, learningRate: 1e-3 },
  { name: 'cnn-seed1', family: 'cnn', seed: 1, epochs: 3, batchSize: 64, learningRate: 2e-3 },
  { name: 'cnn-seed2', family: 'cnn', seed: 2, epochs: 3, batchSize: 64, learningRate: 2e-3 },
];

const FILES = {
  trainImages: 'train-images-idx3-ubyte.gz',
  trainLabels: 'train-labels-idx1-ubyte.gz',
  testImages: 't10k-images-idx3-ubyte.gz',
  testLabels: 't10k-labels-idx1-ubyte.gz',
} as const;

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const flag = (name: string) => process.argv.includes(name);
const log = (line: string) => console.log(line);
const sha256 = (file: string) => crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
const rel = (p: string) => path.relative(ROOT, p);

/** The first 10,000 training and first 2,000 test items of the full set, as gzipped IDX. */
function makeData(): void {
  const src = process.env.FASHION_MNIST_DIR ?? DEBIAN_DIR;
  if (!fs.existsSync(path.join(src, FILES.trainImages))) {
    throw new Error(`${src}: no Fashion-MNIST here. Install Debian's dataset-fashion-mnist (apt-get install dataset-fashion-mnist) or set FASHION_MNIST_DIR.`);
  }
  fs.mkdirSync(DATA_DIR, { recursive: true });
  const counts: Record<keyof typeof FILES, number> = { trainImages: N_TRAIN, trainLabels: N_TRAIN, testImages: N_TEST, testLabels: N_TEST };
  for (const key of Object.keys(FILES) as (keyof typeof FILES)[]) {
    const subset = headIdx(readIdxU8(path.join(src, FILES[key])), counts[key]);
    writeIdxU8Gz(path.join(DATA_DIR, FILES[key]), subset);
    log(`wrote ${rel(path.join(DATA_DIR, FILES[key]))} [${subset.shape}]`);
  }
  if (fs.existsSync(DEBIAN_COPYRIGHT)) fs.copyFileSync(DEBIAN_COPYRIGHT, path.join(DATA_DIR, 'LICENSE'));
}

function split(images: IdxU8, labels: IdxU8): Split {
  const n = images.shape[0];
  const x = new Float32Array(images.data.length);
  for (let i = 0; i < x.length; i++) x[i] = images.data[i] / 255;
  return { x: tf.tensor4d(x, [n, 28, 28, 1]), labels: tf.tensor1d(Int32Array.from(labels.data), 'int32') };
}

/** Writes logits as raw little-endian float32, [n, 10], for the Python side to compare against. */
function writeF32(file: string, a: Float32Array): void {
  fs.writeFileSync(file, new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
}

function findPython(): string | undefined {
  const candidates = [process.env.PYTHON, '/usr/bin/python3', 'python3'].filter((c): c is string => !!c);
  for (const c of candidates) {
    const r = spawnSync(c, ['-c', 'import torch, h5py, onnx, numpy'], { stdio: 'ignore' });
    if (r.status === 0) return c;
  }
  return undefined;
}

/** Compares the ONNX copy with the TF.js logits through onnxruntime-node, an independent runtime. */
async function checkOnnx(file: string, x: Float32Array, n: number, want: Float32Array): Promise<void> {
  let ort: typeof import('onnxruntime-node');
  try {
    ort = await import('onnxruntime-node');
  } catch {
    log('  (onnxruntime-node is not installed: ONNX peer check skipped)');
    return;
  }
  const session = await ort.InferenceSession.create(file);
  const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', x.slice(0, n * 784), [n, 1, 28, 28]) };
  const out = (await session.run(feeds))[session.outputNames[0]].data as Float32Array;
  let worst = 0;
  for (let i = 0; i < n * 10; i++) worst = Math.max(worst, Math.abs(out[i] - want[i]) / Math.max(1, Math.abs(want[i])));
  if (!(worst < 1e-4)) throw new Error(`${rel(file)}: onnxruntime logits differ from the TF.js model by ${worst} (relative)`);
  log(`  onnxruntime-node: ${rel(file)} matches the TF.js logits on ${n} test images (max rel. diff ${worst.toExponential(2)})`);
}

async function main(): Promise<void> {
  const t0 = Date.now();
  const modelsDir = path.resolve(arg('--models-dir') ?? path.join(ROOT, 'examples/models'));
  const only = arg('--only')?.split(',');
  const specs = SPECS.filter((s) => !only || only.includes(s.name));

  if (flag('--data') || !Object.values(FILES).every((f) => fs.existsSync(path.join(DATA_DIR, f)))) makeData();

  const info = await initBackend({ preference: 'wasm' });
  if (info.name !== 'wasm') throw new Error(`the examples are trained on the WASM backend; got ${info.name}: ${JSON.stringify(info.notUsed)}`);
  log(`backend: ${info.device}, tfjs ${info.tfjsVersion}`);

  const trainImages = readIdxU8(path.join(DATA_DIR, FILES.trainImages));
  const trainLabels = readIdxU8(path.join(DATA_DIR, FILES.trainLabels));
  const testImages = readIdxU8(path.join(DATA_DIR, FILES.testImages));
  const testLabels = readIdxU8(path.join(DATA_DIR, FILES.testLabels));
  const trainSet = split(trainImages, trainLabels);
  const testSet = split(testImages, testLabels);

  const refDir = fs.mkdtempSync(path.join(os.tmpdir(), 'linear-lens-examples-'));
  const summary: string[] = [];
  for (const spec of specs) {
    const t = Date.now();
    log(`${spec.name}: training (${spec.epochs} epochs, batch ${spec.batchSize}, Adam ${spec.learningRate}, seed ${spec.seed})`);
    const model = build(spec.family, spec.seed, spec.name.replace(/-/g, '_'));
    await train(model, trainSet, { seed: spec.seed, epochs: spec.epochs, batchSize: spec.batchSize, learningRate: spec.learningRate, log });
    const dir = path.join(modelsDir, spec.name);
    await model.save(fileSaveHandler(dir));
    model.dispose();

    // Judge the files, not the model in memory: reload what was written.
    const loaded = await tfl.loadLayersModel(fileLoadHandler(path.join(dir, 'model.json')));
    const logits = predictLogits(loaded, testSet.x);
    loaded.dispose();
    const acc = accuracy(logits, testLabels.data);
    writeF32(path.join(refDir, `${spec.name}.f32`), logits);
    const params = spec.family === 'mlp' ? 784 * 256 + 256 + 256 * 256 + 256 + 2570 : 160 + 4640 + 15690;
    const line = `${spec.name}: test accuracy ${(acc * 100).toFixed(2)}% on ${N_TEST}, ${params} params, ${((Date.now() - t) / 1000).toFixed(0)} s, weights sha256 ${sha256(path.join(dir, WEIGHTS_FILE)).slice(0, 16)}`;
    log(line);
    summary.push(line);
    if (acc < MIN_ACCURACY) throw new Error(`${spec.name}: test accuracy ${acc} is below ${MIN_ACCURACY}`);
  }

  const wantCopies = !flag('--no-copies') && specs.some((s) => s.name === 'cnn-seed1') && specs.some((s) => s.name === 'mlp-seed1');
  if (wantCopies) {
    const python = findPython();
    if (!python) {
      log('No Python with torch, h5py, onnx and numpy: the ONNX / Keras copies were not rewritten.');
      log('  (Debian: apt-get install python3-torch python3-h5py python3-onnx python3-numpy; or set PYTHON)');
    } else {
      const r = spawnSync(python, [path.join(__dirname, 'export_copies.py'), '--models-dir', modelsDir, '--data-dir', DATA_DIR, '--reference-logits', refDir], { stdio: 'inherit' });
      if (r.status !== 0) throw new Error(`export_copies.py failed (exit ${r.status})`);
      const x = testSet.x.dataSync() as Float32Array;
      const want = new Float32Array(fs.readFileSync(path.join(refDir, 'cnn-seed1.f32')).buffer.slice(0));
      await checkOnnx(path.join(modelsDir, 'cnn-seed1-onnx/model.onnx'), x, N_TEST, want);
    }
  }
  fs.rmSync(refDir, { recursive: true, force: true });

  log('');
  for (const line of summary) log(line);
  for (const d of fs.readdirSync(modelsDir).sort()) {
    for (const f of fs.readdirSync(path.join(modelsDir, d)).sort()) {
      const p = path.join(modelsDir, d, f);
      log(`${rel(p)}  ${fs.statSync(p).size} bytes  sha256 ${sha256(p)}`);
    }
  }
  log(`done in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
}

main().catch((e) => {
  console.error(e instanceof Error ? e.stack : e);
  process.exit(1);
});
