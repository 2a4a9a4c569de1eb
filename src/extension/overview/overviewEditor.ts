/**
 * The model overview: a read-only custom editor for model files (the default editor of .onnx,
 * .keras and .h5; an option for model.json, whose text editor stays the default), and the command
 * "Open Model Overview" that opens it for the active or the explorer's model file.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Services } from '../services';
import { OverviewSession } from './overviewSession';

export const OVERVIEW_VIEW_TYPE = 'linearLens.modelOverview';
export const OVERVIEW_JSON_VIEW_TYPE = 'linearLens.modelOverviewJson';
const OPEN_COMMAND = 'linearLens.openModelOverview';

/** The overview's view type for a file: TF.js models are JSON, which has its own (optional) editor. */
export function overviewViewType(uri: vscode.Uri): string {
  return path.extname(uri.path).toLowerCase() === '.json' ? OVERVIEW_JSON_VIEW_TYPE : OVERVIEW_VIEW_TYPE;
}

const MODEL_EXTENSIONS = new Set(['.onnx', '.keras', '.h5', '.json']);

function looksLikeModel(uri: vscode.Uri | undefined): uri is vscode.Uri {
  return uri !== undefined && MODEL_EXTENSIONS.has(path.extname(uri.path).toLowerCase());
}

/** The file of the active editor tab, text or custom. */
function activeFile(): vscode.Uri | undefined {
  const input = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
  if (input instanceof vscode.TabInputText || input instanceof vscode.TabInputCustom) return input.uri;
  return vscode.window.activeTextEditor?.document.uri;
}

class ModelOverviewProvider implements vscode.CustomReadonlyEditorProvider {
  constructor(private readonly services: Services) {}

  openCustomDocument(uri: vscode.Uri): vscode.CustomDocument {
    // Nothing to hold: the compute host reads the file, the session shows what it says.
    return { uri, dispose: () => undefined };
  }

  resolveCustomEditor(document: vscode.CustomDocument, panel: vscode.WebviewPanel): void {
    // The session lives as long as its panel: it disposes itself with it.
    new OverviewSession(document.uri, panel, this.services);
  }
}

/** Opens the overview of `uri`, else of the active editor's model file, else of one the user picks. */
export async function openModelOverview(services: Services, uri?: vscode.Uri): Promise<void> {
  let target = looksLikeModel(uri) ? uri : undefined;
  if (!target) {
    const active = activeFile();
    target = looksLikeModel(active) ? active : await services.picks.pickModel({ title: 'Open Model Overview', memoryKey: 'overview' });
  }
  if (!target) return;
  await vscode.commands.executeCommand('vscode.openWith', target, overviewViewType(target));
}

export function registerModelOverview(services: Services): void {
  const provider = new ModelOverviewProvider(services);
  const options = { webviewOptions: { retainContextWhenHidden: false, enableFindWidget: true }, supportsMultipleEditorsPerDocument: true };
  services.context.subscriptions.push(
    vscode.window.registerCustomEditorProvider(OVERVIEW_VIEW_TYPE, provider, options),
    vscode.window.registerCustomEditorProvider(OVERVIEW_JSON_VIEW_TYPE, provider, options),
    // From the explorer's context menu VS Code passes the clicked file (and the selection).
    vscode.commands.registerCommand(OPEN_COMMAND, (uri?: unknown) => openModelOverview(services, uri instanceof vscode.Uri ? uri : undefined)),
  );
}
