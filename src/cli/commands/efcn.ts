import * as fs from 'node:fs';
import * as path from 'node:path';
import { UserError } from '../../core/errors';
import { runEfcn } from '../../host/jobs/efcn';
import type { EfcnParams, EfcnResult } from '../../protocol/efcn';
import type { Command } from '../command';
import { intOption, numberOption } from '../options';
import { terminalProgress } from '../progress';
import { efcnFigures } from '../reports/efcnFigures';

function mb(bytes: number): string {
  return bytes >= 2 ** 20 ? `${(bytes / 2 ** 20).toFixed(1)} MiB` : `${(bytes / 1024).toFixed(1)} KiB`;
}

/** The text report of an eFCN run. */
export function renderEfcn(r: EfcnResult): string {
  const lines = [
    `Model: ${r.file}`,
    `Equivalence residual: max |eFCN − CNN| = ${r.residual.maxAbs.toExponential(2)} (relative ${r.residual.maxRel.toExponential(2)}, ${r.residual.samples} random inputs)`,
    `Parameters: CNN ${r.cnnParams.toLocaleString('en-US')}, eFCN ${r.efcnParams.toLocaleString('en-US')}`,
    '',
    'layer                in → out                    dense elements        nnz  sparsity    dense      CSR   kernel',
  ];
  for (const l of r.layers) {
    const shapes = `${l.inShape.join('×')} → ${l.outShape.join('×')}`;
    lines.push(`${l.layer.padEnd(20)} ${shapes.padEnd(26)} ${l.denseElements.toLocaleString('en-US').padStart(15)} ${l.nnz.toLocaleString('en-US').padStart(10)}  ${(100 * l.sparsity).toFixed(2).padStart(7)}%  ${mb(l.denseBytes).padStart(9)} ${mb(l.csrBytes).padStart(9)} ${mb(l.kernelBytes).padStart(9)}`);
  }
  if (r.written) lines.push('', `eFCN written: ${r.written.modelJson} (${mb(r.written.bytes)} of weights)`);
  if (r.relax) {
    const pts = r.relax.points;
    const last = pts[pts.length - 1];
    lines.push('', `Relax training: ${pts.length - 1 > 0 ? last.step : 0} steps at lr ${r.relax.lr} on ${r.relax.samples} samples (about ${mb(r.relax.estimatedBytes)} of weights and state)`);
    lines.push('step   train loss  ' + r.layers.map((l) => `${l.layer} off/non-shared`.padEnd(28)).join(''));
    const shown = pts.length <= 12 ? pts : pts.filter((_, i) => i % Math.ceil(pts.length / 10) === 0 || i === pts.length - 1);
    for (const p of shown) {
      lines.push(`${String(p.step).padStart(4)}   ${(p.trainLoss !== undefined ? p.trainLoss.toFixed(4) : '-').padStart(10)}  ${p.layers.map((l) => `${l.offPattern.toExponential(2)} / ${l.nonShared.toExponential(2)}`.padEnd(28)).join('')}`);
    }
    const tested = pts.filter((p) => p.testAccuracy !== undefined);
    if (tested.length) lines.push(`Test: ${tested.map((p) => `step ${p.step} loss ${p.testLoss!.toFixed(4)} accuracy ${(100 * p.testAccuracy!).toFixed(1)}%`).join('; ')}`);
  }
  return lines.join('\n') + '\n';
}

/** `linear-lens efcn MODEL ...`. */
export const efcnCommand: Command = {
  name: 'efcn',
  summary: 'CNN to its equivalent fully-connected network (eFCN): sizes, sparsity, residual; optional relax training.',
  description:
    'Replaces every conv layer by its dense equivalent (a sparse matrix with shared weights), checks the eFCN computes the ' +
    'same function (residual on random inputs), reports each layer\'s size and sparsity, and writes the eFCN as a TF.js ' +
    'layers model. With --relax-steps, trains the eFCN with every dense entry free from the embedded CNN and tracks per ' +
    'layer the weight off the conv pattern and off weight sharing.',
  positionals: [{ name: 'MODEL', description: 'a CNN model file' }],
  options: [
    { name: 'out', value: { name: 'DIR' }, description: 'write the eFCN as a TF.js layers model (DIR/model.json + weights.bin); DIR/model.json names the same' },
    { name: 'relax-steps', value: { name: 'N' }, description: 'relax training steps (needs --data)' },
    { name: 'data', value: { name: 'FILE' }, description: 'training data for the relax training' },
    { name: 'labels', value: { name: 'FILE' }, description: 'label file for --data' },
    { name: 'test-data', value: { name: 'FILE' }, description: 'test data, evaluated at the start and the end' },
    { name: 'samples', value: { name: 'N' }, description: 'training samples to read (default 2000)' },
    { name: 'lr', value: { name: 'X' }, description: 'learning rate (default 0.1, SGD)' },
    { name: 'batch', value: { name: 'B' }, description: 'batch size (default 250)' },
    { name: 'json', value: { name: 'OUT' }, description: 'write the result as JSON' },
    { name: 'png', value: { name: 'DIR' }, description: 'write the figures as PNG files into DIR' },
  ],
  examples: ['linear-lens efcn cnn/model.json --out cnn-efcn/ --relax-steps 50 --data train-images-idx3-ubyte.gz --lr 0.005 --png out/'],
  async run(args, env) {
    const steps = intOption('relax-steps', args.value('relax-steps'), 0, 1_000_000);
    const samples = intOption('samples', args.value('samples'), 1, 10_000_000);
    const batch = intOption('batch', args.value('batch'), 1, 1_000_000);
    const lr = numberOption('lr', args.value('lr'));
    if (lr !== undefined && !(lr > 0)) throw new UserError(`--lr takes a positive number, not "${args.value('lr')}".`);
    const data = args.value('data');
    const labels = args.value('labels');
    const testData = args.value('test-data');
    if (steps && !data) throw new UserError('--relax-steps needs --data FILE: the training data of the relax training.');
    const out = outFolder(args.value('out'));
    const params: EfcnParams = {
      file: path.resolve(args.positional('MODEL')!),
      ...(out ? { outDir: out } : {}),
      ...(steps && data
        ? {
            relax: {
              dataset: { path: path.resolve(data), ...(labels ? { labels: path.resolve(labels) } : {}), ...(samples ? { maxSamples: samples } : {}) },
              steps,
              ...(lr !== undefined ? { lr } : {}),
              ...(batch ? { batchSize: batch } : {}),
              ...(testData ? { testDataset: { path: path.resolve(testData), maxSamples: samples ?? 2000 } } : {}),
            },
          }
        : {}),
    };
    await env.backend();
    const p = terminalProgress('efcn');
    const r = await runEfcn(params, p);
    p.done();
    env.out(renderEfcn(r));
    const json = args.value('json');
    if (json) {
      fs.mkdirSync(path.dirname(path.resolve(json)), { recursive: true });
      fs.writeFileSync(json, JSON.stringify(r) + '\n');
      env.out(`JSON written to ${json}\n`);
    }
    const png = args.value('png');
    if (png) env.out(`Figures written: ${efcnFigures(r, png).map((f) => path.relative(process.cwd(), f)).join(', ')}\n`);
  },
};

/**
 * The folder `--out` names: a folder, or the model.json inside it (the file a TF.js layers model
 * is opened by, so `--out cnn-efcn/model.json` must not become cnn-efcn/model.json/model.json).
 */
export function outFolder(out: string | undefined): string | undefined {
  if (out === undefined) return undefined;
  const abs = path.resolve(out);
  if (!/\.json$/i.test(abs)) return abs;
  if (path.basename(abs) !== 'model.json') {
    throw new UserError(`--out ${out}: a TF.js layers model is written as FOLDER/model.json (+ weights.bin); give a folder or a path ending in model.json.`);
  }
  return path.dirname(abs);
}
