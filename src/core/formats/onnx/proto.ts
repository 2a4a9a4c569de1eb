import { Reader } from 'protobufjs/minimal';

/*
 * A hand-rolled decoder for the few ONNX messages Linear Lens needs, on protobufjs's wire Reader
 * (the Netron way): no generated code, no .proto file at run time, unknown fields skipped.
 * Field numbers are those of onnx/onnx.proto3. Sub-graphs (If / Loop bodies) are skipped without
 * being decoded: no op Linear Lens supports has one, and not recursing keeps hostile nesting harmless.
 * Every length is checked against the bytes that are really there before anything is sliced, and
 * bulk data stays a view into the file until a converter asks for it.
 */

/** ONNX TensorProto.DataType values this loader knows by name. */
export const DataType = {
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  UINT16: 4,
  INT16: 5,
  INT32: 6,
  INT64: 7,
  STRING: 8,
  BOOL: 9,
  FLOAT16: 10,
  DOUBLE: 11,
  UINT32: 12,
  UINT64: 13,
  BFLOAT16: 16,
} as const;

export interface OpsetId {
  readonly domain: string;
  readonly version: number;
}

export interface OnnxTensor {
  name: string;
  dims: number[];
  dataType: number;
  /** Little-endian bytes, a view into the file. */
  rawData?: Uint8Array;
  floatData: number[] | Float32Array;
  int32Data: number[];
  int64Data: number[];
  doubleData: number[] | Float64Array;
  uint64Data: number[];
  stringCount: number;
  /** 1 = EXTERNAL: the bytes live in another file named by `externalData`. */
  dataLocation: number;
  externalData: [string, string][];
}

/** A dimension: its value, its symbolic name, or null when the file says nothing. */
export type OnnxDim = number | string | null;

export interface ValueInfo {
  name: string;
  /** 0 when the value is not a plain tensor (sequence, map, ...) or the file does not say. */
  elemType: number;
  isTensor: boolean;
  /** Undefined when the file declares no shape (unknown rank). */
  dims?: OnnxDim[];
}

export const AttrType = {
  FLOAT: 1,
  INT: 2,
  STRING: 3,
  TENSOR: 4,
  GRAPH: 5,
  FLOATS: 6,
  INTS: 7,
  STRINGS: 8,
  TENSORS: 9,
  GRAPHS: 10,
  SPARSE_TENSOR: 11,
  SPARSE_TENSORS: 12,
  TYPE_PROTO: 13,
  TYPE_PROTOS: 14,
} as const;

export interface Attribute {
  name: string;
  type: number;
  f?: number;
  i?: number;
  s?: Uint8Array;
  t?: OnnxTensor;
  floats: number[];
  ints: number[];
  strings: Uint8Array[];
  /** Fields that hold data this decoder does not keep (sub-graphs, sparse tensors, types). */
  skipped: boolean;
}

export interface OnnxNode {
  name: string;
  opType: string;
  domain: string;
  inputs: string[];
  outputs: string[];
  attributes: Attribute[];
}

export interface OnnxGraph {
  name: string;
  nodes: OnnxNode[];
  initializers: OnnxTensor[];
  sparseInitializers: number;
  inputs: ValueInfo[];
  outputs: ValueInfo[];
}

export interface OnnxModel {
  irVersion: number;
  producerName: string;
  producerVersion: string;
  graph?: OnnxGraph;
  opsetImport: OpsetId[];
}

const WIRE_VARINT = 0;
const WIRE_64 = 1;
const WIRE_LEN = 2;
const WIRE_32 = 5;

/** Why the bytes cannot be a valid message; the loader turns it into a UserError naming the file. */
export class ProtoError extends Error {}

/** A signed 64-bit varint as a JS number (exact up to 2^53, which covers every sane dim or attribute). */
export function readInt64(r: Reader): number {
  const buf = r.buf;
  let pos = r.pos;
  if (pos < r.len && buf[pos] < 0x80) {
    r.pos = pos + 1;
    return buf[pos];
  }
  let v = 0n;
  let shift = 0n;
  for (let i = 0; i < 10; i++) {
    if (pos >= r.len) throw new ProtoError(`truncated varint at byte ${pos}`);
    const b = buf[pos++];
    v |= BigInt(b & 0x7f) << shift;
    if (b < 0x80) {
      r.pos = pos;
      return Number(BigInt.asIntN(64, v));
    }
    shift += 7n;
  }
  throw new ProtoError(`invalid varint at byte ${r.pos}`);
}

/** Reads the length prefix of a length-delimited field and returns where it ends, checked. */
function fieldEnd(r: Reader): number {
  const n = r.uint32();
  const end = r.pos + n;
  if (end > r.len) throw new ProtoError(`a field of ${n} bytes at byte ${r.pos} runs past the end of the data (${r.len} bytes): the file is truncated or not ONNX`);
  return end;
}

function bytesField(r: Reader): Uint8Array {
  const end = fieldEnd(r);
  const b = r.buf.subarray(r.pos, end);
  r.pos = end;
  return b;
}

const utf8 = new TextDecoder('utf-8', { fatal: false });

function stringField(r: Reader): string {
  return utf8.decode(bytesField(r));
}

function skip(r: Reader, wire: number): void {
  if (wire === 3 || wire === 4) throw new ProtoError(`unexpected group field at byte ${r.pos}`);
  r.skipType(wire);
}

/** Decodes `field` of a message region [r.pos, end) with `each` until `end`, checking the region is exact. */
function message(r: Reader, end: number, each: (field: number, wire: number) => void): void {
  while (r.pos < end) {
    const tag = r.uint32();
    const field = tag >>> 3;
    const wire = tag & 7;
    if (field === 0) throw new ProtoError(`invalid field number 0 at byte ${r.pos}`);
    each(field, wire);
    if (r.pos > end) throw new ProtoError(`a field overruns its message at byte ${r.pos}`);
  }
}

function sub<T>(r: Reader, decode: (r: Reader, end: number) => T): T {
  const end = fieldEnd(r);
  const saved = r.len;
  // Narrowing `len` makes every read inside the sub-message stop at its own end.
  r.len = end;
  try {
    const v = decode(r, end);
    if (r.pos !== end) throw new ProtoError(`a message does not end where its length says (byte ${r.pos} vs ${end})`);
    return v;
  } finally {
    r.len = saved;
  }
}

/** Appends a repeated int64 field, packed or not. */
function int64s(r: Reader, wire: number, out: number[]): void {
  if (wire === WIRE_LEN) {
    const end = fieldEnd(r);
    const saved = r.len;
    r.len = end;
    while (r.pos < end) out.push(readInt64(r));
    r.len = saved;
  } else if (wire === WIRE_VARINT) out.push(readInt64(r));
  else skip(r, wire);
}

function int32s(r: Reader, wire: number, out: number[]): void {
  if (wire === WIRE_LEN) {
    const end = fieldEnd(r);
    const saved = r.len;
    r.len = end;
    while (r.pos < end) out.push(r.int32());
    r.len = saved;
  } else if (wire === WIRE_VARINT) out.push(r.int32());
  else skip(r, wire);
}

/** A packed block of little-endian fixed-width values, copied so it is aligned. */
function packedFloats(r: Reader, width: 4 | 8): Float32Array | Float64Array {
  const b = bytesField(r);
  if (b.length % width !== 0) throw new ProtoError(`a packed array of ${width}-byte values has ${b.length} bytes`);
  const copy = b.slice();
  return width === 4 ? new Float32Array(copy.buffer, 0, b.length / 4) : new Float64Array(copy.buffer, 0, b.length / 8);
}

/** Appends `more` to a repeated field; an array once mixed, so hostile interleavings stay linear. */
function append<T extends Float32Array | Float64Array>(prev: number[] | T, more: ArrayLike<number>): number[] | T {
  const out = Array.isArray(prev) ? prev : Array.from(prev);
  for (let i = 0; i < more.length; i++) out.push(more[i]);
  return out;
}

function floats(r: Reader, wire: number, prev: number[] | Float32Array): number[] | Float32Array {
  if (wire === WIRE_LEN) {
    const block = packedFloats(r, 4) as Float32Array;
    return prev.length === 0 ? block : append(prev, block);
  }
  if (wire === WIRE_32) return append(prev, [r.float()]);
  skip(r, wire);
  return prev;
}

function doubles(r: Reader, wire: number, prev: number[] | Float64Array): number[] | Float64Array {
  if (wire === WIRE_LEN) {
    const block = packedFloats(r, 8) as Float64Array;
    return prev.length === 0 ? block : append(prev, block);
  }
  if (wire === WIRE_64) return append(prev, [r.double()]);
  skip(r, wire);
  return prev;
}

function decodeStringEntry(r: Reader, end: number): [string, string] {
  let key = '';
  let value = '';
  message(r, end, (f, w) => {
    if (f === 1 && w === WIRE_LEN) key = stringField(r);
    else if (f === 2 && w === WIRE_LEN) value = stringField(r);
    else skip(r, w);
  });
  return [key, value];
}

function decodeTensor(r: Reader, end: number): OnnxTensor {
  const t: OnnxTensor = {
    name: '',
    dims: [],
    dataType: 0,
    floatData: [],
    int32Data: [],
    int64Data: [],
    doubleData: [],
    uint64Data: [],
    stringCount: 0,
    dataLocation: 0,
    externalData: [],
  };
  message(r, end, (f, w) => {
    switch (f) {
      case 1:
        return int64s(r, w, t.dims);
      case 2:
        if (w === WIRE_VARINT) t.dataType = r.int32();
        else skip(r, w);
        return;
      case 4:
        t.floatData = floats(r, w, t.floatData);
        return;
      case 5:
        return int32s(r, w, t.int32Data);
      case 6:
        if (w === WIRE_LEN) {
          bytesField(r);
          t.stringCount++;
        } else skip(r, w);
        return;
      case 7:
        return int64s(r, w, t.int64Data);
      case 8:
        if (w === WIRE_LEN) t.name = stringField(r);
        else skip(r, w);
        return;
      case 9:
        if (w === WIRE_LEN) t.rawData = bytesField(r);
        else skip(r, w);
        return;
      case 10:
        t.doubleData = doubles(r, w, t.doubleData);
        return;
      case 11:
        // uint64 values are read as signed; only values above 2^63 would differ, and none is a weight.
        return int64s(r, w, t.uint64Data);
      case 13:
        if (w === WIRE_LEN) t.externalData.push(sub(r, decodeStringEntry));
        else skip(r, w);
        return;
      case 14:
        if (w === WIRE_VARINT) t.dataLocation = r.int32();
        else skip(r, w);
        return;
      default:
        skip(r, w);
    }
  });
  return t;
}

function decodeDim(r: Reader, end: number): OnnxDim {
  let d: OnnxDim = null;
  message(r, end, (f, w) => {
    if (f === 1 && w === WIRE_VARINT) d = readInt64(r);
    else if (f === 2 && w === WIRE_LEN) d = stringField(r);
    else skip(r, w);
  });
  return d;
}

function decodeShape(r: Reader, end: number): OnnxDim[] {
  const dims: OnnxDim[] = [];
  message(r, end, (f, w) => {
    if (f === 1 && w === WIRE_LEN) dims.push(sub(r, decodeDim));
    else skip(r, w);
  });
  return dims;
}

function decodeTensorType(r: Reader, end: number): { elemType: number; dims?: OnnxDim[] } {
  const out: { elemType: number; dims?: OnnxDim[] } = { elemType: 0 };
  message(r, end, (f, w) => {
    if (f === 1 && w === WIRE_VARINT) out.elemType = r.int32();
    else if (f === 2 && w === WIRE_LEN) out.dims = sub(r, decodeShape);
    else skip(r, w);
  });
  return out;
}

function decodeValueInfo(r: Reader, end: number): ValueInfo {
  const v: ValueInfo = { name: '', elemType: 0, isTensor: false };
  message(r, end, (f, w) => {
    if (f === 1 && w === WIRE_LEN) v.name = stringField(r);
    else if (f === 2 && w === WIRE_LEN) {
      sub(r, (r2, e2) =>
        message(r2, e2, (f2, w2) => {
          if (f2 === 1 && w2 === WIRE_LEN) {
            const tt = sub(r2, decodeTensorType);
            v.isTensor = true;
            v.elemType = tt.elemType;
            if (tt.dims) v.dims = tt.dims;
          } else skip(r2, w2);
        }),
      );
    } else skip(r, w);
  });
  return v;
}

function decodeAttribute(r: Reader, end: number): Attribute {
  const a: Attribute = { name: '', type: 0, floats: [], ints: [], strings: [], skipped: false };
  message(r, end, (f, w) => {
    switch (f) {
      case 1:
        if (w === WIRE_LEN) a.name = stringField(r);
        else skip(r, w);
        return;
      case 20:
        if (w === WIRE_VARINT) a.type = r.int32();
        else skip(r, w);
        return;
      case 2:
        if (w === WIRE_32) a.f = r.float();
        else skip(r, w);
        return;
      case 3:
        if (w === WIRE_VARINT) a.i = readInt64(r);
        else skip(r, w);
        return;
      case 4:
        if (w === WIRE_LEN) a.s = bytesField(r);
        else skip(r, w);
        return;
      case 5:
        if (w === WIRE_LEN) a.t = sub(r, decodeTensor);
        else skip(r, w);
        return;
      case 7: {
        const fl = floats(r, w, []);
        for (const x of fl) a.floats.push(x);
        return;
      }
      case 8:
        return int64s(r, w, a.ints);
      case 9:
        if (w === WIRE_LEN) a.strings.push(bytesField(r));
        else skip(r, w);
        return;
      case 6:
      case 10:
      case 11:
      case 14:
      case 15:
      case 22:
      case 23:
        a.skipped = true;
        skip(r, w);
        return;
      default:
        skip(r, w);
    }
  });
  return a;
}

function decodeNode(r: Reader, end: number): OnnxNode {
  const n: OnnxNode = { name: '', opType: '', domain: '', inputs: [], outputs: [], attributes: [] };
  message(r, end, (f, w) => {
    if (w !== WIRE_LEN) return skip(r, w);
    switch (f) {
      case 1:
        n.inputs.push(stringField(r));
        return;
      case 2:
        n.outputs.push(stringField(r));
        return;
      case 3:
        n.name = stringField(r);
        return;
      case 4:
        n.opType = stringField(r);
        return;
      case 5:
        n.attributes.push(sub(r, decodeAttribute));
        return;
      case 7:
        n.domain = stringField(r);
        return;
      default:
        skip(r, w);
    }
  });
  return n;
}

function decodeGraph(r: Reader, end: number): OnnxGraph {
  const g: OnnxGraph = { name: '', nodes: [], initializers: [], sparseInitializers: 0, inputs: [], outputs: [] };
  message(r, end, (f, w) => {
    if (w !== WIRE_LEN) return skip(r, w);
    switch (f) {
      case 1:
        g.nodes.push(sub(r, decodeNode));
        return;
      case 2:
        g.name = stringField(r);
        return;
      case 5:
        g.initializers.push(sub(r, decodeTensor));
        return;
      case 11:
        g.inputs.push(sub(r, decodeValueInfo));
        return;
      case 12:
        g.outputs.push(sub(r, decodeValueInfo));
        return;
      case 15:
        g.sparseInitializers++;
        skip(r, w);
        return;
      default:
        skip(r, w);
    }
  });
  return g;
}

function decodeOpset(r: Reader, end: number): OpsetId {
  let domain = '';
  let version = 0;
  message(r, end, (f, w) => {
    if (f === 1 && w === WIRE_LEN) domain = stringField(r);
    else if (f === 2 && w === WIRE_VARINT) version = readInt64(r);
    else skip(r, w);
  });
  return { domain, version };
}

/**
 * Decodes a serialized ModelProto. Throws ProtoError (or a RangeError from the Reader) for bytes
 * that are not a well-formed message; never reads past the data.
 */
export function decodeModel(bytes: Uint8Array): OnnxModel {
  const r = new Reader(bytes);
  const m: OnnxModel = { irVersion: 0, producerName: '', producerVersion: '', opsetImport: [] };
  let graphs = 0;
  message(r, bytes.length, (f, w) => {
    switch (f) {
      case 1:
        if (w === WIRE_VARINT) m.irVersion = readInt64(r);
        else skip(r, w);
        return;
      case 2:
        if (w === WIRE_LEN) m.producerName = stringField(r);
        else skip(r, w);
        return;
      case 3:
        if (w === WIRE_LEN) m.producerVersion = stringField(r);
        else skip(r, w);
        return;
      case 7:
        if (w === WIRE_LEN) {
          m.graph = sub(r, decodeGraph);
          graphs++;
        } else skip(r, w);
        return;
      case 8:
        if (w === WIRE_LEN) m.opsetImport.push(sub(r, decodeOpset));
        else skip(r, w);
        return;
      default:
        skip(r, w);
    }
  });
  if (graphs > 1) throw new ProtoError('the model holds more than one graph');
  return m;
}

/** Model fields that may precede the graph, with their wire types (protobuf writes fields in number order). */
const HEADER_FIELDS: Readonly<Record<number, number>> = { 1: WIRE_VARINT, 2: WIRE_LEN, 3: WIRE_LEN, 4: WIRE_LEN, 5: WIRE_VARINT, 6: WIRE_LEN, 8: WIRE_LEN, 14: WIRE_LEN, 20: WIRE_LEN, 25: WIRE_LEN };
/** Header fields that hold text (the others are nested messages). */
const TEXT_FIELDS = new Set([2, 3, 4, 6]);

/**
 * True when the bytes start like a serialized ModelProto: ir_version (field 1) between 1 and 15
 * first, then only well-formed model fields (producer, domain, version, doc string; opset imports
 * and metadata from writers that do not keep field order), then the graph (field 7). The graph's
 * length may run past the end, so a truncated model is still recognised and gets a precise error
 * from the loader.
 */
export function looksLikeModelProto(bytes: Uint8Array): boolean {
  if (bytes.length < 4 || bytes[0] !== 0x08) return false;
  const r = new Reader(bytes);
  try {
    r.uint32();
    const ir = readInt64(r);
    if (ir < 1 || ir > 15) return false;
    for (let i = 0; i < 16 && r.pos < r.len; i++) {
      const tag = r.uint32();
      const field = tag >>> 3;
      const wire = tag & 7;
      if (field === 7) return wire === WIRE_LEN;
      if (HEADER_FIELDS[field] !== wire) return false;
      if (wire === WIRE_VARINT) readInt64(r);
      else {
        const n = r.uint32();
        if (n > 1 << 20 || r.pos + n > r.len) return false;
        const text = bytes.subarray(r.pos, r.pos + n);
        // Header strings are text: refuse control bytes, which random or binary data is full of.
        if (TEXT_FIELDS.has(field) && text.some((c) => c < 0x09 || (c > 0x0d && c < 0x20))) return false;
        r.pos += n;
      }
    }
  } catch {
    return false;
  }
  return false;
}
