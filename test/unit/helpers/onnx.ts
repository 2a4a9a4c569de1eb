/**
 * Shared by the ONNX loader tests: onnxruntime-node as the reference (a dev peer, imported only
 * here), seeded random inputs in each model's own layout, and the corpus location.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as ort from 'onnxruntime-node';
import { Executor } from '../../../src/core/graph/executor';
import { Graph } from '../../../src/core/graph/ir';
import { mulberry32, randn } from './random';

export const projectRoot = path.resolve(__dirname, '../../..');

/** ../shared/corpus beside the project (or LINEAR_LENS_CORPUS) when it has a manifest. */
export function corpusDir(): string | undefined {
  const dir = process.env.LINEAR_LENS_CORPUS ?? path.resolve(projectRoot, '../shared/corpus');
  return fs.existsSync(path.join(dir, 'manifest.json')) ? dir : undefined;
}

export interface ManifestPort {
  readonly name: string;
  readonly shape: readonly (number | string)[];
}

export interface OnnxEntry {
  readonly id: string;
  readonly format: string;
  readonly expected: string;
  readonly main_file: string;
  readonly inputs: readonly ManifestPort[];
  readonly outputs: readonly ManifestPort[];
  readonly param_count: number;
  readonly producer: { readonly producer_name: string; readonly producer_version: string };
}

/** The corpus manifest's ONNX entries. */
export function onnxEntries(dir: string): OnnxEntry[] {
  const m = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as { entries: OnnxEntry[] };
  return m.entries.filter((e) => e.format === 'onnx');
}

/** Manifest shape -> Port shape: symbolic dims become null. */
export function portShape(shape: readonly (number | string)[]): (number | null)[] {
  return shape.map((d) => (typeof d === 'number' ? d : null));
}

export interface Comparison {
  /** Per output: max |ours - ort| / max |ort|. */
  readonly rel: number[];
  /** Per output: whether max|a-b| <= 1e-4 * max|b| + 1e-5. */
  readonly ok: boolean[];
  readonly batch: number;
}

/**
 * Runs the graph (through the executor) and onnxruntime on the same seeded random inputs, batch 1
 * when the model fixes its batch and 3 otherwise, and compares every output.
 */
export async function compareWithOrt(graph: Graph, file: string, seed = 1): Promise<Comparison> {
  const rnd = mulberry32(seed);
  const batch = graph.inputs.some((p) => p.shape[0] !== null) ? 1 : 3;
  const feeds: Record<string, ort.Tensor> = {};
  const ours: tf.Tensor[] = [];
  for (const p of graph.inputs) {
    const dims = p.shape.map((d, i) => (i === 0 ? d ?? batch : d!));
    const n = dims.reduce((a, d) => a * d, 1);
    const data = Float32Array.from(randn(rnd, n));
    feeds[p.name] = new ort.Tensor('float32', data, dims);
    ours.push(tf.tensor(data, dims, 'float32'));
  }
  const session = await ort.InferenceSession.create(file, { logSeverityLevel: 3 });
  const ref = await session.run(feeds);
  await session.release();
  const ex = new Executor(graph);
  const res = ex.run(ours);
  const rel: number[] = [];
  const ok: boolean[] = [];
  graph.outputs.forEach((o, i) => {
    const a = res.outputs[i].dataSync();
    const r = ref[o.name];
    const b = r.data as Float32Array;
    const same = a.length === b.length && res.outputs[i].shape.join() === r.dims.join();
    let d = 0;
    let m = 0;
    for (let k = 0; k < b.length; k++) {
      d = Math.max(d, Math.abs(a[k] - b[k]));
      m = Math.max(m, Math.abs(b[k]));
    }
    rel.push(same ? d / (m + 1e-12) : Infinity);
    ok.push(same && d <= 1e-4 * m + 1e-5);
  });
  for (const t of [...ours, ...res.outputs]) t.dispose();
  ex.dispose();
  return { rel, ok, batch };
}
