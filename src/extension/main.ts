/**
 * The VS Code side of Linear Lens. It never imports core or TensorFlow.js: all computation runs in
 * the forked compute host (dist/host.js), reached through the protocol, so the editor stays light
 * and a crash in the math cannot take it down. Activation builds the shared services once
 * (services.ts) and hands them to each part; the host itself starts on first use.
 */
import * as vscode from 'vscode';
import { registerAnalyses } from './analyses/register';
import { registerCodeLenses } from './codeLens/codeLens';
import { registerHostCommands } from './host/commands';
import { HostManager } from './host/hostManager';
import { registerModelOverview } from './overview/overviewEditor';
import { createApi, type LinearLensApi } from './panels/api';
import { PanelManager } from './panels/panelManager';
import { Picks, registerPickCommands } from './picks';
import type { HostService, PickService, Services } from './services';
import { registerSideView } from './sideView/sideView';

let hostManager: HostManager | undefined;

/**
 * What `activate` returns: the panels' API (panels/api.ts), which later parts and the
 * extension-host tests use, plus the core services (the supervised host, the quick picks).
 */
export type LinearLensExports = LinearLensApi & { readonly host: HostService; readonly picks: PickService };

export function activate(context: vscode.ExtensionContext): LinearLensExports {
  const host = new HostManager(context);
  hostManager = host;
  const picks = new Picks(context, (line) => host.log(line));
  context.subscriptions.push(picks);
  const panels = new PanelManager(context, host, picks);
  const services: Services = { context, host, picks, panels };
  registerHostCommands(context, host);
  registerPickCommands(context, picks);
  registerAnalyses(services);
  registerModelOverview(services);
  registerSideView(services);
  registerCodeLenses(services);
  host.log(`Linear Lens ${String(context.extension.packageJSON.version)} activated (${vscode.env.appName} ${vscode.version}, extension host pid ${process.pid})`);
  return { ...createApi(panels), host, picks };
}

/** Stops the compute host (awaited by VS Code, so the process is gone when the window is). */
export async function deactivate(): Promise<void> {
  const h = hostManager;
  hostManager = undefined;
  await h?.dispose();
}
