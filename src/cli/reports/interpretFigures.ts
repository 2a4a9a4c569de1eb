import type { InterpretResult } from '../../protocol/interpret';
import { barChartPng, imageGridPng } from '../figures/figures';
import { writePng } from './writePng';
import { asImage, channelSum } from '../../protocol/imageLayout';

/** Writes the interpreter's figures (PNG) into `dir`; returns the files written. */
export function interpretFigures(r: InterpretResult, dir: string): string[] {
  const written: string[] = [];
  const put = (name: string, png: Buffer) => writePng(dir, name, png, written);
  const cls = (k: number) => r.classNames?.[k] ?? `class ${k}`;
  const img = (v: ArrayLike<number>) => asImage(v, r.inputShape, r.inputLayout);
  const x = img(r.x0);
  put('input.png', imageGridPng({
    title: `Input${r.label !== undefined ? ` (label: ${cls(r.label)})` : ''}, predicted ${cls(r.predicted)}`,
    images: [{ title: 'x0', values: x.values, height: x.height, width: x.width, channels: x.channels }],
    colormap: x.channels === 3 ? 'rgb' : 'gray',
    sharedScale: false,
    pixelSize: Math.max(2, Math.floor(160 / Math.max(x.height, x.width))),
  }));
  if (r.rows.length) {
    const pixelSize = Math.max(2, Math.floor(84 / Math.max(x.height, x.width)));
    const votes = r.rows.map((row) => ({ title: cls(row.output), ...channelSum(img(row.values)) }));
    put('votes.png', imageGridPng({
      title: 'Rows of A: each pixel\'s vote for each class',
      images: votes,
      colormap: 'diverging',
      sharedScale: true,
      colorbarLabel: '∂ logit / ∂ pixel',
      columns: Math.min(votes.length, 5),
      pixelSize,
    }));
    const contrib = r.rows.map((row) => {
      const prod = Float32Array.from(row.values, (a, j) => a * r.x0[j]);
      return { title: cls(row.output), ...channelSum(img(prod)) };
    });
    put('contributions.png', imageGridPng({
      title: 'Contributions A[k,:] ⊙ x0 (each sums to logit − b)',
      images: contrib,
      colormap: 'diverging',
      sharedScale: true,
      colorbarLabel: 'contribution to the logit',
      columns: Math.min(contrib.length, 5),
      pixelSize,
    }));
  }
  if (r.output.length <= 100) {
    put('logit-split.png', barChartPng({
      title: `Logits split into A·x0 and b (residual ${r.residual.toExponential(1)})`,
      categories: r.output.map((_, k) => (r.classNames?.[k] ?? String(k))),
      series: [
        { name: 'A·x0', values: r.linear },
        { name: 'b', values: r.bias },
      ],
      stacked: true,
      xLabel: 'class',
      yLabel: 'logit',
    }));
  }
  if (r.singularInputVectors?.length) {
    const vecs = r.singularInputVectors.map((v, i) => ({ title: `σ${i + 1} = ${r.singularValues![i].toPrecision(3)}`, ...channelSum(img(v)) }));
    put('singular-vectors.png', imageGridPng({
      title: 'Top right singular vectors of A: the input basis the map relies on',
      images: vecs,
      colormap: 'diverging',
      sharedScale: false,
      columns: Math.min(vecs.length, 4),
      pixelSize: Math.max(2, Math.floor(84 / Math.max(x.height, x.width))),
    }));
  }
  return written;
}
