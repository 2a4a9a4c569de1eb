/**
 * The analyses the extension ships, each registered with the panel framework (overview buttons,
 * code lenses, restore) and given its palette and explorer command. An analysis whose compute is
 * not built is not registered, so its command is not shown.
 */
import * as vscode from 'vscode';
import { registerAnalysis } from '../panels/analysisRegistry';
import type { AnalysisProvider } from '../panels/analysis';
import type { JsonValue } from '../../protocol/webview';
import type { Services } from '../services';
import { interpreterProvider } from './interpreter';
import { llfcProvider, lmcProvider } from './connectivity';
import { nadMapProvider, nadProvider } from './nad';
import { efcnProvider } from './efcn';

/** The model a command was started on: the explorer's selection, the active model editor, or asked. */
async function modelFor(services: Services, uri: unknown, memoryKey: string): Promise<vscode.Uri | undefined> {
  if (uri instanceof vscode.Uri) return uri;
  const tab = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
  const active = tab instanceof vscode.TabInputCustom || tab instanceof vscode.TabInputText ? tab.uri : undefined;
  const files = await services.picks.modelFiles();
  if (active && files.some((f) => f.toString() === active.toString())) return active;
  return services.picks.pickModel({ memoryKey });
}

function command(services: Services, id: string, provider: AnalysisProvider<JsonValue>): vscode.Disposable {
  return vscode.commands.registerCommand(id, async (uri?: unknown, second?: unknown) => {
    const a = await modelFor(services, uri, provider.kind);
    if (!a) return undefined;
    // From the explorer with two files selected, VS Code passes the selection as the second argument.
    const selection = Array.isArray(second) ? second.filter((u): u is vscode.Uri => u instanceof vscode.Uri && u.toString() !== a.toString()) : [];
    const state = await provider.prepare({ models: [a, ...selection.slice(0, 1)] }, services);
    if (!state) return undefined;
    await services.panels.open(state);
    return state;
  });
}

/** Registers the shipped analyses and their commands. */
export function registerAnalyses(services: Services): void {
  const list: [string, AnalysisProvider<JsonValue>][] = [
    ['linearLens.interpret', interpreterProvider],
    ['linearLens.modeConnectivity', lmcProvider],
    ['linearLens.featureConnectivity', llfcProvider],
    ['linearLens.nad', nadProvider],
    ['linearLens.nadMap', nadMapProvider],
    ['linearLens.efcn', efcnProvider],
  ];
  for (const [id, provider] of list) services.context.subscriptions.push(registerAnalysis(provider), command(services, id, provider));
}
