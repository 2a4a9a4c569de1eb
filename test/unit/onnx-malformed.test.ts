/**
 * Broken, hostile and unsupported ONNX files: each is a UserError that names the file (and the
 * node or op where there is one), never a crash, a hang or a huge allocation.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Writer } from 'protobufjs/minimal';
import { isUserError } from '../../src/core/errors';
import { loadModel } from '../../src/core/formats';
import { loadOnnx, looksLikeOnnx } from '../../src/core/formats/onnx';
import { corpusDir, projectRoot } from './helpers/onnx';
import { mulberry32 } from './helpers/random';

const FIXTURES = path.join(projectRoot, 'test/fixtures/onnx');
const fixture = (name: string) => path.join(FIXTURES, name);
const bytesOf = (file: string) => new Uint8Array(fs.readFileSync(file));

/** Asserts that loading throws a UserError whose message names the file and matches every pattern. */
function refuses(file: string, bytes: Uint8Array, ...patterns: RegExp[]): string {
  let err: unknown;
  try {
    loadOnnx(file, bytes);
  } catch (e) {
    err = e;
  }
  assert.ok(err !== undefined, `${path.basename(file)} loaded`);
  assert.ok(isUserError(err), `not a UserError: ${err instanceof Error ? err.stack : String(err)}`);
  const msg = (err as Error).message;
  assert.ok(msg.includes(file), `message does not name the file: ${msg}`);
  for (const p of patterns) assert.match(msg, p);
  return msg;
}

test('truncated at many offsets: a UserError naming the file', () => {
  const files = [fixture('norms.onnx'), fixture('concat.onnx'), fixture('typed_fields.onnx')];
  const dir = corpusDir();
  if (dir) files.push(path.join(dir, 'onnx-andreygermanov-mnist-lenet/mnist.onnx'));
  for (const f of files) {
    const b = bytesOf(f);
    const cuts = new Set([0, 1, 2, 3, 5, 9, 17, 40, 100, Math.floor(b.length / 3), Math.floor(b.length / 2), b.length - 40, b.length - 7, b.length - 1]);
    for (const n of cuts) if (n >= 0 && n < b.length) refuses(f, b.subarray(0, n));
  }
});

test('a truncated model is still recognised as ONNX, so the user hears what is wrong with it', () => {
  const b = bytesOf(fixture('norms.onnx'));
  assert.equal(looksLikeOnnx(b.subarray(0, Math.floor(b.length / 2))), true);
  refuses('/tmp/half.onnx', b.subarray(0, Math.floor(b.length / 2)), /truncated or corrupt/);
});

test('random bytes: never taken for ONNX; loading them is a UserError', () => {
  const rnd = mulberry32(11);
  for (let i = 0; i < 40; i++) {
    const n = 1 + Math.floor(rnd() * 4000);
    const b = Uint8Array.from({ length: n }, () => Math.floor(rnd() * 256));
    assert.equal(looksLikeOnnx(b), false);
    refuses('/tmp/random.onnx', b);
  }
});

test('other kinds of file are not ONNX', () => {
  const enc = new TextEncoder();
  for (const b of [new Uint8Array(0), enc.encode('{"modelTopology": {}}'), Uint8Array.of(0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0), enc.encode('PK\x03\x04rest'), enc.encode('\x08\x07hello world')]) {
    assert.equal(looksLikeOnnx(b), false);
  }
  for (const f of fs.readdirSync(FIXTURES).filter((x) => x.endsWith('.onnx'))) assert.equal(looksLikeOnnx(bytesOf(fixture(f))), true, f);
});

test('random corruption: every mutant loads or is a UserError, quickly', () => {
  const rnd = mulberry32(5);
  const start = Date.now();
  let loaded = 0;
  for (const name of ['norms.onnx', 'concat.onnx', 'shape_chain_opset13.onnx', 'activations.onnx', 'typed_fields.onnx']) {
    const orig = bytesOf(fixture(name));
    for (let i = 0; i < 300; i++) {
      const b = orig.slice();
      const flips = 1 + Math.floor(rnd() * 4);
      for (let k = 0; k < flips; k++) b[Math.floor(rnd() * b.length)] = Math.floor(rnd() * 256);
      try {
        loadOnnx('/tmp/mutant.onnx', b);
        loaded++;
      } catch (e) {
        assert.ok(isUserError(e), `${name} mutant ${i}: ${e instanceof Error ? e.stack : String(e)}`);
      }
    }
  }
  assert.ok(loaded > 0);
  assert.ok(Date.now() - start < 30000);
});

test('a cycle: a UserError naming the nodes on it', () => {
  refuses(fixture('cycle.onnx'), bytesOf(fixture('cycle.onnx')), /cycle/, /"first"/, /"second"/);
});

test('a dangling input: a UserError naming the node and the missing value', () => {
  refuses(fixture('dangling.onnx'), bytesOf(fixture('dangling.onnx')), /node "add"/, /"nowhere"/);
});

test('an unknown op: a UserError naming the op, the node and the file', () => {
  refuses(fixture('unknown_op.onnx'), bytesOf(fixture('unknown_op.onnx')), /FancyWarp/, /node "warp"/, /does not support/);
});

test('a free dimension other than the batch: a UserError', () => {
  refuses(fixture('dynamic_dims.onnx'), bytesOf(fixture('dynamic_dims.onnx')), /"C"/, /static shapes/);
});

test('external data outside the model folder, missing, or past the end of its file: a UserError', () => {
  refuses(fixture('external_secret/model.onnx'), bytesOf(fixture('external_secret/model.onnx')), /\.\.\/secret/, /outside the model's folder/);
  refuses(fixture('external_missing/model.onnx'), bytesOf(fixture('external_missing/model.onnx')), /nowhere\.bin/, /does not exist/);
  refuses(fixture('external/overrun.onnx'), bytesOf(fixture('external/overrun.onnx')), /weights\.bin/, /only 76 bytes/);
});

// Hand-built messages for what onnx.helper would refuse to write.
const field = (w: Writer, n: number, wire: number) => w.uint32((n << 3) | wire);
function str(w: Writer, n: number, s: string): Writer {
  return field(w, n, 2).string(s);
}
function sub(w: Writer, n: number, inner: Writer): Writer {
  return field(w, n, 2).bytes(inner.finish());
}
function valueInfo(name: string, dims: number[]): Writer {
  const shape = new Writer();
  for (const d of dims) sub(shape, 1, field(new Writer(), 1, 0).int64(d));
  const tt = field(new Writer(), 1, 0).int32(1);
  sub(tt, 2, shape);
  return sub(str(new Writer(), 1, name), 2, sub(new Writer(), 1, tt));
}
function model(graph: Writer, opset = 13): Uint8Array {
  const w = field(new Writer(), 1, 0).int64(8);
  str(w, 2, 'hostile');
  sub(w, 7, graph);
  sub(w, 8, field(new Writer(), 2, 0).int64(opset));
  return w.finish();
}
function reluGraph(extra: (g: Writer) => void): Writer {
  const g = new Writer();
  const node = str(str(str(str(new Writer(), 1, 'x'), 1, 'k'), 2, 'y'), 4, 'Add');
  sub(g, 1, node);
  extra(g);
  sub(g, 11, valueInfo('x', [-1, 4]));
  sub(g, 12, valueInfo('y', [-1, 4]));
  return g;
}

test('hostile sizes are refused before allocating', () => {
  // An initializer claiming 10^18 elements.
  const huge = reluGraph((g) => sub(g, 5, str(field(field(new Writer(), 1, 0).int64(1e9), 1, 0).int64(1e9).uint32(16).int32(1), 8, 'k')));
  refuses('/tmp/huge.onnx', model(huge), /impossible|elements/);
  // Claims 4 floats, holds 2.
  const short = reluGraph((g) => sub(g, 5, field(str(field(new Writer(), 1, 0).int64(4).uint32(16).int32(1), 8, 'k'), 9, 2).bytes(new Uint8Array(8))));
  refuses('/tmp/short.onnx', model(short), /has 8 bytes/);
  // A graph field whose length runs far past the end of the file.
  const w = field(new Writer(), 1, 0).int64(8);
  field(w, 7, 2).uint32(0x7fffffff);
  refuses('/tmp/long.onnx', w.finish(), /truncated or corrupt/);
  // A group wire type where a message belongs.
  const grp = field(new Writer(), 1, 0).int64(8);
  field(grp, 7, 3);
  refuses('/tmp/group.onnx', grp.finish());
});

test('a model whose opset is too old, or that has no graph, is refused clearly', () => {
  refuses('/tmp/old.onnx', model(reluGraph(() => undefined), 3), /opset 3/);
  refuses('/tmp/nograph.onnx', str(field(new Writer(), 1, 0).int64(8), 2, 'x').finish(), /no graph/);
});

test('loadModel on a broken ONNX file reports it against the file', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'linear-lens-onnx-'));
  const f = path.join(dir, 'broken.onnx');
  fs.writeFileSync(f, bytesOf(fixture('norms.onnx')).subarray(0, 300));
  await assert.rejects(loadModel(f), (e: unknown) => isUserError(e) && (e as Error).message.includes(f));
  fs.rmSync(dir, { recursive: true, force: true });
});
