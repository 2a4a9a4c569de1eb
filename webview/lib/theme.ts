/**
 * Colours and fonts for figures. On screen they come from VS Code's `--vscode-*` CSS variables;
 * exports use the fixed light 'paper' theme so saved figures look the same whatever the editor
 * theme. Canvas and SVG cannot use CSS variables, hence the resolved values here and a re-render of
 * every registered figure when VS Code switches theme (it changes <body>'s class and <html>'s
 * inline variables, both observed).
 */

export type ThemeName = 'dark' | 'light' | 'high-contrast' | 'high-contrast-light' | 'paper';

export interface Theme {
  readonly name: ThemeName;
  readonly background: string;
  readonly foreground: string;
  /** Secondary text: tick labels, captions. */
  readonly muted: string;
  /** Grid lines and axis rules. */
  readonly grid: string;
  readonly fontFamily: string;
  /** Base font size in CSS px. */
  readonly fontSize: number;
  /** Series colours, in order. */
  readonly series: readonly string[];
  /** Outline of the hovered cell or bar. */
  readonly highlight: string;
}

// VS Code's default Dark Modern values; used when a variable is missing (the standalone gallery).
const DARK_FALLBACK = {
  background: '#1f1f1f', foreground: '#cccccc', muted: '#9d9d9d', grid: 'rgba(204, 204, 204, 0.5)', highlight: '#0078d4',
  fontFamily: 'system-ui, -apple-system, "Segoe UI", Ubuntu, "Droid Sans", sans-serif', fontSize: 13,
  series: ['#3794ff', '#d18616', '#89d185', '#f14c4c', '#b180d7', '#cca700'],
};

const CHART_VARS = ['blue', 'orange', 'green', 'red', 'purple', 'yellow'] as const;

/** White paper, black ink, matplotlib's tab10 series colours: readable in print and in papers. */
export const PAPER_THEME: Theme = {
  name: 'paper',
  background: '#ffffff',
  foreground: '#000000',
  muted: '#444444',
  grid: '#d9d9d9',
  fontFamily: 'Helvetica, Arial, "Liberation Sans", sans-serif',
  fontSize: 12,
  series: ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f'],
  highlight: '#000000',
};

export function themeNameOf(body: Element): Exclude<ThemeName, 'paper'> {
  const c = body.classList;
  if (c.contains('vscode-high-contrast-light')) return 'high-contrast-light';
  if (c.contains('vscode-high-contrast')) return 'high-contrast';
  if (c.contains('vscode-light')) return 'light';
  return 'dark';
}

/** The editor's current theme, resolved from computed CSS variables. */
export function readTheme(doc: Document = document): Theme {
  const style = getComputedStyle(doc.documentElement);
  const v = (name: string, fallback: string): string => style.getPropertyValue(`--vscode-${name}`).trim() || fallback;
  const name = themeNameOf(doc.body ?? doc.documentElement);
  const foreground = v('editor-foreground', v('foreground', DARK_FALLBACK.foreground));
  const fontSize = parseFloat(v('font-size', String(DARK_FALLBACK.fontSize)));
  return {
    name,
    background: v('editor-background', DARK_FALLBACK.background),
    foreground,
    muted: v('descriptionForeground', DARK_FALLBACK.muted),
    // charts.lines is the foreground at 50%: right for axes, too loud for a grid behind data.
    grid: name.startsWith('high-contrast') ? v('charts-lines', DARK_FALLBACK.grid) : fade(v('charts-lines', DARK_FALLBACK.grid), 0.5),
    fontFamily: v('font-family', DARK_FALLBACK.fontFamily),
    fontSize: Number.isFinite(fontSize) && fontSize > 0 ? fontSize : DARK_FALLBACK.fontSize,
    series: CHART_VARS.map((c, i) => v(`charts-${c}`, DARK_FALLBACK.series[i]!)),
    highlight: v('focusBorder', DARK_FALLBACK.highlight),
  };
}

let colorCtx: CanvasRenderingContext2D | null | undefined;

/** `color` with its opacity multiplied by `factor`; any CSS colour syntax (the canvas parses it). */
export function fade(color: string, factor: number): string {
  colorCtx ??= typeof document === 'undefined' ? null : document.createElement('canvas').getContext('2d');
  if (!colorCtx) return color;
  colorCtx.fillStyle = '#000000';
  colorCtx.fillStyle = color;
  const c = String(colorCtx.fillStyle);
  const hex = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(c);
  if (hex) return `rgba(${parseInt(hex[1]!, 16)}, ${parseInt(hex[2]!, 16)}, ${parseInt(hex[3]!, 16)}, ${factor})`;
  const rgba = /^rgba\(([^,]+),([^,]+),([^,]+),([^)]+)\)$/.exec(c.replace(/\s/g, ''));
  if (rgba) return `rgba(${rgba[1]}, ${rgba[2]}, ${rgba[3]}, ${Number(rgba[4]) * factor})`;
  return color;
}

/** A CSS font shorthand for canvas text. */
export function fontOf(theme: Theme, size: number = theme.fontSize, weight: 'normal' | 'bold' = 'normal'): string {
  return `${weight === 'bold' ? '600 ' : ''}${size}px ${theme.fontFamily}`;
}

export function seriesColor(theme: Theme, i: number): string {
  return theme.series[i % theme.series.length]!;
}

// ---------------------------------------------------------------------------------------------
// Figures that redraw on theme change.

export interface Themed {
  render(theme: Theme): void;
}

const registered = new Set<Themed>();
let observer: MutationObserver | null = null;
let current: Theme | null = null;
let pending = false;

/** The theme figures are drawn in now. */
export function currentTheme(): Theme {
  return (current ??= readTheme());
}

/**
 * Redraws `fig` whenever the editor theme changes (and returns the function that stops that).
 * Drawing it the first time is up to the caller.
 */
export function registerThemed(fig: Themed): () => void {
  registered.add(fig);
  ensureObserver();
  return () => registered.delete(fig);
}

/** Re-reads the theme and redraws every registered figure; also called by the observer. */
export function refreshTheme(): void {
  current = readTheme();
  for (const fig of [...registered]) {
    try {
      fig.render(current);
    } catch (err) {
      // One broken figure must not leave the others in the old theme.
      console.error('Linear Lens: figure failed to redraw on theme change', err);
    }
  }
}

function ensureObserver(): void {
  if (observer || typeof MutationObserver === 'undefined') return;
  observer = new MutationObserver(() => {
    // A theme switch touches <body class> and <html style> in one go: redraw once, after both.
    if (pending) return;
    pending = true;
    queueMicrotask(() => {
      pending = false;
      const before = current;
      const next = readTheme();
      if (before && sameTheme(before, next)) return;
      refreshTheme();
    });
  });
  observer.observe(document.documentElement, { attributes: true, attributeFilter: ['style', 'class'] });
  const watchBody = (): void => observer?.observe(document.body, { attributes: true, attributeFilter: ['class'] });
  // A script in <head> runs before <body> exists.
  if (document.body) watchBody();
  else document.addEventListener('DOMContentLoaded', watchBody, { once: true });
}

function sameTheme(a: Theme, b: Theme): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
