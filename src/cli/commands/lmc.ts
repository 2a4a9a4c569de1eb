import * as fs from 'node:fs';
import * as path from 'node:path';
import { UserError } from '../../core/errors';
import { runLlfc, runLmc } from '../../host/jobs/connectivity';
import type { AlignMethod, BnHandling, LlfcResult, LmcParams, LmcResult } from '../../protocol/connectivity';
import type { DatasetParams } from '../../protocol/data';
import type { Command } from '../command';
import { intOption } from '../options';
import { terminalProgress } from '../progress';
import { llfcFigures, lmcFigures } from '../reports/connectivityFigures';
import type { Args } from '../args';

const ALIGN = ['none', 'weights', 'activations'] as const;
const BN = ['none', 'reset', 'repair'] as const;

function dataset(args: Args): DatasetParams {
  const data = args.value('data');
  if (!data) throw new UserError('--data FILE is required: the dataset the loss and accuracy are measured on.');
  const labels = args.value('labels');
  const samples = intOption('samples', args.value('samples'), 1, 10_000_000);
  return { path: path.resolve(data), ...(labels ? { labels: path.resolve(labels) } : {}), ...(samples ? { maxSamples: samples } : {}) };
}

function alphaList(v: string | undefined): number[] | undefined {
  if (v === undefined) return undefined;
  const xs = v.split(',').map((s) => Number(s.trim()));
  if (xs.length === 0 || xs.some((x) => !Number.isFinite(x) || x < 0 || x > 1)) throw new UserError(`--alphas takes numbers in [0, 1] separated by commas, not "${v}".`);
  return xs;
}

function writeJson(file: string | undefined, data: unknown, out: (s: string) => void): void {
  if (!file) return;
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(data, null, 1) + '\n');
  out(`JSON written to ${file}\n`);
}

/** The text report of an LMC run. */
export function renderLmc(r: LmcResult): string {
  const lines = [`A: ${r.a}`, `B: ${r.b}`, `${r.samples} samples, ${r.alpha.length} α points`, ''];
  for (const c of r.curves) {
    lines.push(`${c.label}:`);
    lines.push(`  loss barrier ${c.barrier.loss.toFixed(4)} (max L(α) − ½(L(0)+L(1))), ${c.barrier.lossLinear.toFixed(4)} (against the chord)`);
    lines.push(`  accuracy drop ${(100 * c.barrier.accuracy).toFixed(2)} pts (${(100 * c.barrier.accuracyLinear).toFixed(2)} against the chord); endpoints ${(100 * c.accuracy[0]).toFixed(1)}% / ${(100 * c.accuracy[c.accuracy.length - 1]).toFixed(1)}%, midpoint ${(100 * c.accuracy[Math.floor(c.accuracy.length / 2)]).toFixed(1)}%`);
  }
  if (r.permutations.length) lines.push('', `Permutations: ${r.permutations.map((p) => `${p.group} moves ${p.moved}/${p.size}`).join(', ')}`);
  if (r.layerwise.length) {
    lines.push('', 'Layer-wise barriers (α = ½; rest from A / rest from B; cumulative from input / from output):');
    for (const l of r.layerwise) lines.push(`  ${l.layer.padEnd(24)} ${l.barrier.toFixed(4).padStart(8)} ${l.barrierRestB.toFixed(4).padStart(8)}   ${l.fromInput.toFixed(4).padStart(8)} ${l.fromOutput.toFixed(4).padStart(8)}`);
  }
  for (const n of r.notes) lines.push(`Note: ${n}`);
  return lines.join('\n') + '\n';
}

/** `linear-lens lmc A B --data FILE ...`. */
export const lmcCommand: Command = {
  name: 'lmc',
  summary: 'Linear mode connectivity of two networks: loss and accuracy along the line, barriers, alignment.',
  description:
    'Evaluates θ(α) = (1−α)θA + αθB on a dataset at every α of a grid and reports both barrier forms for loss and accuracy. ' +
    'B can first be permuted onto A (weight matching, Git Re-Basin; activation matching), batch-norm statistics can be ' +
    're-estimated (reset) or corrected (REPAIR), and --layerwise interpolates one layer group at a time.',
  positionals: [
    { name: 'A', description: 'the first model' },
    { name: 'B', description: 'the second model (same architecture)' },
  ],
  options: [
    { name: 'data', value: { name: 'FILE' }, description: 'dataset (IDX, .npy/.npz, CSV, image folder)' },
    { name: 'labels', value: { name: 'FILE' }, description: 'label file for --data' },
    { name: 'points', value: { name: 'N' }, description: 'α grid size including 0 and 1 (default 25)' },
    { name: 'align', value: { name: 'METHOD', choices: ALIGN }, description: 'permute B onto A first (default none)' },
    { name: 'bn', value: { name: 'MODE', choices: BN }, description: 'batch-norm handling on the path (default none)' },
    { name: 'compare', description: 'also draw naive and weight matching + REPAIR curves' },
    { name: 'layerwise', description: 'layer-wise barriers (one layer group interpolated at a time)' },
    { name: 'samples', value: { name: 'N' }, description: 'samples to read, a deterministic subset (default 2000)' },
    { name: 'seed', value: { name: 'S' }, description: 'seed of the weight-matching sweep order (default 0)' },
    { name: 'json', value: { name: 'OUT' }, description: 'write the result as JSON' },
    { name: 'png', value: { name: 'DIR' }, description: 'write the figures as PNG files into DIR' },
  ],
  examples: ['linear-lens lmc mlp-seed1/model.json mlp-seed2/model.json --data t10k-images-idx3-ubyte.gz --align weights --compare --png out/'],
  async run(args, env) {
    await env.backend();
    const points = intOption('points', args.value('points'), 2, 1001);
    const seed = intOption('seed', args.value('seed'), 0, 2 ** 31 - 1);
    const align = (args.value('align') ?? 'none') as AlignMethod;
    const bn = (args.value('bn') ?? 'none') as BnHandling;
    const compare = args.flag('compare') ? ([{ align: 'none', bn: 'none' }, { align: 'weights', bn: 'none' }, { align: 'weights', bn: 'repair' }] as const) : [];
    const params: LmcParams = {
      a: path.resolve(args.positional('A')!),
      b: path.resolve(args.positional('B')!),
      dataset: dataset(args),
      align,
      bn,
      compare,
      layerwise: args.flag('layerwise'),
      ...(points ? { points } : {}),
      ...(seed !== undefined ? { seed } : {}),
    };
    const p = terminalProgress('lmc');
    const r = await runLmc(params, p);
    p.done();
    env.out(renderLmc(r));
    writeJson(args.value('json'), r, env.out);
    const png = args.value('png');
    if (png) env.out(`Figures written: ${lmcFigures(r, png).map((f) => path.relative(process.cwd(), f)).join(', ')}\n`);
  },
};

/** The text report of an LLFC run: per layer the distance at the midpoint and the baseline. */
export function renderLlfc(r: LlfcResult): string {
  const mid = r.alphas.reduce((best, a) => (Math.abs(a - 0.5) < Math.abs(best - 0.5) ? a : best), r.alphas[0]);
  const lines = [`A: ${r.a}`, `B: ${r.b}${r.align !== 'none' ? ` (aligned by ${r.align})` : ''}`, `${r.samples} samples; α = ${r.alphas.join(', ')}`, '', `layer                       dist(α=${mid}) ± std   whole    scale   baseline dist(A,B)`];
  for (const row of r.layers.filter((x) => x.alpha === mid)) {
    const name = row.stage === 'pre' ? `${row.layer} (pre)` : row.layer;
    lines.push(`${name.padEnd(26)} ${row.cosineDistance.mean.toFixed(4)} ± ${row.cosineDistance.std.toFixed(4)}  ${row.wholeMatrix.toFixed(4)}  ${row.scale.toFixed(3).padStart(6)}   ${row.baseline.toFixed(4)}`);
  }
  for (const n of r.notes) lines.push(`Note: ${n}`);
  return lines.join('\n') + '\n';
}

/** `linear-lens llfc A B --data FILE ...`. */
export const llfcCommand: Command = {
  name: 'llfc',
  summary: 'Layerwise linear feature connectivity: are the interpolated network\'s features the interpolated features?',
  description: 'For every layer and α, the cosine distance between f(θ(α)) and (1−α)f(θA) + αf(θB) per sample (mean, std), over the whole matrix, the least-squares scale c, and the baseline dist(fA, fB).',
  positionals: [
    { name: 'A', description: 'the first model' },
    { name: 'B', description: 'the second model (same architecture)' },
  ],
  options: [
    { name: 'data', value: { name: 'FILE' }, description: 'dataset' },
    { name: 'labels', value: { name: 'FILE' }, description: 'label file for --data' },
    { name: 'align', value: { name: 'METHOD', choices: ALIGN }, description: 'permute B onto A first (default none)' },
    { name: 'bn', value: { name: 'MODE', choices: BN }, description: 'batch-norm handling (default none, as the reference code)' },
    { name: 'alphas', value: { name: 'a,b,...' }, description: 'α values (default 0, 0.1, ..., 1)' },
    { name: 'samples', value: { name: 'N' }, description: 'samples to read (default 2000)' },
    { name: 'json', value: { name: 'OUT' }, description: 'write the result as JSON' },
    { name: 'png', value: { name: 'DIR' }, description: 'write the figures as PNG files into DIR' },
  ],
  examples: ['linear-lens llfc a/model.json b/model.json --data t10k-images-idx3-ubyte.gz --align weights --json llfc.json'],
  async run(args, env) {
    await env.backend();
    const alphas = alphaList(args.value('alphas'));
    const p = terminalProgress('llfc');
    const r = await runLlfc({
      a: path.resolve(args.positional('A')!),
      b: path.resolve(args.positional('B')!),
      dataset: dataset(args),
      align: (args.value('align') ?? 'none') as AlignMethod,
      bn: (args.value('bn') ?? 'none') as BnHandling,
      ...(alphas ? { alphas } : {}),
    }, p);
    p.done();
    env.out(renderLlfc(r));
    writeJson(args.value('json'), r, env.out);
    const png = args.value('png');
    if (png) env.out(`Figures written: ${llfcFigures(r, png).map((f) => path.relative(process.cwd(), f)).join(', ')}\n`);
  },
};
