import { createHash } from 'node:crypto';
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/core/tf/backend';
import { GraphBuilder } from '../../src/core/graph/builder';
import { Graph, OpSpec, Padding, sizeOf } from '../../src/core/graph/ir';
import { interpret, LinearInterpreter } from '../../src/core/analyses/interpreter';
import { Gate, makeGate } from '../../src/core/analyses/interpreter/gates';
import { wasmAvailable, wasmKernels } from '../../src/core/analyses/interpreter/loops';
import { LOOPS_WASM_BASE64, LOOPS_WASM_SOURCES } from '../../src/core/analyses/interpreter/loopsBinary';
import { loadModel } from '../../src/core/formats';
import { openForModel } from '../../src/core/data/forModel';
import { mulberry32, randn, maxRelDiff } from './helpers/random';
import { randomCnn } from './helpers/graphs';

/**
 * The hand-written backward pass (vjp.ts) against the tf.grad route it replaces: the same A and
 * b to float32 rounding, on graphs that exercise each of its routes (the WebAssembly scatters,
 * the JS loops, the tfjs convs), and the tf.grad route kept for graphs it does not cover.
 */

before(async () => {
  await initBackend({ preference: 'wasm' });
});

type Layer =
  | { conv: number; k?: number; stride?: number; padding?: Padding; dilation?: number; bias?: boolean }
  | { pool: number; stride?: number; padding?: Padding }
  | { dense: number }
  | { unit: OpSpec }
  | 'relu'
  | 'flatten'
  | 'flattenNchw'
  | 'bn'
  | 'residual'
  | 'globalMax'
  | 'avg';

/** A chain of layers on a [h, w, c] input, then logits and a softmax; weights seeded. */
function chain(seed: number, input: [number, number, number], layers: Layer[]): Graph {
  const rnd = mulberry32(seed);
  const b = new GraphBuilder(`/mem/vjp${seed}.json`, 'tfjs-layers', { framework: 'unknown', name: 'test' }, `vjp${seed}`);
  let x = b.input('x', [null, ...input], 'nhwc', input);
  let k = 0;
  const param = (role: 'kernel' | 'bias' | 'gamma' | 'beta' | 'movingMean' | 'movingVariance', shape: number[], scale = 0.5, positive = false) =>
    b.param(`p${k++}`, role, shape, Float32Array.from(randn(rnd, sizeOf(shape)), (v) => (positive ? 0.5 + Math.abs(v) : v * scale)));
  layers.forEach((l, i) => {
    const shape = b.shapeOf(x);
    const c = shape[shape.length - 1];
    if (l === 'relu') x = b.node(`relu${i}`, { op: 'relu' }, [x]);
    else if (l === 'flatten') x = b.node(`flat${i}`, { op: 'flatten', order: 'nhwc' }, [x]);
    else if (l === 'flattenNchw') x = b.node(`flat${i}`, { op: 'flatten', order: 'nchw' }, [x]);
    else if (l === 'bn') x = b.node(`bn${i}`, { op: 'batchNorm', epsilon: 1e-3 }, [x], { gamma: param('gamma', [c], 1, true), beta: param('beta', [c]), movingMean: param('movingMean', [c]), movingVariance: param('movingVariance', [c], 1, true) });
    else if (l === 'residual') {
      const br = b.node(`rconv${i}`, { op: 'conv2d', strides: [1, 1], padding: 'same', dilations: [1, 1], groups: 1 }, [x], { kernel: param('kernel', [3, 3, c, c]), bias: param('bias', [c]) });
      x = b.node(`add${i}`, { op: 'add' }, [x, b.node(`rrelu${i}`, { op: 'relu' }, [br])]);
    } else if (l === 'globalMax') x = b.node(`gmax${i}`, { op: 'globalMaxPool', keepDims: false }, [x]);
    else if (l === 'avg') x = b.node(`avg${i}`, { op: 'avgPool', poolSize: [2, 2], strides: [2, 2], padding: 'valid', countIncludePad: false }, [x]);
    else if ('unit' in l) x = b.node(`unit${i}`, l.unit, [x]);
    else if ('conv' in l) {
      const kk = l.k ?? 3;
      const s = l.stride ?? 1;
      const d = l.dilation ?? 1;
      x = b.node(`conv${i}`, { op: 'conv2d', strides: [s, s], padding: l.padding ?? 'same', dilations: [d, d], groups: 1 }, [x], {
        kernel: param('kernel', [kk, kk, c, l.conv]),
        ...(l.bias === false ? {} : { bias: param('bias', [l.conv]) }),
      });
    } else if ('pool' in l) x = b.node(`pool${i}`, { op: 'maxPool', poolSize: [l.pool, l.pool], strides: [l.stride ?? l.pool, l.stride ?? l.pool], padding: l.padding ?? 'valid' }, [x]);
    else if ('dense' in l) x = b.node(`dense${i}`, { op: 'dense' }, [x], { kernel: param('kernel', [c, l.dense], 0.3), bias: param('bias', [l.dense]) });
  });
  const n = b.shapeOf(x)[b.shapeOf(x).length - 1];
  const logits = b.node('logits', { op: 'dense' }, [x], { kernel: param('kernel', [n, 6], 0.3), bias: param('bias', [6]) });
  b.output(b.node('probs', { op: 'softmax', axis: -1 }, [logits]), 'probs', [null, 6], 'flat');
  return b.build();
}

function inputOf(g: Graph, seed: number): Float32Array {
  return Float32Array.from(randn(mulberry32(seed), sizeOf(g.nodes[0].shape)));
}

/** A (all rows) and b from one interpreter, and whether it took the hand-written pass. */
async function rowsAndBias(g: Graph, x0: Float32Array, handWritten: boolean): Promise<{ a: Float32Array[]; b: Float32Array; fast: boolean; forward: boolean; output: Float32Array; residual: number }> {
  const tensors = tf.memory().numTensors;
  const li = new LinearInterpreter(g, 'secant', { handWritten });
  try {
    const { output } = li.setInput(x0);
    const fast = li.usesHandWrittenVjp();
    const forward = li.usesHandWrittenForward();
    const a = await li.rows(Array.from({ length: li.m }, (_, i) => i), 5); // batches of 5 and 1: odd, for the kernels' lone-row paths
    const b = li.bias().dataSync().slice() as Float32Array;
    let r = 0;
    let n = 0;
    for (let k = 0; k < li.m; k++) {
      let s = b[k];
      for (let j = 0; j < li.n; j++) s += a[k][j] * x0[j];
      r += (s - output[k]) ** 2;
      n += output[k] ** 2;
    }
    return { a, b, fast, forward, output, residual: Math.sqrt(r / n) };
  } finally {
    li.dispose();
    assert.equal(tf.memory().numTensors, tensors, 'tensors leaked');
  }
}

/**
 * The hand-written passes (with and without the WebAssembly kernels) against the executor and
 * tf.grad on `g`; expectForward: whether stream 0 goes through forward.ts (with the kernels).
 */
async function agrees(g: Graph, x0: Float32Array, label: string, expectFast = true, expectForward?: boolean): Promise<void> {
  const ref = await rowsAndBias(g, x0, false);
  assert.equal(ref.fast, false);
  assert.equal(ref.forward, false);
  for (const wasm of wasmAvailable() ? [true, false] : [false]) {
    wasmKernels.on = wasm;
    try {
      const got = await rowsAndBias(g, x0, true);
      assert.equal(got.fast, expectFast, `${label}: hand-written pass ${expectFast ? 'not taken' : 'taken'}`);
      if (expectForward !== undefined) assert.equal(got.forward, expectForward && wasm, `${label} (wasm ${wasm}): forward.ts ${got.forward ? 'taken' : 'not taken'}`);
      const dout = maxRelDiff(got.output, ref.output);
      assert.ok(dout < 1e-5, `${label} (wasm ${wasm}): F(x0) differs from the executor's by ${dout}`);
      got.a.forEach((row, k) => {
        const d = maxRelDiff(row, ref.a[k]);
        assert.ok(d < 2e-5, `${label} (wasm ${wasm}) row ${k}: differs from tf.grad by ${d}`);
      });
      const db = maxRelDiff(got.b, ref.b);
      assert.ok(db < 2e-5, `${label} (wasm ${wasm}): b differs from tf.grad's by ${db} (${got.b} vs ${ref.b})`);
      assert.ok(got.residual < 1e-5, `${label} (wasm ${wasm}): residual ${got.residual}`);
    } finally {
      wasmKernels.on = true;
    }
  }
}

test('one-channel conv, ReLU folded into a 2×2 max-pool, then a 4-channel conv: same A and b as tf.grad', async () => {
  for (const seed of [1, 2, 3]) {
    const g = chain(seed, [12, 12, 1], [{ conv: 8 }, 'relu', { pool: 2 }, { conv: 8 }, 'relu', { pool: 2 }, 'flatten']);
    await agrees(g, inputOf(g, seed), `seed ${seed}`, true, true);
  }
});

test('padding valid and same, strides, odd sizes (pool pads and crops), dilation, no bias', async () => {
  const cases: [string, [number, number, number], Layer[]][] = [
    ['valid 1ch + crop', [11, 11, 1], [{ conv: 4, padding: 'valid' }, 'relu', { pool: 2 }, 'flatten']],
    ['stride 2 1ch', [12, 12, 1], [{ conv: 4, stride: 2 }, 'relu', { pool: 2, padding: 'same' }, 'flatten']],
    ['same pool on an odd size', [10, 10, 1], [{ conv: 4, padding: 'valid' }, 'relu', { pool: 2, padding: 'same' }, 'flatten']],
    ['same pool on odd size', [9, 9, 2], [{ conv: 4 }, 'relu', { pool: 2, padding: 'same' }, { conv: 4, padding: 'valid' }, 'relu', 'flatten']],
    ['stride 2 4ch', [12, 12, 4], [{ conv: 8, stride: 2 }, 'relu', { pool: 2 }, { conv: 4, stride: 2, padding: 'valid' }, 'flatten']],
    ['5×5 kernel, 3 channels', [10, 10, 3], [{ conv: 4, k: 5 }, 'relu', { pool: 2 }, 'flatten']],
    ['dilated 1ch', [12, 12, 1], [{ conv: 4, dilation: 2 }, 'relu', { pool: 2 }, 'flatten']],

    ['no bias, 1×1 kernel', [8, 8, 4], [{ conv: 4, k: 1, bias: false }, 'relu', { pool: 2 }, { conv: 8, k: 1, bias: false }, 'flatten']],
    ['conv straight into dense', [8, 8, 1], [{ conv: 4 }, 'flatten']],
  ];
  for (const [i, [label, input, layers]] of cases.entries()) {
    const g = chain(10 + i, input, layers);
    await agrees(g, inputOf(g, 10 + i), label);
  }
  // several input channels and a dilation: tfjs's transposed conv takes no dilation, so tf.grad
  const g = chain(19, [12, 12, 4], [{ conv: 4, dilation: 2, padding: 'valid' }, 'relu', { pool: 2 }, 'flatten']);
  await agrees(g, inputOf(g, 19), 'dilated 4ch', false);
});

test('overlapping and global max-pools, batch-norm, leaky ReLU, a residual add, nchw flatten, a big dense layer', async () => {
  const cases: [string, [number, number, number], Layer[]][] = [
    ['3×3/2 overlapping pool', [9, 9, 2], [{ conv: 4 }, 'relu', { pool: 3, stride: 2, padding: 'same' }, 'flatten']],
    ['3×3/1 pool valid', [8, 8, 1], [{ conv: 4 }, { pool: 3, stride: 1 }, 'relu', 'flatten']],
    ['batch-norm, leaky ReLU', [8, 8, 4], [{ conv: 8 }, 'bn', { unit: { op: 'leakyRelu', alpha: 0.2 } }, { pool: 2 }, 'flattenNchw']],
    ['ReLU6 (an offset in the bias path)', [8, 8, 1], [{ conv: 4 }, { unit: { op: 'clip', min: 0, max: 0.5 } }, { pool: 2 }, 'flatten']],
    ['residual add', [8, 8, 4], [{ conv: 4 }, 'relu', 'residual', { pool: 2 }, 'flatten']],
    ['global max-pool', [8, 8, 2], [{ conv: 4 }, 'relu', 'globalMax']],
    ['ReLU read twice is not folded', [8, 8, 4], [{ conv: 4 }, 'relu', 'residual', 'flatten']],
    ['big dense (tfjs matMul)', [20, 20, 3], ['flatten', { dense: 1000 }, 'relu', { dense: 700 }, 'relu']],
    ['conv, batch-norm, ReLU, pool: dy stays pooled through the batch-norm (1 channel)', [12, 12, 1], [{ conv: 4 }, 'bn', 'relu', { pool: 2 }, { conv: 8 }, 'bn', 'relu', { pool: 2 }, 'flatten']],
    ['leaky ReLU under a pool, then a 4-channel conv', [8, 8, 4], [{ conv: 4 }, { unit: { op: 'leakyRelu', alpha: 0.1 } }, { pool: 2 }, 'flatten']],
  ];
  for (const [i, [label, input, layers]] of cases.entries()) {
    const g = chain(30 + i, input, layers);
    await agrees(g, inputOf(g, 30 + i), label);
  }
});

test('graphs the hand-written pass does not cover keep tf.grad, with the same results', async () => {
  const cases: [string, [number, number, number], Layer[]][] = [
    ['average pool (not covered)', [8, 8, 2], [{ conv: 4 }, 'relu', 'avg', 'flatten']],
    ['sigmoid (smooth unit, secant)', [6, 6, 1], [{ conv: 2 }, { unit: { op: 'sigmoid' } }, 'flatten']],
  ];
  for (const [i, [label, input, layers]] of cases.entries()) {
    const g = chain(50 + i, input, layers);
    // a sigmoid's gate is elementwise with an offset (½ on the bias path): covered
    await agrees(g, inputOf(g, 50 + i), label, label.startsWith('sigmoid'));
  }
  // a depthwise conv and a layer norm: not covered
  for (const seed of [60, 61, 62, 63, 64, 65, 66, 67]) {
    const g = randomCnn(seed, [{ op: 'relu' }], { norms: true });
    const ops = new Set(g.nodes.map((n) => n.op.op));
    const covered = !['depthwiseConv2d', 'avgPool', 'layerNorm', 'instanceNorm', 'concat'].some((o) => ops.has(o as OpSpec['op']));
    const x0 = inputOf(g, seed);
    const ref = await rowsAndBias(g, x0, false);
    const got = await rowsAndBias(g, x0, true);
    assert.equal(got.fast, covered, `seed ${seed} (${[...ops].join(', ')})`);
    got.a.forEach((row, k) => assert.ok(maxRelDiff(row, ref.a[k]) < 2e-5, `seed ${seed} row ${k}`));
    assert.ok(maxRelDiff(got.b, ref.b) < 2e-5, `seed ${seed} b`);
  }
});

test('stream 0 without tfjs (forward.ts): ReLU gates in the conv part and the dense head, strides, explicit pads, a dense-only net', async () => {
  const cases: [string, [number, number, number], Layer[], boolean][] = [
    ['ReLU read by a conv, ReLU in the head', [10, 10, 1], [{ conv: 4 }, 'relu', { conv: 4 }, 'relu', { pool: 2 }, 'flatten', { dense: 12 }, 'relu'], true],
    ['stride 2, valid, 3 channels', [13, 13, 3], [{ conv: 8, stride: 2, padding: 'valid' }, 'relu', { pool: 2 }, 'flatten'], true],
    ['explicit uneven pads', [9, 9, 2], [{ conv: 4, padding: { top: 1, bottom: 0, left: 0, right: 1 } }, 'relu', { pool: 2 }, 'flatten'], true],
    ['5 output channels (not a multiple of 4)', [8, 8, 1], [{ conv: 5 }, 'relu', { pool: 2 }, { conv: 7, k: 1 }, 'flatten'], true],
    ['dense only', [6, 6, 1], ['flatten', { dense: 20 }, 'relu', { dense: 9 }, 'relu'], true],
    ['a pool of 3: not covered', [9, 9, 1], [{ conv: 4 }, 'relu', { pool: 3 }, 'flatten'], false],
    ['batch-norm: not covered', [8, 8, 1], [{ conv: 4 }, 'bn', 'relu', { pool: 2 }, 'flatten'], false],
  ];
  for (const [i, [label, input, layers, forward]] of cases.entries()) {
    const g = chain(110 + i, input, layers);
    await agrees(g, inputOf(g, 110 + i), label, true, forward);
  }
});

test('the WebAssembly 2×2 switch mask equals the JS one: ties, zeros, negative values, a folded ReLU', async () => {
  const g = chain(90, [6, 8, 8], [{ pool: 2 }, 'flatten']);
  const pool = g.nodes.find((n) => n.op.op === 'maxPool')!;
  const rnd = mulberry32(91);
  // values in {−1, 0, 1}, so that many windows tie (two, three or four cells), at 0 too
  const z = tf.tensor4d(Float32Array.from({ length: 6 * 8 * 8 }, () => Math.round(rnd() * 2 - 1)), [1, 6, 8, 8]);
  for (const fold of [false, true]) {
    const gates = [true, false].map((on) => {
      wasmKernels.on = on;
      try {
        return makeGate(g, pool, [z], () => undefined, 'secant', fold);
      } finally {
        wasmKernels.on = true;
      }
    });
    const [a, b] = gates.map((x) => x as Extract<Gate, { kind: 'maxPoolTiled' }>);
    assert.equal(a.kind, 'maxPoolTiled');
    assert.deepEqual([...a.data], [...b.data], `fold ${fold}: masks differ`);
    for (const share of [0.5, Math.fround(1 / 3), 0.25]) assert.ok(a.data.some((v) => v === share), `fold ${fold}: no tie with share ${share}`);
    for (const key of ['cell', 'start', 'src', 'share', 'ch'] as const) assert.deepEqual([...a.entries[key]], [...b.entries[key]], `fold ${fold}: entries.${key}`);
    assert.equal(a.entries.cells, b.entries.cells);
    for (const x of gates) if (x.kind === 'maxPoolTiled') x.tensors.dispose();
  }
  z.dispose();
});

test('random piecewise-linear CNNs: the same A and b either way', async () => {
  const units: OpSpec[] = [{ op: 'relu' }, { op: 'leakyRelu', alpha: 0.2 }, { op: 'clip', min: 0, max: 6 }];
  let fast = 0;
  for (let seed = 1; seed <= 12; seed++) {
    const g = randomCnn(seed, units, { channels: seed % 2 ? 1 : 4 });
    const x0 = inputOf(g, 100 + seed);
    const ref = await rowsAndBias(g, x0, false);
    const got = await rowsAndBias(g, x0, true);
    if (got.fast) fast++;
    got.a.forEach((row, k) => assert.ok(maxRelDiff(row, ref.a[k]) < 2e-5, `seed ${seed} row ${k}: ${maxRelDiff(row, ref.a[k])}`));
    assert.ok(maxRelDiff(got.b, ref.b) < 2e-5, `seed ${seed} b: ${maxRelDiff(got.b, ref.b)}`);
  }
  assert.ok(fast >= 3, `the hand-written pass covered only ${fast} of 12`);
});

test('Aᵀ·U for any U (not only rows of the identity) and ties in a max-pool window', async () => {
  // a constant input region gives exactly equal conv outputs, so 2×2 windows tie
  const g = chain(70, [8, 8, 1], [{ conv: 4 }, 'relu', { pool: 2 }, { conv: 4 }, 'relu', { pool: 2 }, 'flatten']);
  const x0 = new Float32Array(64);
  for (let i = 0; i < 32; i++) x0[i] = Math.sin(i);
  await agrees(g, x0, 'ties');
  const slow = new LinearInterpreter(g, 'secant', { handWritten: false });
  const fast = new LinearInterpreter(g);
  slow.setInput(x0);
  fast.setInput(x0);
  const u = tf.tensor2d(randn(mulberry32(71), 3 * 6), [3, 6]);
  const [a, b] = [slow.transposeTimes(u), fast.transposeTimes(u)];
  assert.ok(fast.usesHandWrittenVjp());
  assert.ok(maxRelDiff(b.dataSync(), a.dataSync()) < 2e-5);
  tf.dispose([u, a, b]);
  slow.dispose();
  fast.dispose();
});

test('cnn-seed1 at a test image: interpret() takes the hand-written pass, same A and b as tf.grad, no tensors leak', async () => {
  const g = await loadModel(path.resolve('examples/models/cnn-seed1/model.json'));
  const ds = await openForModel(g, { path: path.resolve('examples/data/fashion-mnist/t10k-images-idx3-ubyte.gz') });
  const { x } = await ds.sample(0);
  ds.close();
  await agrees(g, x, 'cnn-seed1, raw image (ties at the black background)', true, true);
  const nudged = x.map((v, j) => v + 1e-3 * Math.sin(1.7 * j + 0.3));
  await agrees(g, nudged, 'cnn-seed1, nudged', true, true);
  const before = tf.memory().numTensors;
  const r = await interpret(g, nudged, { rows: 'all' });
  assert.equal(tf.memory().numTensors, before, 'tensors leaked');
  assert.ok(r.residual < 1e-5, `residual ${r.residual}`);
  assert.deepEqual(r.gates, { mask: 28 * 28 * 16 + 14 * 14 * 32, switch: 14 * 14 * 16 + 7 * 7 * 32 });
});

test('on the cpu backend too (JS loops and tfjs kernels there, no XNNPACK)', async () => {
  await initBackend({ preference: 'cpu' });
  try {
    const cases: [string, [number, number, number], Layer[]][] = [
      ['1ch + 4ch convs, folded ReLUs', [12, 12, 1], [{ conv: 8 }, 'relu', { pool: 2 }, { conv: 8 }, 'relu', { pool: 2 }, 'flatten']],
      ['3 channels, stride 2, same pool on odd size', [11, 11, 3], [{ conv: 4, stride: 2 }, 'relu', { pool: 2, padding: 'same' }, 'flatten']],
    ];
    for (const [i, [label, input, layers]] of cases.entries()) {
      const g = chain(80 + i, input, layers);
      await agrees(g, inputOf(g, 80 + i), label);
    }
  } finally {
    await initBackend({ preference: 'wasm' });
  }
});

test('the embedded WebAssembly module is built from loops.wat as it is now', () => {
  const sha = createHash('sha256').update(fs.readFileSync(path.resolve('src/core/analyses/interpreter/loops.wat'))).digest('hex');
  assert.equal(sha, LOOPS_WASM_SOURCES['loops.wat'], 'loops.wat changed: run src/core/analyses/interpreter/build-wasm.sh');
});

test('the embedded WebAssembly module is loops.wat compiled (where wabt is installed)', (t) => {
  const out = path.join(os.tmpdir(), `loops-${process.pid}.wasm`);
  const r = spawnSync('wat2wasm', [path.resolve('src/core/analyses/interpreter/loops.wat'), '-o', out], { encoding: 'utf8' });
  if (r.error) {
    t.skip('wat2wasm is not installed');
    return;
  }
  assert.equal(r.status, 0, r.stderr);
  const embedded = Buffer.from(LOOPS_WASM_BASE64, 'base64');
  assert.ok(embedded.equals(fs.readFileSync(out)), 'loopsBinary.ts holds another build than loops.wat: run src/core/analyses/interpreter/build-wasm.sh');
  fs.rmSync(out, { force: true });
});
