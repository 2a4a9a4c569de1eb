/**
 * The status bar item of the compute host: the backend in a few words, details in the tooltip
 * (statusText.ts), a click for host info (or a restart once the host stays stopped).
 */
import * as vscode from 'vscode';
import type { HostState, JobView } from '../services';
import { queryGpuName } from './gpuName';
import { statusView } from './statusText';

export class HostStatusBar implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  private gpuName: string | undefined;
  private gpuAsked = false;
  private last: { state: HostState; jobs: readonly JobView[] } | undefined;

  constructor() {
    this.item = vscode.window.createStatusBarItem('linearLens.host', vscode.StatusBarAlignment.Right, 100);
    this.item.name = 'Linear Lens Compute Host';
    this.item.show();
  }

  update(state: HostState, jobs: readonly JobView[]): void {
    this.last = { state, jobs };
    if (!this.gpuAsked && state.info?.backend.name === 'tensorflow' && /GPU/.test(state.info.backend.device)) {
      this.gpuAsked = true;
      void queryGpuName().then((name) => {
        this.gpuName = name;
        if (this.last) this.update(this.last.state, this.last.jobs);
      });
    }
    const v = statusView(state, jobs, this.gpuName);
    this.item.text = v.text;
    const tooltip = new vscode.MarkdownString(v.tooltip, true);
    this.item.tooltip = tooltip;
    this.item.command = v.command;
    this.item.backgroundColor = v.error ? new vscode.ThemeColor('statusBarItem.errorBackground') : undefined;
  }

  dispose(): void {
    this.item.dispose();
  }
}
