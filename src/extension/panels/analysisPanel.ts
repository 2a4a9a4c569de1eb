/**
 * One analysis panel: its webview, the ready handshake, and what it shows now (figures, progress,
 * an error). The page is disposable (hidden panels lose their page, a reload makes a new one), so
 * the panel keeps the whole picture here and replays it on every `ready`; streamed points are
 * folded into the kept figures as they come.
 */
import * as vscode from 'vscode';
import type {
  CurvePoint, ErrorMessage, ExportMessage, ExtensionToWebviewMessage, JsonValue, RenderMessage,
  SelectMessage, WebviewToExtensionMessage,
} from '../../protocol/webview';
import type { PanelState } from '../services';
import { extensionFile, pageHtml, webviewOptions, webviewResources } from '../webviewHtml';
import type { AnalysisSink, AnalysisUpdate, AnalysisView } from './analysis';
import { mergeById, withPoint } from './figureUpdates';
import { isPanelMessage } from './panelMessages';
import { panelPageData } from './panelState';
import { WebviewChannel } from './webviewChannel';

/** The view type of analysis panels (package.json's onWebviewPanel activation names it). */
export const PANEL_VIEW_TYPE = 'linearLens.panel';

export type PanelStatus = 'loading' | 'running' | 'done' | 'error';

/** What a panel shows, for the tests and the side view. */
export interface PanelSnapshot {
  readonly key: string;
  readonly title: string;
  readonly status: PanelStatus;
  readonly figureIds: readonly string[];
  readonly tableIds: readonly string[];
  readonly error?: string;
  /** The page said `ready` and has not gone away since. */
  readonly pageReady: boolean;
  /** The result came from the cache (no computation in this panel). */
  readonly fromCache: boolean;
}

export interface PanelEvents {
  retry(panel: AnalysisPanel): void;
  select(panel: AnalysisPanel, message: SelectMessage): void;
  export(panel: AnalysisPanel, message: ExportMessage): void;
  thumbnail(panel: AnalysisPanel, dataUrl: string): void;
  disposed(panel: AnalysisPanel): void;
}

export class AnalysisPanel implements vscode.Disposable {
  private readonly channel: WebviewChannel<ExtensionToWebviewMessage, WebviewToExtensionMessage>;
  private readonly subscriptions: vscode.Disposable[] = [];
  private render: RenderMessage | undefined;
  private progressMsg: { fraction: number; message?: string } | undefined;
  private errorMsg: ErrorMessage | undefined;
  private status: PanelStatus = 'loading';
  private compute: vscode.CancellationTokenSource | undefined;
  private isDisposed = false;
  /** The result shown, for `onSelect`. */
  result: JsonValue | undefined;
  fromCache = false;
  /** Set while the panel's analysis is not registered (yet): the manager loads it when it is. */
  waitingForProvider = false;

  constructor(
    readonly webviewPanel: vscode.WebviewPanel,
    readonly state: PanelState,
    extensionUri: vscode.Uri,
    private readonly events: PanelEvents,
    log: (line: string) => void,
  ) {
    const webview = webviewPanel.webview;
    webviewPanel.title = state.title;
    webviewPanel.iconPath = extensionFile(extensionUri, 'media/icon.svg');
    webview.options = webviewOptions(extensionUri);
    this.channel = new WebviewChannel(webview, isPanelMessage, {
      onReady: () => this.replay(),
      onMessage: (m) => this.onMessage(m),
    }, log);
    const { protocol, panel } = panelPageData(state);
    webview.html = pageHtml(webviewResources(webview, extensionUri), { page: 'panel', title: state.title, data: { protocol, panel } });
    this.subscriptions.push(
      this.channel,
      // What was posted while hidden was dropped; a reloaded page also says `ready` (and gets it twice).
      webviewPanel.onDidChangeViewState((e) => {
        if (e.webviewPanel.visible) this.replay();
      }),
      webviewPanel.onDidDispose(() => this.onDisposed()),
    );
  }

  get key(): string {
    return this.state.key;
  }

  get disposed(): boolean {
    return this.isDisposed;
  }

  snapshot(): PanelSnapshot {
    return {
      key: this.key,
      title: this.state.title,
      status: this.status,
      figureIds: (this.render?.figures ?? []).map((f) => f.id),
      tableIds: (this.render?.tables ?? []).map((t) => t.id),
      ...(this.errorMsg ? { error: this.errorMsg.message } : {}),
      pageReady: this.channel.isReady,
      fromCache: this.fromCache,
    };
  }

  reveal(): void {
    this.webviewPanel.reveal(undefined, false);
  }

  /**
   * Starts a computation: cancels the one before (a retry supersedes it), clears the panel to its
   * busy state, and returns the token that ends with the panel.
   */
  begin(): vscode.CancellationToken {
    this.compute?.cancel();
    this.compute?.dispose();
    this.compute = new vscode.CancellationTokenSource();
    this.status = 'running';
    this.errorMsg = undefined;
    this.progressMsg = undefined;
    this.result = undefined;
    this.fromCache = false;
    this.render = { type: 'render', figures: [], status: 'running', title: this.state.title };
    this.replay();
    return this.compute.token;
  }

  /** Busy without a computation of its own (reading the cache). */
  loading(): void {
    this.compute?.cancel();
    this.status = 'loading';
    this.errorMsg = undefined;
    this.render = { type: 'render', figures: [], status: 'running', title: this.state.title };
    this.replay();
  }

  /** A sink for `compute` that stops forwarding once `token` is cancelled (superseded or closed). */
  sink(token: vscode.CancellationToken): AnalysisSink {
    return {
      show: (view) => {
        if (!token.isCancellationRequested) this.showView(view, 'running');
      },
      point: (figureId, seriesId, point) => {
        if (!token.isCancellationRequested) this.addPoint(figureId, seriesId, point);
      },
      progress: (fraction, message) => {
        if (!token.isCancellationRequested) this.setProgress(fraction, message);
      },
    };
  }

  /** The finished result. */
  showResult(view: AnalysisView, result: JsonValue, fromCache: boolean): void {
    this.result = result;
    this.fromCache = fromCache;
    this.progressMsg = undefined;
    this.showView(view, 'done');
  }

  /** Replaces or adds figures and tables (a click's answer). */
  applyUpdate(update: AnalysisUpdate): void {
    if (!this.render) return;
    this.render = {
      ...this.render,
      figures: mergeById(this.render.figures, update.figures),
      ...(update.tables || this.render.tables ? { tables: mergeById(this.render.tables ?? [], update.tables) } : {}),
    };
    this.channel.post(this.render);
  }

  setProgress(fraction: number, message?: string): void {
    this.progressMsg = { fraction, ...(message !== undefined ? { message } : {}) };
    this.channel.post({ type: 'progress', ...this.progressMsg });
  }

  /** Shows an error; with `retry` the page offers a Retry button. */
  fail(message: string, retry: boolean): void {
    this.status = 'error';
    this.progressMsg = undefined;
    this.errorMsg = { type: 'error', message, retry };
    if (this.render?.status === 'running') this.render = { ...this.render, status: 'done' };
    this.channel.post(this.errorMsg);
  }

  /** An error about a side action (a click, an export): the figures stay, no Retry. */
  notice(message: string): void {
    this.channel.post({ type: 'error', message, retry: false });
  }

  /** Ends the running computation, if any (the panel closes, or a retry replaces it). */
  cancel(): void {
    this.compute?.cancel();
  }

  dispose(): void {
    this.webviewPanel.dispose();
  }

  private showView(view: AnalysisView, status: 'running' | 'done'): void {
    if (status === 'done') this.status = 'done';
    this.render = {
      type: 'render',
      figures: view.figures,
      ...(view.tables ? { tables: view.tables } : {}),
      status,
      title: view.title ?? this.state.title,
    };
    this.channel.post(this.render);
  }

  private addPoint(figureId: string, seriesId: string, point: CurvePoint): void {
    const figures = this.render ? withPoint(this.render.figures, figureId, seriesId, point) : undefined;
    if (!this.render || !figures) return;
    this.render = { ...this.render, figures };
    this.channel.post({ type: 'partial', figureId, seriesId, point });
  }

  /** Everything the page should show, after `ready`. */
  private replay(): void {
    if (!this.channel.isReady) return;
    this.channel.post(this.render ?? { type: 'render', figures: [], status: 'running', title: this.state.title });
    if (this.progressMsg && this.status === 'running') this.channel.post({ type: 'progress', ...this.progressMsg });
    if (this.errorMsg) this.channel.post(this.errorMsg);
  }

  private onMessage(m: WebviewToExtensionMessage): void {
    switch (m.type) {
      case 'retry': this.events.retry(this); break;
      case 'select': this.events.select(this, m); break;
      case 'export': this.events.export(this, m); break;
      case 'thumbnail': this.events.thumbnail(this, m.dataUrl); break;
      // The page keeps its own state for restore; nothing here needs it.
      case 'setState': break;
      case 'ready': break;
    }
  }

  private onDisposed(): void {
    this.isDisposed = true;
    this.compute?.cancel();
    this.compute?.dispose();
    for (const s of this.subscriptions) s.dispose();
    this.events.disposed(this);
  }
}
