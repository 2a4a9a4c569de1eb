/**
 * Fixed data for the gallery page, shaped like the real analyses' results. Pure (no DOM), so the
 * webview tests compute expected colours and readouts from the same numbers.
 */
import type {
  BarFigureSpec, FigureSpec, GridImageSpec, HeatmapFigureSpec, ImageGridFigureSpec, LineFigureSpec, RenderMessage,
} from '../../src/protocol/webview';

const ALPHAS = Array.from({ length: 11 }, (_, i) => i / 10);

/** Loss along the linear path between two networks: a barrier for naive averaging, almost none once aligned. */
export function lossCurves(): LineFigureSpec {
  const curve = (barrier: number, end: number) => ALPHAS.map((a) => ({ x: a, y: Number((end + barrier * 4 * a * (1 - a) + 0.02 * Math.sin(7 * a)).toFixed(4)) }));
  return {
    kind: 'line', id: 'lmc', title: 'Test loss along the linear path θ(α) = (1 − α)·θA + α·θB',
    xLabel: 'α', yLabel: 'test loss',
    series: [
      { id: 'naive', label: 'naive', points: curve(1.9, 0.31) },
      { id: 'aligned', label: 'aligned', points: curve(0.42, 0.3) },
      { id: 'repair', label: 'aligned + REPAIR', points: curve(0.08, 0.3).slice(0, 6) },
    ],
  };
}

/** Ten class rows over sixteen hidden units, signed. */
export function weightMap(): HeatmapFigureSpec {
  const rows = 10;
  const cols = 16;
  const values = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) values[r * cols + c] = Math.sin(0.9 * r + 0.35 * c) * Math.cos(0.21 * r * c) * (1 + r / 10);
  return {
    kind: 'heatmap', id: 'weights', title: 'Output layer weights', rows, cols, values,
    rowLabels: Array.from({ length: rows }, (_, r) => `class ${r}`),
    colLabels: Array.from({ length: cols }, (_, c) => `h${c}`),
    xLabel: 'hidden unit', yLabel: 'class', colormap: 'diverging', valueLabel: 'weight',
  };
}

/** One 28 × 28 linear-interpreter row per class: blobs of both signs. */
export function interpreterRows(): ImageGridFigureSpec {
  const images: GridImageSpec[] = [];
  for (let k = 0; k < 10; k++) {
    const data = new Float32Array(28 * 28);
    const cx = 14 + 7 * Math.cos(k * 0.63);
    const cy = 14 + 7 * Math.sin(k * 0.63);
    for (let r = 0; r < 28; r++) {
      for (let c = 0; c < 28; c++) {
        const d1 = ((r - cy) ** 2 + (c - cx) ** 2) / 18;
        const d2 = ((r - 28 + cy) ** 2 + (c - 28 + cx) ** 2) / 30;
        data[r * 28 + c] = (1 + k / 9) * Math.exp(-d1) - 0.7 * Math.exp(-d2);
      }
    }
    images.push({ title: `class ${k}`, height: 28, width: 28, channels: 1, data });
  }
  return { kind: 'imageGrid', id: 'rows', title: 'Rows of the linear map A, one per class', images, colormap: 'diverging', scale: 'shared', valueLabel: '∂ logit / ∂ pixel' };
}

/** An RGB input beside two single-channel maps, each on its own scale. */
export function inputAndMaps(): ImageGridFigureSpec {
  const h = 16;
  const w = 16;
  const rgb = new Float32Array(h * w * 3);
  const a = new Float32Array(h * w);
  const b = new Float32Array(h * w);
  for (let r = 0; r < h; r++) {
    for (let c = 0; c < w; c++) {
      const i = r * w + c;
      rgb.set([r / (h - 1), c / (w - 1), 1 - r / (h - 1)], i * 3);
      a[i] = Math.hypot(r - 7.5, c - 7.5);
      b[i] = 100 * Math.sin(r / 3) * Math.cos(c / 4);
    }
  }
  return {
    kind: 'imageGrid', id: 'inputs', title: 'Input and two feature maps (each on its own scale)', colormap: 'viridis', scale: 'per-image', limits: undefined,
    images: [
      { title: 'input (RGB)', height: h, width: w, channels: 3, data: rgb },
      { title: 'distance', height: h, width: w, channels: 1, data: a },
      { title: 'feature 7', height: h, width: w, channels: 1, data: b },
    ],
  };
}

/** Barrier height per layer, before and after alignment. */
export function layerBarriers(): BarFigureSpec {
  const layers = ['conv1', 'conv2', 'conv3', 'conv4', 'fc1', 'fc2'];
  return {
    kind: 'bar', id: 'barriers', title: 'Loss barrier per layer', mode: 'grouped', categories: layers,
    xLabel: 'layer', yLabel: 'barrier',
    series: [
      { id: 'naive', label: 'naive', values: [0.12, 0.45, 0.9, 1.3, 0.8, 0.2] },
      { id: 'aligned', label: 'aligned', values: [0.02, 0.05, 0.11, 0.18, 0.07, -0.03] },
    ],
  };
}

/** Logits of one input split into the linear part A·x₀ and the offset b. */
export function logitSplit(): BarFigureSpec {
  const ax = [2.1, -1.4, 0.6, 3.8, -0.9, 0.3, -2.2, 1.1, 0.2, -0.5];
  const b = [-0.4, 0.7, -0.2, -1.1, 0.5, 0.1, 0.9, -0.6, 0.3, 0.2];
  return {
    kind: 'bar', id: 'logits', title: 'Logits split into A·x₀ and b', mode: 'stacked',
    categories: ax.map((_, i) => String(i)), xLabel: 'class', yLabel: 'logit',
    series: [{ id: 'ax', label: 'A·x₀', values: ax }, { id: 'b', label: 'b', values: b }],
  };
}

export function galleryFigures(): FigureSpec[] {
  return [lossCurves(), weightMap(), interpreterRows(), inputAndMaps(), layerBarriers(), logitSplit()];
}

export function galleryRender(): RenderMessage {
  return { type: 'render', title: 'Linear Lens: component gallery', figures: galleryFigures(), status: 'done' };
}
