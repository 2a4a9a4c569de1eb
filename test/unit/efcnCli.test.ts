import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ensureBuilt, ROOT } from '../support/build';
import { runCli, userErrorLine } from '../support/cli';

before(() => ensureBuilt());

const model = (name: string) => path.join(ROOT, 'examples/models', name, 'model.json');
const train = path.join(ROOT, 'examples/data/fashion-mnist/train-images-idx3-ubyte.gz');

test('efcn: exact equivalent, sparse layers, a model file that loads, relax training from zero deviation', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'll-efcn-'));
  try {
    const out = path.join(dir, 'r.json');
    const r = runCli(['efcn', model('cnn-seed1'), '--out', path.join(dir, 'efcn'), '--relax-steps', '3', '--data', train, '--samples', '300', '--lr', '0.005', '--json', out, '--png', dir]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /Equivalence residual/);
    const j = JSON.parse(fs.readFileSync(out, 'utf8'));
    assert.ok(j.residual.maxAbs < 1e-5, `residual ${j.residual.maxAbs}`);
    assert.equal(j.layers.length, 2);
    for (const l of j.layers) {
      assert.ok(l.sparsity > 0 && l.sparsity < 1, `${l.layer} sparsity ${l.sparsity}`);
      assert.ok(l.nnz > 0 && l.denseElements > l.nnz && l.denseBytes === 4 * l.denseElements);
    }
    assert.ok(j.relax.points.length >= 3);
    assert.equal(j.relax.points[0].step, 0);
    for (const l of j.relax.points[0].layers) assert.ok(l.offPattern === 0 && l.nonShared === 0);
    const last = j.relax.points[j.relax.points.length - 1];
    assert.equal(last.step, 3);
    assert.ok(Number.isFinite(last.trainLoss));
    for (const f of ['efcn-sparsity.png', 'efcn-deviation.png', 'efcn-loss.png']) assert.ok(fs.statSync(path.join(dir, f)).size > 1000, f);
    const info = runCli(['info', path.join(dir, 'efcn', 'model.json')]);
    assert.equal(info.status, 0, info.stderr);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('efcn: user errors are one line and exit 2', () => {
  assert.match(userErrorLine(runCli(['efcn', model('mlp-seed1')])), /no convolution layers/);
  assert.match(userErrorLine(runCli(['efcn', model('cnn-seed1'), '--relax-steps', '3'])), /--data/);
  assert.match(userErrorLine(runCli(['efcn', model('cnn-seed1'), '--lr', '-1'])), /--lr/);
});

test('efcn --out FOLDER/model.json; the eFCN of an NCHW ONNX model reads the same samples and gives the same logits', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'll-efcn-nchw-'));
  try {
    const onnx = path.join(ROOT, 'examples/models/cnn-seed1-onnx/model.onnx');
    const file = path.join(dir, 'e', 'model.json');
    const r = runCli(['efcn', onnx, '--out', file]);
    assert.equal(r.status, 0, r.stderr);
    assert.ok(fs.statSync(file).isFile(), 'model.json is a file, not a folder');
    const images = path.join(ROOT, 'examples/data/fashion-mnist/t10k-images-idx3-ubyte.gz');
    const outputs = [onnx, file].map((m, i) => {
      const json = path.join(dir, `i${i}.json`);
      const run = runCli(['interpret', m, '--data', images, '--index', '5', '--rows', 'none', '--svd', '0', '--json', json]);
      assert.equal(run.status, 0, run.stderr);
      return (JSON.parse(fs.readFileSync(json, 'utf8')) as { output: number[] }).output;
    });
    assert.equal(outputs[1].length, 10);
    const scale = Math.max(...outputs[0].map(Math.abs));
    for (let k = 0; k < 10; k++) assert.ok(Math.abs(outputs[1][k] - outputs[0][k]) <= 1e-4 * scale, `logit ${k}: ${outputs[1][k]} vs ${outputs[0][k]}`);
    assert.match(userErrorLine(runCli(['efcn', onnx, '--out', path.join(dir, 'efcn.json')])), /FOLDER\/model\.json/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
