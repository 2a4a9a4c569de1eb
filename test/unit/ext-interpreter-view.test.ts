// The interpreter panel's figures and clicks (src/extension/analyses/interpreterView.ts) on an
// image-to-image model: the output is drawn as an image, a click on an output pixel asks the host
// for that pixel's rows of A (one per output channel), and the figure it draws holds exactly the
// numbers `linear-lens interpret --rows j` prints. Two 3×3 convolutions give every output pixel a
// 5×5 receptive field, so the row must vanish outside it: an invariant independent of our code.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { interpreterSelection, interpreterView, pixelIndices, type InterpreterParams } from '../../src/extension/analyses/interpreterView';
import { startInProcessHost, type InProcessHost } from '../../src/host/inProcess';
import type { InterpretParams, InterpretResult } from '../../src/protocol/interpret';
import type { JobParamsOf } from '../../src/protocol/methods';
import { jobRequest } from '../../src/protocol/rpc';
import type { GridImageSpec } from '../../src/protocol/webview';
import { imageToImageModel } from '../fixtures/keras/tfjsModels';
import { writeTfjs } from '../fixtures/keras/writers';
import { ROOT } from '../support/build';
import { runCli } from '../support/cli';
import { tempDir } from './helpers/data';

const IMAGES = path.join(ROOT, 'examples/data/fashion-mnist/t10k-images-idx3-ubyte.gz');
const H = 28;
const W = 28;
const C_OUT = 2;

describe('interpreter panel on an image-to-image model', () => {
  let host: InProcessHost;
  let tmp: { dir: string; cleanup: () => void };
  let file: string;
  let result: InterpretResult;
  const params: InterpreterParams = { input: { kind: 'dataset', dataset: { path: IMAGES }, index: 3 }, svd: 0, smooth: 'secant' };
  const run = (p: Omit<InterpretParams, 'jobId'>): Promise<InterpretResult> => host.client.sendRequest(jobRequest('analysis/interpret'), p as JobParamsOf<'analysis/interpret'>) as Promise<InterpretResult>;

  before(async () => {
    await tf.setBackend('cpu');
    tmp = tempDir('ll-i2i-');
    const model = imageToImageModel();
    file = (await writeTfjs(model, tmp.dir)).file;
    model.dispose();
    host = startInProcessHost({ backend: 'cpu', log: () => undefined });
    result = await run({ file, input: params.input, svd: 0, smooth: 'secant' });
  });
  after(() => {
    host?.dispose();
    tmp?.cleanup();
  });

  test('the output is an image to click, not a bar chart of "logits"', () => {
    assert.deepEqual(result.outputShape, [H, W, C_OUT]);
    assert.equal(result.rows.length, 0, 'no rows by default: 1,568 outputs is not a classifier');
    const ids = interpreterView(result).figures.map((f) => f.id);
    assert.ok(ids.includes('output'), `figures: ${ids}`);
    assert.ok(!ids.includes('split'), `no logit split for an image output: ${ids}`);
    assert.ok(result.residual < 1e-5, `exact: ${result.residual}`);
  });

  test('a click on output pixel (5, 17) shows its rows of A, equal to `linear-lens interpret --rows`', async () => {
    const [row, col] = [5, 17];
    const update = await interpreterSelection(file, result, params, 'output', { kind: 'pixel', row, col }, run);
    const fig = update?.figures?.[0];
    assert.ok(fig && fig.kind === 'imageGrid' && fig.id === 'row', JSON.stringify(fig)?.slice(0, 200));
    const images = (fig as { images: readonly GridImageSpec[] }).images;
    assert.equal(images.length, C_OUT, 'one row per output channel');

    // The peer: the CLI, asked for the same output positions (NHWC flat: (row·W + col)·C + k).
    const js = pixelIndices(result.outputShape, result.inputLayout, row, col);
    assert.deepEqual(js, [0, 1].map((k) => (row * W + col) * C_OUT + k));
    const out = path.join(tmp.dir, 'rows.json');
    const cli = runCli(['interpret', file, '--data', IMAGES, '--index', '3', '--rows', js.join(','), '--svd', '0', '--json', out]);
    assert.equal(cli.status, 0, cli.stderr);
    const peer = JSON.parse(fs.readFileSync(out, 'utf8')) as { rows: { output: number; values: number[] }[] };
    assert.deepEqual(peer.rows.map((r) => r.output), js);
    for (let k = 0; k < C_OUT; k++) {
      const shown = images[k].data;
      const want = peer.rows[k].values;
      assert.equal(shown.length, H * W);
      let maxDiff = 0;
      for (let i = 0; i < want.length; i++) maxDiff = Math.max(maxDiff, Math.abs(shown[i] - want[i]));
      assert.ok(maxDiff <= 1e-6 * Math.max(...want.map(Math.abs)), `channel ${k}: max difference ${maxDiff}`);
      // Receptive field: nothing outside the 5×5 window around (row, col), something inside.
      let inside = 0;
      for (let y = 0; y < H; y++) {
        for (let x = 0; x < W; x++) {
          const v = shown[y * W + x];
          if (Math.abs(y - row) > 2 || Math.abs(x - col) > 2) assert.equal(v, 0, `channel ${k}: (${y}, ${x}) lies outside the receptive field`);
          else inside += Math.abs(v);
        }
      }
      assert.ok(inside > 1e-3, `channel ${k}: the row is not empty (${inside})`);
    }
  });

  test('a click on the input shows its impulse response as an image, zero outside its 5×5 reach', async () => {
    const [row, col] = [20, 3];
    const update = await interpreterSelection(file, result, params, 'input', { kind: 'pixel', row, col }, run);
    const fig = update?.figures?.[0] as { id: string; images: readonly GridImageSpec[] } | undefined;
    assert.equal(fig?.id, 'column');
    const img = fig!.images[0];
    assert.deepEqual([img.height, img.width], [H, W]);
    let inside = 0;
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const v = img.data[y * W + x];
        if (Math.abs(y - row) > 2 || Math.abs(x - col) > 2) assert.equal(v, 0, `(${y}, ${x})`);
        else inside += Math.abs(v);
      }
    }
    assert.ok(inside > 1e-3);
  });

  test('clicks outside the image or on other figures compute nothing', async () => {
    let calls = 0;
    const counting = (p: Omit<InterpretParams, 'jobId'>) => {
      calls++;
      return run(p);
    };
    assert.equal(await interpreterSelection(file, result, params, 'output', { kind: 'pixel', row: H, col: 0 }, counting), undefined);
    assert.equal(await interpreterSelection(file, result, params, 'summary', { kind: 'pixel', row: 1, col: 1 }, counting), undefined);
    assert.equal(await interpreterSelection(file, result, params, 'output', { kind: 'bar', category: 0, series: 0 }, counting), undefined);
    assert.equal(calls, 0);
  });
});

test('pixelIndices: NCHW and NHWC positions of one pixel, one per channel', () => {
  assert.deepEqual(pixelIndices([3, 4, 5], 'nchw', 1, 2), [1 * 5 + 2, 20 + 1 * 5 + 2, 40 + 1 * 5 + 2]);
  assert.deepEqual(pixelIndices([4, 5, 3], 'nhwc', 1, 2), [21, 22, 23]);
  assert.deepEqual(pixelIndices([4, 5, 3], 'nhwc', 4, 0), []);
  assert.deepEqual(pixelIndices([784], 'flat', 2, 3), [2 * 28 + 3]);
});
