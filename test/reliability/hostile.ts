/**
 * The hostile corpus: broken and hostile model and data files, generated from the project's
 * examples (examples/models, examples/data) and, when present, the real corpus (../shared/corpus
 * or LINEAR_LENS_CORPUS), into a temp folder. Nothing is copied into the project.
 *
 * Families: truncated files at many offsets; wrong dtypes and shapes; dimensions whose product
 * overflows or asks for terabytes; NaN and Inf weights; weight-shard and external-data paths that
 * climb out of the model's folder (`../`, absolute paths, symlinks; each with a sentinel outside
 * that would load, so a success means an escape, and an in-folder control that must load); zip
 * bombs in .keras, .npz and .gz; deeply nested JSON; ONNX graphs with cycles or dangling inputs;
 * HDF5 files with missing groups; data files with hostile headers.
 *
 * Run: node --import tsx test/reliability/hostile.ts [OUT_DIR]  (writes the files, prints counts)
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { rebuildH5, h5Paths, type H5Value } from './h5';
import {
  biggestFloatInitializer,
  Case,
  concat,
  crc32,
  ONNX,
  onnxGraph,
  patchZipSize,
  Pb,
  put,
  setTensorDims,
  text,
  unzipSync,
  utf8,
  zipOf,
  zipRaw,
} from './lib';

export const ROOT = path.resolve(__dirname, '../..');
const EXAMPLES = path.join(ROOT, 'examples');

/** The real corpus folder, or undefined when it is absent (CI without ../shared). */
export function corpusDir(): string | undefined {
  const dir = process.env.LINEAR_LENS_CORPUS ?? path.resolve(ROOT, '../shared/corpus');
  return fs.existsSync(path.join(dir, 'manifest.json')) ? dir : undefined;
}

/** A valid model to derive cases from. */
export interface BaseModel {
  readonly name: string;
  readonly format: 'tfjs' | 'onnx' | 'h5' | 'keras';
  /** The main file: model.json, .onnx, .h5 or .keras. */
  readonly file: string;
  readonly size: number;
}

/** The example models, and the supported corpus models when the corpus is present. */
export function baseModels(corpus = corpusDir()): BaseModel[] {
  const m = (name: string, format: BaseModel['format'], file: string): BaseModel => ({ name, format, file, size: fs.statSync(file).size });
  const out = [
    m('ex-cnn-tfjs', 'tfjs', path.join(EXAMPLES, 'models/cnn-seed1/model.json')),
    m('ex-mlp-tfjs', 'tfjs', path.join(EXAMPLES, 'models/mlp-seed1/model.json')),
    m('ex-cnn-onnx', 'onnx', path.join(EXAMPLES, 'models/cnn-seed1-onnx/model.onnx')),
    m('ex-mlp-h5', 'h5', path.join(EXAMPLES, 'models/mlp-seed1-keras/model.h5')),
  ];
  if (corpus) {
    const manifest = JSON.parse(fs.readFileSync(path.join(corpus, 'manifest.json'), 'utf8')) as { entries: { id: string; format: string; expected: string; main_file: string }[] };
    const kinds: Record<string, BaseModel['format']> = { 'keras-h5': 'h5', 'keras-v3': 'keras', onnx: 'onnx', 'tfjs-layers': 'tfjs' };
    for (const e of manifest.entries) {
      if (e.expected !== 'supported' || !kinds[e.format]) continue;
      out.push(m(`corpus-${e.id}`, kinds[e.format], path.join(corpus, e.id, e.main_file)));
    }
  }
  return out;
}

interface TfjsJson {
  modelTopology: Record<string, unknown>;
  weightsManifest: { paths: string[]; weights: { name: string; shape: number[]; dtype?: string }[] }[];
  [k: string]: unknown;
}

const readJson = (file: string): TfjsJson => JSON.parse(fs.readFileSync(file, 'utf8')) as TfjsJson;

/** The shard bytes of a TF.js model, in manifest order, concatenated per group. */
function tfjsShards(base: BaseModel): Uint8Array[] {
  return readJson(base.file).weightsManifest.map((g) => concat(g.paths.map((p) => new Uint8Array(fs.readFileSync(path.join(path.dirname(base.file), p))))));
}

/** Writes a TF.js model (json + one shard per group) into `dir`; `shardName(g)` names group g's shard. */
function writeTfjs(dir: string, json: TfjsJson, shards: Uint8Array[], shardName = (g: number) => `group${g + 1}-shard1of1.bin`): string {
  fs.mkdirSync(dir, { recursive: true });
  if (Array.isArray(json.weightsManifest)) {
    json.weightsManifest.forEach((g, i) => {
      if (shards[i] !== undefined) put(path.join(dir, shardName(i)), shards[i]);
      g.paths = [shardName(i)];
    });
  } else shards.forEach((s, i) => put(path.join(dir, shardName(i)), s));
  return put(path.join(dir, 'model.json'), JSON.stringify(json));
}

/** Offsets to cut a file of `n` bytes at: the first bytes one by one, powers of two, fractions, the last bytes. */
export function cutOffsets(n: number, many: boolean): number[] {
  const s = new Set<number>(many ? [0, 1, 2, 3, 4, 7, 8, 9, 12, 16] : [0, 4, 8, 16]);
  for (let p = 32; p < n; p *= many ? 2 : 16) s.add(p);
  for (const f of many ? [0.1, 0.25, 0.33, 0.5, 0.66, 0.75, 0.9, 0.99] : [0.25, 0.5, 0.9]) s.add(Math.floor(n * f));
  for (const k of many ? [1, 2, 8] : [1]) s.add(n - k);
  return [...s].filter((x) => x >= 0 && x < n).sort((a, b) => a - b);
}

const float32 = (xs: number[]): Uint8Array => new Uint8Array(Float32Array.from(xs).buffer);

/** Generates every hostile case under `out`. */
export async function generateHostile(out: string, opts: { corpus?: string | undefined; bombs?: boolean } = {}): Promise<Case[]> {
  const corpus = 'corpus' in opts ? opts.corpus : corpusDir();
  const cases: Case[] = [];
  const add = (c: Omit<Case, 'id'> & { id?: string }, id: string) => cases.push({ ...c, id: `${c.family}/${id}` });
  const dirFor = (id: string) => path.join(out, id.replace(/[^A-Za-z0-9._-]+/g, '_'));
  const bases = baseModels(corpus);

  // ------------------------------------------------------------ truncated models
  for (const b of bases) {
    const fam = 'truncated';
    const bytes = new Uint8Array(fs.readFileSync(b.file));
    const many = b.name.startsWith('ex-');
    if (b.format === 'tfjs') {
      const shards = tfjsShards(b);
      const dir0 = dirFor(`${fam}-${b.name}-json`);
      const whole = utf8(fs.readFileSync(writeTfjs(dir0, readJson(b.file), shards), 'utf8'));
      for (const n of cutOffsets(whole.length, many)) {
        const dir = dirFor(`${fam}-${b.name}-json-${n}`);
        writeTfjs(dir, readJson(b.file), shards);
        put(path.join(dir, 'model.json'), whole.subarray(0, n));
        add({ family: fam, kind: 'model', file: path.join(dir, 'model.json'), expect: 'user-error' }, `${b.name}/model.json@${n}`);
      }
      const shard = shards[0];
      for (const n of cutOffsets(shard.length, many)) {
        const dir = dirFor(`${fam}-${b.name}-shard-${n}`);
        const file = writeTfjs(dir, readJson(b.file), [shard.subarray(0, n), ...shards.slice(1)]);
        add({ family: fam, kind: 'model', file, expect: 'user-error', message: 'truncated|hold|bytes' }, `${b.name}/shard@${n}`);
      }
    } else {
      const ext = path.extname(b.file);
      for (const n of cutOffsets(bytes.length, many)) {
        const file = put(path.join(dirFor(`${fam}-${b.name}`), `cut-${n}${ext}`), bytes.subarray(0, n));
        add({ family: fam, kind: 'model', file, expect: 'user-error' }, `${b.name}@${n}`);
      }
    }
  }

  // ------------------------------------------------------------ TF.js: dtypes, shapes, sizes, NaN, paths
  const tfjsBase = bases.find((b) => b.name === 'ex-cnn-tfjs')!;
  const tfjsCase = (fam: string, id: string, edit: (j: TfjsJson, shards: Uint8Array[]) => void, expect: Case['expect'] = 'user-error', message?: string) => {
    const dir = dirFor(`${fam}-${id}`);
    const json = readJson(tfjsBase.file);
    const shards = tfjsShards(tfjsBase).map((s) => s.slice());
    edit(json, shards);
    const file = writeTfjs(dir, json, shards);
    add({ family: fam, kind: 'model', file, expect, ...(message ? { message } : {}) }, id);
  };
  const w0 = (j: TfjsJson) => j.weightsManifest[0].weights[0];
  for (const dtype of ['complex64', 'string', 'float64', 'int64', 'uint8', '', 'FLOAT32']) {
    tfjsCase('wrong-dtype-shape', `tfjs-dtype-${dtype || 'empty'}`, (j) => void (w0(j).dtype = dtype), 'user-error', 'dtype');
  }
  const badShapes: [string, unknown][] = [['negative', [3, 3, -1, 16]], ['fraction', [3, 3, 1.5, 16]], ['string', 'abc'], ['null', null], ['nested', [[3], 3]], ['transposed', [16, 1, 3, 3]], ['scalar', []], ['extra-dim', [3, 3, 1, 16, 1]]];
  for (const [name, shape] of badShapes) tfjsCase('wrong-dtype-shape', `tfjs-shape-${name}`, (j) => void ((w0(j) as { shape: unknown }).shape = shape));
  tfjsCase('wrong-dtype-shape', 'tfjs-quantization-int4', (j) => void ((w0(j) as Record<string, unknown>).quantization = { dtype: 'int4', scale: 1, min: 0 }));
  tfjsCase('wrong-dtype-shape', 'tfjs-quantization-no-scale', (j) => void ((w0(j) as Record<string, unknown>).quantization = { dtype: 'uint8' }));
  tfjsCase('wrong-dtype-shape', 'tfjs-manifest-not-list', (j) => void ((j as Record<string, unknown>).weightsManifest = { paths: [] }));
  tfjsCase('wrong-dtype-shape', 'tfjs-weight-no-name', (j) => void delete (w0(j) as Partial<{ name: string }>).name);
  // the manifest order decides where each weight's bytes are; swapped entries read each other's bytes and still load
  tfjsCase('wrong-dtype-shape', 'tfjs-weights-swapped', (j) => {
    const ws = j.weightsManifest[0].weights;
    [ws[0], ws[2]] = [ws[2], ws[0]];
  }, 'any');
  tfjsCase('wrong-dtype-shape', 'tfjs-weight-missing', (j) => void j.weightsManifest[0].weights.splice(1, 1));
  const layers = (j: TfjsJson) => ((j.modelTopology as { config: { layers: { class_name: string; config: Record<string, unknown> }[] } }).config.layers);
  const layerEdits: [string, (l: ReturnType<typeof layers>) => void][] = [
    ['filters-negative', (l) => void (l[0].config.filters = -16)],
    ['filters-huge', (l) => void (l[0].config.filters = 2 ** 40)],
    ['kernel-zero', (l) => void (l[0].config.kernel_size = [0, 0])],
    ['strides-zero', (l) => void (l[0].config.strides = [0, 0])],
    ['strides-negative', (l) => void (l[0].config.strides = [-1, -1])],
    ['dilation-huge', (l) => void (l[0].config.dilation_rate = [1e9, 1e9])],
    ['pool-zero', (l) => void (l[1].config.pool_size = [0, 0])],
    ['pool-huge', (l) => void (l[1].config.pool_size = [1e6, 1e6])],
    ['units-string', (l) => void (l[l.length - 1].config.units = 'ten')],
    ['units-float', (l) => void (l[l.length - 1].config.units = 10.5)],
    ['input-shape-zero', (l) => void (l[0].config.batch_input_shape = [null, 0, 28, 1])],
    ['input-shape-negative', (l) => void (l[0].config.batch_input_shape = [null, -28, 28, 1])],
    ['input-shape-string', (l) => void (l[0].config.batch_input_shape = 'x')],
    ['activation-unknown', (l) => void (l[0].config.activation = 'eval')],
    ['class-unknown', (l) => void (l[0].class_name = 'Conv9D')],
    ['class-proto', (l) => void (l[0].class_name = '__proto__')],
    ['layers-empty', (l) => void l.splice(0)],
    ['layer-null', (l) => void ((l as unknown[])[1] = null)],
  ];
  // sizes come from the stored weights, so a config's filters / units / kernel_size that disagree are not used
  const sizedByWeights = new Set(['filters-negative', 'filters-huge', 'kernel-zero', 'units-string', 'units-float']);
  for (const [name, f] of layerEdits) tfjsCase('wrong-dtype-shape', `tfjs-layer-${name}`, (j) => f(layers(j)), sizedByWeights.has(name) ? 'any' : 'user-error');

  // dimensions whose product overflows or asks for terabytes
  const hugeShapes: [string, number[]][] = [['2^31x2^31', [2 ** 31, 2 ** 31]], ['65536^3', [65536, 65536, 65536]], ['terabytes', [1e6, 1e6]], ['2^53', [2 ** 53, 2]], ['1e308', [1e308]], ['max-int32-x4', [2147483647, 4]]];
  for (const [name, shape] of hugeShapes) tfjsCase('overflow-dims', `tfjs-weight-${name}`, (j) => void (w0(j).shape = shape));
  tfjsCase('overflow-dims', 'tfjs-input-terabytes', (j) => void (layers(j)[0].config.batch_input_shape = [null, 1e6, 1e6, 1]));
  tfjsCase('overflow-dims', 'tfjs-input-2^31', (j) => void (layers(j)[0].config.batch_input_shape = [null, 2 ** 31, 2 ** 31, 1]));
  tfjsCase('overflow-dims', 'tfjs-input-1e300', (j) => void (layers(j)[0].config.batch_input_shape = [null, 1e300, 28, 1]));
  tfjsCase('overflow-dims', 'tfjs-filters-2^31', (j) => void (layers(j)[0].config.filters = 2 ** 31), 'any');

  // NaN and Inf weights: refused at load (see RELIABILITY.md), so no analysis can return NaN silently
  for (const [name, v] of [['nan', NaN], ['inf', Infinity], ['-inf', -Infinity]] as const) {
    tfjsCase('nan-inf-weights', `tfjs-kernel-${name}`, (_j, s) => s[0].set(float32([v]), 4 * 5), 'user-error', 'NaN|infinite|not finite');
    tfjsCase('nan-inf-weights', `tfjs-bias-${name}`, (j, s) => s[0].set(float32([v]), 4 * 3 * 3 * 1 * 16), 'user-error', 'NaN|infinite|not finite');
  }
  tfjsCase('nan-inf-weights', 'tfjs-all-nan', (_j, s) => s[0].fill(0xff), 'user-error', 'NaN|infinite|not finite');
  tfjsCase('nan-inf-weights', 'tfjs-huge-finite', (_j, s) => s[0].set(float32([3e38, -3e38]), 0), 'any');
  tfjsCase('nan-inf-weights', 'tfjs-quantized-float16-inf', (j, s) => {
    // conv1/kernel as float16: the first value becomes +Inf (0x7c00)
    const wt = w0(j) as Record<string, unknown>;
    wt.quantization = { dtype: 'float16' };
    const n = 3 * 3 * 1 * 16;
    const half = new Uint16Array(n).fill(0x3c00);
    half[0] = 0x7c00;
    s[0] = concat([new Uint8Array(half.buffer), s[0].subarray(4 * n)]);
  }, 'user-error', 'NaN|infinite|not finite');

  // weight-shard paths that climb out of the model's folder; the target outside holds the right shard
  const escape = (id: string, shardPath: (dir: string, outside: string) => string, setup?: (dir: string, outside: string) => void, control = false) => {
    const dir = dirFor(`path-escape-${id}`);
    const modelDir = path.join(dir, 'model');
    const outside = path.join(dir, 'outside');
    const shards = tfjsShards(tfjsBase);
    put(path.join(outside, 'shard.bin'), shards[0]);
    setup?.(modelDir, outside);
    const json = readJson(tfjsBase.file);
    fs.mkdirSync(modelDir, { recursive: true });
    json.weightsManifest[0].paths = [shardPath(modelDir, outside)];
    const file = put(path.join(modelDir, 'model.json'), JSON.stringify(json));
    add({ family: 'path-escape', kind: 'model', file, expect: control ? 'ok' : 'user-error', escape: !control }, id);
  };
  escape('tfjs-control-inside', () => 'sub/shard.bin', (m, o) => put(path.join(m, 'sub/shard.bin'), fs.readFileSync(path.join(o, 'shard.bin'))), true);
  escape('tfjs-dotdot', () => '../outside/shard.bin');
  escape('tfjs-dot-dotdot', () => './../outside/shard.bin');
  escape('tfjs-sub-dotdot', () => 'sub/../../outside/shard.bin', (m) => fs.mkdirSync(path.join(m, 'sub'), { recursive: true }));
  escape('tfjs-absolute', (_m, o) => path.join(o, 'shard.bin'));
  escape('tfjs-absolute-double-slash', (_m, o) => `//${path.join(o, 'shard.bin')}`);
  escape('tfjs-file-url', (_m, o) => `file://${path.join(o, 'shard.bin')}`);
  escape('tfjs-backslash', () => '..\\outside\\shard.bin');
  escape('tfjs-percent', () => '%2e%2e/outside/shard.bin');
  escape('tfjs-nul', () => 'shard.bin\0../outside/shard.bin');
  escape('tfjs-symlink-file', () => 'link.bin', (m, o) => {
    fs.mkdirSync(m, { recursive: true });
    fs.symlinkSync(path.join(o, 'shard.bin'), path.join(m, 'link.bin'));
  });
  escape('tfjs-symlink-relative', () => 'link.bin', (m) => {
    fs.mkdirSync(m, { recursive: true });
    fs.symlinkSync('../outside/shard.bin', path.join(m, 'link.bin'));
  });
  escape('tfjs-symlink-dir', () => 'sub/shard.bin', (m, o) => {
    fs.mkdirSync(m, { recursive: true });
    fs.symlinkSync(o, path.join(m, 'sub'));
  });
  escape('tfjs-symlink-chain', () => 'a.bin', (m, o) => {
    fs.mkdirSync(m, { recursive: true });
    fs.symlinkSync('b.bin', path.join(m, 'a.bin'));
    fs.symlinkSync(path.join(o, 'shard.bin'), path.join(m, 'b.bin'));
  });
  escape('tfjs-symlink-loop', () => 'a.bin', (m) => {
    fs.mkdirSync(m, { recursive: true });
    fs.symlinkSync('b.bin', path.join(m, 'a.bin'));
    fs.symlinkSync('a.bin', path.join(m, 'b.bin'));
  });
  escape('tfjs-dir-as-shard', () => 'sub', (m) => fs.mkdirSync(path.join(m, 'sub'), { recursive: true }));
  escape('tfjs-dev-zero', () => '/dev/zero');
  escape('tfjs-proc-self', () => '/proc/self/mem');

  // ------------------------------------------------------------ ONNX
  const onnxBase = bases.find((b) => b.name === 'ex-cnn-onnx')!;
  const onnxBytes = new Uint8Array(fs.readFileSync(onnxBase.file));
  const onnxCase = (fam: string, id: string, edit: (m: Pb, g: Pb, dir: string) => void, expect: Case['expect'] = 'user-error', more: Partial<Case> | string = {}) => {
    const extra = typeof more === 'string' ? { message: more } : more;
    const dir = dirFor(`${fam}-${id}`);
    const m = Pb.parse(onnxBytes);
    edit(m, onnxGraph(m), dir);
    const file = put(path.join(dir, 'model.onnx'), m.encode());
    add({ family: fam, kind: 'model', file, expect, ...extra }, id);
  };
  const nodes = (g: Pb) => g.msgs(ONNX.graph.node);
  const nodeOut = (n: Pb) => n.strs(ONNX.node.output)[0];
  const setInputs = (n: Pb, ins: string[]) => {
    n.remove(ONNX.node.input);
    // inputs must come first for a tidy message; protobuf does not care about order
    n.fields.unshift(...ins.map((s) => ({ n: ONNX.node.input, w: 2 as const, v: utf8(s) })));
  };
  onnxCase('onnx-graph', 'control-roundtrip', () => {}, 'ok');
  onnxCase('onnx-graph', 'cycle-two-nodes', (_m, g) => {
    const ns = nodes(g);
    const a = ns[1];
    const b = ns[2];
    setInputs(a, [nodeOut(b), ...a.strs(ONNX.node.input).slice(1)]);
  }, 'user-error', 'cycle');
  onnxCase('onnx-graph', 'cycle-self', (_m, g) => {
    const n = nodes(g)[1];
    setInputs(n, [nodeOut(n), ...n.strs(ONNX.node.input).slice(1)]);
  }, 'user-error', 'cycle');
  onnxCase('onnx-graph', 'cycle-whole-graph', (_m, g) => {
    const ns = nodes(g);
    const first = ns[0];
    setInputs(first, [nodeOut(ns[ns.length - 1]), ...first.strs(ONNX.node.input).slice(1)]);
  }, 'user-error', 'cycle');
  onnxCase('onnx-graph', 'dangling-input', (_m, g) => {
    const n = nodes(g)[2];
    setInputs(n, ['does_not_exist', ...n.strs(ONNX.node.input).slice(1)]);
  }, 'user-error', 'does_not_exist');
  onnxCase('onnx-graph', 'dangling-weight', (_m, g) => {
    const n = nodes(g)[0];
    const ins = n.strs(ONNX.node.input);
    setInputs(n, [ins[0], 'missing_weight', ...ins.slice(2)]);
  }, 'user-error', 'missing_weight');
  onnxCase('onnx-graph', 'output-not-produced', (_m, g) => g.msgs(ONNX.graph.output)[0].set(ONNX.valueInfo.name, 'nowhere'), 'user-error', 'nowhere');
  onnxCase('onnx-graph', 'written-twice', (_m, g) => {
    const ns = nodes(g);
    ns[2].remove(ONNX.node.output).add(ONNX.node.output, nodeOut(ns[1]));
  }, 'user-error', 'twice');
  onnxCase('onnx-graph', 'no-inputs', (_m, g) => g.remove(ONNX.graph.input));
  onnxCase('onnx-graph', 'no-outputs', (_m, g) => g.remove(ONNX.graph.output));
  onnxCase('onnx-graph', 'no-nodes', (_m, g) => g.remove(ONNX.graph.node));
  onnxCase('onnx-graph', 'no-graph', (m) => m.remove(ONNX.model.graph));
  onnxCase('onnx-graph', 'two-graphs', (m) => m.add(ONNX.model.graph, m.first(ONNX.model.graph)!.encode()));
  onnxCase('onnx-graph', 'op-empty', (_m, g) => nodes(g)[1].set(ONNX.node.opType, ''));
  onnxCase('onnx-graph', 'op-unknown', (_m, g) => nodes(g)[1].set(ONNX.node.opType, 'FancyConv'), 'user-error', 'FancyConv');
  onnxCase('onnx-graph', 'op-loop', (_m, g) => nodes(g)[1].set(ONNX.node.opType, 'Loop'));
  onnxCase('onnx-graph', 'custom-domain', (_m, g) => nodes(g)[1].set(ONNX.node.domain, 'com.evil'), 'user-error', 'com.evil');
  onnxCase('onnx-graph', 'opset-1', (m) => m.msgs(ONNX.model.opset)[0].set(2, 1));
  onnxCase('onnx-graph', 'opset-huge', (m) => m.msgs(ONNX.model.opset)[0].set(2, 2n ** 62n), 'any');
  onnxCase('onnx-graph', 'no-opset', (m) => m.remove(ONNX.model.opset));
  onnxCase('onnx-graph', 'ir-version-0', (m) => m.set(ONNX.model.irVersion, 0), 'any');
  onnxCase('onnx-graph', 'names-empty', (_m, g) => nodes(g).forEach((n) => n.set(ONNX.node.name, '')), 'ok');
  // a long chain of Relu nodes: valid, and must load without quadratic blow-ups
  onnxCase('onnx-graph', 'relu-chain-20000', (_m, g) => {
    const ns = nodes(g);
    const last = ns[ns.length - 1];
    const out = nodeOut(last);
    last.remove(ONNX.node.output).add(ONNX.node.output, 'chain_0');
    for (let i = 0; i < 20000; i++) {
      g.add(ONNX.graph.node, new Pb([]).add(ONNX.node.input, `chain_${i}`).add(ONNX.node.output, i === 19999 ? out : `chain_${i + 1}`).add(ONNX.node.name, `relu_${i}`).add(ONNX.node.opType, 'Relu'));
    }
  }, 'any');
  // a sub-graph attribute nested 50 000 levels deep: skipped, never recursed into
  onnxCase('onnx-graph', 'deep-subgraph-attribute', (_m, g) => {
    // field 1 (length-delimited) inside field 1 inside ..., built from the inside out in one pass
    const heads: Uint8Array[] = [];
    let len = 0;
    for (let i = 0; i < 50000; i++) {
      const h = new Pb([]).add(1, len).encode();
      h[0] = 0x0a;
      heads.push(h);
      len += h.length;
    }
    const inner = concat(heads.reverse());
    nodes(g)[1].add(ONNX.node.attribute, new Pb([]).add(ONNX.attr.name, 'body').add(ONNX.attr.type, 5).add(ONNX.attr.g, inner));
  }, 'any');
  const convAttr = (g: Pb, name: string, ints: bigint[] | null, i?: bigint) => {
    const conv = nodes(g).find((n) => n.str(ONNX.node.opType) === 'Conv')!;
    conv.remove((f) => f.n === ONNX.node.attribute && conv.msg(f).str(ONNX.attr.name) === name);
    const a = new Pb([]).add(ONNX.attr.name, name);
    if (ints) a.add(ONNX.attr.type, 7).fields.push({ n: ONNX.attr.ints, w: 2, v: concat(ints.map((x) => new Pb([]).add(1, x).encode().subarray(1))) });
    if (i !== undefined) a.add(ONNX.attr.type, 2).add(ONNX.attr.i, i);
    conv.add(ONNX.node.attribute, a);
  };
  const attrCases: [string, string, bigint[] | null, bigint?][] = [
    ['strides-zero', 'strides', [0n, 0n]],
    ['strides-negative', 'strides', [-1n, -1n]],
    ['strides-huge', 'strides', [2n ** 40n, 2n ** 40n]],
    ['pads-negative', 'pads', [-5n, -5n, -5n, -5n]],
    ['pads-huge', 'pads', [2n ** 31n, 2n ** 31n, 2n ** 31n, 2n ** 31n]],
    ['pads-short', 'pads', [1n]],
    ['dilations-zero', 'dilations', [0n, 0n]],
    ['dilations-huge', 'dilations', [2n ** 33n, 1n]],
    ['kernel-shape-wrong', 'kernel_shape', [7n, 7n]],
    ['kernel-shape-rank', 'kernel_shape', [3n]],
    ['group-zero', 'group', null, 0n],
    ['group-negative', 'group', null, -3n],
    ['group-huge', 'group', null, 2n ** 62n],
  ];
  for (const [id, name, ints, i] of attrCases) onnxCase('wrong-dtype-shape', `onnx-conv-${id}`, (_m, g) => convAttr(g, name, ints, i));
  onnxCase('wrong-dtype-shape', 'onnx-attr-wrong-type', (_m, g) => convAttr(g, 'strides', null, 1n));

  const weight = (g: Pb) => biggestFloatInitializer(g)!;
  for (const [name, t] of [['string', 8], ['undefined', 0], ['complex64', 14], ['unknown-99', 99], ['negative', -1]] as const) {
    onnxCase('wrong-dtype-shape', `onnx-initializer-type-${name}`, (_m, g) => weight(g).set(ONNX.tensor.dataType, t));
  }
  onnxCase('wrong-dtype-shape', 'onnx-initializer-int64-as-weight', (_m, g) => weight(g).set(ONNX.tensor.dataType, 7));
  onnxCase('wrong-dtype-shape', 'onnx-initializer-double', (_m, g) => weight(g).set(ONNX.tensor.dataType, 11));
  onnxCase('wrong-dtype-shape', 'onnx-raw-data-short', (_m, g) => {
    const t = weight(g);
    const raw = t.fields.find((f) => f.n === ONNX.tensor.rawData)!;
    raw.v = (raw.v as Uint8Array).subarray(0, 100);
  });
  onnxCase('wrong-dtype-shape', 'onnx-raw-data-missing', (_m, g) => weight(g).remove(ONNX.tensor.rawData));
  onnxCase('wrong-dtype-shape', 'onnx-dims-transposed', (_m, g) => {
    const t = weight(g);
    const raw = t.fields.find((f) => f.n === ONNX.tensor.rawData)!;
    setTensorDims(t, [(raw.v as Uint8Array).length / 4, 1]);
  });
  onnxCase('wrong-dtype-shape', 'onnx-input-int64', (_m, g) => g.msgs(ONNX.graph.input)[0].first(ONNX.valueInfo.type)!.first(ONNX.type.tensor)!.set(ONNX.tensorType.elemType, 7));
  onnxCase('wrong-dtype-shape', 'onnx-input-no-shape', (_m, g) => g.msgs(ONNX.graph.input)[0].first(ONNX.valueInfo.type)!.first(ONNX.type.tensor)!.remove(ONNX.tensorType.shape));
  onnxCase('wrong-dtype-shape', 'onnx-input-not-tensor', (_m, g) => g.msgs(ONNX.graph.input)[0].remove(ONNX.valueInfo.type));
  const inputDims = (g: Pb, dims: (bigint | string)[]) => {
    const shape = new Pb([]);
    for (const d of dims) shape.add(ONNX.shape.dim, typeof d === 'string' ? new Pb([]).add(ONNX.dim.param, d) : new Pb([]).add(ONNX.dim.value, d));
    g.msgs(ONNX.graph.input)[0].first(ONNX.valueInfo.type)!.first(ONNX.type.tensor)!.set(ONNX.tensorType.shape, shape);
  };
  onnxCase('wrong-dtype-shape', 'onnx-input-rank-0', (_m, g) => inputDims(g, []));
  onnxCase('wrong-dtype-shape', 'onnx-input-dim-zero', (_m, g) => inputDims(g, ['N', 1n, 0n, 28n]));
  onnxCase('wrong-dtype-shape', 'onnx-input-dim-negative', (_m, g) => inputDims(g, ['N', 1n, -28n, 28n]));
  onnxCase('wrong-dtype-shape', 'onnx-input-dim-symbolic', (_m, g) => inputDims(g, ['N', 1n, 'H', 28n]));
  onnxCase('wrong-dtype-shape', 'onnx-input-wrong-channels', (_m, g) => inputDims(g, ['N', 3n, 28n, 28n]));
  onnxCase('wrong-dtype-shape', 'onnx-input-rank-5', (_m, g) => inputDims(g, ['N', 1n, 28n, 28n, 1n]));
  onnxCase('overflow-dims', 'onnx-input-terabytes', (_m, g) => inputDims(g, ['N', 1n, 1000000n, 1000000n]));
  onnxCase('overflow-dims', 'onnx-input-2^40', (_m, g) => inputDims(g, ['N', 1n, 2n ** 40n, 2n ** 40n]));
  onnxCase('overflow-dims', 'onnx-input-2^63', (_m, g) => inputDims(g, ['N', 1n, 2n ** 63n - 1n, 28n]));
  const hugeDims: [string, bigint[]][] = [['2^31x2^31', [2n ** 31n, 2n ** 31n]], ['terabytes', [1000000n, 1000000n]], ['2^62', [2n ** 62n]], ['-1', [-1n, 288n]], ['2^63-1', [2n ** 63n - 1n, 2n]], ['many-dims', Array.from({ length: 64 }, () => 2n)]];
  for (const [name, dims] of hugeDims) onnxCase('overflow-dims', `onnx-initializer-${name}`, (_m, g) => setTensorDims(weight(g), dims));
  onnxCase('overflow-dims', 'onnx-external-length-huge', (_m, g, dir) => {
    const t = weight(g);
    put(path.join(dir, 'w.bin'), new Uint8Array(16));
    t.remove(ONNX.tensor.rawData).set(ONNX.tensor.dataLocation, 1);
    t.add(ONNX.tensor.externalData, new Pb([]).add(1, 'location').add(2, 'w.bin'));
    t.add(ONNX.tensor.externalData, new Pb([]).add(1, 'length').add(2, '99999999999999999999'));
  });
  onnxCase('overflow-dims', 'onnx-external-offset-huge', (_m, g, dir) => {
    const t = weight(g);
    const raw = t.fields.find((f) => f.n === ONNX.tensor.rawData)!.v as Uint8Array;
    put(path.join(dir, 'w.bin'), raw);
    t.remove(ONNX.tensor.rawData).set(ONNX.tensor.dataLocation, 1);
    t.add(ONNX.tensor.externalData, new Pb([]).add(1, 'location').add(2, 'w.bin'));
    t.add(ONNX.tensor.externalData, new Pb([]).add(1, 'offset').add(2, String(2 ** 53 - 10)));
  });

  const setFloat = (t: Pb, at: number, v: number) => {
    const raw = t.fields.find((f) => f.n === ONNX.tensor.rawData)!;
    const b = (raw.v as Uint8Array).slice();
    new DataView(b.buffer).setFloat32(4 * at, v, true);
    raw.v = b;
  };
  for (const [name, v] of [['nan', NaN], ['inf', Infinity], ['-inf', -Infinity]] as const) {
    onnxCase('nan-inf-weights', `onnx-weight-${name}`, (_m, g) => setFloat(weight(g), 7, v), 'user-error', { message: 'NaN|infinite|not finite' });
    onnxCase('nan-inf-weights', `onnx-every-weight-${name}`, (_m, g) => g.msgs(ONNX.graph.initializer).forEach((t) => t.varint(ONNX.tensor.dataType) === 1n && t.fields.some((f) => f.n === ONNX.tensor.rawData) && setFloat(t, 0, v)), 'user-error', { message: 'NaN|infinite|not finite' });
  }
  onnxCase('nan-inf-weights', 'onnx-float-data-nan', (_m, g) => {
    const t = weight(g);
    const raw = t.fields.find((f) => f.n === ONNX.tensor.rawData)!.v as Uint8Array;
    const fl = new Float32Array(raw.slice().buffer);
    fl[3] = NaN;
    t.remove(ONNX.tensor.rawData).fields.push({ n: ONNX.tensor.floatData, w: 2, v: new Uint8Array(fl.buffer) });
  }, 'user-error', { message: 'NaN|infinite|not finite' });

  // external data escaping the model folder; the escaped-to file holds exactly the right bytes
  const externalEscape = (id: string, location: (dir: string, outside: string) => string, setup?: (modelDir: string, outside: string, raw: Uint8Array) => void, control = false) => {
    const dir = dirFor(`path-escape-${id}`);
    const modelDir = path.join(dir, 'model');
    const outside = path.join(dir, 'outside');
    const m = Pb.parse(onnxBytes);
    const t = weight(onnxGraph(m));
    const raw = t.fields.find((f) => f.n === ONNX.tensor.rawData)!.v as Uint8Array;
    put(path.join(outside, 'w.bin'), raw);
    fs.mkdirSync(modelDir, { recursive: true });
    setup?.(modelDir, outside, raw);
    t.remove(ONNX.tensor.rawData).set(ONNX.tensor.dataLocation, 1);
    t.add(ONNX.tensor.externalData, new Pb([]).add(1, 'location').add(2, location(modelDir, outside)));
    const file = put(path.join(modelDir, 'model.onnx'), m.encode());
    add({ family: 'path-escape', kind: 'model', file, expect: control ? 'ok' : 'user-error', escape: !control }, id);
  };
  externalEscape('onnx-control-inside', () => 'data/w.bin', (m, _o, raw) => put(path.join(m, 'data/w.bin'), raw), true);
  externalEscape('onnx-dotdot', () => '../outside/w.bin');
  externalEscape('onnx-sub-dotdot', () => 'data/../../outside/w.bin', (m) => fs.mkdirSync(path.join(m, 'data')));
  externalEscape('onnx-absolute', (_m, o) => path.join(o, 'w.bin'));
  externalEscape('onnx-symlink-file', () => 'w.bin', (m, o) => fs.symlinkSync(path.join(o, 'w.bin'), path.join(m, 'w.bin')));
  externalEscape('onnx-symlink-dir', () => 'data/w.bin', (m, o) => fs.symlinkSync(o, path.join(m, 'data')));
  externalEscape('onnx-symlink-dotdot', () => 'w.bin', (m) => fs.symlinkSync('../outside/w.bin', path.join(m, 'w.bin')));
  externalEscape('onnx-empty-location', () => '');
  externalEscape('onnx-dev-zero', () => '/dev/zero');
  externalEscape('onnx-model-folder-itself', () => '.');

  // ------------------------------------------------------------ HDF5 (legacy .h5)
  const h5Base = bases.find((b) => b.name === 'ex-mlp-h5')!;
  const h5Bytes = new Uint8Array(fs.readFileSync(h5Base.file));
  const { groups: h5Groups, datasets: h5Datasets } = await h5Paths(h5Bytes);
  const layerGroups = h5Groups.filter((g) => /^\/model_weights\/[^/]+$/.test(g));
  const weightSets = h5Datasets.filter((d) => d.startsWith('/model_weights/'));
  const h5Case = async (fam: string, id: string, edit: Parameters<typeof rebuildH5>[1], expect: Case['expect'] = 'user-error', message?: string, bytes = h5Bytes) => {
    const file = put(path.join(dirFor(`${fam}-${id}`), 'model.h5'), await rebuildH5(bytes, edit));
    add({ family: fam, kind: 'model', file, expect, ...(message ? { message } : {}) }, id);
  };
  await h5Case('h5-structure', 'control-rebuilt', {}, 'ok');
  await h5Case('h5-structure', 'missing-model-weights', { skip: (p) => p === '/model_weights' });
  await h5Case('h5-structure', 'missing-every-layer-group', { skip: (p) => layerGroups.includes(p) });
  // a layer group without datasets (Flatten, Dropout) may go missing harmlessly
  for (const g of layerGroups) await h5Case('h5-structure', `missing-group${g.replace(/\//g, '-')}`, { skip: (p) => p === g }, h5Datasets.some((d) => d.startsWith(`${g}/`)) ? 'user-error' : 'any');
  for (const d of weightSets) await h5Case('h5-structure', `missing-dataset${d.replace(/[/:]/g, '-')}`, { skip: (p) => p === d });
  await h5Case('h5-structure', 'missing-model-config', { attr: (p, n) => (p === '/' && n === 'model_config' ? 'drop' : undefined) });
  await h5Case('h5-structure', 'missing-layer-names', { attr: (p, n) => (p === '/model_weights' && n === 'layer_names' ? 'drop' : undefined) }, 'any');
  await h5Case('h5-structure', 'layer-names-extra', {
    attr: (p, n, v) => (p === '/model_weights' && n === 'layer_names' ? { data: [...(v.data as string[]), 'ghost_layer'], shape: null, dtype: null } : undefined),
  }, 'any');
  await h5Case('h5-structure', 'weight-names-ghost', {
    attr: (p, n) => (p === layerGroups[0] && n === 'weight_names' ? { data: ['ghost/kernel:0', 'ghost/bias:0'], shape: null, dtype: null } : undefined),
  });
  await h5Case('h5-structure', 'model-config-not-json', { attr: (p, n) => (p === '/' && n === 'model_config' ? { data: '{"class_name": "Sequential", "config": {', shape: null, dtype: null } : undefined) });
  await h5Case('h5-structure', 'model-config-number', { attr: (p, n) => (p === '/' && n === 'model_config' ? { data: 42, shape: null, dtype: null } : undefined) });
  await h5Case('h5-structure', 'keras-version-1', { attr: (p, n) => (p === '/' && n === 'keras_version' ? { data: '1.2.2', shape: null, dtype: null } : undefined) });
  await h5Case('h5-structure', 'empty-file', { skip: () => true, attr: () => 'drop' });
  await h5Case('h5-structure', 'dataset-as-group', {
    skip: (p) => p === weightSets[0],
    after: (f) => void f.create_group(weightSets[0].slice(1)),
  });
  await h5Case('h5-structure', 'external-link-missing', {
    skip: (p) => p === layerGroups[0],
    after: (f) => void f.create_external_link('/nonexistent/model.h5', layerGroups[0], layerGroups[0].slice(1)),
  });
  {
    // an external link to a real file outside the model's folder that holds the right group
    const dir = dirFor('path-escape-h5-external-link');
    const outsideFile = put(path.join(dir, 'outside/model.h5'), h5Bytes);
    const file = put(path.join(dir, 'model/model.h5'), await rebuildH5(h5Bytes, {
      skip: (p) => p === layerGroups[0],
      after: (f) => void f.create_external_link(outsideFile, layerGroups[0], layerGroups[0].slice(1)),
    }));
    add({ family: 'path-escape', kind: 'model', file, expect: 'user-error', escape: true }, 'h5-external-link');
    const soft = put(path.join(dir, 'model-soft/model.h5'), await rebuildH5(h5Bytes, {
      skip: (p) => p === layerGroups[0],
      after: (f) => void f.create_soft_link(layerGroups[1], layerGroups[0].slice(1)),
    }));
    add({ family: 'h5-structure', kind: 'model', file: soft, expect: 'any' }, 'soft-link-to-other-layer');
  }
  const configJson = (() => {
    let cfg = '';
    return async () => {
      if (cfg) return cfg;
      await rebuildH5(h5Bytes, { attr: (p, n, v) => void (p === '/' && n === 'model_config' && (cfg = String(v.data))) });
      return cfg;
    };
  })();
  const cfgText = await configJson();
  const withConfig = (id: string, f: (c: { config: { layers: { class_name: string; config: Record<string, unknown> }[] } }) => void, expect: Case['expect'] = 'user-error') => {
    const c = JSON.parse(cfgText);
    f(c);
    return h5Case('wrong-dtype-shape', `h5-${id}`, { attr: (p, n) => (p === '/' && n === 'model_config' ? { data: JSON.stringify(c), shape: null, dtype: null } : undefined) }, expect);
  };
  const dense = (c: { config: { layers: { class_name: string; config: Record<string, unknown> }[] } }) => c.config.layers.find((l) => l.class_name === 'Dense')!;
  await withConfig('units-huge', (c) => void (dense(c).config.units = 2 ** 40), 'any');
  await withConfig('units-zero', (c) => void (dense(c).config.units = 0), 'any');
  await withConfig('units-wrong', (c) => void (dense(c).config.units = (dense(c).config.units as number) + 1), 'any');
  await withConfig('input-shape-mismatch', (c) => void (c.config.layers[0].config.batch_input_shape = [null, 7]));
  await withConfig('layer-unknown-class', (c) => void (dense(c).class_name = 'Transformer'));
  await withConfig('dtype-string', (c) => void (dense(c).config.dtype = 'string'), 'any');
  const dsEdit = (id: string, fam: string, f: (v: H5Value) => H5Value | undefined, expect: Case['expect'] = 'user-error', message?: string) =>
    h5Case(fam, id, { dataset: (p, v) => (p === weightSets[0] ? f(v) : undefined) }, expect, message);
  await dsEdit('h5-dataset-transposed', 'wrong-dtype-shape', (v) => ({ ...v, shape: [...(v.shape ?? [])].reverse() }), 'any');
  await dsEdit('h5-dataset-strings', 'wrong-dtype-shape', () => ({ data: ['a', 'b'], shape: [2], dtype: null }));
  await dsEdit('h5-dataset-scalar', 'wrong-dtype-shape', () => ({ data: 1.5, shape: [], dtype: '<f4' }));
  await dsEdit('h5-dataset-int32', 'wrong-dtype-shape', (v) => ({ data: Int32Array.from(v.data as Float32Array, (x) => Math.round(x)), shape: v.shape, dtype: '<i4' }), 'any');
  await dsEdit('h5-dataset-float64', 'wrong-dtype-shape', (v) => ({ data: Float64Array.from(v.data as Float32Array), shape: v.shape, dtype: '<f8' }), 'ok');
  for (const [name, x] of [['nan', NaN], ['inf', Infinity], ['-inf', -Infinity]] as const) {
    await dsEdit(`h5-weight-${name}`, 'nan-inf-weights', (v) => {
      const d = Float32Array.from(v.data as Float32Array);
      d[d.length - 1] = x;
      return { ...v, data: d };
    }, 'user-error', 'NaN|infinite|not finite');
  }

  // ------------------------------------------------------------ .keras archives
  const kerasBase = bases.find((b) => b.format === 'keras');
  const kerasEntries = kerasBase ? unzipSync(new Uint8Array(fs.readFileSync(kerasBase.file))) : await syntheticKeras(h5Bytes);
  const kerasCase = (fam: string, id: string, bytes: Uint8Array, expect: Case['expect'] = 'user-error', message?: string) => {
    const file = put(path.join(dirFor(`${fam}-${id}`), 'model.keras'), bytes);
    add({ family: fam, kind: 'model', file, expect, ...(message ? { message } : {}) }, id);
  };
  if (kerasBase) {
    kerasCase('keras-structure', 'control-rezipped', zipOf(kerasEntries), 'ok');
    kerasCase('keras-structure', 'control-stored', zipOf(kerasEntries, false), 'ok');
    const without = (name: string) => zipOf(Object.fromEntries(Object.entries(kerasEntries).filter(([k]) => k !== name)));
    for (const name of Object.keys(kerasEntries)) kerasCase('keras-structure', `missing-${name}`, without(name), name === 'metadata.json' ? 'any' : 'user-error');
    kerasCase('keras-structure', 'weights-not-hdf5', zipOf({ ...kerasEntries, 'model.weights.h5': utf8('not hdf5 at all') }));
    kerasCase('keras-structure', 'weights-truncated', zipOf({ ...kerasEntries, 'model.weights.h5': kerasEntries['model.weights.h5'].subarray(0, 3000) }));
    const w = kerasEntries['model.weights.h5'];
    const { groups, datasets } = await h5Paths(w);
    kerasCase('keras-structure', 'weights-no-layers-group', zipOf({ ...kerasEntries, 'model.weights.h5': await rebuildH5(w, { skip: (p) => p === '/layers' || p === '/_layer_checkpoint_dependencies' }) }));
    const varsGroups = groups.filter((g) => /\/vars$/.test(g) && g.split('/').length === 4);
    for (const v of varsGroups.slice(0, 4)) {
      const holds = datasets.some((d) => d.startsWith(`${v}/`));
      kerasCase('keras-structure', `weights-missing${v.replace(/\//g, '-')}`, zipOf({ ...kerasEntries, 'model.weights.h5': await rebuildH5(w, { skip: (p) => p === v }) }), holds ? 'user-error' : 'any');
    }
    kerasCase('keras-structure', 'config-not-json', zipOf({ ...kerasEntries, 'config.json': utf8('{"class_name": ') }));
    kerasCase('keras-structure', 'config-array', zipOf({ ...kerasEntries, 'config.json': utf8('[]') }));
    kerasCase('deep-json', 'keras-config-100000-deep', zipOf({ ...kerasEntries, 'config.json': utf8('['.repeat(100000) + ']'.repeat(100000)) }), 'user-error', 'nested|deep');
    kerasCase('deep-json', 'keras-metadata-100000-deep', zipOf({ ...kerasEntries, 'metadata.json': utf8('{"a":'.repeat(100000) + '1' + '}'.repeat(100000)) }), 'user-error', 'nested|deep');
    kerasCase('keras-structure', 'duplicate-entries', concatZipDup(kerasEntries), 'any');
    kerasCase('keras-structure', 'entry-path-traversal', zipOf({ ...kerasEntries, '../../evil.txt': utf8('x') }), 'ok');
    kerasCase('keras-structure', 'weights-method-99', patchMethod(zipOf(kerasEntries), 'model.weights.h5', 99));
    kerasCase('keras-structure', 'weights-encrypted-flag', patchFlags(zipOf(kerasEntries), 'model.weights.h5', 1), 'any');
  }
  // zip bombs in .keras (need no real base: the archive is refused before the weights are read)
  const bomb = opts.bombs === false ? undefined : zerosDeflated(200 * 1024 * 1024);
  const kerasHead = { 'config.json': kerasEntries['config.json'] ?? utf8('{}'), 'metadata.json': kerasEntries['metadata.json'] ?? utf8('{"keras_version": "3.0.0"}') };
  const member = (name: string, data: Uint8Array) => ({ name, data: zlib.deflateRawSync(data), method: 8 as const, size: data.length, crc: crc32([data]) });
  if (bomb) {
    kerasCase('zip-bomb', 'keras-weights-200MB-of-zeros', zipRaw([member('config.json', kerasHead['config.json']), member('metadata.json', kerasHead['metadata.json']), { name: 'model.weights.h5', data: bomb.data, method: 8, size: bomb.size, crc: bomb.crc }]), 'user-error', 'bomb');
    kerasCase('zip-bomb', 'keras-config-200MB-of-zeros', zipRaw([{ name: 'config.json', data: bomb.data, method: 8, size: bomb.size, crc: bomb.crc }, member('metadata.json', kerasHead['metadata.json']), member('model.weights.h5', h5Bytes)]), 'user-error', 'bomb');
    kerasCase('zip-bomb', 'keras-weights-lying-small', zipRaw([member('config.json', kerasHead['config.json']), member('metadata.json', kerasHead['metadata.json']), { name: 'model.weights.h5', data: bomb.data, method: 8, size: 4096, crc: bomb.crc }]), 'user-error');
  }
  const small = zipOf({ ...kerasHead, 'model.weights.h5': h5Bytes });
  kerasCase('zip-bomb', 'keras-declares-3GB', patchZipSize(small, 'model.weights.h5', 3 * 1024 ** 3), 'user-error');
  kerasCase('zip-bomb', 'keras-declares-4GB-minus-1', patchZipSize(small, 'model.weights.h5', 0xfffffffe), 'user-error');
  kerasCase('zip-bomb', 'keras-20000-entries', zipOf(Object.fromEntries([...Object.entries(kerasHead), ...Array.from({ length: 20000 }, (_, i) => [`junk/${i}.bin`, new Uint8Array(1)])])), 'user-error');

  // ------------------------------------------------------------ deeply nested JSON
  const deepJson = (id: string, body: string, expect: Case['expect'] = 'user-error', message: string | undefined = 'nested|deep') => {
    const file = put(path.join(dirFor(`deep-json-${id}`), 'model.json'), body);
    add({ family: 'deep-json', kind: 'model', file, expect, ...(message ? { message } : {}) }, id);
  };
  deepJson('arrays-100000', '['.repeat(100000) + ']'.repeat(100000));
  deepJson('objects-100000', '{"a":'.repeat(100000) + '1' + '}'.repeat(100000));
  deepJson('arrays-1000000-unclosed', '['.repeat(1000000));
  deepJson('in-strings-ok', JSON.stringify({ note: '['.repeat(100000) }), 'user-error', undefined);
  {
    const j = readJson(tfjsBase.file) as Record<string, unknown>;
    let v: unknown = 1;
    for (let i = 0; i < 500; i++) v = [v];
    j.userDefinedMetadata = v;
    const dir = dirFor('deep-json-500-below-limit');
    writeTfjs(dir, j as TfjsJson, tfjsShards(tfjsBase));
    add({ family: 'deep-json', kind: 'model', file: path.join(dir, 'model.json'), expect: 'any' }, 'metadata-500-deep');
    // nested Sequential models, 120 deep: the JSON is within the limit, the converter must not blow its stack
    const j2 = readJson(tfjsBase.file);
    const topo = j2.modelTopology as { config: { layers: unknown[] } };
    let inner: unknown = { class_name: 'Sequential', config: { name: 'nest_0', layers: topo.config.layers } };
    for (let i = 1; i < 120; i++) inner = { class_name: 'Sequential', config: { name: `nest_${i}`, layers: [inner] } };
    topo.config.layers = [inner];
    const dir2 = dirFor('deep-json-nested-models');
    writeTfjs(dir2, j2, tfjsShards(tfjsBase));
    add({ family: 'deep-json', kind: 'model', file: path.join(dir2, 'model.json'), expect: 'any' }, 'nested-sequential-120');
  }
  await h5Case('deep-json', 'h5-model-config-100000-deep', { attr: (p, n) => (p === '/' && n === 'model_config' ? { data: '['.repeat(100000) + ']'.repeat(100000), shape: null, dtype: null } : undefined) }, 'user-error', 'nested|deep');

  // ------------------------------------------------------------ data files
  await dataCases(out, add, dirFor, bomb);
  return cases;
}

function concatZipDup(entries: Record<string, Uint8Array>): Uint8Array {
  // two archives' worth of members with the same names, under one directory
  const names = Object.keys(entries);
  return zipRaw([...names, ...names].map((name) => ({ name, data: entries[name], method: 0, size: entries[name].length, crc: crc32([entries[name]]) })));
}

function patchCentral(bytes: Uint8Array, name: string, f: (dv: DataView, p: number, central: boolean) => void): Uint8Array {
  const out = bytes.slice();
  const dv = new DataView(out.buffer);
  const nb = utf8(name);
  for (let p = 0; p + 46 <= out.length; p++) {
    const sig = dv.getUint32(p, true);
    const at = sig === 0x04034b50 ? 30 : sig === 0x02014b50 ? 46 : -1;
    if (at < 0) continue;
    const len = dv.getUint16(p + (sig === 0x04034b50 ? 26 : 28), true);
    if (len === nb.length && nb.every((c, i) => out[p + at + i] === c)) f(dv, p, sig === 0x02014b50);
  }
  return out;
}

function patchMethod(bytes: Uint8Array, name: string, method: number): Uint8Array {
  return patchCentral(bytes, name, (dv, p, central) => dv.setUint16(p + (central ? 10 : 8), method, true));
}

function patchFlags(bytes: Uint8Array, name: string, flags: number): Uint8Array {
  return patchCentral(bytes, name, (dv, p, central) => dv.setUint16(p + (central ? 8 : 6), flags, true));
}

/** A .keras-like archive made from the example .h5 when the corpus has no .keras file. */
async function syntheticKeras(_h5: Uint8Array): Promise<Record<string, Uint8Array>> {
  return { 'config.json': utf8('{"class_name": "Sequential", "config": {"name": "s", "layers": []}}'), 'metadata.json': utf8('{"keras_version": "3.0.0"}') };
}

/** `size` zero bytes, deflated (raw), with their CRC: the payload of every bomb. */
function zerosDeflated(size: number): { data: Uint8Array; size: number; crc: number } {
  const zeros = Buffer.alloc(size);
  const data = new Uint8Array(zlib.deflateRawSync(zeros, { level: 9 }));
  return { data, size, crc: crc32([zeros]) };
}

type Add = (c: Omit<Case, 'id'> & { id?: string }, id: string) => void;

/** Data-file cases: truncations, hostile headers, bombs, broken images. */
async function dataCases(out: string, add: Add, dirFor: (id: string) => string, bomb: { data: Uint8Array; size: number; crc: number } | undefined): Promise<void> {
  const { idxBytes, npyBytes, npzBytes, pngBytes, jpegBytes } = await import('../unit/helpers/data');
  const fashion = path.join(EXAMPLES, 'data/fashion-mnist');
  const images = zlib.gunzipSync(fs.readFileSync(path.join(fashion, 't10k-images-idx3-ubyte.gz')));
  const labels = zlib.gunzipSync(fs.readFileSync(path.join(fashion, 't10k-labels-idx1-ubyte.gz')));
  const n = 64;
  const px = new Uint8Array(images.subarray(16, 16 + n * 784));
  const ys = new Uint8Array(labels.subarray(8, 8 + n));
  const idxImages = idxBytes('uint8', [n, 28, 28], px);
  const idxLabels = idxBytes('uint8', [n], ys);
  const f32 = Float32Array.from(px, (v) => v / 255);
  const bases: [string, string, Uint8Array][] = [
    ['idx-images', 'images-idx3-ubyte', idxImages],
    ['idx-images-gz', 'images-idx3-ubyte.gz', new Uint8Array(zlib.gzipSync(idxImages))],
    ['npy-uint8', 'x.npy', npyBytes('|u1', [n, 28, 28], px)],
    ['npy-float32', 'x.npy', npyBytes('<f4', [n, 784], new Uint8Array(f32.buffer))],
    ['npz-stored', 'data.npz', npzBytes({ x: npyBytes('|u1', [n, 28, 28], px), y: npyBytes('|u1', [n], ys) }, false)],
    ['npz-deflated', 'data.npz', npzBytes({ x: npyBytes('|u1', [n, 28, 28], px), y: npyBytes('|u1', [n], ys) }, true)],
    ['csv', 'data.csv', utf8(['label,' + Array.from({ length: 16 }, (_, i) => `f${i}`).join(','), ...Array.from({ length: n }, (_, r) => [ys[r], ...Array.from(px.subarray(r * 784 + 300, r * 784 + 316))].join(','))].join('\n') + '\n')],
    ['png', 'digit.png', new Uint8Array(pngBytes(28, 28, (x, y) => [px[y * 28 + x], px[y * 28 + x], px[y * 28 + x]], true))],
    ['jpeg', 'digit.jpg', new Uint8Array(jpegBytes(28, 28, [200, 100, 50]))],
  ];
  const dataCase = (family: string, id: string, name: string, bytes: Uint8Array, expect: Case['expect'], message?: string, extra?: (dir: string) => void) => {
    const dir = dirFor(`${family}-${id}`);
    const file = put(path.join(dir, name), bytes);
    extra?.(dir);
    add({ family, kind: 'data', file, expect, ...(message ? { message } : {}) }, id);
  };
  for (const [id, name, bytes] of bases) {
    dataCase('data-control', id, name, bytes, 'ok');
    for (const cut of cutOffsets(bytes.length, false)) {
      // a CSV cut between rows is still a CSV; a cut inside a row is ragged
      dataCase('truncated', `data-${id}@${cut}`, name, bytes.subarray(0, cut), id === 'csv' ? 'any' : 'user-error');
    }
  }
  // wrong dtypes and shapes in headers
  const npyDescrs = ['<c8', '|O', '<U5', '|S3', '|V4', '<f2', '>f8', '<i8', '|b1', '<m8', "[('a', '<f4')]", 'int', '<f16'];
  for (const d of npyDescrs) dataCase('wrong-dtype-shape', `npy-descr-${d.replace(/[^A-Za-z0-9]/g, '_')}`, 'x.npy', npyBytes(d, [n, 4], new Uint8Array(n * 4 * 8)), 'any');
  const npyHeader = (dict: string, data = new Uint8Array(64)) => {
    const h = utf8(dict.padEnd(117) + '\n');
    const head = new Uint8Array(10);
    head.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
    new DataView(head.buffer).setUint16(8, h.length, true);
    return concat([head, h, data]);
  };
  const npyShapes: [string, string, Case['expect']][] = [
    ['overflow', "(4294967296, 4294967296, 4294967296)", 'user-error'],
    ['terabytes', '(1000000, 1000000)', 'user-error'],
    ['2^63', '(9223372036854775807,)', 'user-error'],
    ['1e400', '(1e400,)', 'user-error'],
    ['negative', '(-1, 4)', 'user-error'],
    ['float', '(2.5, 4)', 'user-error'],
    ['zero', '(0, 4)', 'any'],
    ['deep', '('.repeat(5000) + ')'.repeat(5000), 'user-error'],
    ['rank-40', `(${Array(40).fill(1).join(', ')})`, 'any'],
    ['unclosed', '(4, 4', 'user-error'],
  ];
  for (const [id, shape, expect] of npyShapes) dataCase('overflow-dims', `npy-shape-${id}`, 'x.npy', npyHeader(`{'descr': '|u1', 'fortran_order': False, 'shape': ${shape}, }`), expect);
  dataCase('wrong-dtype-shape', 'npy-header-len-beyond-file', 'x.npy', (() => {
    const b = npyBytes('|u1', [4, 4], new Uint8Array(16));
    new DataView(b.buffer).setUint16(8, 60000, true);
    return b;
  })(), 'user-error');
  dataCase('wrong-dtype-shape', 'npy-version-9', 'x.npy', (() => {
    const b = npyBytes('|u1', [4, 4], new Uint8Array(16));
    b[6] = 9;
    return b;
  })(), 'user-error');
  dataCase('wrong-dtype-shape', 'npy-v2-header-4GB', 'x.npy', (() => {
    const b = new Uint8Array(64);
    b.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 2, 0]);
    new DataView(b.buffer).setUint32(8, 0xfffffff0, true);
    return b;
  })(), 'user-error');
  dataCase('wrong-dtype-shape', 'npy-header-not-dict', 'x.npy', npyHeader('[1, 2, 3]'), 'user-error');
  dataCase('wrong-dtype-shape', 'npy-header-binary', 'x.npy', npyHeader('\u0000\u0001\u0002'), 'user-error');
  // IDX headers
  const idxHead = (type: number, dims: number[], body = new Uint8Array(64)) => {
    const h = new Uint8Array(4 + 4 * dims.length);
    const dv = new DataView(h.buffer);
    h[2] = type;
    h[3] = dims.length;
    dims.forEach((d, i) => dv.setUint32(4 + 4 * i, d >>> 0, false));
    return concat([h, body]);
  };
  const idxCases: [string, number, number[], Case['expect']][] = [
    ['overflow', 0x08, [0xffffffff, 0xffffffff, 0xffffffff], 'user-error'],
    ['terabytes', 0x08, [1000000, 1000000], 'user-error'],
    ['type-unknown', 0x0f, [4, 4], 'user-error'],
    ['type-zero', 0x00, [4, 4], 'user-error'],
    ['rank-0', 0x08, [], 'user-error'],
    ['rank-255', 0x08, Array(255).fill(1), 'any'],
    ['dims-zero', 0x08, [0, 28, 28], 'any'],
    ['float64-2^31', 0x0e, [2 ** 31, 1], 'user-error'],
  ];
  for (const [id, type, dims, expect] of idxCases) dataCase('overflow-dims', `idx-${id}`, 'images-idx3-ubyte', idxHead(type, dims), expect);
  dataCase('wrong-dtype-shape', 'idx-labels-mismatch', 'images-idx3-ubyte', idxImages, 'user-error', undefined, (dir) => put(path.join(dir, 'labels-idx1-ubyte'), idxBytes('uint8', [n - 1], ys.subarray(1))));
  dataCase('wrong-dtype-shape', 'idx-labels-huge-class', 'images-idx3-ubyte', idxImages, 'any', undefined, (dir) => put(path.join(dir, 'labels-idx1-ubyte'), idxBytes('int32', [n], Array.from(ys, () => 2 ** 31 - 1))));
  dataCase('wrong-dtype-shape', 'idx-labels-negative', 'images-idx3-ubyte', idxImages, 'user-error', undefined, (dir) => put(path.join(dir, 'labels-idx1-ubyte'), idxBytes('int32', [n], Array.from(ys, () => -3))));
  // gzip: damaged, bombs
  dataCase('wrong-dtype-shape', 'gz-garbage', 'images-idx3-ubyte.gz', concat([new Uint8Array([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]), new Uint8Array(200).fill(0xab)]), 'user-error');
  dataCase('wrong-dtype-shape', 'gz-concatenated-members', 'images-idx3-ubyte.gz', concat([new Uint8Array(zlib.gzipSync(idxImages)), new Uint8Array(zlib.gzipSync(idxImages))]), 'user-error');
  dataCase('wrong-dtype-shape', 'gz-of-random', 'images-idx3-ubyte.gz', new Uint8Array(zlib.gzipSync(Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 7919) & 0xff)))), 'user-error');
  if (bomb) {
    const rows = bomb.size / 1000;
    const head = idxHead(0x08, [rows, 1000], new Uint8Array(0));
    const gz = concat([new Uint8Array(zlib.gzipSync(head)), gzipRaw(bomb)]);
    dataCase('zip-bomb', 'idx-gz-200MB-of-zeros', 'images-idx3-ubyte.gz', gz, 'user-error', 'bomb|compress');
    const npyHead = npyHeader(`{'descr': '|u1', 'fortran_order': False, 'shape': (${bomb.size},), }`, new Uint8Array(0));
    // npz member: the npy header stored raw in front of the bomb is not possible in one deflate stream, so deflate header + zeros
    const headDeflated = zlib.deflateRawSync(Buffer.from(npyHead), { finishFlush: zlib.constants.Z_SYNC_FLUSH });
    const memberData = concat([new Uint8Array(headDeflated), bomb.data]);
    const crc = crc32([npyHead, new Uint8Array(0)]);
    dataCase('zip-bomb', 'npz-200MB-of-zeros', 'data.npz', zipRaw([{ name: 'x.npy', data: memberData, method: 8, size: npyHead.length + bomb.size, crc }]), 'user-error', 'bomb');
    dataCase('zip-bomb', 'npz-lying-small', 'data.npz', zipRaw([{ name: 'x.npy', data: memberData, method: 8, size: 4096, crc }]), 'user-error');
  }
  dataCase('zip-bomb', 'npz-declares-3GB', 'data.npz', patchZipSize(npzBytes({ x: npyBytes('|u1', [n, 28, 28], px) }, true), 'x.npy', 3 * 1024 ** 3), 'user-error');
  dataCase('zip-bomb', 'npz-20000-members', 'data.npz', zipOf(Object.fromEntries(Array.from({ length: 20000 }, (_, i) => [`a${i}.npy`, npyBytes('|u1', [1], new Uint8Array(1))])), false), 'any');
  dataCase('wrong-dtype-shape', 'npz-member-not-npy', 'data.npz', npzBytes({ x: utf8('hello'), y: npyBytes('|u1', [n], ys) }, true), 'user-error');
  dataCase('wrong-dtype-shape', 'npz-labels-count', 'data.npz', npzBytes({ x: npyBytes('|u1', [n, 28, 28], px), y: npyBytes('|u1', [n - 3], ys.subarray(3)) }, true), 'user-error');
  // images: hostile headers
  const png = new Uint8Array(pngBytes(28, 28, () => [1, 2, 3]));
  const pngDims = (w: number, h: number) => {
    const b = png.slice();
    const dv = new DataView(b.buffer);
    dv.setUint32(16, w, false);
    dv.setUint32(20, h, false);
    return b;
  };
  dataCase('overflow-dims', 'png-65535x65535', 'big.png', pngDims(65535, 65535), 'user-error');
  dataCase('overflow-dims', 'png-2^31', 'big.png', pngDims(2 ** 31 - 1, 2 ** 31 - 1), 'user-error');
  dataCase('overflow-dims', 'png-zero', 'zero.png', pngDims(0, 0), 'user-error');
  const jpg = new Uint8Array(jpegBytes(16, 16, [1, 2, 3]));
  const sof = jpg.findIndex((b, i) => b === 0xff && (jpg[i + 1] === 0xc0 || jpg[i + 1] === 0xc2));
  const jpgDims = (w: number, h: number) => {
    const b = jpg.slice();
    b[sof + 5] = h >> 8;
    b[sof + 6] = h & 0xff;
    b[sof + 7] = w >> 8;
    b[sof + 8] = w & 0xff;
    return b;
  };
  dataCase('overflow-dims', 'jpeg-65535x65535', 'big.jpg', jpgDims(65535, 65535), 'user-error');
  dataCase('overflow-dims', 'jpeg-zero', 'zero.jpg', jpgDims(0, 0), 'user-error');
  // image folders
  const folder = (id: string, files: Record<string, Uint8Array>, expect: Case['expect']) => {
    const dir = path.join(dirFor(`data-folder-${id}`), 'images');
    for (const [k, v] of Object.entries(files)) put(path.join(dir, k), v);
    fs.mkdirSync(dir, { recursive: true });
    add({ family: 'data-folder', kind: 'data', file: dir, expect }, id);
  };
  const good = new Uint8Array(pngBytes(8, 8, () => [9, 9, 9]));
  folder('control', { 'a/1.png': good, 'b/2.png': good }, 'ok');
  folder('truncated-png', { 'a/1.png': good, 'b/2.png': good.subarray(0, 40) }, 'user-error');
  folder('huge-png-header', { 'a/1.png': good, 'b/2.png': pngDims(65535, 65535) }, 'user-error');
  folder('mixed-sizes', { 'a/1.png': good, 'b/2.png': png }, 'user-error');
  folder('empty', {}, 'user-error');
  folder('not-images', { 'a/1.png': utf8('hello'), 'b/2.png': utf8('world') }, 'user-error');
  {
    const dir = path.join(dirFor('data-folder-symlink-loop'), 'images');
    put(path.join(dir, 'a/1.png'), good);
    fs.symlinkSync('..', path.join(dir, 'a/loop'));
    add({ family: 'data-folder', kind: 'data', file: dir, expect: 'any' }, 'symlink-loop');
  }
  // CSV: a 30 MB line, a quoted cell never closed, binary junk
  dataCase('data-csv', 'one-30MB-line', 'data.csv', utf8('a,' + '1,'.repeat(15 * 1024 * 1024) + '\n'), 'any');
  dataCase('data-csv', 'unclosed-quote', 'data.csv', utf8('a,b\n"1,2\n3,4\n'), 'any');
  dataCase('data-csv', 'nan-cells', 'data.csv', utf8('label,a,b\n0,NaN,1\n1,Infinity,2\n'), 'user-error');
  dataCase('data-csv', 'binary', 'data.csv', Uint8Array.from({ length: 4096 }, (_, i) => (i * 31) & 0xff), 'user-error');
  void out;
}

/** A gzip member around already-deflated data. */
function gzipRaw(b: { data: Uint8Array; size: number; crc: number }): Uint8Array {
  const head = new Uint8Array([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]);
  const tail = new Uint8Array(8);
  const dv = new DataView(tail.buffer);
  dv.setUint32(0, b.crc, true);
  dv.setUint32(4, b.size >>> 0, true);
  return concat([head, b.data, tail]);
}

/** Counts of cases by family. */
export function countByFamily(cases: readonly Case[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const c of cases) out[c.family] = (out[c.family] ?? 0) + 1;
  return out;
}

if (require.main === module) {
  const out = process.argv[2] ?? fs.mkdtempSync(path.join(os.tmpdir(), 'linear-lens-hostile-'));
  void generateHostile(out).then((cases) => {
    fs.writeFileSync(path.join(out, 'cases.json'), JSON.stringify(cases, null, 1));
    console.log(`${cases.length} cases in ${out}`);
    console.log(countByFamily(cases));
  });
}
void text;
