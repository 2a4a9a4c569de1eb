/**
 * A structure-aware fuzzer: mutates valid files knowing their structure, so most mutants get past
 * the first parser and reach the checks behind it.
 * - ONNX: the protobuf field tree (ONNX_SCHEMA), re-encoded with correct lengths: varints set to
 *   edge values, packed dims and ints edited, strings swapped for other value names of the graph
 *   (cycles, dangling and mistyped inputs) or for paths, fields deleted, duplicated or moved,
 *   fixed-width values and raw tensor bytes overwritten.
 * - TF.js model.json: any JSON value (shapes, dtypes, paths, layer configs) replaced by an edge
 *   value of another type, keys deleted, array items dropped or repeated; the shard's bytes too.
 * - .keras / .npz: zip entries mutated by their own kind, deleted, renamed or duplicated; central
 *   directory fields (sizes, offsets, method) overwritten.
 * - HDF5: 8-byte addresses and lengths overwritten near object signatures (OHDR, TREE, HEAP, SNOD,
 *   BTHD, FRHP, ...), bytes flipped, ranges zeroed or copied.
 * - IDX / .npy / gzip / PNG: header fields (type, rank, dims; descr, shape, order, header length;
 *   gzip flags and trailer; IHDR and chunk lengths) and bodies.
 * Every run has its own seed (base seed + run index), so a failure is replayed exactly.
 *
 * Run: node --import tsx test/reliability/fuzz.ts OUT_DIR [RUNS] [SEED]
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { baseModels, corpusDir, ROOT } from './hostile';
import { Case, concat, int, ONNX_PACKED, ONNX_SCHEMA, packVarints, Pb, PbField, pick, put, text, unpackVarints, unzipSync, utf8, zipOf } from './lib';
import { mulberry32 } from '../../src/core/random';

type Rnd = () => number;

const EDGE_INTS = [0n, 1n, -1n, 2n, 3n, 7n, 255n, 256n, 65535n, 65536n, 2n ** 31n - 1n, 2n ** 31n, 2n ** 32n, 2n ** 32n + 1n, 2n ** 53n, 2n ** 62n, 2n ** 63n - 1n, -(2n ** 63n), -(2n ** 31n)];
const EDGE_NUMBERS = [0, -1, 1, 2, 0.5, -0.5, 3, 1e9, 2 ** 31, 2 ** 32, 2 ** 53, 1e21, 1e308, -1e308, 5e-324];
const EDGE_STRINGS = ['', '../../../../etc/passwd', '/etc/passwd', '..', '.', 'a/../../b', '\u0000', 'x'.repeat(10000), 'float64', 'complex64', 'string', '__proto__', 'constructor', 'NaN'];

function edgeInt(r: Rnd, v: bigint): bigint {
  const k = int(r, 4);
  if (k === 0) return v + BigInt(pick(r, [-1, 1]));
  if (k === 1) return v * BigInt(pick(r, [2, 1024, -1]));
  return pick(r, EDGE_INTS);
}

// ---------------------------------------------------------------- ONNX

interface Site {
  readonly msg: Pb;
  readonly type: string;
  readonly field: PbField;
}

function sites(msg: Pb, type: string, out: Site[] = []): Site[] {
  for (const f of msg.fields) {
    out.push({ msg, type, field: f });
    const sub = ONNX_SCHEMA[type]?.[f.n];
    if (sub && f.w === 2) {
      try {
        sites(msg.msg(f), sub, out);
      } catch {
        // not a message after an earlier mutation: a leaf
      }
    }
  }
  return out;
}

function valueNames(model: Pb): string[] {
  const names = new Set<string>();
  const g = model.first(7);
  if (!g) return [];
  for (const n of g.msgs(1)) for (const s of [...n.strs(1), ...n.strs(2)]) names.add(s);
  for (const t of g.msgs(5)) names.add(t.str(8) ?? '');
  return [...names].filter((s) => s);
}

function mutateBytes(r: Rnd, b: Uint8Array): Uint8Array {
  const out = b.slice();
  if (out.length === 0) return Uint8Array.from([int(r, 256)]);
  const k = int(r, 5);
  if (k === 0) return out.subarray(0, int(r, out.length));
  if (k === 1) {
    // a float32 slot becomes NaN, Inf or huge
    const at = 4 * int(r, Math.max(1, out.length >> 2));
    if (at + 4 <= out.length) new DataView(out.buffer).setFloat32(at, pick(r, [NaN, Infinity, -Infinity, 3.4e38, 1e-45]), true);
    return out;
  }
  if (k === 2) return concat([out, out.subarray(0, int(r, out.length))]);
  for (let i = 0; i < 1 + int(r, 8); i++) out[int(r, out.length)] = int(r, 256);
  return out;
}

function mutateOnnx(r: Rnd, bytes: Uint8Array, steps: number): Uint8Array {
  const model = Pb.parse(bytes);
  const names = valueNames(model);
  for (let s = 0; s < steps; s++) {
    const all = sites(model, 'Model');
    const site = pick(r, all);
    const { msg, type, field: f } = site;
    const op = int(r, 10);
    if (op === 0) {
      msg.remove((x) => x === f);
      continue;
    }
    if (op === 1) {
      msg.fields.splice(int(r, msg.fields.length + 1), 0, { ...f, ...(f.m ? { v: f.m.encode(), m: undefined } : {}) });
      continue;
    }
    if (op === 2) {
      const n = pick(r, [1, 2, 5, 7, 9, 13, 14, 20, 99]);
      msg.fields.push(r() < 0.5 ? { n, w: 0, v: pick(r, EDGE_INTS) } : { n, w: 2, v: pick(r, [utf8('x'), new Uint8Array(0), utf8('../w.bin')]) });
      continue;
    }
    if (f.w === 0) f.v = edgeInt(r, f.v as bigint);
    else if (f.w === 1 || f.w === 5) f.v = mutateBytes(r, f.v as Uint8Array).slice(0, f.w === 1 ? 8 : 4).slice(0);
    else if ((ONNX_PACKED[type] ?? []).includes(f.n)) {
      let vs: bigint[];
      try {
        vs = unpackVarints(f.v as Uint8Array);
      } catch {
        vs = [];
      }
      const k = int(r, 3);
      if (k === 0 && vs.length > 0) vs[int(r, vs.length)] = edgeInt(r, vs[int(r, vs.length)]);
      else if (k === 1) vs = vs.slice(0, int(r, vs.length + 1));
      else vs.push(pick(r, EDGE_INTS));
      f.v = packVarints(vs);
    } else if (ONNX_SCHEMA[type]?.[f.n]) {
      // a sub-message: its own fields are sites too; here move it among its siblings
      const i = msg.fields.indexOf(f);
      const j = int(r, msg.fields.length);
      [msg.fields[i], msg.fields[j]] = [msg.fields[j], msg.fields[i]];
    } else if ((type === 'Node' && (f.n === 1 || f.n === 2)) || (type === 'ValueInfo' && f.n === 1) || (type === 'Tensor' && f.n === 8)) {
      f.v = utf8(r() < 0.8 && names.length ? pick(r, names) : pick(r, EDGE_STRINGS));
    } else if (type === 'Node' && f.n === 4) {
      f.v = utf8(pick(r, ['Conv', 'Gemm', 'MatMul', 'Relu', 'Reshape', 'Flatten', 'Add', 'Concat', 'MaxPool', 'BatchNormalization', 'Softmax', 'Transpose', 'Loop', 'If', 'Constant', 'Shape', 'Gather', '']));
    } else if (type === 'Entry' && f.n === 2) {
      f.v = utf8(pick(r, ['../outside.bin', '/etc/passwd', 'w.bin', '99999999999', '-1', '']));
    } else f.v = mutateBytes(r, f.v as Uint8Array);
  }
  return model.encode();
}

// ---------------------------------------------------------------- JSON

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function jsonSites(v: Json, out: { parent: Json[] | { [k: string]: Json }; key: string | number }[] = [], depth = 0): typeof out {
  if (depth > 64 || v === null || typeof v !== 'object') return out;
  if (Array.isArray(v)) v.forEach((x, i) => (out.push({ parent: v, key: i }), jsonSites(x, out, depth + 1)));
  else for (const k of Object.keys(v)) out.push({ parent: v, key: k }), jsonSites(v[k], out, depth + 1);
  return out;
}

const INF = '__LINEAR_LENS_FUZZ_INF__';

function mutateJson(r: Rnd, doc: Json, steps: number): string {
  for (let s = 0; s < steps; s++) {
    const all = jsonSites(doc);
    if (all.length === 0) break;
    // shapes, dtypes, paths and sizes are where loaders trust the file: aim there half the time
    const hot = all.filter(({ key }) => typeof key === 'string' && /shape|dtype|paths|units|filters|kernel_size|strides|pool_size|dilation|name|class_name|inbound|axis|target_shape|size|rate/.test(key));
    const { parent, key } = r() < 0.5 && hot.length ? pick(r, hot) : pick(r, all);
    const cur = (parent as Record<string | number, Json>)[key];
    const k = int(r, 8);
    let next: Json | undefined;
    if (k === 0) {
      if (Array.isArray(parent)) parent.splice(key as number, 1);
      else delete parent[key as string];
      continue;
    }
    if (k === 1 && Array.isArray(parent)) {
      parent.splice(key as number, 0, JSON.parse(JSON.stringify(cur)) as Json);
      continue;
    }
    if (typeof cur === 'number') next = r() < 0.15 ? INF : pick(r, EDGE_NUMBERS) * (r() < 0.2 ? -1 : 1);
    else if (typeof cur === 'string') next = r() < 0.7 ? pick(r, EDGE_STRINGS) : cur + pick(r, ['_1', '/x', '']);
    else if (Array.isArray(cur)) next = pick(r, [[], [cur], [...cur, ...cur], cur.map(() => pick(r, EDGE_NUMBERS)), null]);
    else if (cur && typeof cur === 'object') next = pick(r, [{}, [], null, 'x']);
    else next = pick(r, [0, 'x', [], {}, true]);
    (parent as Record<string | number, Json>)[key] = next;
  }
  return JSON.stringify(doc).replace(new RegExp(`"${INF}"`, 'g'), pick(r, ['1e400', '-1e400']));
}

// ---------------------------------------------------------------- HDF5, zip, data headers

const H5_SIGS = ['OHDR', 'OCHK', 'TREE', 'HEAP', 'SNOD', 'GCOL', 'BTHD', 'BTIN', 'BTLF', 'FRHP', 'FHDB', 'FHIB', 'FSHD', 'FSSE'];

function mutateH5(r: Rnd, b: Uint8Array, steps: number): Uint8Array {
  const out = b.slice();
  const dv = new DataView(out.buffer);
  const sigs: number[] = [0];
  for (let i = 0; i + 4 <= out.length && sigs.length < 4096; i++) {
    if (out[i] >= 0x42 && out[i] <= 0x54 && H5_SIGS.includes(String.fromCharCode(out[i], out[i + 1], out[i + 2], out[i + 3]))) sigs.push(i);
  }
  for (let s = 0; s < steps; s++) {
    const near = pick(r, sigs) + int(r, 96);
    const k = int(r, 5);
    if (k <= 1 && near + 8 <= out.length) {
      const v = pick(r, [0n, 0xffffffffffffffffn, BigInt(out.length), BigInt(out.length + 1), BigInt(int(r, out.length)), 2n ** 40n, 1n]);
      dv.setBigUint64(near - (near % (k === 0 ? 8 : 1)), v, true);
    } else if (k === 2 && near + 4 <= out.length) dv.setUint32(near, pick(r, [0, 0xffffffff, 0x7fffffff, out.length, 1]), true);
    else if (k === 3) out.fill(0, near, Math.min(out.length, near + 1 + int(r, 64)));
    else if (near < out.length) out[near] ^= 1 << int(r, 8);
  }
  return r() < 0.1 ? out.subarray(0, int(r, out.length)) : out;
}

function mutateNpy(r: Rnd, b: Uint8Array): Uint8Array {
  const hlen = new DataView(b.buffer, b.byteOffset).getUint16(8, true);
  const head = text(b.subarray(10, 10 + hlen));
  const k = int(r, 5);
  let h = head;
  if (k === 0) h = head.replace(/'descr': '[^']*'/, `'descr': '${pick(r, ['<f8', '>f4', '|u1', '<i8', '<c16', '|O', '<U3', '|b1', '<f2', '>i2', 'zz'])}'`);
  else if (k === 1) h = head.replace(/'shape': \([^)]*\)/, `'shape': (${Array.from({ length: int(r, 4) }, () => String(pick(r, EDGE_INTS))).join(', ')}${r() < 0.5 ? ',' : ''})`);
  else if (k === 2) h = head.replace(/False|True/, pick(r, ['True', 'false', '1', 'None']));
  else if (k === 3) {
    const out = b.slice();
    new DataView(out.buffer).setUint16(8, pick(r, [0, 1, hlen - 1, hlen + 1, 65535]), true);
    return out;
  } else return mutateBytes(r, b);
  const hb = utf8(h.length < hlen ? h.padEnd(hlen - 1) + '\n' : h);
  const out = concat([b.subarray(0, 10), hb, b.subarray(10 + hlen)]);
  new DataView(out.buffer).setUint16(8, hb.length, true);
  return out;
}

function mutateIdx(r: Rnd, b: Uint8Array): Uint8Array {
  const out = b.slice();
  const dv = new DataView(out.buffer);
  const k = int(r, 5);
  if (k === 0) out[2] = pick(r, [0, 8, 9, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0xff]);
  else if (k === 1) out[3] = pick(r, [0, 1, 2, 3, 4, 200, 255]);
  else if (k === 2) dv.setUint32(4 + 4 * int(r, Math.max(1, out[3])), Number(BigInt.asUintN(32, pick(r, EDGE_INTS))), false);
  else if (k === 3) return out.subarray(0, int(r, out.length));
  else return mutateBytes(r, out);
  return out;
}

function mutateGz(r: Rnd, b: Uint8Array, inner: (x: Uint8Array) => Uint8Array): Uint8Array {
  const k = int(r, 4);
  if (k === 0) return new Uint8Array(zlib.gzipSync(inner(new Uint8Array(zlib.gunzipSync(b)))));
  const out = b.slice();
  if (k === 1) out[3] = int(r, 256);
  else if (k === 2) new DataView(out.buffer).setUint32(out.length - 4, Number(BigInt.asUintN(32, pick(r, EDGE_INTS))), true);
  else return mutateBytes(r, out);
  return out;
}

function mutatePng(r: Rnd, b: Uint8Array): Uint8Array {
  const out = b.slice();
  const dv = new DataView(out.buffer);
  const k = int(r, 4);
  if (k === 0) dv.setUint32(pick(r, [16, 20]), Number(BigInt.asUintN(32, pick(r, EDGE_INTS))), false);
  else if (k === 1) out[pick(r, [24, 25, 26, 27, 28])] = int(r, 256);
  else if (k === 2) dv.setUint32(pick(r, [8, 33]), Number(BigInt.asUintN(32, pick(r, EDGE_INTS))), false);
  else return mutateBytes(r, out);
  return out;
}

function mutateZip(r: Rnd, entries: Record<string, Uint8Array>, mutateEntry: (name: string, b: Uint8Array) => Uint8Array, steps: number): Uint8Array {
  const e = { ...entries };
  for (let s = 0; s < steps; s++) {
    const names = Object.keys(e);
    const name = pick(r, names);
    const k = int(r, 8);
    if (k === 0) delete e[name];
    else if (k === 1) {
      e[name + pick(r, ['', '.bak', '/'])] = e[name];
      if (r() < 0.5) delete e[name];
    } else if (k <= 6) e[name] = mutateEntry(name, e[name]);
  }
  let zip = zipOf(e, r() < 0.7);
  if (r() < 0.3) {
    // a central-directory field overwritten: sizes, offsets, method, name length
    zip = zip.slice();
    const dv = new DataView(zip.buffer);
    const cds: number[] = [];
    for (let p = 0; p + 46 <= zip.length; p++) if (dv.getUint32(p, true) === 0x02014b50) cds.push(p);
    if (cds.length) {
      const p = pick(r, cds);
      const [off, width] = pick(r, [[10, 2], [20, 4], [24, 4], [28, 2], [42, 4]] as const);
      const v = Number(BigInt.asUintN(width * 8, pick(r, EDGE_INTS)));
      if (width === 2) dv.setUint16(p + off, v, true);
      else dv.setUint32(p + off, v, true);
    }
  }
  return zip;
}

// ---------------------------------------------------------------- driver

interface Seed {
  readonly kind: 'onnx' | 'tfjs' | 'h5' | 'keras' | 'npy' | 'npz' | 'idx' | 'gz' | 'png';
  readonly name: string;
  readonly file: string;
}

async function seeds(out: string, corpus: string | undefined): Promise<Seed[]> {
  const small = baseModels(corpus).filter((b) => b.size < 1_500_000 && !/mobilenet/.test(b.name));
  const list: Seed[] = small.map((b) => ({ kind: b.format, name: b.name, file: b.file }));
  const { idxBytes, npyBytes, npzBytes, pngBytes } = await import('../unit/helpers/data');
  const px = Uint8Array.from({ length: 16 * 28 * 28 }, (_, i) => (i * 37) & 0xff);
  const ys = Uint8Array.from({ length: 16 }, (_, i) => i % 10);
  const dir = path.join(out, 'seeds');
  const w = (name: string, b: Uint8Array) => put(path.join(dir, name), b);
  const idx = idxBytes('uint8', [16, 28, 28], px);
  list.push(
    { kind: 'idx', name: 'idx', file: w('images-idx3-ubyte', idx) },
    { kind: 'gz', name: 'idx-gz', file: w('images-idx3-ubyte.gz', new Uint8Array(zlib.gzipSync(idx))) },
    { kind: 'npy', name: 'npy', file: w('x.npy', npyBytes('|u1', [16, 28, 28], px)) },
    { kind: 'npz', name: 'npz', file: w('data.npz', npzBytes({ x: npyBytes('|u1', [16, 28, 28], px), y: npyBytes('|u1', [16], ys) }, true)) },
    { kind: 'png', name: 'png', file: w('digit.png', new Uint8Array(pngBytes(28, 28, (x, y) => [x * 9, y * 9, 0]))) },
  );
  return list;
}

const WEIGHTS: Record<Seed['kind'], number> = { onnx: 6, tfjs: 5, h5: 4, keras: 3, npy: 1, npz: 1, idx: 1, gz: 1, png: 1 };

/** Writes `runs` mutants of the seed files under `out`; each is a case that must load or be a UserError. */
export async function generateFuzz(out: string, opts: { runs: number; seed: number; corpus?: string | undefined }): Promise<Case[]> {
  const corpus = 'corpus' in opts ? opts.corpus : corpusDir();
  const all = await seeds(out, corpus);
  const wheel = all.flatMap((s) => Array<Seed>(WEIGHTS[s.kind] * (s.name.startsWith('ex-') ? 2 : 1)).fill(s));
  const cache = new Map<string, Uint8Array>();
  const read = (f: string) => {
    let b = cache.get(f);
    if (!b) cache.set(f, (b = new Uint8Array(fs.readFileSync(f))));
    return b;
  };
  const cases: Case[] = [];
  for (let i = 0; i < opts.runs; i++) {
    const seed = opts.seed + i;
    const r = mulberry32(seed);
    const s = pick(r, wheel);
    const steps = 1 + int(r, 3);
    const dir = path.join(out, `fuzz-${String(i).padStart(5, '0')}-${s.kind}`);
    let file: string;
    const b = read(s.file);
    switch (s.kind) {
      case 'onnx':
        file = put(path.join(dir, 'model.onnx'), r() < 0.9 ? mutateOnnx(r, b, steps) : mutateBytes(r, b));
        break;
      case 'tfjs': {
        const json = JSON.parse(text(b)) as { weightsManifest: { paths: string[] }[] };
        // the shards go beside the mutant under their own names; one may be mutated instead of the JSON
        for (const g of json.weightsManifest) for (const p of g.paths) put(path.join(dir, p), read(path.join(path.dirname(s.file), p)));
        if (r() < 0.25) {
          const p = json.weightsManifest[0].paths[0];
          put(path.join(dir, p), mutateBytes(r, read(path.join(path.dirname(s.file), p))));
          file = put(path.join(dir, 'model.json'), JSON.stringify(json));
        } else file = put(path.join(dir, 'model.json'), mutateJson(r, json as unknown as Json, steps));
        break;
      }
      case 'h5':
        file = put(path.join(dir, 'model.h5'), mutateH5(r, b, steps));
        break;
      case 'keras':
        file = put(path.join(dir, 'model.keras'), mutateZip(r, unzipSync(b), (name, e) => (name.endsWith('.json') ? utf8(mutateJson(r, JSON.parse(text(e)) as Json, 1)) : mutateH5(r, e, 1 + int(r, 3))), steps));
        break;
      case 'npz':
        file = put(path.join(dir, 'data.npz'), mutateZip(r, unzipSync(b), (_n, e) => mutateNpy(r, e), steps));
        break;
      case 'npy':
        file = put(path.join(dir, 'x.npy'), mutateNpy(r, b));
        break;
      case 'idx':
        file = put(path.join(dir, 'images-idx3-ubyte'), mutateIdx(r, b));
        break;
      case 'gz':
        file = put(path.join(dir, 'images-idx3-ubyte.gz'), mutateGz(r, b, (x) => mutateIdx(r, x)));
        break;
      case 'png':
        file = put(path.join(dir, 'digit.png'), mutatePng(r, b));
        break;
    }
    const kind = ['onnx', 'tfjs', 'h5', 'keras'].includes(s.kind) ? 'model' : 'data';
    cases.push({ id: `fuzz/${s.kind}/${s.name}/seed-${seed}`, family: `fuzz-${s.kind}`, kind, file, expect: 'any' });
  }
  return cases;
}

if (require.main === module) {
  const out = process.argv[2] ?? fs.mkdtempSync(path.join(os.tmpdir(), 'linear-lens-fuzz-'));
  const runs = Number(process.argv[3] ?? process.env.LINEAR_LENS_FUZZ_RUNS ?? 300);
  const seed = Number(process.argv[4] ?? process.env.LINEAR_LENS_FUZZ_SEED ?? 20240601);
  void generateFuzz(out, { runs, seed }).then((cases) => {
    fs.writeFileSync(path.join(out, 'cases.json'), JSON.stringify(cases, null, 1));
    console.log(`${cases.length} fuzz cases in ${out}`);
  });
}
void ROOT;
