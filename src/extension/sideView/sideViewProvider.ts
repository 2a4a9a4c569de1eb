/**
 * The Linear Lens side view: the workspace's model files (click: overview), the compute host
 * (status, device, memory, restarts), running jobs (progress, Cancel) and recent results (with
 * thumbnails; click: the panel again, from the cache). Sends only the sections that changed.
 */
import * as vscode from 'vscode';
import { isSideViewMessage, type SideViewToExtensionMessage, type SideViewUpdate } from '../../protocol/sideView';
import type { Services } from '../services';
import { openModelOverview } from '../overview/overviewEditor';
import { WebviewChannel } from '../panels/webviewChannel';
import { pageHtml, webviewOptions, webviewResources } from '../webviewHtml';
import { hostSection, jobsSection, modelsSection, recentSection } from './sideViewState';

export const SIDE_VIEW_ID = 'linearLens.sideView';
/** Memory figures of a running host go stale; refreshed this often while the view is visible. */
const HOST_REFRESH_MS = 5000;

export class SideViewProvider implements vscode.WebviewViewProvider, vscode.Disposable {
  private view: vscode.WebviewView | undefined;
  private channel: WebviewChannel<SideViewUpdate, SideViewToExtensionMessage> | undefined;
  private readonly viewSubscriptions: vscode.Disposable[] = [];
  private readonly subscriptions: vscode.Disposable[] = [];
  private refreshTimer: NodeJS.Timeout | undefined;

  constructor(private readonly services: Services) {
    const { host, picks, panels } = services;
    this.subscriptions.push(
      host.onDidChangeState(() => this.send({ host: hostSection(host.state()) })),
      host.onDidChangeJobs(() => this.send({ jobs: jobsSection(host.jobs()) })),
      panels.onDidChangeRecent(() => this.send({ recent: recentSection(panels.recent()) })),
      picks.onDidChangeModelFiles(() => void this.sendModels()),
    );
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    this.disposeView();
    this.view = view;
    const { extensionUri } = this.services.context;
    view.webview.options = webviewOptions(extensionUri);
    const channel = new WebviewChannel(view.webview, isSideViewMessage, {
      onReady: () => void this.sendAll(),
      onMessage: (m) => void this.onMessage(m),
    }, (l) => this.services.host.log(l));
    this.channel = channel;
    view.webview.html = pageHtml(webviewResources(view.webview, extensionUri), { page: 'sideView', title: 'Linear Lens', codicons: true });
    this.viewSubscriptions.push(
      channel,
      view.onDidChangeVisibility(() => {
        // What was posted while hidden was dropped.
        if (view.visible) void this.sendAll();
        this.scheduleRefresh();
      }),
      view.onDidDispose(() => this.disposeView()),
    );
    this.scheduleRefresh();
  }

  dispose(): void {
    this.disposeView();
    for (const s of this.subscriptions) s.dispose();
  }

  private send(update: Omit<SideViewUpdate, 'type'>): void {
    this.channel?.post({ type: 'sideView/update', ...update });
  }

  private async sendAll(): Promise<void> {
    const { host, panels } = this.services;
    this.send({ host: hostSection(host.state()), jobs: jobsSection(host.jobs()), recent: recentSection(panels.recent()) });
    await this.sendModels();
  }

  private async sendModels(): Promise<void> {
    if (!this.channel?.isReady) return;
    try {
      const files = await this.services.picks.modelFiles();
      this.send({ models: modelsSection(files, (u) => vscode.workspace.asRelativePath(u, false)) });
    } catch (e) {
      this.services.host.log(`Side view: could not list the model files: ${e instanceof Error ? e.message : String(e)}`);
      this.send({ models: [] });
    }
  }

  /** While visible and the host runs, asks it for fresh memory figures now and then (never starts it). */
  private scheduleRefresh(): void {
    if (this.refreshTimer) clearInterval(this.refreshTimer);
    this.refreshTimer = undefined;
    if (!this.view?.visible) return;
    this.refreshTimer = setInterval(() => {
      if (this.services.host.state().status === 'running') void this.services.host.info().catch(() => undefined);
    }, HOST_REFRESH_MS);
  }

  private async onMessage(m: SideViewToExtensionMessage): Promise<void> {
    const { host, panels } = this.services;
    switch (m.type) {
      case 'sideView/openModel':
        await openModelOverview(this.services, vscode.Uri.parse(m.uri, true));
        break;
      case 'sideView/cancelJob':
        await host.cancel(m.jobId);
        break;
      case 'sideView/openResult': {
        const r = panels.recent().find((x) => x.state.key === m.key);
        if (r) await panels.open(r.state);
        break;
      }
      case 'sideView/restartHost':
        await host.restart().catch((e: unknown) => void vscode.window.showErrorMessage(`Linear Lens: ${e instanceof Error ? e.message : String(e)}`));
        break;
      case 'sideView/showLog':
        host.showLog();
        break;
      case 'sideView/refreshHost':
        // Starts the host when it is not running: the user asked for its status.
        await host.info().catch((e: unknown) => void vscode.window.showErrorMessage(`Linear Lens: ${e instanceof Error ? e.message : String(e)}`));
        this.send({ host: hostSection(host.state()) });
        break;
      case 'ready':
        break;
    }
  }

  private disposeView(): void {
    if (this.refreshTimer) clearInterval(this.refreshTimer);
    this.refreshTimer = undefined;
    for (const s of this.viewSubscriptions.splice(0)) s.dispose();
    this.channel = undefined;
    this.view = undefined;
  }
}
