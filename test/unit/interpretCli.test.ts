import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PNG } from 'pngjs';
import { ensureBuilt, ROOT } from '../support/build';
import { runCli, userErrorLine } from '../support/cli';

before(() => ensureBuilt());

const data = path.join(ROOT, 'examples/data/fashion-mnist/t10k-images-idx3-ubyte.gz');
const model = (name: string, file = 'model.json') => path.join(ROOT, 'examples/models', name, file);

function interpretJson(args: string[]): { json: Record<string, unknown> & { residual: number; rows: { output: number; values: number[] }[]; x0: number[]; bias: number[]; linear: number[]; output: number[] } } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'll-int-'));
  try {
    const out = path.join(dir, 'r.json');
    const r = runCli(['interpret', ...args, '--json', out]);
    assert.equal(r.status, 0, r.stderr);
    return { json: JSON.parse(fs.readFileSync(out, 'utf8')) };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test('interpret: exact on the example CNN, rows · x0 + b reproduces the logits', () => {
  const { json } = interpretJson([model('cnn-seed1'), '--data', data, '--index', '5']);
  assert.ok(json.residual < 1e-5, `residual ${json.residual}`);
  assert.equal(json.rows.length, 10);
  for (const row of json.rows) {
    const lin = row.values.reduce((s, a, j) => s + a * json.x0[j], 0);
    assert.ok(Math.abs(lin + json.bias[row.output] - json.output[row.output]) < 1e-3 * (1 + Math.abs(json.output[row.output])));
  }
});

test('interpret: the ONNX copy (NCHW) gives the same logits and, transposed, the same rows as the TF.js original', () => {
  const a = interpretJson([model('cnn-seed1'), '--data', data, '--index', '2']).json;
  const b = interpretJson([model('cnn-seed1-onnx', 'model.onnx'), '--data', data, '--index', '2']).json;
  assert.deepEqual(b.inputShape, [1, 28, 28]);
  for (let k = 0; k < 10; k++) assert.ok(Math.abs(a.output[k] - b.output[k]) < 1e-4 * (1 + Math.abs(a.output[k])));
  // one channel: NCHW and NHWC flatten identically
  for (let k = 0; k < 10; k++) {
    const d = a.rows[k].values.reduce((m, v, j) => Math.max(m, Math.abs(v - b.rows[k].values[j])), 0);
    assert.ok(d < 1e-4, `row ${k} differs by ${d}`);
  }
});

test('interpret: --columns, --svd, --smooth tangent and --png', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'll-int-'));
  try {
    const out = path.join(dir, 'r.json');
    const r = runCli(['interpret', model('mlp-seed1'), '--data', data, '--columns', '0,400', '--svd', '3', '--smooth', 'tangent', '--rows', '0,9', '--json', out, '--png', dir]);
    assert.equal(r.status, 0, r.stderr);
    const j = JSON.parse(fs.readFileSync(out, 'utf8'));
    assert.equal(j.columns.length, 2);
    assert.equal(j.columns[0].values.length, 10);
    assert.deepEqual(j.rows.map((x: { output: number }) => x.output), [0, 9]);
    assert.equal(j.singularValues.length, 3);
    assert.ok(j.singularValues[0] >= j.singularValues[1] && j.singularValues[1] >= j.singularValues[2]);
    // column j of A = the j-th entries of the rows
    assert.ok(Math.abs(j.columns[1].values[9] - j.rows[1].values[400]) < 1e-5);
    const png = PNG.sync.read(fs.readFileSync(path.join(dir, 'votes.png')));
    assert.ok(png.width > 100 && png.height > 100);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('interpret: one PNG as the input', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'll-int-'));
  try {
    const img = new PNG({ width: 32, height: 32 });
    for (let i = 0; i < 32 * 32; i++) img.data.set([i % 256, (i * 7) % 256, 90, 255], i * 4);
    const file = path.join(dir, 'in.png');
    fs.writeFileSync(file, PNG.sync.write(img));
    const out = path.join(dir, 'r.json');
    const r = runCli(['interpret', model('cnn-seed2'), '--input', file, '--json', out]);
    assert.equal(r.status, 0, r.stderr);
    const j = JSON.parse(fs.readFileSync(out, 'utf8'));
    assert.equal(j.x0.length, 28 * 28, 'resampled to the model input and made gray');
    assert.ok(j.residual < 1e-5);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('interpret: user errors are one line and exit 2', () => {
  assert.match(userErrorLine(runCli(['interpret', model('cnn-seed1')])), /--data FILE or --input IMAGE/);
  assert.match(userErrorLine(runCli(['interpret', model('cnn-seed1'), '--data', data, '--index', '99999'])), /no sample 99999/);
  assert.match(userErrorLine(runCli(['interpret', model('cnn-seed1'), '--data', data, '--rows', '12'])), /output 12 does not exist/);
  assert.match(userErrorLine(runCli(['interpret', model('cnn-seed1'), '--data', data, '--svd', '40'])), /--svd/);
});
