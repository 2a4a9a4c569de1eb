import * as fs from 'node:fs';
import * as path from 'node:path';
import { UserError } from '../../core/errors';
import { loadModel } from '../../core/formats';
import { interpretAt } from '../../core/analyses/interpreter/atInput';
import { inputChoice, interpretToWire } from '../../host/jobs/interpret';
import type { InterpretInput, InterpretParams, InterpretResult } from '../../protocol/interpret';
import type { Command } from '../command';
import { intList, intOption } from '../options';
import { interpretFigures } from '../reports/interpretFigures';

function fmt(v: number): string {
  return (v >= 0 ? ' ' : '') + v.toFixed(4);
}

/** The text report of one interpretation: prediction, exactness, the logit split. */
export function renderInterpret(r: InterpretResult): string {
  const name = (k: number) => r.classNames?.[k] ?? String(k);
  const lines = [
    `Model:     ${r.file}`,
    `Input:     ${r.input.kind === 'image' ? r.input.path : `${r.input.dataset.path} #${r.input.index}`}${r.label !== undefined ? ` (label ${name(r.label)})` : ''}`,
    `Predicted: ${name(r.predicted)}`,
    `Exactness: ‖A·x0 + b − F(x0)‖ / ‖F(x0)‖ = ${r.residual.toExponential(2)}${r.skippedSoftmax ? ` (map ends at the logits, before "${r.skippedSoftmax}")` : ''}`,
    `Frozen units: ${Object.entries(r.gates).map(([k, n]) => `${n} ${k}`).join(', ') || 'none (the model is affine)'}; smooth units: ${r.smooth}`,
    '',
    'output       F(x0)        A·x0           b',
  ];
  r.output.forEach((v, k) => lines.push(`${name(k).padEnd(8)} ${fmt(v)}   ${fmt(r.linear[k])}   ${fmt(r.bias[k])}`));
  const share = r.bias.reduce((s, b) => s + Math.abs(b), 0) / Math.max(r.bias.reduce((s, b) => s + Math.abs(b), 0) + r.linear.reduce((s, a) => s + Math.abs(a), 0), 1e-30);
  lines.push('', `Bias share Σ|b| / (Σ|A·x0| + Σ|b|): ${(100 * share).toFixed(1)}%`);
  if (r.singularValues) lines.push(`Top singular values of A: ${r.singularValues.map((s) => s.toPrecision(4)).join(', ')}`);
  if (r.rows.length) lines.push(`Rows computed: ${r.rows.length}; columns: ${r.columns.length}`);
  return lines.join('\n') + '\n';
}

/** `linear-lens interpret MODEL (--data FILE [--index I] | --input IMAGE) ...`. */
export const interpretCommand: Command = {
  name: 'interpret',
  summary: 'Linear interpreter: the exact map y = A·x + b of a network at one input.',
  description:
    'Freezes every non-linear unit at the input x0 (ReLU masks, max-pool switches, secant or tangent gains of smooth units, ' +
    'frozen norm statistics) so the network is exactly affine, and reports F(x0) = A·x0 + b at the logits, the rows of A ' +
    '(per-class vote maps), chosen columns (impulse responses) and its top singular values. Vectors in the JSON are ' +
    'flattened in the model\'s own layout (NCHW for an NCHW ONNX model).',
  positionals: [{ name: 'MODEL', description: 'the model file' }],
  options: [
    { name: 'data', value: { name: 'FILE' }, description: 'dataset to take the input from (IDX, .npy/.npz, CSV, image folder)' },
    { name: 'labels', value: { name: 'FILE' }, description: 'label file for --data' },
    { name: 'index', value: { name: 'I' }, description: 'sample index in the dataset file (default 0)' },
    { name: 'input', value: { name: 'IMAGE' }, description: 'one PNG or JPEG as the input instead of --data' },
    { name: 'rows', value: { name: 'all|none|i,j,...' }, description: 'outputs whose rows to compute (default: all for at most 100 outputs)' },
    { name: 'columns', value: { name: 'i,j,...' }, description: 'input positions (flattened, model layout) whose columns to compute' },
    { name: 'svd', value: { name: 'K' }, description: 'top K singular values and vectors of A (K <= 16)' },
    { name: 'smooth', value: { name: 'RULE', choices: ['secant', 'tangent'] }, description: 'how smooth units are frozen (default secant)' },
    { name: 'json', value: { name: 'OUT' }, description: 'write the full result as JSON' },
    { name: 'png', value: { name: 'DIR' }, description: 'write the figures as PNG files into DIR' },
  ],
  examples: [
    'linear-lens interpret model.json --data t10k-images-idx3-ubyte.gz --index 3 --svd 4 --png out/',
    'linear-lens interpret model.onnx --input digit.png --json result.json',
  ],
  async run(args, env) {
    const file = args.positional('MODEL')!;
    const data = args.value('data');
    const image = args.value('input');
    if (!data === !image) throw new UserError('interpret needs exactly one of --data FILE or --input IMAGE.');
    const index = intOption('index', args.value('index'), 0, 2 ** 31 - 1) ?? 0;
    const rowsOpt = args.value('rows');
    const rows = rowsOpt === undefined ? undefined : rowsOpt === 'all' || rowsOpt === 'none' ? rowsOpt : intList('rows', rowsOpt)!;
    const columns = intList('columns', args.value('columns'));
    const svd = intOption('svd', args.value('svd'), 0, 16);
    const smooth = args.value('smooth') as 'secant' | 'tangent' | undefined;
    const labels = args.value('labels');
    const input: InterpretInput = image ? { kind: 'image', path: path.resolve(image) } : { kind: 'dataset', dataset: { path: path.resolve(data!), ...(labels ? { labels: path.resolve(labels) } : {}) }, index };
    const params: InterpretParams = { file: path.resolve(file), input, ...(rows ? { rows } : {}), ...(columns ? { columns } : {}), ...(svd ? { svd } : {}), ...(smooth ? { smooth } : {}) };
    await env.backend();
    const t0 = Date.now();
    const graph = await loadModel(params.file);
    const r = await interpretAt(graph, inputChoice(input), { ...(rows ? { rows } : {}), ...(columns ? { columns } : {}), ...(svd ? { svd } : {}), ...(smooth ? { smooth } : {}) });
    const wire = interpretToWire(graph, params, r, Date.now() - t0);
    env.out(renderInterpret(wire));
    const json = args.value('json');
    if (json) {
      fs.mkdirSync(path.dirname(path.resolve(json)), { recursive: true });
      fs.writeFileSync(json, JSON.stringify(wire) + '\n');
      env.out(`JSON written to ${json}\n`);
    }
    const png = args.value('png');
    if (png) {
      const written = interpretFigures(wire, png);
      env.out(`Figures written: ${written.map((f) => path.relative(process.cwd(), f)).join(', ')}\n`);
    }
  },
};
