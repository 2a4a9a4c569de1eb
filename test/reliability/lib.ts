/**
 * Shared pieces of the reliability corpus (hostile.ts) and fuzzer (fuzz.ts): the case type, a
 * seeded random source, a protobuf field tree for ONNX surgery, zip writing and patching, and an
 * HDF5 rebuilder (h5wasm) that copies a Keras file while leaving out or changing parts of it.
 * Everything is pure TypeScript on the project's own dependencies, so CI needs nothing extra.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { zipSync } from 'fflate';

/** One file to load, what must happen, and why. */
export interface Case {
  /** Unique, readable: family/base/variant. */
  readonly id: string;
  /** The case family counted in RELIABILITY.md. */
  readonly family: string;
  /** 'model': loadModel + a forward pass; 'data': openDataset + the first batch + the last sample. */
  readonly kind: 'model' | 'data';
  /** The file (or image folder) to open. */
  readonly file: string;
  /** 'user-error': must be refused; 'ok': must load (a control); 'any': ok or a UserError. */
  readonly expect: 'user-error' | 'ok' | 'any';
  /** Loading it successfully would mean a read outside the model's folder. */
  readonly escape?: boolean;
  /** A regexp source the UserError message must match. */
  readonly message?: string;
}


export const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
export const int = (r: () => number, n: number): number => Math.floor(r() * n);

/** Writes `data` to `file`, creating its folder. */
export function put(file: string, data: Uint8Array | string): string {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, data);
  return file;
}

export const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
export const text = (b: Uint8Array): string => new TextDecoder().decode(b);

// ---------------------------------------------------------------- protobuf

/** A protobuf field: wire 0 holds a varint, 1 / 5 fixed bytes, 2 bytes (a string, packed values or a message). */
export interface PbField {
  n: number;
  w: 0 | 1 | 2 | 5;
  v: bigint | Uint8Array;
  /** The decoded sub-message, when an edit descended into it; encoded in place of `v`. */
  m?: Pb;
}

function readVarint(b: Uint8Array, at: { p: number }): bigint {
  let v = 0n;
  for (let s = 0n; s < 70n; s += 7n) {
    if (at.p >= b.length) throw new Error('truncated varint');
    const c = b[at.p++];
    v |= BigInt(c & 0x7f) << s;
    if (c < 0x80) return v;
  }
  throw new Error('varint too long');
}

function writeVarint(out: number[], v: bigint): void {
  let u = BigInt.asUintN(64, v);
  while (u >= 0x80n) {
    out.push(Number(u & 0x7fn) | 0x80);
    u >>= 7n;
  }
  out.push(Number(u));
}

/** Decodes packed varints. */
export function unpackVarints(b: Uint8Array): bigint[] {
  const at = { p: 0 };
  const out: bigint[] = [];
  while (at.p < b.length) out.push(BigInt.asIntN(64, readVarint(b, at)));
  return out;
}

/** Encodes packed varints. */
export function packVarints(vs: readonly bigint[]): Uint8Array {
  const out: number[] = [];
  for (const v of vs) writeVarint(out, v);
  return Uint8Array.from(out);
}

/** A protobuf message as a list of fields, edited in place and encoded back with correct lengths. */
export class Pb {
  constructor(public fields: PbField[]) {}

  static parse(b: Uint8Array): Pb {
    const at = { p: 0 };
    const fields: PbField[] = [];
    while (at.p < b.length) {
      const tag = Number(readVarint(b, at));
      const n = tag >>> 3;
      const w = tag & 7;
      if (w === 0) fields.push({ n, w, v: readVarint(b, at) });
      else if (w === 1 || w === 5) {
        const len = w === 1 ? 8 : 4;
        if (at.p + len > b.length) throw new Error('truncated fixed field');
        fields.push({ n, w, v: b.slice(at.p, at.p + len) });
        at.p += len;
      } else if (w === 2) {
        const len = Number(readVarint(b, at));
        if (at.p + len > b.length) throw new Error('truncated length field');
        fields.push({ n, w, v: b.subarray(at.p, at.p + len) });
        at.p += len;
      } else throw new Error(`wire type ${w}`);
    }
    return new Pb(fields);
  }

  all(n: number): PbField[] {
    return this.fields.filter((f) => f.n === n);
  }

  /** The sub-message held by a length field (decoded once, then edited in place). */
  msg(f: PbField): Pb {
    f.m ??= Pb.parse(f.v as Uint8Array);
    return f.m;
  }

  msgs(n: number): Pb[] {
    return this.all(n).map((f) => this.msg(f));
  }

  first(n: number): Pb | undefined {
    const f = this.fields.find((x) => x.n === n && x.w === 2);
    return f && this.msg(f);
  }

  str(n: number): string | undefined {
    const f = this.fields.find((x) => x.n === n && x.w === 2);
    return f ? text(f.v as Uint8Array) : undefined;
  }

  strs(n: number): string[] {
    return this.all(n).filter((f) => f.w === 2).map((f) => text(f.v as Uint8Array));
  }

  varint(n: number): bigint | undefined {
    const f = this.fields.find((x) => x.n === n && x.w === 0);
    return f?.v as bigint | undefined;
  }

  /** Replaces every field `n` by one string / bytes / message / varint value. */
  set(n: number, v: string | Uint8Array | bigint | number | Pb): this {
    this.remove(n);
    return this.add(n, v);
  }

  add(n: number, v: string | Uint8Array | bigint | number | Pb): this {
    if (typeof v === 'bigint' || typeof v === 'number') this.fields.push({ n, w: 0, v: BigInt(v) });
    else if (v instanceof Pb) this.fields.push({ n, w: 2, v: new Uint8Array(0), m: v });
    else this.fields.push({ n, w: 2, v: typeof v === 'string' ? utf8(v) : v });
    return this;
  }

  remove(n: number | ((f: PbField) => boolean)): this {
    this.fields = this.fields.filter((f) => (typeof n === 'number' ? f.n !== n : !n(f)));
    return this;
  }

  encode(): Uint8Array {
    const out: number[] = [];
    const chunks: Uint8Array[] = [];
    const flush = () => {
      if (out.length) chunks.push(Uint8Array.from(out.splice(0)));
    };
    for (const f of this.fields) {
      writeVarint(out, BigInt((f.n << 3) | f.w) & 0xffffffffn);
      if (f.w === 0) writeVarint(out, f.v as bigint);
      else if (f.w === 1 || f.w === 5) {
        flush();
        chunks.push(f.v as Uint8Array);
      } else {
        const body = f.m ? f.m.encode() : (f.v as Uint8Array);
        writeVarint(out, BigInt(body.length));
        flush();
        chunks.push(body);
      }
    }
    flush();
    const total = chunks.reduce((a, c) => a + c.length, 0);
    const bytes = new Uint8Array(total);
    let o = 0;
    for (const c of chunks) {
      bytes.set(c, o);
      o += c.length;
    }
    return bytes;
  }
}

/** ONNX field numbers used by the generators (onnx.proto3). */
export const ONNX = {
  model: { irVersion: 1, graph: 7, opset: 8 },
  graph: { node: 1, name: 2, initializer: 5, input: 11, output: 12, valueInfo: 13 },
  node: { input: 1, output: 2, name: 3, opType: 4, attribute: 5, domain: 7 },
  attr: { name: 1, f: 2, i: 3, s: 4, t: 5, g: 6, floats: 7, ints: 8, type: 20 },
  tensor: { dims: 1, dataType: 2, floatData: 4, int32Data: 5, int64Data: 7, name: 8, rawData: 9, externalData: 13, dataLocation: 14 },
  valueInfo: { name: 1, type: 2 },
  type: { tensor: 1 },
  tensorType: { elemType: 1, shape: 2 },
  shape: { dim: 1 },
  dim: { value: 1, param: 2 },
} as const;

/** Which fields of which ONNX message are sub-messages, for walking a model structurally. */
export const ONNX_SCHEMA: Record<string, Record<number, string>> = {
  Model: { 7: 'Graph', 8: 'Opset' },
  Graph: { 1: 'Node', 5: 'Tensor', 11: 'ValueInfo', 12: 'ValueInfo', 13: 'ValueInfo' },
  Node: { 5: 'Attribute' },
  Attribute: { 5: 'Tensor' },
  Tensor: { 13: 'Entry' },
  ValueInfo: { 2: 'Type' },
  Type: { 1: 'TensorType' },
  TensorType: { 2: 'Shape' },
  Shape: { 1: 'Dim' },
  Dim: {},
  Opset: {},
  Entry: {},
};

/** Packed repeated varint fields of ONNX messages. */
export const ONNX_PACKED: Record<string, readonly number[]> = { Tensor: [1, 5, 7], Attribute: [8] };

/** The graph of an ONNX model, with its dims of an initializer as numbers. */
export function onnxGraph(model: Pb): Pb {
  const g = model.first(ONNX.model.graph);
  if (!g) throw new Error('no graph');
  return g;
}

/** The dims of a TensorProto (packed or not). */
export function tensorDims(t: Pb): bigint[] {
  const out: bigint[] = [];
  for (const f of t.all(ONNX.tensor.dims)) {
    if (f.w === 2) out.push(...unpackVarints(f.v as Uint8Array));
    else out.push(BigInt.asIntN(64, f.v as bigint));
  }
  return out;
}

export function setTensorDims(t: Pb, dims: readonly (bigint | number)[]): void {
  t.remove(ONNX.tensor.dims);
  t.fields.unshift({ n: ONNX.tensor.dims, w: 2, v: packVarints(dims.map((d) => BigInt(d))) });
}

/** The float32 initializer with the most raw bytes: the one surgery on weights uses. */
export function biggestFloatInitializer(g: Pb): Pb | undefined {
  let best: Pb | undefined;
  let size = -1;
  for (const t of g.msgs(ONNX.graph.initializer)) {
    const raw = t.fields.find((f) => f.n === ONNX.tensor.rawData);
    if (t.varint(ONNX.tensor.dataType) !== 1n || !raw) continue;
    const n = (raw.v as Uint8Array).length;
    if (n > size) {
      size = n;
      best = t;
    }
  }
  return best;
}

// ---------------------------------------------------------------- zip

/** A zip archive of `entries` (stored or deflated). */
export function zipOf(entries: Record<string, Uint8Array>, deflate = true): Uint8Array {
  const z: Record<string, [Uint8Array, { level: 0 | 6 }]> = {};
  for (const [k, v] of Object.entries(entries)) z[k] = [v, { level: deflate ? 6 : 0 }];
  return zipSync(z);
}

/** Reads every entry of a zip archive made by zipOf / Keras / numpy. */
export { unzipSync } from 'fflate';

/**
 * Overwrites the declared (uncompressed) size of entry `name` in both its local header and the
 * central directory: a lying archive.
 */
export function patchZipSize(bytes: Uint8Array, name: string, size: number, compressed?: number): Uint8Array {
  const out = bytes.slice();
  const dv = new DataView(out.buffer);
  const nameBytes = utf8(name);
  const nameAt = (p: number, len: number) => len === nameBytes.length && nameBytes.every((c, i) => out[p + i] === c);
  for (let p = 0; p + 46 <= out.length; p++) {
    const sig = dv.getUint32(p, true);
    if (sig === 0x04034b50 && nameAt(p + 30, dv.getUint16(p + 26, true))) {
      dv.setUint32(p + 22, size, true);
      if (compressed !== undefined) dv.setUint32(p + 18, compressed, true);
    } else if (sig === 0x02014b50 && nameAt(p + 46, dv.getUint16(p + 28, true))) {
      dv.setUint32(p + 24, size, true);
      if (compressed !== undefined) dv.setUint32(p + 20, compressed, true);
    }
  }
  return out;
}

/** CRC-32 (zip / gzip), table-driven. */
const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32(chunks: Iterable<Uint8Array>): number {
  let c = 0xffffffff;
  for (const b of chunks) for (let i = 0; i < b.length; i++) c = CRC_TABLE[(c ^ b[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/**
 * A zip archive from already-deflated members (method 8) or stored ones (method 0), written by
 * hand so a member can be far larger than anything this process holds: a zip bomb.
 */
export function zipRaw(members: { name: string; data: Uint8Array; method: 0 | 8; size: number; crc: number }[]): Uint8Array {
  const parts: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  for (const m of members) {
    const name = utf8(m.name);
    const local = new Uint8Array(30 + name.length);
    const lv = new DataView(local.buffer);
    lv.setUint32(0, 0x04034b50, true);
    lv.setUint16(4, 20, true);
    lv.setUint16(8, m.method, true);
    lv.setUint32(14, m.crc, true);
    lv.setUint32(18, m.data.length, true);
    lv.setUint32(22, m.size, true);
    lv.setUint16(26, name.length, true);
    local.set(name, 30);
    const cd = new Uint8Array(46 + name.length);
    const cv = new DataView(cd.buffer);
    cv.setUint32(0, 0x02014b50, true);
    cv.setUint16(4, 20, true);
    cv.setUint16(6, 20, true);
    cv.setUint16(10, m.method, true);
    cv.setUint32(16, m.crc, true);
    cv.setUint32(20, m.data.length, true);
    cv.setUint32(24, m.size, true);
    cv.setUint16(28, name.length, true);
    cv.setUint32(42, offset, true);
    cd.set(name, 46);
    parts.push(local, m.data);
    central.push(cd);
    offset += local.length + m.data.length;
  }
  const cdSize = central.reduce((a, c) => a + c.length, 0);
  const end = new Uint8Array(22);
  const ev = new DataView(end.buffer);
  ev.setUint32(0, 0x06054b50, true);
  ev.setUint16(8, members.length, true);
  ev.setUint16(10, members.length, true);
  ev.setUint32(12, cdSize, true);
  ev.setUint32(16, offset, true);
  return concat([...parts, ...central, end]);
}

export function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
