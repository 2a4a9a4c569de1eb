/**
 * The eFCN panel: every conv of a CNN as its equivalent dense matrix — the equivalence residual,
 * per-layer size and sparsity — and relax training, whose deviation from the CNN's subspace
 * (weights off the conv's sparsity pattern, and not shared) grows point by point.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { EfcnParams, EfcnResult } from '../../protocol/efcn';
import type { FigureSpec, JsonValue, LineFigureSpec, TableSpec } from '../../protocol/webview';
import type { AnalysisProvider, AnalysisView } from '../panels/analysis';
import { cacheKey } from '../panels/cacheKey';
import { datasetParams } from './interpreter';

export const EFCN_KIND = 'efcn';

function curves(r: Pick<EfcnResult, 'layers'> & { points: NonNullable<EfcnResult['relax']>['points'] }): LineFigureSpec[] {
  const names = r.layers.map((l) => l.layer);
  return [
    {
      kind: 'line', id: 'deviation', title: 'Deviation from the CNN subspace: ‖W off the conv pattern‖/‖W‖ and ‖non-shared part‖/‖W‖', xLabel: 'step', yLabel: 'relative norm',
      series: names.flatMap((n, li) => [
        { id: `off${li}`, label: `${n}: off-pattern`, points: r.points.map((p) => ({ x: p.step, y: p.layers[li]?.offPattern ?? NaN })) },
        { id: `ns${li}`, label: `${n}: non-shared`, points: r.points.map((p) => ({ x: p.step, y: p.layers[li]?.nonShared ?? NaN })) },
      ]),
    },
    {
      kind: 'line', id: 'loss', title: 'Relax training loss', xLabel: 'step', yLabel: 'cross-entropy',
      series: [
        { id: 'train', label: 'train', points: r.points.filter((p) => p.trainLoss !== undefined).map((p) => ({ x: p.step, y: p.trainLoss! })) },
        { id: 'test', label: 'test', points: r.points.filter((p) => p.testLoss !== undefined).map((p) => ({ x: p.step, y: p.testLoss! })) },
      ],
    },
  ];
}

/** The tables and figures of an eFCN result. */
export function efcnView(r: EfcnResult): AnalysisView {
  const figures: FigureSpec[] = [{
    kind: 'bar', id: 'sparsity', title: 'Each conv as a dense matrix: share of zero entries', mode: 'grouped', xLabel: 'layer', yLabel: 'sparsity',
    categories: r.layers.map((l) => l.layer), series: [{ id: 'sparsity', label: 'sparsity', values: r.layers.map((l) => l.sparsity) }],
  }];
  if (r.relax) figures.push(...curves({ layers: r.layers, points: r.relax.points }));
  const mib = (b: number) => +(b / 2 ** 20).toFixed(2);
  const tables: TableSpec[] = [
    { id: 'summary', title: 'Equivalence', columns: ['quantity', 'value'], rows: [['max |eFCN − CNN| / max |CNN|', r.residual.maxRel], ['CNN parameters', r.cnnParams], ['eFCN parameters', r.efcnParams], ...(r.written ? [['written to', r.written.modelJson] as [string, string]] : [])] },
    { id: 'layers', title: 'Layers', columns: ['layer', 'in', 'out', 'dense entries', 'nonzeros', 'sparsity', 'dense MiB', 'sparse MiB'], rows: r.layers.map((l) => [l.layer, l.inShape.join('×'), l.outShape.join('×'), l.denseElements, l.nnz, l.sparsity, mib(l.denseBytes), mib(l.csrBytes)]) },
  ];
  return { title: path.basename(r.file), figures, tables };
}

export const efcnProvider: AnalysisProvider<JsonValue> = {
  kind: EFCN_KIND,
  title: 'CNN to eFCN',
  description: 'Every conv as its equivalent fully-connected layer (same outputs), sizes and sparsity, and relax training away from the conv structure.',
  async prepare(start, services) {
    const model = start.models[0];
    if (!model) return undefined;
    const pick = await vscode.window.showQuickPick(
      [{ label: 'Convert only', description: 'residual, sizes, sparsity', relax: 0 }, { label: 'Convert and relax-train 50 steps', description: 'needs a dataset; lr 0.005', relax: 50 }],
      { title: `CNN to eFCN: ${path.basename(model.fsPath)}` },
    );
    if (!pick) return undefined;
    let params: Omit<EfcnParams, 'file'> = {};
    if (pick.relax > 0) {
      const d = await services.picks.dataset();
      if (!d) return undefined;
      params = { relax: { dataset: { ...datasetParams(d), maxSamples: Math.min(d.maxSamples, 2000) }, steps: pick.relax, lr: 0.005 } };
    }
    const key = await cacheKey([{ model: model.fsPath }, ...(params.relax ? [{ dataset: params.relax.dataset.path }] : []), { value: params as unknown as JsonValue }]);
    return { kind: EFCN_KIND, title: `eFCN: ${path.basename(model.fsPath)}${pick.relax ? ' (relax)' : ''}`, models: [model.fsPath], key, params };
  },
  async compute(ctx) {
    const p = ctx.state.params as Omit<EfcnParams, 'file'>;
    const points: NonNullable<EfcnResult['relax']>['points'] = [];
    let layers: EfcnResult['layers'] = [];
    const r = await ctx.run('analysis/efcn', { ...p, file: ctx.state.models[0] }, (pt) => {
      points.push(pt);
      if (layers.length === 0) layers = pt.layers.map((l) => ({ layer: l.layer }) as EfcnResult['layers'][number]);
      ctx.sink.show({ title: `relax step ${pt.step}`, figures: curves({ layers, points }) });
    });
    return r as unknown as JsonValue;
  },
  view(result) {
    return efcnView(result as unknown as EfcnResult);
  },
};
