/**
 * Analysis panels: opens one per result key beside the active editor (or reveals it), shows a
 * cached result at once or computes it through the analysis' provider while streaming partial
 * figures into the panel, stores finished results in the cache and the recent list, restores
 * panels after a reload (WebviewPanelSerializer), and handles Retry, clicks and exports.
 */
import { isAbsolute } from 'node:path';
import * as vscode from 'vscode';
import type { JobMethodName, JobParamsOf, JobPartialOf, JobResultOf } from '../../protocol/methods';
import type { ExportMessage, SelectMessage } from '../../protocol/webview';
import type { HostService, PanelService, PanelState, PickService, RecentResult, Services } from '../services';
import type { AnalysisContext, AnalysisProvider, AnalysisSink } from './analysis';
import { AnalysisPanel, PANEL_VIEW_TYPE, type PanelSnapshot } from './analysisPanel';
import { analysisRegistry, type AnalysisRegistry } from './analysisRegistry';
import { saveExport } from './exportFile';
import { classifyFailure } from './failure';
import { panelStateFromWebview } from './panelState';
import { RecentResults } from './recentResults';
import { ResultCache } from './resultCache';

const MIB = 1024 * 1024;

/** The result cache's folder: the workspace's storage, or the global one when no folder is open. */
export function cacheFolder(context: vscode.ExtensionContext): vscode.Uri {
  return vscode.Uri.joinPath(context.storageUri ?? context.globalStorageUri, 'results');
}

function cacheLimitBytes(): number {
  const mb = vscode.workspace.getConfiguration('linearLens').get<number>('cache.maxMegabytes', 512);
  return Number.isFinite(mb) && mb > 0 ? mb * MIB : 0;
}

/** A PanelState model path (absolute, or relative to the first workspace folder) as a Uri. */
export function modelFileUri(path: string): vscode.Uri {
  const root = vscode.workspace.workspaceFolders?.[0]?.uri;
  return isAbsolute(path) || !root ? vscode.Uri.file(path) : vscode.Uri.joinPath(root, path);
}

export class PanelManager implements PanelService, vscode.WebviewPanelSerializer<unknown>, vscode.Disposable {
  readonly cache: ResultCache;
  readonly onDidChangeRecent: vscode.Event<void>;
  private readonly recentResults: RecentResults;
  private readonly panels = new Map<string, AnalysisPanel>();
  private readonly selects = new Map<string, vscode.CancellationTokenSource>();
  private readonly disposables: vscode.Disposable[] = [];
  private readonly registry: AnalysisRegistry = analysisRegistry;

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly host: HostService,
    private readonly picks: PickService,
  ) {
    this.cache = new ResultCache(cacheFolder(context).fsPath, { maxBytes: cacheLimitBytes, log: (l) => host.log(l) });
    this.recentResults = new RecentResults(context.workspaceState);
    this.onDidChangeRecent = this.recentResults.onDidChange;
    this.disposables.push(
      this.recentResults,
      vscode.window.registerWebviewPanelSerializer(PANEL_VIEW_TYPE, this),
      // A panel restored before its analysis registered (or whose analysis came back) loads now.
      this.registry.onDidChange(() => {
        for (const p of this.panels.values()) {
          if (p.waitingForProvider && this.registry.get(p.state.kind)) void this.load(p);
        }
      }),
      // A smaller limit applies at once, not at the next result.
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('linearLens.cache.maxMegabytes')) void this.cache.evict().catch(() => undefined);
      }),
    );
    context.subscriptions.push(this);
  }

  /** The services handed to providers (this manager is their `panels`). */
  get services(): Services {
    return { context: this.context, host: this.host, picks: this.picks, panels: this };
  }

  async open(state: PanelState): Promise<void> {
    const existing = this.panels.get(state.key);
    if (existing) {
      existing.reveal();
      return;
    }
    const webviewPanel = vscode.window.createWebviewPanel(PANEL_VIEW_TYPE, state.title, { viewColumn: vscode.ViewColumn.Beside, preserveFocus: false });
    // Resolves once the panel is there: the computation shows its progress and outcome in it.
    void this.load(this.attach(webviewPanel, state));
  }

  recent(): readonly RecentResult[] {
    return this.recentResults.list();
  }

  /** Opens a recent result by its key; false when it is not listed. */
  async openRecent(key: string): Promise<boolean> {
    const r = this.recentResults.find(key);
    if (!r) return false;
    await this.open(r.state);
    return true;
  }

  /**
   * What the Retry button does: the cached result, else a fresh computation (which goes on after
   * this resolves). False when no panel of `key` is open.
   */
  async retry(key: string): Promise<boolean> {
    const panel = this.panels.get(key);
    if (!panel) return false;
    void this.load(panel);
    return true;
  }

  /** What the panel of `key` shows, if it is open. */
  snapshot(key: string): PanelSnapshot | undefined {
    return this.panels.get(key)?.snapshot();
  }

  /** The open panels' snapshots. */
  snapshots(): PanelSnapshot[] {
    return [...this.panels.values()].map((p) => p.snapshot());
  }

  /** VS Code restores a panel of ours after a reload, with the state its page kept. */
  async deserializeWebviewPanel(webviewPanel: vscode.WebviewPanel, saved: unknown): Promise<void> {
    const state = panelStateFromWebview(saved);
    if (!state) {
      // A page from another version, or damaged state: there is nothing to show in it.
      this.host.log('Could not restore a Linear Lens panel: its saved state is not one this version understands.');
      webviewPanel.dispose();
      return;
    }
    const existing = this.panels.get(state.key);
    if (existing) {
      webviewPanel.dispose();
      existing.reveal();
      return;
    }
    // VS Code waits for this promise to show the panel: the computation, if any, goes on after.
    void this.load(this.attach(webviewPanel, state));
  }

  dispose(): void {
    for (const s of this.selects.values()) s.cancel();
    for (const p of [...this.panels.values()]) p.dispose();
    for (const d of this.disposables) d.dispose();
    this.disposables.length = 0;
  }

  private attach(webviewPanel: vscode.WebviewPanel, state: PanelState): AnalysisPanel {
    const panel = new AnalysisPanel(webviewPanel, state, this.context.extensionUri, {
      retry: (p) => void this.load(p),
      select: (p, m) => void this.select(p, m),
      export: (p, m) => void this.export(p, m),
      thumbnail: (p, dataUrl) => this.recentResults.setThumbnail(p.key, dataUrl),
      disposed: (p) => {
        const listed = this.panels.get(p.key) === p;
        this.host.log(`panel closed: "${p.state.title}"${listed ? '' : ' (a panel no longer listed)'}`);
        if (listed) this.panels.delete(p.key);
        this.selects.get(p.key)?.cancel();
      },
    }, (l) => this.host.log(l));
    const before = this.panels.get(state.key);
    if (before) this.host.log(`panel of "${state.title}" replaces one still listed (disposed: ${before.disposed})`);
    this.panels.set(state.key, panel);
    return panel;
  }

  /** Shows the cached result, or computes it. Also what Retry does (failures are never cached). Never rejects. */
  private async load(panel: AnalysisPanel): Promise<void> {
    try {
      await this.loadOrCompute(panel);
    } catch (e) {
      // Everything expected is handled inside; this is a bug, and the panel must not stay busy.
      this.host.log(`Panel "${panel.state.title}": ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
      if (!panel.disposed) panel.fail(classifyFailure(e, this.host.state(), { activity: 'computing' }).message, true);
    }
  }

  private async loadOrCompute(panel: AnalysisPanel): Promise<void> {
    const { state } = panel;
    const provider = this.registry.get(state.kind);
    panel.waitingForProvider = !provider;
    if (!provider) {
      panel.fail(`This panel needs the analysis '${state.kind}', which this version of Linear Lens does not have.`, true);
      return;
    }
    panel.loading();
    const cached = await this.cache.get(state.key).catch(() => undefined);
    if (panel.disposed) return;
    if (cached !== undefined) {
      try {
        panel.showResult(provider.view(cached, state), cached, true);
        return;
      } catch (e) {
        // A result the provider cannot draw (stored by an older version): compute it anew.
        this.host.log(`Cached result of "${state.title}" could not be shown; computing it again: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
        await this.cache.delete(state.key);
      }
    }
    await this.compute(panel, provider);
  }

  private async compute(panel: AnalysisPanel, provider: AnalysisProvider): Promise<void> {
    const { state } = panel;
    const token = panel.begin();
    const sink = panel.sink(token);
    try {
      const result = await provider.compute(this.analysisContext(state, sink, token));
      if (token.isCancellationRequested || panel.disposed) return;
      panel.showResult(provider.view(result, state), result, false);
      try {
        await this.cache.set(state.key, result);
      } catch (e) {
        this.host.log(`Could not store the result of "${state.title}" in the cache: ${e instanceof Error ? e.message : String(e)}`);
      }
      this.recentResults.add(state);
    } catch (e) {
      // Superseded by a retry, or the panel closed: nobody is waiting for this outcome.
      if (token.isCancellationRequested || panel.disposed) return;
      const failure = classifyFailure(e, this.host.state(), { activity: 'computing' });
      this.host.log(`"${state.title}" failed: ${failure.detail ?? failure.message}`);
      panel.fail(failure.message, true);
    }
  }

  /** What a provider's compute and onSelect get. */
  private analysisContext(state: PanelState, sink: AnalysisSink, token: vscode.CancellationToken, notification = true): AnalysisContext {
    const host = this.host;
    return {
      state,
      services: this.services,
      sink,
      token,
      async run<M extends JobMethodName>(method: M, params: Omit<JobParamsOf<M>, 'jobId'>, onPartial?: (data: JobPartialOf<M>) => void): Promise<JobResultOf<M>> {
        // HostService lists its jobs with their progress; the panel follows the one it started.
        const since = Date.now();
        const title = state.title;
        const sub = host.onDidChangeJobs(() => {
          const job = host.jobs().find((j) => j.title === title && j.started >= since - 1000);
          if (job) sink.progress(job.fraction, job.message);
        });
        try {
          return await host.run(method, params, { title, token, notification, ...(onPartial ? { onPartial } : {}) });
        } finally {
          sub.dispose();
        }
      },
    };
  }

  private async select(panel: AnalysisPanel, message: SelectMessage): Promise<void> {
    const provider = this.registry.get(panel.state.kind);
    if (!provider?.onSelect || panel.result === undefined) return;
    // A new click replaces the answer to the last one.
    this.selects.get(panel.key)?.cancel();
    const cts = new vscode.CancellationTokenSource();
    this.selects.set(panel.key, cts);
    const sink = panel.sink(cts.token);
    try {
      const update = await provider.onSelect({
        ...this.analysisContext(panel.state, sink, cts.token, false),
        result: panel.result,
        figureId: message.figureId,
        target: message.target,
      });
      if (update && !cts.token.isCancellationRequested && !panel.disposed) panel.applyUpdate(update);
    } catch (e) {
      if (cts.token.isCancellationRequested || panel.disposed) return;
      const failure = classifyFailure(e, this.host.state(), { activity: 'computing' });
      if (failure.kind === 'cancelled') return;
      this.host.log(`A click in "${panel.state.title}" failed: ${failure.detail ?? failure.message}`);
      panel.notice(failure.message);
    } finally {
      if (!panel.disposed) panel.setProgress(1);
      if (this.selects.get(panel.key) === cts) this.selects.delete(panel.key);
      cts.dispose();
    }
  }

  private async export(panel: AnalysisPanel, message: ExportMessage): Promise<void> {
    const model = panel.state.models[0];
    const modelUri = model ? modelFileUri(model) : undefined;
    const folder = modelUri ? vscode.workspace.getWorkspaceFolder(modelUri)?.uri : undefined;
    try {
      await saveExport(message, { memento: this.context.workspaceState, ...(folder ? { defaultFolder: folder } : {}) });
    } catch (e) {
      const why = e instanceof Error ? e.message : String(e);
      this.host.log(`Export of ${message.fileName} failed: ${why}`);
      void vscode.window.showErrorMessage(`Linear Lens: could not save ${message.fileName}: ${why}`);
    }
  }
}
