/**
 * The connectivity panels: linear mode connectivity (loss and accuracy curves naive / aligned /
 * aligned + REPAIR, growing point by point, barrier table, layer-wise barrier bars) and LLFC
 * (layers × α heat map of the cosine distance, the scale, per-layer curves).
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { LlfcParams, LlfcResult, LmcParams, LmcResult } from '../../protocol/connectivity';
import type { FigureSpec, JsonValue, LineFigureSpec, TableSpec } from '../../protocol/webview';
import type { AnalysisProvider, AnalysisView } from '../panels/analysis';
import { cacheKey } from '../panels/cacheKey';
import type { Services } from '../services';
import { datasetParams } from './interpreter';

export const LMC_KIND = 'lmc';
export const LLFC_KIND = 'llfc';

const COMPARE = [{ align: 'weights', bn: 'none' }, { align: 'weights', bn: 'repair' }] as const;

/** Asks for the second model and the dataset; undefined when dismissed. */
async function askPair(start: { models: readonly vscode.Uri[] }, services: Services, what: string): Promise<{ a: vscode.Uri; b: vscode.Uri; dataset: ReturnType<typeof datasetParams> } | undefined> {
  const a = start.models[0];
  if (!a) return undefined;
  const b = start.models[1] ?? (await services.picks.pickModel({ title: `${what}: the second network (same architecture as ${path.basename(a.fsPath)})`, memoryKey: `${what}:b`, exclude: [a] }));
  if (!b) return undefined;
  const d = await services.picks.dataset();
  if (!d) return undefined;
  return { a, b, dataset: { ...datasetParams(d), maxSamples: d.maxSamples } };
}

function names(a: string, b: string): string {
  const short = (f: string) => path.basename(path.dirname(f)) + '/' + path.basename(f);
  return `${short(a)} ↔ ${short(b)}`;
}

function emptyCurves(labels: readonly string[]): FigureSpec[] {
  const fig = (id: string, title: string, yLabel: string): LineFigureSpec => ({ kind: 'line', id, title, xLabel: 'α', yLabel, series: labels.map((l, i) => ({ id: `c${i}`, label: l, points: [] })) });
  return [fig('loss', 'Loss along θ(α) = (1−α)θA + αθB', 'cross-entropy'), fig('accuracy', 'Accuracy along the path', 'accuracy')];
}

/** The figures and tables of an LMC result. */
export function lmcView(r: LmcResult): AnalysisView {
  const curve = (id: string, title: string, yLabel: string, pick: (c: LmcResult['curves'][number]) => number[]): LineFigureSpec => ({
    kind: 'line', id, title, xLabel: 'α', yLabel,
    series: r.curves.map((c, i) => ({ id: `c${i}`, label: `${c.label} (barrier ${c.barrier.loss.toFixed(3)})`, points: c.alpha.map((x, j) => ({ x, y: pick(c)[j] })) })),
  });
  const figures: FigureSpec[] = [
    curve('loss', `Loss along θ(α) = (1−α)θA + αθB (${r.samples} samples)`, 'cross-entropy', (c) => c.loss),
    curve('accuracy', 'Accuracy along the path', 'accuracy', (c) => c.accuracy),
  ];
  if (r.layerwise.length) {
    figures.push({
      kind: 'bar', id: 'layerwise', title: 'Layer-wise barriers: one layer group interpolated at α = ½', mode: 'grouped', xLabel: 'layer', yLabel: 'loss barrier',
      categories: r.layerwise.map((l) => l.layer),
      series: [{ id: 'restA', label: 'rest from A', values: r.layerwise.map((l) => l.barrier) }, { id: 'restB', label: 'rest from B', values: r.layerwise.map((l) => l.barrierRestB) }],
    });
  }
  const tables: TableSpec[] = [
    {
      id: 'barriers', title: 'Barriers', columns: ['curve', 'loss: max L(α) − ½(L0+L1)', 'loss vs chord', 'accuracy drop', 'accuracy drop vs chord'],
      rows: r.curves.map((c) => [c.label, c.barrier.loss, c.barrier.lossLinear, c.barrier.accuracy, c.barrier.accuracyLinear]),
    },
  ];
  if (r.layerwise.length) {
    tables.push({ id: 'layerwise', title: 'Layer-wise barriers', columns: ['layer', 'rest from A', 'rest from B', 'cumulative from input', 'cumulative from output'], rows: r.layerwise.map((l) => [l.layer, l.barrier, l.barrierRestB, l.fromInput, l.fromOutput]) });
  }
  if (r.permutations.length) tables.push({ id: 'permutations', title: 'Permutations of B onto A', columns: ['group', 'units', 'moved'], rows: r.permutations.map((p) => [p.group, p.size, p.moved]) });
  return { title: names(r.a, r.b), figures, tables };
}

export const lmcProvider: AnalysisProvider<JsonValue> = {
  kind: LMC_KIND,
  title: 'Mode connectivity',
  description: 'Loss and accuracy along the straight line between two trained networks, naive and after permutation alignment (+ REPAIR), with barriers and layer-wise barriers.',
  async prepare(start, services) {
    const pair = await askPair(start, services, 'Linear mode connectivity');
    if (!pair) return undefined;
    const params: Omit<LmcParams, 'a' | 'b'> = { dataset: pair.dataset, align: 'none', bn: 'none', compare: COMPARE, layerwise: true, points: 25 };
    const key = await cacheKey([{ model: pair.a.fsPath }, { model: pair.b.fsPath }, { dataset: pair.dataset.path }, { value: params as unknown as JsonValue }]);
    return { kind: LMC_KIND, title: `Mode connectivity: ${names(pair.a.fsPath, pair.b.fsPath)}`, models: [pair.a.fsPath, pair.b.fsPath], key, params };
  },
  async compute(ctx) {
    const p = ctx.state.params as Omit<LmcParams, 'a' | 'b'>;
    const labels = ['naive', 'weight matching', 'weight matching + REPAIR'];
    ctx.sink.show({ title: 'computing…', figures: emptyCurves(labels) });
    const r = await ctx.run('analysis/lmc', { ...p, a: ctx.state.models[0], b: ctx.state.models[1] }, (pt) => {
      ctx.sink.point('loss', `c${pt.curve}`, { x: pt.alpha, y: pt.loss });
      ctx.sink.point('accuracy', `c${pt.curve}`, { x: pt.alpha, y: pt.accuracy });
    });
    return r as unknown as JsonValue;
  },
  view(result) {
    return lmcView(result as unknown as LmcResult);
  },
};

/** The figures of an LLFC result. */
export function llfcView(r: LlfcResult): AnalysisView {
  const rows = r.layerNames;
  const at = (metric: (x: LlfcResult['layers'][number]) => number) => {
    const v = new Array<number>(rows.length * r.alphas.length).fill(NaN);
    for (const x of r.layers) {
      const li = rows.indexOf(x.stage === 'pre' ? `${x.layer} (pre)` : x.layer);
      const ai = r.alphas.indexOf(x.alpha);
      if (li >= 0 && ai >= 0) v[li * r.alphas.length + ai] = metric(x);
    }
    return v;
  };
  const colLabels = r.alphas.map((a) => a.toFixed(2));
  const figures: FigureSpec[] = [
    { kind: 'heatmap', id: 'distance', title: 'LLFC: 1 − cos(f(θα), (1−α)fA + αfB), mean over samples', rows: rows.length, cols: r.alphas.length, values: at((x) => x.cosineDistance.mean), rowLabels: rows, colLabels, xLabel: 'α', yLabel: 'layer', colormap: 'viridis', valueLabel: 'cosine distance' },
    { kind: 'heatmap', id: 'scale', title: 'Scale c = ⟨fα, f_int⟩ / ‖f_int‖²', rows: rows.length, cols: r.alphas.length, values: at((x) => x.scale), rowLabels: rows, colLabels, xLabel: 'α', yLabel: 'layer', colormap: 'viridis', valueLabel: 'c' },
    {
      kind: 'line', id: 'curves', title: 'Cosine distance per layer', xLabel: 'α', yLabel: 'cosine distance',
      series: rows.map((name, li) => ({ id: `l${li}`, label: name, points: r.alphas.map((a, ai) => ({ x: a, y: at((x) => x.cosineDistance.mean)[li * r.alphas.length + ai] })) })),
    },
  ];
  const base = new Map(r.layers.filter((x) => x.alpha === r.alphas[0]).map((x) => [x.stage === 'pre' ? `${x.layer} (pre)` : x.layer, x.baseline]));
  const tables: TableSpec[] = [{ id: 'baseline', title: 'Baseline dist(fA, fB) per layer', columns: ['layer', 'dist(fA, fB)'], rows: rows.map((n) => [n, base.get(n) ?? null]) }];
  return { title: `${names(r.a, r.b)}${r.align !== 'none' ? ` (B aligned by ${r.align})` : ''}`, figures, tables };
}

export const llfcProvider: AnalysisProvider<JsonValue> = {
  kind: LLFC_KIND,
  title: 'Feature connectivity (LLFC)',
  description: 'Per layer and α: are the interpolated network\'s features the interpolated features? Cosine distance, scale and baseline.',
  async prepare(start, services) {
    const pair = await askPair(start, services, 'Feature connectivity');
    if (!pair) return undefined;
    const align = await vscode.window.showQuickPick(
      [{ label: 'weights', description: 'permute B onto A by weight matching first' }, { label: 'none', description: 'compare the networks as they are' }, { label: 'activations', description: 'permute B onto A by activation matching first' }],
      { title: 'Feature connectivity: align B first?' },
    );
    if (!align) return undefined;
    const params: Omit<LlfcParams, 'a' | 'b'> = { dataset: { ...pair.dataset, maxSamples: Math.min(pair.dataset.maxSamples ?? 1000, 1000) }, align: align.label as LlfcParams['align'] };
    const key = await cacheKey([{ model: pair.a.fsPath }, { model: pair.b.fsPath }, { dataset: pair.dataset.path }, { value: params as unknown as JsonValue }]);
    return { kind: LLFC_KIND, title: `LLFC: ${names(pair.a.fsPath, pair.b.fsPath)}`, models: [pair.a.fsPath, pair.b.fsPath], key, params };
  },
  async compute(ctx) {
    const p = ctx.state.params as Omit<LlfcParams, 'a' | 'b'>;
    return (await ctx.run('analysis/llfc', { ...p, a: ctx.state.models[0], b: ctx.state.models[1] })) as unknown as JsonValue;
  },
  view(result) {
    return llfcView(result as unknown as LlfcResult);
  },
};
