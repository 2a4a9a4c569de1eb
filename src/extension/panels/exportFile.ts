/**
 * Saving what a panel exports (a figure as PNG or SVG, its data as CSV or JSON). A webview cannot
 * download, so it sends the bytes here: a save dialog suggests the file name in the folder used
 * last, the file is written, and a notification offers to reveal it.
 */
import * as vscode from 'vscode';
import type { ExportFormat, ExportMessage } from '../../protocol/webview';
import { exportBytes, safeExportName } from './exportName';

const LAST_FOLDER_KEY = 'linearLens.exportFolder';

const FILTERS: { readonly [F in ExportFormat]: Record<string, string[]> } = {
  png: { 'PNG image': ['png'] },
  svg: { 'SVG image': ['svg'] },
  csv: { 'CSV table': ['csv'] },
  json: { JSON: ['json'] },
};

export interface ExportOptions {
  /** Where the first export of a session goes: the model's workspace folder. */
  readonly defaultFolder?: vscode.Uri;
  /** Remembers the last folder (workspaceState). */
  readonly memento: vscode.Memento;
}

/** Asks where to save, writes the file, says so; undefined when the user cancelled the dialog. */
export async function saveExport(msg: ExportMessage, opts: ExportOptions): Promise<vscode.Uri | undefined> {
  const name = safeExportName(msg.fileName, msg.format);
  const remembered = opts.memento.get<string>(LAST_FOLDER_KEY);
  const folder = (remembered ? vscode.Uri.parse(remembered) : undefined) ?? opts.defaultFolder ?? vscode.workspace.workspaceFolders?.[0]?.uri;
  const target = await vscode.window.showSaveDialog({
    title: `Export ${name}`,
    saveLabel: 'Export',
    filters: FILTERS[msg.format],
    ...(folder ? { defaultUri: vscode.Uri.joinPath(folder, name) } : {}),
  });
  if (!target) return undefined;
  await vscode.workspace.fs.writeFile(target, exportBytes(msg));
  await opts.memento.update(LAST_FOLDER_KEY, vscode.Uri.joinPath(target, '..').toString());
  void vscode.window.showInformationMessage(`Saved ${vscode.workspace.asRelativePath(target)}`, 'Reveal').then((pick) => {
    if (pick === 'Reveal') void revealFile(target);
  });
  return target;
}

/** The OS file manager on a local desktop; the Explorer otherwise (remote or web, where the OS is far away). */
async function revealFile(uri: vscode.Uri): Promise<void> {
  const local = vscode.env.remoteName === undefined && vscode.env.uiKind === vscode.UIKind.Desktop && uri.scheme === 'file';
  await vscode.commands.executeCommand(local ? 'revealFileInOS' : 'revealInExplorer', uri);
}
