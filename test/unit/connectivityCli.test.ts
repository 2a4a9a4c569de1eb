import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ensureBuilt, ROOT } from '../support/build';
import { runCli, userErrorLine } from '../support/cli';

before(() => ensureBuilt());

const data = path.join(ROOT, 'examples/data/fashion-mnist/t10k-images-idx3-ubyte.gz');
const model = (name: string) => path.join(ROOT, 'examples/models', name, 'model.json');

function json(args: string[]): Record<string, unknown> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'll-conn-'));
  try {
    const out = path.join(dir, 'r.json');
    const r = runCli([...args, '--json', out]);
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(fs.readFileSync(out, 'utf8'));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test('lmc: barrier(A, A) = 0 in every form, and the JSON has the documented fields', () => {
  const r = json(['lmc', model('mlp-seed1'), model('mlp-seed1'), '--data', data, '--samples', '300', '--points', '5']) as {
    alpha: number[]; loss: number[]; accuracy: number[]; barrier: Record<string, number>; permutations: unknown[]; layerwise: unknown[];
  };
  assert.deepEqual(r.alpha, [0, 0.25, 0.5, 0.75, 1]);
  assert.equal(r.loss.length, 5);
  for (const k of ['loss', 'lossLinear', 'accuracy', 'accuracyLinear']) assert.ok(Math.abs(r.barrier[k]) < 1e-5, `${k} = ${r.barrier[k]}`);
  assert.deepEqual(r.permutations, []);
  assert.deepEqual(r.layerwise, []);
});

test('lmc: weight matching lowers the example MLPs\' loss barrier at least five-fold', () => {
  const naive = json(['lmc', model('mlp-seed1'), model('mlp-seed2'), '--data', data, '--samples', '1000', '--points', '9']) as { barrier: { loss: number } };
  const aligned = json(['lmc', model('mlp-seed1'), model('mlp-seed2'), '--data', data, '--samples', '1000', '--points', '9', '--align', 'weights', '--layerwise']) as {
    barrier: { loss: number }; permutations: { group: string; size: number; perm: number[] }[]; layerwise: { layer: string; barrier: number }[];
  };
  assert.ok(naive.barrier.loss > 5 * aligned.barrier.loss, `naive ${naive.barrier.loss} vs aligned ${aligned.barrier.loss}`);
  assert.equal(aligned.permutations.length, 2, 'two hidden layers, two permutations');
  for (const p of aligned.permutations) assert.deepEqual([...p.perm].sort((x, y) => x - y), Array.from({ length: p.size }, (_, i) => i), `${p.group} is a permutation`);
  assert.deepEqual(aligned.layerwise.map((l) => l.layer), ['dense1', 'dense2', 'logits']);
});

test('llfc: distance 0 at α = 0 and 1, and at the first affine layer for every α', () => {
  const r = json(['llfc', model('cnn-seed1'), model('cnn-seed2'), '--data', data, '--samples', '200', '--alphas', '0,0.5,1']) as {
    layers: { layer: string; stage: string; alpha: number; cosineDistance: { mean: number; std: number }; scale: number; baseline: number }[];
  };
  for (const row of r.layers) {
    if (row.alpha === 0 || row.alpha === 1) assert.ok(row.cosineDistance.mean < 1e-5, `${row.layer} at α=${row.alpha}: ${row.cosineDistance.mean}`);
  }
  const first = r.layers.filter((x) => x.layer === 'conv1' && x.stage === 'pre');
  assert.equal(first.length, 3);
  for (const row of first) {
    assert.ok(row.cosineDistance.mean < 1e-5);
    assert.ok(Math.abs(row.scale - 1) < 1e-4);
  }
  assert.ok(r.layers.some((x) => x.baseline > 0.05), 'the two networks differ');
});

test('lmc and llfc: user errors are one line and exit 2', () => {
  assert.match(userErrorLine(runCli(['lmc', model('mlp-seed1'), model('cnn-seed1'), '--data', data])), /architecture|differ/i);
  assert.match(userErrorLine(runCli(['lmc', model('mlp-seed1'), model('mlp-seed2')])), /--data FILE is required/);
  assert.match(userErrorLine(runCli(['llfc', model('mlp-seed1'), model('mlp-seed2'), '--data', data, '--alphas', '0,2'])), /--alphas/);
});
