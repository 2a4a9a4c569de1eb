/**
 * Messages between the extension and a webview panel, and the figure specs a panel renders.
 * Pure types and string constants: the webview bundle imports this file, so it must not pull in
 * node, vscode or any runtime library.
 *
 * Order of events: the panel registers its handlers, then sends `ready`; the extension posts nothing
 * before `ready` (messages posted earlier would be lost), then sends `render`, any number of
 * `partial`/`progress`, and `error` when the job fails.
 */

/** Bumped when a message changes shape, so an old cached panel state can be told apart. */
export const WEBVIEW_PROTOCOL_VERSION = 1;

/** Every `type` tag, for switch statements and handler tables on both sides. */
export const WebviewMessageType = {
  // webview -> extension
  ready: 'ready',
  export: 'export',
  setState: 'setState',
  retry: 'retry',
  select: 'select',
  thumbnail: 'thumbnail',
  // extension -> webview
  render: 'render',
  partial: 'partial',
  progress: 'progress',
  error: 'error',
} as const;

/** A value that survives JSON and structured clone alike (panel state, exported data). */
export type JsonValue = string | number | boolean | null | readonly JsonValue[] | { readonly [key: string]: JsonValue };

/**
 * A list of numbers. VS Code's postMessage keeps typed arrays intact, so large maps can travel as
 * Float32Array without a JSON detour.
 */
export type NumberList = readonly number[] | Float32Array | Float64Array;

// ---------------------------------------------------------------------------------------------
// Figure specs: the data a figure shows, with no styling (colours come from the theme).

export type ColormapName = 'viridis' | 'diverging' | 'gray';

interface FigureSpecBase {
  /** Unique within a panel; `partial` and `select` refer to figures by it. */
  readonly id: string;
  readonly title: string;
  /** Read by screen readers in place of the picture; defaults to the title. */
  readonly description?: string;
}

export interface CurvePoint {
  readonly x: number;
  readonly y: number;
}

export interface LineSeriesSpec {
  readonly id: string;
  readonly label: string;
  readonly points: readonly CurvePoint[];
}

/** Curves over a shared x axis, e.g. loss against the interpolation weight α. */
export interface LineFigureSpec extends FigureSpecBase {
  readonly kind: 'line';
  readonly xLabel: string;
  readonly yLabel: string;
  readonly series: readonly LineSeriesSpec[];
}

/** One 2-D array, row-major (`values[r * cols + c]`). */
export interface HeatmapFigureSpec extends FigureSpecBase {
  readonly kind: 'heatmap';
  readonly rows: number;
  readonly cols: number;
  readonly values: NumberList;
  readonly rowLabels?: readonly string[];
  readonly colLabels?: readonly string[];
  readonly xLabel?: string;
  readonly yLabel?: string;
  /** Defaults to 'viridis'; 'diverging' centres white at 0 with symmetric limits. */
  readonly colormap?: ColormapName;
  /** Fixed colour limits [min, max]; by default from the data. */
  readonly limits?: readonly [number, number];
  /** Caption of the colour bar (what the values are). */
  readonly valueLabel?: string;
}

/** One image, height × width × channels, row-major HWC (`data[(r * width + c) * channels + k]`). */
export interface GridImageSpec {
  readonly title: string;
  readonly height: number;
  readonly width: number;
  readonly channels: 1 | 3;
  readonly data: NumberList;
}

/** Small images side by side, e.g. one linear-interpreter row per class. */
export interface ImageGridFigureSpec extends FigureSpecBase {
  readonly kind: 'imageGrid';
  readonly images: readonly GridImageSpec[];
  /** For single-channel images; RGB images are shown as colours. Defaults to 'viridis'. */
  readonly colormap?: ColormapName;
  /** 'shared': one colour scale (and one colour bar) across all images, so they compare. */
  readonly scale?: 'shared' | 'per-image';
  readonly limits?: readonly [number, number];
  readonly columns?: number;
  readonly valueLabel?: string;
}

export interface BarSeriesSpec {
  readonly id: string;
  readonly label: string;
  /** One value per category; negative values go below the zero line. */
  readonly values: NumberList;
}

/** Bars per category, grouped side by side or stacked (e.g. a logit split into A·x₀ and b). */
export interface BarFigureSpec extends FigureSpecBase {
  readonly kind: 'bar';
  readonly categories: readonly string[];
  readonly series: readonly BarSeriesSpec[];
  readonly mode?: 'grouped' | 'stacked';
  readonly xLabel?: string;
  readonly yLabel?: string;
}

export type FigureSpec = LineFigureSpec | HeatmapFigureSpec | ImageGridFigureSpec | BarFigureSpec;
export type FigureKind = FigureSpec['kind'];

// ---------------------------------------------------------------------------------------------
// Webview -> extension

/** Sent once the panel listens; the extension must wait for it before posting. */
export interface ReadyMessage {
  readonly type: 'ready';
  readonly protocol: number;
}

export type ExportFormat = 'png' | 'svg' | 'csv' | 'json';

export const EXPORT_MIME: { readonly [F in ExportFormat]: string } = {
  png: 'image/png',
  svg: 'image/svg+xml',
  csv: 'text/csv',
  json: 'application/json',
};

/**
 * A figure to save. Webviews cannot download files, so the extension shows a save dialog
 * (suggesting `fileName`) and writes `data`, decoded per `encoding`.
 */
export interface ExportMessage {
  readonly type: 'export';
  readonly format: ExportFormat;
  readonly fileName: string;
  readonly encoding: 'base64' | 'utf8';
  readonly data: string;
  readonly figureId?: string;
}

/**
 * The panel's UI state changed (the same value is kept by the webview's own setState for restore);
 * the extension may store it with the cached result so a reopened panel comes back as it was left.
 */
export interface SetStateMessage {
  readonly type: 'setState';
  readonly state: JsonValue;
}

/** The user pressed Retry on an error that offered it. */
export interface RetryMessage {
  readonly type: 'retry';
}

export type SelectTarget =
  | { readonly kind: 'pixel'; readonly row: number; readonly col: number; readonly image?: number }
  | { readonly kind: 'bar'; readonly category: number; readonly series: number };

/** The user clicked a pixel or bar (the interpreter panel asks for that unit's row). */
export interface SelectMessage {
  readonly type: 'select';
  readonly figureId: string;
  readonly target: SelectTarget;
}

/**
 * A small PNG (data URL) of the panel's first figure, sent after a finished result is drawn; the side
 * view shows it beside the recent result.
 */
export interface ThumbnailMessage {
  readonly type: 'thumbnail';
  readonly dataUrl: string;
}

export type WebviewToExtensionMessage = ReadyMessage | ExportMessage | SetStateMessage | RetryMessage | SelectMessage | ThumbnailMessage;

// ---------------------------------------------------------------------------------------------
// Extension -> webview

/** Numbers that read best as a table (barrier heights, per-layer scores); exported as CSV and JSON. */
export interface TableSpec {
  /** Unique within a panel. */
  readonly id: string;
  readonly title: string;
  readonly columns: readonly string[];
  readonly rows: readonly (readonly (string | number | null)[])[];
}

/** Replaces every figure of the panel. */
export interface RenderMessage {
  readonly type: 'render';
  readonly figures: readonly FigureSpec[];
  /** Shown under the figures. */
  readonly tables?: readonly TableSpec[];
  /** 'running': more `partial` points will come; the panel shows it is busy. */
  readonly status?: 'running' | 'done';
  /** A heading for the panel (model names, parameters). */
  readonly title?: string;
}

/** One more point of a curve that is still being computed. */
export interface PartialMessage {
  readonly type: 'partial';
  readonly figureId: string;
  readonly seriesId: string;
  readonly point: CurvePoint;
}

export interface ProgressMessage {
  readonly type: 'progress';
  /** In [0, 1]; 1 ends the busy state. */
  readonly fraction: number;
  readonly message?: string;
}

export interface ErrorMessage {
  readonly type: 'error';
  readonly message: string;
  /** Offer a Retry button, which sends `retry`. */
  readonly retry?: boolean;
}

export type ExtensionToWebviewMessage = RenderMessage | PartialMessage | ProgressMessage | ErrorMessage;

// ---------------------------------------------------------------------------------------------
// Page data

/** Id of the `<script type="application/json">` element that carries a page's start-up data. */
export const PAGE_DATA_ELEMENT_ID = 'll-page-data';

/**
 * What an analysis panel's page gets in its HTML: the state it keeps with the webview's setState,
 * which VS Code hands back to the extension's serializer after a reload.
 */
export interface PanelPageData {
  readonly protocol: number;
  readonly panel: JsonValue;
}
