/**
 * A page with one of each figure on fixed data, outside VS Code: the webview tests drive it in
 * headless Chromium and take its screenshots. It stands in for VS Code by setting the `--vscode-*`
 * variables and the body class itself (`?theme=light` for the light theme).
 */
import { mountPanel, type FigureBoard } from './components/board';
import { BarChart } from './components/barChart';
import { Heatmap } from './components/heatmap';
import { ImageGrid } from './components/imageGrid';
import { LineChart } from './components/lineChart';
import type { ExportFormat } from '../src/protocol/webview';
import { exportMessage, figureFile } from './lib/export';
import { getMessaging, type Messaging } from './lib/messaging';
import { PAPER_THEME, type Theme } from './lib/theme';
import { galleryRender } from './gallery/data';

export type GalleryTheme = 'dark' | 'light';

// A subset of VS Code's Dark Modern and Light Modern colours, enough for the figures and controls.
const THEMES: Record<GalleryTheme, Record<string, string>> = {
  dark: {
    'editor-background': '#1f1f1f', 'editor-foreground': '#cccccc', foreground: '#cccccc',
    descriptionForeground: '#9d9d9d', 'charts-lines': 'rgba(204, 204, 204, 0.5)', 'charts-foreground': '#cccccc',
    'charts-red': '#f14c4c', 'charts-blue': '#3794ff', 'charts-yellow': '#cca700', 'charts-orange': '#d18616',
    'charts-green': '#89d185', 'charts-purple': '#b180d7', focusBorder: '#0078d4', errorForeground: '#f85149',
    'font-family': 'system-ui, "Ubuntu", "Droid Sans", sans-serif', 'font-size': '13px', 'font-weight': 'normal',
    'button-background': '#0078d4', 'button-foreground': '#ffffff', 'button-hoverBackground': '#026ec1',
    'button-secondaryBackground': '#313131', 'button-secondaryForeground': '#cccccc', 'button-secondaryHoverBackground': '#3c3c3c',
    'button-border': 'rgba(255, 255, 255, 0.07)', 'progressBar-background': '#0078d4',
    'widget-border': '#313131', 'panel-border': '#2b2b2b', 'inputValidation-errorBackground': '#5a1d1d',
    'inputValidation-errorBorder': '#be1100',
  },
  light: {
    'editor-background': '#ffffff', 'editor-foreground': '#3b3b3b', foreground: '#3b3b3b',
    descriptionForeground: '#717171', 'charts-lines': 'rgba(59, 59, 59, 0.5)', 'charts-foreground': '#3b3b3b',
    'charts-red': '#e51400', 'charts-blue': '#1a85ff', 'charts-yellow': '#bf8803', 'charts-orange': '#d18616',
    'charts-green': '#388a34', 'charts-purple': '#652d90', focusBorder: '#005fb8', errorForeground: '#f85149',
    'font-family': 'system-ui, "Ubuntu", "Droid Sans", sans-serif', 'font-size': '13px', 'font-weight': 'normal',
    'button-background': '#005fb8', 'button-foreground': '#ffffff', 'button-hoverBackground': '#0258a8',
    'button-secondaryBackground': '#e5e5e5', 'button-secondaryForeground': '#3b3b3b', 'button-secondaryHoverBackground': '#cccccc',
    'button-border': 'rgba(0, 0, 0, 0.1)', 'progressBar-background': '#005fb8',
    'widget-border': '#e5e5e5', 'panel-border': '#e5e5e5', 'inputValidation-errorBackground': '#f2dede',
    'inputValidation-errorBorder': '#be1100',
  },
};

/** Switches the page the way VS Code does: inline variables on <html>, a class on <body>. */
export function setGalleryTheme(theme: GalleryTheme): void {
  const style = document.documentElement.style;
  for (const [k, v] of Object.entries(THEMES[theme])) style.setProperty(`--vscode-${k}`, v);
  document.body.classList.remove('vscode-dark', 'vscode-light');
  document.body.classList.add(`vscode-${theme}`);
}

/** What tests reach through `window.gallery`. */
export interface GalleryApi {
  readonly board: FigureBoard;
  readonly messaging: Messaging;
  readonly paper: Theme;
  setTheme(theme: GalleryTheme): void;
  heatmap(id: string): Heatmap;
  imageGrid(id: string): ImageGrid;
  bar(id: string): BarChart;
  line(id: string): LineChart;
  /** An export's bytes as the extension would get them (no download). */
  exportFile(id: string, format: ExportFormat): Promise<{ fileName: string; data: string; base64: boolean }>;
}

declare global {
  interface Window {
    gallery?: GalleryApi;
  }
}

function typed<T>(board: FigureBoard, id: string, cls: abstract new (...args: never[]) => T): T {
  const f = board.figure(id);
  if (!(f instanceof cls)) throw new Error(`No ${cls.name} '${id}' in the gallery`);
  return f;
}

function start(): void {
  const theme: GalleryTheme = new URLSearchParams(location.search).get('theme') === 'light' ? 'light' : 'dark';
  setGalleryTheme(theme);
  const root = document.getElementById('app') ?? document.body;
  const messaging = getMessaging();
  const board = mountPanel(root, { messaging });
  board.render(galleryRender());
  window.gallery = {
    board,
    messaging,
    paper: PAPER_THEME,
    setTheme: setGalleryTheme,
    heatmap: (id) => typed(board, id, Heatmap),
    imageGrid: (id) => typed(board, id, ImageGrid),
    bar: (id) => typed(board, id, BarChart),
    line: (id) => typed(board, id, LineChart),
    async exportFile(id, format) {
      const fig = board.figure(id);
      if (!fig) throw new Error(`No figure '${id}' in the gallery`);
      const msg = await exportMessage(await figureFile(fig, format));
      return { fileName: msg.fileName, data: msg.data, base64: msg.encoding === 'base64' };
    },
  };
  document.body.dataset.ready = 'true';
}

start();
