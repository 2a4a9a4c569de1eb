/**
 * One open model overview: asks the compute host to describe the file (`model/describe`), shows
 * the summary or a clear error with Retry, reads the file again when it changes on disk, and
 * starts analyses from its buttons. The page only draws the state kept here; every `ready` gets
 * it anew (a hidden editor loses its page, a reload makes a new one).
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ModelSummary } from '../../protocol/model';
import {
  isOverviewMessage, type OverviewError, type OverviewFile, type OverviewState, type OverviewStateMessage,
  type OverviewToExtensionMessage,
} from '../../protocol/overview';
import type { Services } from '../services';
import { analysisRegistry } from '../panels/analysisRegistry';
import { modelCompanions } from '../panels/cacheKey';
import { classifyFailure } from '../panels/failure';
import { WebviewChannel } from '../panels/webviewChannel';
import { pageHtml, webviewOptions, webviewResources } from '../webviewHtml';
import { datasetText } from './datasetText';

/** Edits arrive in bursts (a training script writes model.json, then its shards): wait them out. */
const CHANGE_DEBOUNCE_MS = 400;

export function overviewFile(uri: vscode.Uri): OverviewFile {
  return { name: path.basename(uri.fsPath), path: vscode.workspace.asRelativePath(uri, false) };
}

export class OverviewSession implements vscode.Disposable {
  private readonly channel: WebviewChannel<OverviewStateMessage, OverviewToExtensionMessage>;
  private readonly subscriptions: vscode.Disposable[] = [];
  private state: OverviewState;
  private describing: vscode.CancellationTokenSource | undefined;
  private companions = new Set<string>();
  private changeTimer: NodeJS.Timeout | undefined;
  private disposed = false;

  constructor(
    readonly uri: vscode.Uri,
    private readonly panel: vscode.WebviewPanel,
    private readonly services: Services,
  ) {
    const { extensionUri } = services.context;
    const webview = panel.webview;
    webview.options = webviewOptions(extensionUri);
    this.state = { file: overviewFile(uri), phase: 'loading', analyses: this.analyses() };
    this.channel = new WebviewChannel(webview, isOverviewMessage, {
      onReady: () => this.send(),
      onMessage: (m) => void this.onMessage(m),
    }, (l) => services.host.log(l));
    webview.html = pageHtml(webviewResources(webview, extensionUri), { page: 'overview', title: this.state.file.name });

    const folder = vscode.Uri.file(path.dirname(uri.fsPath));
    const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(folder, '*'));
    const changed = (u: vscode.Uri): void => this.onFileEvent(u);
    this.subscriptions.push(
      this.channel,
      watcher,
      watcher.onDidChange(changed),
      watcher.onDidCreate(changed),
      watcher.onDidDelete(changed),
      panel.onDidChangeViewState((e) => {
        if (!e.webviewPanel.visible) return;
        // What was posted while hidden was dropped; and another overview may have chosen a dataset.
        this.send();
        void this.refreshDataset();
      }),
      analysisRegistry.onDidChange(() => this.update({ analyses: this.analyses() })),
      panel.onDidDispose(() => this.dispose()),
    );
    void this.refreshDataset();
    void this.describe();
  }

  /** Reads the model (again); the last summary stays on screen meanwhile. */
  async describe(): Promise<void> {
    this.describing?.cancel();
    const cts = new vscode.CancellationTokenSource();
    this.describing = cts;
    this.update({ phase: 'loading', error: undefined });
    const { host } = this.services;
    try {
      const summary = await host.run('model/describe', { file: this.uri.fsPath }, {
        title: `Reading ${this.state.file.name}`,
        notification: false,
        token: cts.token,
      });
      if (cts.token.isCancellationRequested || this.disposed) return;
      this.companions = new Set(await modelCompanions(this.uri.fsPath).catch(() => []));
      this.update({ phase: 'ready', summary: summary satisfies ModelSummary, error: undefined });
    } catch (e) {
      if (cts.token.isCancellationRequested || this.disposed) return;
      const failure = classifyFailure(e, host.state(), { activity: 'reading the model' });
      if (failure.kind !== 'user') host.log(`Model overview of ${this.uri.fsPath}: ${failure.detail ?? failure.message}`);
      const error: OverviewError = {
        message: failure.kind === 'cancelled' ? 'Reading the model was cancelled.' : failure.message,
        kind: failure.kind === 'user' ? 'user' : failure.kind === 'bug' ? 'bug' : 'host',
        retry: true,
      };
      // A file that no longer loads must not keep showing the summary of its old content.
      this.update({ phase: 'error', error, summary: undefined });
    } finally {
      if (this.describing === cts) this.describing = undefined;
      cts.dispose();
    }
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.describing?.cancel();
    if (this.changeTimer) clearTimeout(this.changeTimer);
    for (const s of this.subscriptions) s.dispose();
  }

  private analyses(): OverviewState['analyses'] {
    return analysisRegistry.all().map((p) => ({ kind: p.kind, title: p.title, ...(p.description ? { description: p.description } : {}) }));
  }

  /** Changes the state and sends it; `undefined` in a patch clears that field (the page treats both alike). */
  private update(patch: Partial<OverviewState>): void {
    this.state = { ...this.state, ...patch };
    this.send();
  }

  private send(): void {
    this.channel.post({ type: 'overview/state', state: this.state });
  }

  private onFileEvent(u: vscode.Uri): void {
    const p = u.fsPath;
    if (p !== this.uri.fsPath && !this.companions.has(p)) return;
    if (this.changeTimer) clearTimeout(this.changeTimer);
    this.changeTimer = setTimeout(() => {
      this.changeTimer = undefined;
      if (!this.disposed) void this.describe();
    }, CHANGE_DEBOUNCE_MS);
  }

  private async refreshDataset(): Promise<void> {
    try {
      const choice = await this.services.picks.dataset({ ask: false });
      if (!this.disposed) this.update({ dataset: choice ? datasetText(choice) : undefined });
    } catch (e) {
      this.services.host.log(`Model overview: could not read the dataset choice: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  private async onMessage(m: OverviewToExtensionMessage): Promise<void> {
    switch (m.type) {
      case 'overview/retry':
        await this.describe();
        break;
      case 'overview/selectDataset': {
        const choice = await this.services.picks.pickDataset();
        if (choice && !this.disposed) this.update({ dataset: datasetText(choice) });
        break;
      }
      case 'overview/showLog':
        this.services.host.showLog();
        break;
      case 'overview/runAnalysis':
        await this.runAnalysis(m.kind);
        break;
      case 'ready':
        break;
    }
  }

  private async runAnalysis(kind: string): Promise<void> {
    const provider = analysisRegistry.get(kind);
    if (!provider) return;
    try {
      const state = await provider.prepare({ models: [this.uri] }, this.services);
      if (state) await this.services.panels.open(state);
    } catch (e) {
      const failure = classifyFailure(e, this.services.host.state(), { activity: 'starting the analysis' });
      if (failure.kind === 'cancelled') return;
      if (failure.detail) this.services.host.log(`${provider.title} of ${this.uri.fsPath}: ${failure.detail}`);
      void vscode.window.showErrorMessage(`${provider.title}: ${failure.message}`);
    }
  }
}
