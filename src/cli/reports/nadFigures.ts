import type { NadMapResult, NadResult } from '../../protocol/nad';
import { asImage, channelSum } from '../../protocol/imageLayout';
import { heatmapPng, imageGridPng, lineChartPng } from '../figures/figures';
import { writePng } from './writePng';


/** The top NADs as images (diverging, per-image scale), their Fourier magnitudes (viridis), the eigenvalue spectrum. */
export function nadFigures(r: NadResult, dir: string): string[] {
  const out: string[] = [];
  const { h, w } = r.image;
  const pixelSize = Math.max(2, Math.floor(84 / Math.max(h, w)));
  const columns = Math.min(r.nads.length, 8);
  writePng(dir, 'nads.png', imageGridPng({
    title: `Neural anisotropy directions (${r.networks} networks, ${r.scheme} init)`,
    images: r.nads.map((v, i) => ({ title: `NAD ${i}`, ...channelSum(asImage(v, r.inputShape, r.inputLayout)) })),
    colormap: 'diverging',
    sharedScale: false,
    columns,
    pixelSize,
  }), out);
  writePng(dir, 'nad-spectra.png', imageGridPng({
    title: 'Fourier magnitude of each NAD (zero frequency at the centre)',
    images: r.spectra.map((s, i) => ({ title: `NAD ${i}`, values: s, height: h, width: w })),
    colormap: 'viridis',
    sharedScale: false,
    columns,
    pixelSize,
  }), out);
  writePng(dir, 'nad-eigenvalues.png', lineChartPng({
    title: 'Eigenvalue spectrum of the gradient covariance',
    xLabel: 'index',
    yLabel: 'eigenvalue',
    series: [{ name: 'eigenvalue', x: r.eigenvalues.map((_, i) => i), y: r.eigenvalues }],
    annotations: [`method ${r.method}`, `NAD 0 explains ${(100 * (r.explained[0] ?? 0)).toFixed(1)}%`],
  }), out);
  return out;
}

/** Heat map of the directional test accuracy over the (fu, fv) grid. */
export function nadMapFigures(r: NadMapResult, dir: string): string[] {
  const out: string[] = [];
  writePng(dir, 'nad-map.png', heatmapPng({
    title: `Directional test accuracy over a ${r.grid}×${r.grid} Fourier grid`,
    values: r.accuracy,
    rows: r.grid,
    cols: r.grid,
    rowLabels: r.rowFrequencies.map(String),
    colLabels: r.colFrequencies.map(String),
    xLabel: 'fv (horizontal frequency)',
    yLabel: 'fu (vertical frequency)',
    colormap: 'viridis',
    colorbarLabel: 'test accuracy',
  }), out);
  return out;
}
