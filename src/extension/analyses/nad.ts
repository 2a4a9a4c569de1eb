/**
 * The architecture panels: neural anisotropy directions (NADs as images, their Fourier
 * magnitudes, the eigenvalue spectrum, where their energy sits) and the directional accuracy map
 * (test accuracy per Fourier direction, filling in live; every direction is cached by the host,
 * so a cancelled sweep resumes).
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { NadMapParams, NadMapResult, NadParams, NadResult } from '../../protocol/nad';
import { channelSum, asImage } from '../../protocol/imageLayout';
import type { FigureSpec, GridImageSpec, HeatmapFigureSpec, JsonValue, TableSpec } from '../../protocol/webview';
import type { AnalysisProvider, AnalysisView } from '../panels/analysis';
import { cacheKey } from '../panels/cacheKey';

export const NAD_KIND = 'nad';
export const NAD_MAP_KIND = 'nadMap';

function gridImage(title: string, v: readonly number[], shape: readonly number[], layout: string): GridImageSpec {
  const img = channelSum(asImage(v, shape, layout));
  return { title, height: img.height, width: img.width, channels: 1, data: Array.from(img.values) };
}

/** The figures and energy table of a NAD result. */
export function nadView(r: NadResult): AnalysisView {
  const shown = r.nads.length;
  const figures: FigureSpec[] = [
    { kind: 'imageGrid', id: 'nads', title: `Neural anisotropy directions (top ${shown} of ${r.networks} networks, ${r.scheme} init)`, colormap: 'diverging', scale: 'per-image', images: r.nads.map((v, i) => gridImage(`NAD ${i} (${(100 * r.explained[i]).toFixed(1)}%)`, v, r.inputShape, r.inputLayout)) },
    { kind: 'imageGrid', id: 'spectra', title: 'Their Fourier magnitudes (DC in the centre)', colormap: 'viridis', scale: 'per-image', images: r.spectra.map((v, i) => ({ title: `|F(NAD ${i})|`, height: r.image.h, width: r.image.w, channels: 1 as const, data: v })) },
    { kind: 'line', id: 'eigenvalues', title: 'Eigenvalue spectrum of the gradients\' covariance', xLabel: 'component', yLabel: 'eigenvalue', series: [{ id: 'eig', label: 'eigenvalue', points: r.eigenvalues.map((y, x) => ({ x, y })) }] },
  ];
  const tables: TableSpec[] = [{
    id: 'energy', title: 'Where each NAD\'s energy sits', columns: ['NAD', 'explained', 'DC', 'lowest ring', 'k ≡ 0 mod 2', 'k ≡ 0 mod 4', 'peak (fu, fv)'],
    rows: r.fourierEnergy.map((e, i) => [i, r.explained[i], e.dc, e.rings[0] ?? null, e.mod2, e.mod4, `(${e.peak.fu}, ${e.peak.fv})`]),
  }];
  return { title: `${path.basename(r.file)}: ${r.networks} networks`, figures, tables };
}

export const nadProvider: AnalysisProvider<JsonValue> = {
  kind: NAD_KIND,
  title: 'Neural anisotropy directions',
  description: 'The input directions the architecture itself prefers: principal components of large-step gradients of many freshly initialised copies.',
  async prepare(start) {
    const model = start.models[0];
    if (!model) return undefined;
    const n = await vscode.window.showQuickPick(
      [{ label: '200', description: 'quick look (about a minute for a small CNN)' }, { label: '1000', description: 'stable top NADs' }, { label: '10000', description: 'the paper\'s setting (slow)' }],
      { title: `Neural anisotropy directions of ${path.basename(model.fsPath)}: how many freshly initialised networks?` },
    );
    if (!n) return undefined;
    const params: Omit<NadParams, 'file'> = { networks: Number(n.label), top: 16 };
    const key = await cacheKey([{ model: model.fsPath }, { value: params as unknown as JsonValue }]);
    return { kind: NAD_KIND, title: `NADs: ${path.basename(model.fsPath)} (N = ${n.label})`, models: [model.fsPath], key, params };
  },
  async compute(ctx) {
    return (await ctx.run('analysis/nad', { ...(ctx.state.params as Omit<NadParams, 'file'>), file: ctx.state.models[0] })) as unknown as JsonValue;
  },
  view(result) {
    return nadView(result as unknown as NadResult);
  },
};

function mapFigure(grid: number, rowF: readonly number[], colF: readonly number[], acc: readonly number[]): HeatmapFigureSpec {
  return {
    kind: 'heatmap', id: 'map', title: 'Test accuracy of the architecture trained on a linearly separable set along each Fourier direction',
    rows: grid, cols: grid, values: acc, rowLabels: rowF.map(String), colLabels: colF.map(String), xLabel: 'fv', yLabel: 'fu', colormap: 'viridis', limits: [0.5, 1], valueLabel: 'test accuracy',
  };
}

export const nadMapProvider: AnalysisProvider<JsonValue> = {
  kind: NAD_MAP_KIND,
  title: 'Directional accuracy map',
  description: 'Trains the architecture from scratch on one linearly separable set per Fourier direction and maps the test accuracy (the NAD paper\'s evidence).',
  async prepare(start) {
    const model = start.models[0];
    if (!model) return undefined;
    const pick = await vscode.window.showQuickPick(
      [
        { label: 'Quick', description: '4×4 grid, 2,000 samples, 10 epochs (several minutes for a small CNN)', params: { grid: 4, samples: 2000, epochs: 10 } },
        { label: 'Reference', description: '8×8 grid, 10,000 samples, 20 epochs (hours on a CPU)', params: { grid: 8, samples: 10000, epochs: 20 } },
      ],
      { title: `Directional accuracy map of ${path.basename(model.fsPath)}` },
    );
    if (!pick) return undefined;
    const params: Omit<NadMapParams, 'file'> = pick.params;
    const key = await cacheKey([{ model: model.fsPath }, { value: params as unknown as JsonValue }]);
    return { kind: NAD_MAP_KIND, title: `Accuracy map: ${path.basename(model.fsPath)} (${pick.label.toLowerCase()})`, models: [model.fsPath], key, params };
  },
  async compute(ctx) {
    const p = ctx.state.params as Omit<NadMapParams, 'file'>;
    const grid = p.grid ?? 4;
    const acc = new Array<number>(grid * grid).fill(NaN);
    let freqs: number[] = [];
    const r = await ctx.run('analysis/nadMap', { ...p, file: ctx.state.models[0] }, (d) => {
      acc[d.row * grid + d.col] = d.accuracy;
      if (freqs.length === 0) freqs = Array.from({ length: grid }, (_, i) => Math.round(-grid / 2 + i));
      ctx.sink.show({ title: `${d.index + 1} of ${d.total} directions`, figures: [{ ...mapFigure(grid, freqs, freqs, acc), rowLabels: undefined, colLabels: undefined }] });
    });
    return r as unknown as JsonValue;
  },
  view(result) {
    const r = result as unknown as NadMapResult;
    return {
      title: `${path.basename(r.file)}: ${r.directions.length} directions (${r.cached} from the cache)`,
      figures: [mapFigure(r.grid, r.rowFrequencies, r.colFrequencies, r.accuracy)],
      tables: [{ id: 'directions', title: 'Per direction', columns: ['fu', 'fv', 'test accuracy', 'test loss'], rows: r.directions.map((d, i) => [d.fu, d.fv, r.accuracy[i], r.testLoss[i]]) }],
    };
  },
};
