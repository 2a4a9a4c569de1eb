import type { LlfcResult, LmcResult } from '../../protocol/connectivity';
import { barChartPng, heatmapPng, lineChartPng } from '../figures/figures';
import { writePng } from './writePng';


/** Loss and accuracy curves (every variant overlaid, barriers annotated) and layer-wise bars. */
export function lmcFigures(r: LmcResult, dir: string): string[] {
  const out: string[] = [];
  const notes = r.curves.map((c) => `${c.label}: barrier ${c.barrier.loss.toFixed(3)}`);
  writePng(dir, 'lmc-loss.png', lineChartPng({
    title: `Test loss along θ(α) = (1−α)θA + αθB (${r.samples} samples)`,
    xLabel: 'α',
    yLabel: 'cross-entropy',
    series: r.curves.map((c) => ({ name: c.label, x: c.alpha, y: c.loss })),
    annotations: notes,
  }), out);
  writePng(dir, 'lmc-accuracy.png', lineChartPng({
    title: 'Accuracy along the path',
    xLabel: 'α',
    yLabel: 'accuracy',
    series: r.curves.map((c) => ({ name: c.label, x: c.alpha, y: c.accuracy })),
    annotations: r.curves.map((c) => `${c.label}: drop ${(100 * c.barrier.accuracy).toFixed(1)} pts`),
  }), out);
  if (r.layerwise.length) {
    writePng(dir, 'lmc-layerwise.png', barChartPng({
      title: 'Layer-wise barriers: one layer interpolated at α = ½',
      categories: r.layerwise.map((l) => l.layer),
      series: [
        { name: 'rest from A', values: r.layerwise.map((l) => l.barrier) },
        { name: 'rest from B', values: r.layerwise.map((l) => l.barrierRestB) },
      ],
      xLabel: 'layer',
      yLabel: 'loss barrier',
    }), out);
  }
  return out;
}

/** LLFC as a heat map (layers × α) of the mean cosine distance, and the scale per layer. */
export function llfcFigures(r: LlfcResult, dir: string): string[] {
  const out: string[] = [];
  const names = r.layerNames;
  const values = new Float64Array(names.length * r.alphas.length);
  const scale = new Float64Array(names.length * r.alphas.length);
  for (const row of r.layers) {
    const li = names.indexOf(row.stage === 'pre' ? `${row.layer} (pre)` : row.layer);
    const ai = r.alphas.indexOf(row.alpha);
    if (li < 0 || ai < 0) continue;
    values[li * r.alphas.length + ai] = row.cosineDistance.mean;
    scale[li * r.alphas.length + ai] = row.scale;
  }
  const alphaLabels = r.alphas.map((a) => a.toFixed(2));
  writePng(dir, 'llfc-distance.png', heatmapPng({
    title: `LLFC: 1 − cos(f(θα), (1−α)fA + αfB)${r.align !== 'none' ? ` (B aligned by ${r.align})` : ''}`,
    values,
    rows: names.length,
    cols: r.alphas.length,
    rowLabels: names,
    colLabels: alphaLabels,
    xLabel: 'α',
    yLabel: 'layer',
    colormap: 'viridis',
    colorbarLabel: 'cosine distance',
  }), out);
  writePng(dir, 'llfc-scale.png', heatmapPng({
    title: 'LLFC scale c = ⟨fα, f_int⟩ / ‖f_int‖²',
    values: scale,
    rows: names.length,
    cols: r.alphas.length,
    rowLabels: names,
    colLabels: alphaLabels,
    xLabel: 'α',
    yLabel: 'layer',
    colormap: 'viridis',
    colorbarLabel: 'c',
  }), out);
  return out;
}
