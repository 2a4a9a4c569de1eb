/**
 * What the linear interpreter's panel shows, and what a click on it computes: pure functions of
 * a result (no `vscode` import), so they are unit-tested against the CLI's numbers.
 */
import * as path from 'node:path';
import type { InterpretParams, InterpretResult } from '../../protocol/interpret';
import { asImage, channelSum, imageGeometry, ImageView } from '../../protocol/imageLayout';
import type { FigureSpec, GridImageSpec, SelectTarget, TableSpec } from '../../protocol/webview';
import type { AnalysisUpdate, AnalysisView } from '../panels/analysis';

/** The panel's own parameters (kept in its state and in the cache key). */
export interface InterpreterParams {
  readonly input: InterpretParams['input'];
  readonly svd: number;
  readonly smooth: 'secant' | 'tangent';
}

function grid(title: string, img: ImageView): GridImageSpec {
  return { title, height: img.height, width: img.width, channels: img.channels === 3 ? 3 : 1, data: Array.from(img.values) };
}

function cls(r: InterpretResult, k: number): string {
  return r.classNames?.[k] ?? `class ${k}`;
}

/**
 * An output laid out as an image (height and width > 1): the output figure shows it and a click
 * on it asks for rows. Such outputs get the image even with ≤ 100 values, where a classifier's
 * logits would get the bar chart.
 */
function isImageOutput(r: InterpretResult): boolean {
  if (r.outputShape.length !== 3) return false;
  const g = imageGeometry(r.output.length, r.outputShape, r.inputLayout);
  return g.height > 1 && g.width > 1;
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
  if (r.output.length <= 100 && !isImageOutput(r)) {
    figures.push({
      kind: 'bar', id: 'split', title: 'Logits split into A·x₀ and b', mode: 'stacked', xLabel: 'class', yLabel: 'logit',
      categories: r.output.map((_, k) => r.classNames?.[k] ?? String(k)),
      series: [{ id: 'linear', label: 'A·x₀', values: r.linear }, { id: 'bias', label: 'b', values: r.bias }],
    });
  } else if (isImageOutput(r)) {
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

/**
 * Flat positions (in the model's own layout) of pixel (row, col) of a tensor of per-sample shape
 * `shape`, one per channel: where a click on an image of that tensor lands.
 */
export function pixelIndices(shape: readonly number[], layout: string, row: number, col: number): number[] {
  const { height: h, width: w, channels: c, chw } = imageGeometry(shape.reduce((a, d) => a * d, 1), shape, layout);
  if (row < 0 || row >= h || col < 0 || col >= w) return [];
  return Array.from({ length: c }, (_, k) => (chw ? (k * h + row) * w + col : (row * w + col) * c + k));
}

/** Figures drawn in the input's pixel grid, and in an image output's. */
const INPUT_SPACE = new Set(['input', 'votes', 'contributions', 'singular', 'row']);
const OUTPUT_SPACE = new Set(['output', 'column']);

/** Runs `analysis/interpret` for more rows or columns at the panel's input. */
export type InterpretRun = (params: Omit<InterpretParams, 'jobId'>) => Promise<InterpretResult>;

/**
 * A click on the panel: on the output image (or an impulse response), the rows of A for that output pixel (one per output
 * channel: the filter that makes it); on the input (or a map over it), its column (the impulse response; an image
 * for image-to-image models, a bar per logit otherwise).
 */
export async function interpreterSelection(file: string, r: InterpretResult, p: InterpreterParams, figureId: string, target: SelectTarget, run: InterpretRun): Promise<AnalysisUpdate | undefined> {
  if (target.kind !== 'pixel') return undefined;
  const { row, col } = target;
  const base = { file, input: p.input, svd: 0, smooth: p.smooth };
  if (OUTPUT_SPACE.has(figureId) && isImageOutput(r)) {
    const rows = pixelIndices(r.outputShape, r.inputLayout, row, col);
    if (!rows.length) return undefined;
    const res = await run({ ...base, rows });
    const images = res.rows.map((x, k) => grid(rows.length > 1 ? `channel ${k}` : 'row', channelSum(asImage(x.values, r.inputShape, r.inputLayout))));
    return { figures: [{ kind: 'imageGrid', id: 'row', title: `Row of A for output pixel (${row}, ${col}): the filter that makes it`, images, colormap: 'diverging', scale: 'shared', valueLabel: '∂ output / ∂ pixel' }] };
  }
  if (!INPUT_SPACE.has(figureId)) return undefined;
  const columns = pixelIndices(r.inputShape, r.inputLayout, row, col);
  if (!columns.length) return undefined;
  const res = await run({ ...base, rows: 'none', columns });
  if (isImageOutput(r)) {
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
}
