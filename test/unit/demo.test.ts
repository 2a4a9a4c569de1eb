import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ensureBuilt } from '../support/build';
import { runCli } from '../support/cli';

before(() => ensureBuilt());

test('the demo (npm start) loads every example model through a forked compute host and writes the report', () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'll-demo-'));
  try {
    const r = runCli(['demo', '--out', out]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /compute host: pid \d+, backend wasm/);
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
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
});

test('the demo runs the linear interpreter and writes its figures and data', () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'll-demo-'));
  try {
    const r = runCli(['demo', '--out', out]);
    assert.equal(r.status, 0, r.stderr);
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
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
});
