import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ensureBuilt, ROOT } from '../support/build';
import { runCli, userErrorLine } from '../support/cli';

before(() => ensureBuilt());

const model = (name: string) => path.join(ROOT, 'examples/models', name, 'model.json');

test('nad: eigenvalues descending, NADs unit-norm and orthogonal, Fourier energy and figures', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'll-nad-'));
  try {
    const out = path.join(dir, 'r.json');
    const r = runCli(['nad', model('cnn-seed1'), '--networks', '30', '--top', '5', '--json', out, '--png', dir]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /Networks: 30 \(keras init/);
    const j = JSON.parse(fs.readFileSync(out, 'utf8'));
    assert.ok(j.eigenvalues.length >= 5);
    for (let i = 1; i < j.eigenvalues.length; i++) assert.ok(j.eigenvalues[i] <= j.eigenvalues[i - 1] * (1 + 1e-9), `eigenvalue ${i}`);
    assert.equal(j.nads.length, 5);
    const dot = (a: number[], b: number[]) => a.reduce((s, v, k) => s + v * b[k], 0);
    for (let a = 0; a < 5; a++) {
      assert.equal(j.nads[a].length, 784);
      assert.ok(Math.abs(dot(j.nads[a], j.nads[a]) - 1) < 1e-4, `NAD ${a} norm`);
      for (let b = a + 1; b < 5; b++) assert.ok(Math.abs(dot(j.nads[a], j.nads[b])) < 1e-3, `NADs ${a}, ${b}`);
    }
    assert.equal(j.fourierEnergy.length, 5);
    for (const e of j.fourierEnergy) {
      for (const k of ['dc', 'mod2', 'mod4']) assert.ok(e[k] >= 0 && e[k] <= 1 + 1e-9, k);
      assert.ok(Array.isArray(e.rings) && typeof e.peak.fu === 'number');
    }
    for (const f of ['nads.png', 'nad-spectra.png', 'nad-eigenvalues.png']) assert.ok(fs.statSync(path.join(dir, f)).size > 1000, f);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('nad-map: a 2×2 grid trains, reports its directions and resumes from the cache', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'll-nadmap-'));
  try {
    const out = path.join(dir, 'r.json');
    const cache = path.join(dir, 'cache.json');
    const args = ['nad-map', model('cnn-seed1'), '--grid', '2', '--samples', '64', '--epochs', '1', '--cache', cache, '--json', out];
    const r = runCli([...args, '--png', dir]);
    assert.equal(r.status, 0, r.stderr);
    const j = JSON.parse(fs.readFileSync(out, 'utf8'));
    assert.ok(j.directions.length >= 2 && j.directions.length <= 4);
    assert.equal(j.accuracy.length, j.directions.length);
    for (const a of j.accuracy) assert.ok(a >= 0 && a <= 1);
    assert.ok(fs.statSync(path.join(dir, 'nad-map.png')).size > 500);
    const again = runCli(args);
    assert.equal(again.status, 0, again.stderr);
    const k = JSON.parse(fs.readFileSync(out, 'utf8'));
    assert.equal(k.cached, k.directions.length, 'the second run takes every direction from the cache');
    assert.deepEqual(k.accuracy, j.accuracy);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('nad: user errors are one line and exit 2', () => {
  assert.match(userErrorLine(runCli(['nad', model('cnn-seed1'), '--networks', '0'])), /--networks/);
  assert.match(userErrorLine(runCli(['nad', model('cnn-seed1'), '--init', 'lecun'])), /init/);
  assert.match(userErrorLine(runCli(['nad-map', model('cnn-seed1'), '--grid', '99'])), /grid/i);
});
