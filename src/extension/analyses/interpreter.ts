/**
 * The linear interpreter's panel: the input, per-class vote maps (rows of A), contribution maps,
 * the logit split into A·x0 and b, and the singular-vector basis; a click on a pixel shows its
 * column of A (the impulse response), a click on an output pixel of an image-to-image model its row.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { DatasetParams } from '../../protocol/data';
import type { InterpretInput, InterpretParams, InterpretResult } from '../../protocol/interpret';
import { asImage, channelSum, ImageView } from '../../protocol/imageLayout';
import type { FigureSpec, GridImageSpec, JsonValue, TableSpec } from '../../protocol/webview';
import type { AnalysisProvider, AnalysisView } from '../panels/analysis';
import { cacheKey } from '../panels/cacheKey';
import type { DatasetChoice, Services } from '../services';

export const INTERPRETER_KIND = 'interpreter';

interface Params {
  readonly input: InterpretInput;
  readonly svd: number;
  readonly smooth: 'secant' | 'tangent';
}

function grid(title: string, img: ImageView): GridImageSpec {
  return { title, height: img.height, width: img.width, channels: img.channels === 3 ? 3 : 1, data: Array.from(img.values) };
}

/** The protocol's dataset parameters for a dataset choice. */
export function datasetParams(d: DatasetChoice): DatasetParams {
  return {
    path: d.path,
    ...(d.labels ? { labels: d.labels } : {}),
    ...(d.scale !== undefined ? { scale: d.scale } : {}),
    ...(d.mean?.length ? { mean: d.mean } : {}),
    ...(d.std?.length ? { std: d.std } : {}),
    ...(d.layout ? { layout: d.layout } : {}),
  };
}

/** Asks which input to interpret: a sample of the dataset (by index) or an image file. */
async function askInput(services: Services, model: vscode.Uri): Promise<InterpretInput | undefined> {
  const d = await services.picks.dataset();
  type Item = vscode.QuickPickItem & { what: 'sample' | 'image' | 'dataset' };
  const items: Item[] = [
    ...(d ? [{ label: `$(database) A sample of ${path.basename(d.path)}`, description: d.path, what: 'sample' as const }] : []),
    { label: '$(file-media) A PNG or JPEG image…', what: 'image' },
    { label: '$(folder-opened) Another dataset…', what: 'dataset' },
  ];
  const pick = await vscode.window.showQuickPick(items, { title: `Linear interpreter: ${path.basename(model.fsPath)} — which input?` });
  if (!pick) return undefined;
  if (pick.what === 'image') {
    const files = await vscode.window.showOpenDialog({ canSelectMany: false, filters: { Images: ['png', 'jpg', 'jpeg'] }, title: 'Input image' });
    return files?.[0] ? { kind: 'image', path: files[0].fsPath } : undefined;
  }
  const ds = pick.what === 'dataset' ? await services.picks.pickDataset() : d;
  if (!ds) return undefined;
  const text = await vscode.window.showInputBox({
    title: `Sample of ${path.basename(ds.path)}`,
    prompt: 'Index of the sample in the file (0 is the first)',
    value: '0',
    validateInput: (v) => (/^\d+$/.test(v.trim()) ? undefined : 'A whole number, 0 or more'),
  });
  if (text === undefined) return undefined;
  return { kind: 'dataset', dataset: datasetParams(ds), index: Number(text.trim()) };
}

function cls(r: InterpretResult, k: number): string {
  return r.classNames?.[k] ?? `class ${k}`;
}

/** The figures and the summary table of a result. */
export function interpreterView(r: InterpretResult): AnalysisView {
  const img = (v: readonly number[]) => asImage(v, r.inputShape, r.inputLayout);
  const x = img(r.x0);
  const figures: FigureSpec[] = [
    { kind: 'imageGrid', id: 'input', title: `Input${r.label !== undefined ? ` (label ${cls(r, r.label)})` : ''}: predicted ${cls(r, r.predicted)} — click a pixel for its column of A`, images: [grid('x₀', x)], colormap: 'gray', scale: 'per-image' },
  ];
  if (r.rows.length) {
    figures.push({
      kind: 'imageGrid', id: 'votes', title: 'Rows of A: each pixel\'s vote for each class', colormap: 'diverging', scale: 'shared', valueLabel: '∂ logit / ∂ pixel',
      images: r.rows.map((row) => grid(cls(r, row.output), channelSum(img(row.values)))),
    });
    figures.push({
      kind: 'imageGrid', id: 'contributions', title: 'Contributions A[k,:] ⊙ x₀ (each sums to logit − b)', colormap: 'diverging', scale: 'shared', valueLabel: 'contribution',
      images: r.rows.map((row) => grid(cls(r, row.output), channelSum(img(row.values.map((a, j) => a * r.x0[j]))))),
    });
  }
  if (r.output.length <= 100) {
    figures.push({
      kind: 'bar', id: 'split', title: 'Logits split into A·x₀ and b', mode: 'stacked', xLabel: 'class', yLabel: 'logit',
      categories: r.output.map((_, k) => r.classNames?.[k] ?? String(k)),
      series: [{ id: 'linear', label: 'A·x₀', values: r.linear }, { id: 'bias', label: 'b', values: r.bias }],
    });
  } else if (r.outputShape.length === 3) {
    const out = asImage(r.output, r.outputShape, r.inputLayout);
    figures.push({ kind: 'imageGrid', id: 'output', title: 'Output F(x₀) — click a pixel for its row of A', images: [grid('F(x₀)', channelSum(out))], colormap: 'viridis', scale: 'per-image' });
  }
  if (r.singularInputVectors?.length) {
    figures.push({
      kind: 'imageGrid', id: 'singular', title: 'Top right singular vectors of A: the input basis the map relies on', colormap: 'diverging', scale: 'per-image', columns: 4,
      images: r.singularInputVectors.map((v, i) => grid(`σ${i + 1} = ${r.singularValues![i].toPrecision(3)}`, channelSum(img(v)))),
    });
  }
  const absSum = (v: readonly number[]) => v.reduce((s, a) => s + Math.abs(a), 0);
  const share = absSum(r.bias) / Math.max(absSum(r.bias) + absSum(r.linear), 1e-30);
  const tables: TableSpec[] = [
    {
      id: 'summary', title: 'The linear map at x₀', columns: ['quantity', 'value'],
      rows: [
        ['‖A·x₀ + b − F(x₀)‖ / ‖F(x₀)‖ (exactness)', r.residual],
        ['bias share Σ|b| / (Σ|A·x₀| + Σ|b|)', share],
        ['predicted', cls(r, r.predicted)],
        ['smooth units frozen by', r.smooth === 'secant' ? 'secant through f(0) (a choice; tangent gives the Jacobian)' : 'tangent f′(x₀)'],
        ...Object.entries(r.gates).map(([k, n]): [string, number] => [`frozen units: ${k}`, n]),
        ...(r.skippedSoftmax ? [['map ends at the logits, before', r.skippedSoftmax] as [string, string]] : []),
        ['computed in (ms)', r.millis],
      ],
    },
  ];
  return { title: `${path.basename(r.file)} at ${r.input.kind === 'image' ? path.basename(r.input.path) : `${path.basename(r.input.dataset.path)} #${r.input.index}`}`, figures, tables };
}

/** Input positions (model layout, flattened) of pixel (row, col), one per channel. */
function pixelIndices(r: InterpretResult, row: number, col: number): number[] {
  const s = r.inputShape;
  if (s.length !== 3) return [row * asImage(r.x0, s, r.inputLayout).width + col];
  const chw = r.inputLayout === 'nchw' || (r.inputLayout !== 'nhwc' && s[0] <= 4 && s[2] > 4);
  const [h, w, c] = chw ? [s[1], s[2], s[0]] : [s[0], s[1], s[2]];
  return Array.from({ length: c }, (_, k) => (chw ? (k * h + row) * w + col : (row * w + col) * c + k));
}

export const interpreterProvider: AnalysisProvider<JsonValue> = {
  kind: INTERPRETER_KIND,
  title: 'Linear interpreter',
  description: 'The exact linear map y = A·x + b of the network at one input: vote maps, bias share, impulse responses, singular vectors.',
  async prepare(start, services) {
    const model = start.models[0];
    if (!model) return undefined;
    const input = await askInput(services, model);
    if (!input) return undefined;
    const params: Params = { input, svd: 8, smooth: 'secant' };
    const key = await cacheKey([{ model: model.fsPath }, input.kind === 'image' ? { file: input.path } : { dataset: input.dataset.path }, { value: params as unknown as JsonValue }]);
    const where = input.kind === 'image' ? path.basename(input.path) : `${path.basename(input.dataset.path)} #${input.index}`;
    return { kind: INTERPRETER_KIND, title: `Linear interpreter: ${path.basename(model.fsPath)} at ${where}`, models: [model.fsPath], key, params };
  },
  async compute(ctx) {
    const p = ctx.state.params as Params;
    const params: InterpretParams = { file: ctx.state.models[0], input: p.input, svd: p.svd, smooth: p.smooth };
    return (await ctx.run('analysis/interpret', params)) as unknown as JsonValue;
  },
  view(result) {
    return interpreterView(result as unknown as InterpretResult);
  },
  async onSelect(ctx) {
    const r = ctx.result as unknown as InterpretResult;
    const p = ctx.state.params as Params;
    if (ctx.target.kind !== 'pixel') return undefined;
    const { row, col } = ctx.target;
    if (ctx.figureId === 'output') {
      const width = asImage(r.output, r.outputShape, r.inputLayout).width;
      const j = row * width + col;
      const res = (await ctx.run('analysis/interpret', { file: ctx.state.models[0], input: p.input, rows: [j], svd: 0, smooth: p.smooth })) as InterpretResult;
      const x = asImage(res.rows[0].values, r.inputShape, r.inputLayout);
      return { figures: [{ kind: 'imageGrid', id: 'row', title: `Row of A for output pixel (${row}, ${col}): the filter that makes it`, images: [grid('row', channelSum(x))], colormap: 'diverging', scale: 'per-image' }] };
    }
    const columns = pixelIndices(r, row, col);
    const res = (await ctx.run('analysis/interpret', { file: ctx.state.models[0], input: p.input, rows: 'none', columns, svd: 0, smooth: p.smooth })) as InterpretResult;
    if (r.outputShape.length === 3) {
      const sum = res.columns[0].values.map((_, i) => res.columns.reduce((s, c) => s + c.values[i], 0));
      return { figures: [{ kind: 'imageGrid', id: 'column', title: `Impulse response of input pixel (${row}, ${col})`, images: [grid('A·e', channelSum(asImage(sum, r.outputShape, r.inputLayout)))], colormap: 'diverging', scale: 'per-image' }] };
    }
    return {
      figures: [{
        kind: 'bar', id: 'column', title: `Column of A for input pixel (${row}, ${col}): how a unit change there moves each logit`, xLabel: 'class', yLabel: '∂ logit / ∂ pixel', mode: 'grouped',
        categories: r.output.map((_, k) => r.classNames?.[k] ?? String(k)),
        series: res.columns.map((c, k) => ({ id: `c${k}`, label: res.columns.length > 1 ? `channel ${k}` : 'A·e', values: c.values })),
      }],
    };
  },
};
