/**
 * Registers the side view and the two commands its items stand for (hidden from the palette):
 * `linearLens.cancelJob` (a job id) and `linearLens.openResult` (a result key, or a RecentResult).
 */
import * as vscode from 'vscode';
import type { RecentResult, Services } from '../services';
import { SIDE_VIEW_ID, SideViewProvider } from './sideViewProvider';

function resultKey(arg: unknown): string | undefined {
  if (typeof arg === 'string') return arg;
  const state = typeof arg === 'object' && arg !== null ? (arg as Partial<RecentResult>).state : undefined;
  return typeof state?.key === 'string' ? state.key : undefined;
}

export function registerSideView(services: Services): void {
  const provider = new SideViewProvider(services);
  services.context.subscriptions.push(
    provider,
    // Kept alive while hidden would cost memory for little: the view sends `ready` and gets its state again.
    vscode.window.registerWebviewViewProvider(SIDE_VIEW_ID, provider, { webviewOptions: { retainContextWhenHidden: false } }),
    vscode.commands.registerCommand('linearLens.cancelJob', async (jobId?: unknown) => {
      if (typeof jobId === 'string') await services.host.cancel(jobId);
    }),
    vscode.commands.registerCommand('linearLens.openResult', async (arg?: unknown) => {
      const key = resultKey(arg);
      const r = key ? services.panels.recent().find((x) => x.state.key === key) : undefined;
      if (r) await services.panels.open(r.state);
      else if (key) void vscode.window.showWarningMessage('Linear Lens: that result is no longer in the recent results.');
    }),
  );
}
