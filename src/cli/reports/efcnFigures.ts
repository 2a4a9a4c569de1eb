import type { EfcnResult } from '../../protocol/efcn';
import { barChartPng, lineChartPng } from '../figures/figures';
import { writePng } from './writePng';


/** Per-layer sparsity bars; with relax training, deviation curves and loss curves. */
export function efcnFigures(r: EfcnResult, dir: string): string[] {
  const out: string[] = [];
  writePng(dir, 'efcn-sparsity.png', barChartPng({
    title: `eFCN sparsity per layer (residual ${r.residual.maxAbs.toExponential(1)})`,
    categories: r.layers.map((l) => l.layer),
    series: [{ name: 'sparsity (1 − nnz / dense)', values: r.layers.map((l) => l.sparsity) }],
    xLabel: 'conv layer',
    yLabel: 'sparsity',
  }), out);
  const pts = r.relax?.points;
  if (pts?.length) {
    const steps = pts.map((p) => p.step);
    writePng(dir, 'efcn-deviation.png', lineChartPng({
      title: 'Relax training: weight leaving the CNN subspace',
      xLabel: 'step',
      yLabel: 'relative norm',
      series: r.layers.flatMap((l, i) => [
        { name: `${l.layer} off-pattern`, x: steps, y: pts.map((p) => p.layers[i]?.offPattern ?? NaN) },
        { name: `${l.layer} non-shared`, x: steps, y: pts.map((p) => p.layers[i]?.nonShared ?? NaN) },
      ]),
    }), out);
    const series = [{ name: 'train loss', x: steps, y: pts.map((p) => p.trainLoss ?? NaN) }];
    const tested = pts.filter((p) => p.testLoss !== undefined);
    if (tested.length) series.push({ name: 'test loss', x: tested.map((p) => p.step), y: tested.map((p) => p.testLoss!) });
    writePng(dir, 'efcn-loss.png', lineChartPng({ title: `Relax training loss (lr ${r.relax!.lr})`, xLabel: 'step', yLabel: 'cross-entropy', series }), out);
  }
  return out;
}
