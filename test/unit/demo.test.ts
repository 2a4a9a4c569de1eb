import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ensureBuilt } from '../support/build';
import { CliRun, runCli } from '../support/cli';

// The demo is what `npm start` runs; it is run once and its report checked by each test.
let out = '';
let run: CliRun;
before(() => {
  ensureBuilt();
  out = fs.mkdtempSync(path.join(os.tmpdir(), 'll-demo-'));
  run = runCli(['demo', '--out', out], {}, 600_000);
});
after(() => fs.rmSync(out, { recursive: true, force: true }));

test('the demo loads every example model through a forked compute host and writes the report', () => {
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stdout, /compute host: pid \d+, backend wasm/);
  const report = JSON.parse(fs.readFileSync(path.join(out, 'summary.json'), 'utf8'));
  const files = report.models.map((m: { file: string }) => m.file).sort();
  assert.deepEqual(files, [
    'examples/models/cnn-seed1-onnx/model.onnx',
    'examples/models/cnn-seed1/model.json',
    'examples/models/cnn-seed2/model.json',
    'examples/models/mlp-seed1-keras/model.h5',
    'examples/models/mlp-seed1/model.json',
    'examples/models/mlp-seed2/model.json',
  ]);
  const byName = new Map(report.models.map((m: { file: string; summary: { paramCount: number; format: string } }) => [path.basename(path.dirname(m.file)), m.summary]));
  assert.equal((byName.get('mlp-seed1') as { paramCount: number }).paramCount, 784 * 256 + 256 + 256 * 256 + 256 + 256 * 10 + 10);
  assert.equal((byName.get('cnn-seed1-onnx') as { format: string }).format, 'onnx');
  assert.equal((byName.get('mlp-seed1-keras') as { format: string }).format, 'keras-h5');
});

test('the demo runs the linear interpreter and writes its figures and data', () => {
  assert.equal(run.status, 0, run.stderr);
  for (const name of ['mlp-seed1', 'cnn-seed1']) {
    const dir = path.join(out, 'interpreter', name);
    for (const f of ['input.png', 'votes.png', 'contributions.png', 'logit-split.png', 'singular-vectors.png']) {
      const bytes = fs.readFileSync(path.join(dir, f));
      assert.deepEqual([...bytes.subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47], `${name}/${f} is a PNG`);
    }
    const res = JSON.parse(fs.readFileSync(path.join(dir, 'result.json'), 'utf8'));
    assert.ok(res.residual < 1e-5, `${name}: residual ${res.residual}`);
    assert.equal(res.rows.length, 10);
    assert.equal(res.label, 9, 'the first Fashion-MNIST test image is an ankle boot (9)');
  }
});

test('the demo runs linear mode connectivity and LLFC of the example MLPs', () => {
  assert.equal(run.status, 0, run.stderr);
  const dir = path.join(out, 'connectivity');
  for (const f of ['lmc-loss.png', 'lmc-accuracy.png', 'lmc-layerwise.png', 'llfc-distance.png', 'llfc-scale.png']) assert.ok(fs.statSync(path.join(dir, f)).size > 1000, f);
  const lmc = JSON.parse(fs.readFileSync(path.join(dir, 'lmc.json'), 'utf8'));
  assert.deepEqual(lmc.curves.map((c: { label: string }) => c.label), ['naive', 'weight matching', 'weight matching + REPAIR']);
  assert.ok(lmc.curves[0].barrier.loss > 5 * lmc.curves[1].barrier.loss);
});

test('the demo computes the NADs and the eFCN of the example CNN', () => {
  assert.equal(run.status, 0, run.stderr);
  for (const f of ['nad/nads.png', 'nad/nad-spectra.png', 'nad/nad-eigenvalues.png', 'efcn/efcn-sparsity.png', 'efcn/efcn-deviation.png', 'efcn/efcn-loss.png']) assert.ok(fs.statSync(path.join(out, f)).size > 1000, f);
  const nad = JSON.parse(fs.readFileSync(path.join(out, 'nad', 'nad.json'), 'utf8'));
  assert.equal(nad.networks, 200);
  assert.equal(nad.nads.length, 8);
  assert.equal(nad.fourierEnergy.length, 8);
  const efcn = JSON.parse(fs.readFileSync(path.join(out, 'efcn', 'efcn.json'), 'utf8'));
  assert.ok(efcn.residual.maxAbs < 1e-5);
  assert.equal(efcn.relax.points.length, 21);
  const report = JSON.parse(fs.readFileSync(path.join(out, 'summary.json'), 'utf8'));
  assert.ok(report.analyses.nad && report.analyses.efcn);
  assert.ok(report.analyses.efcn.layers.every((l: { sparsity: number }) => l.sparsity > 0 && l.sparsity < 1));
});
