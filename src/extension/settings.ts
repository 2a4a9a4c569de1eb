/**
 * Typed reads of the `linearLens.*` settings. Settings that name executables (nodePath,
 * tfjsNodePath) take the user's own value only while the workspace is untrusted: a workspace value
 * is ignored, and the user is told once per workspace (settings/rules.ts has the rule itself).
 */
import * as vscode from 'vscode';
import type { BackendPreference } from '../protocol/host';
import {
  backendPreference,
  DatasetLayout,
  datasetLayout,
  EXECUTABLE_SETTINGS,
  ExecutableSetting,
  HOST_SETTINGS,
  maxSamples,
  numberList,
  positiveNumber,
  resolveExecutableSetting,
  settingPath,
  settingsTextMentions,
} from './settings/rules';

const section = (): vscode.WorkspaceConfiguration => vscode.workspace.getConfiguration('linearLens');

/** The first workspace folder on disk, against which relative paths in settings are read. */
export function workspaceRoot(): string | undefined {
  return vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
}

export interface HostSettings {
  readonly backend: BackendPreference;
  /** Absolute path of the Node that runs the host, when one is set (and allowed). */
  readonly nodePath?: string;
  /** Absolute folder holding @tensorflow/tfjs-node-gpu, when one is set (and allowed). */
  readonly tfjsNodePath?: string;
  /** Executable settings whose workspace value was ignored because the workspace is untrusted. */
  readonly ignored: readonly ExecutableSetting[];
}

/** What the compute host is started with. */
export function readHostSettings(): HostSettings {
  const cfg = section();
  const trusted = vscode.workspace.isTrusted;
  const ignored: ExecutableSetting[] = [];
  const exec = (key: ExecutableSetting): string | undefined => {
    const r = resolveExecutableSetting(cfg.inspect<string>(key.slice('linearLens.'.length)), trusted);
    if (r.ignoredWorkspaceValue) ignored.push(key);
    return r.value !== undefined ? settingPath(r.value, workspaceRoot()) : undefined;
  };
  const nodePath = exec('linearLens.nodePath');
  const tfjsNodePath = exec('linearLens.tfjsNodePath');
  return {
    backend: backendPreference(cfg.get('backend')),
    ...(nodePath ? { nodePath } : {}),
    ...(tfjsNodePath ? { tfjsNodePath } : {}),
    ignored,
  };
}

/** True when the change touches a setting the compute host is started with. */
export function affectsHostSettings(e: vscode.ConfigurationChangeEvent): boolean {
  return HOST_SETTINGS.some((k) => e.affectsConfiguration(k));
}

export interface DatasetSettings {
  /** The default dataset, absolute; from linearLens.dataset.path (relative to the workspace folder). */
  readonly path?: string;
  readonly scale?: number;
  readonly mean?: readonly number[];
  readonly std?: readonly number[];
  readonly layout: DatasetLayout;
  readonly maxSamples: number;
}

/** The dataset defaults and the preprocessing every dataset choice carries. */
export function readDatasetSettings(): DatasetSettings {
  const cfg = section();
  const p = cfg.get<unknown>('dataset.path');
  const scale = positiveNumber(cfg.get('dataset.scale'));
  const mean = numberList(cfg.get('dataset.mean'));
  const std = numberList(cfg.get('dataset.std'));
  return {
    ...(typeof p === 'string' && p.trim() ? { path: settingPath(p, workspaceRoot()) } : {}),
    ...(scale !== undefined ? { scale } : {}),
    ...(mean ? { mean } : {}),
    ...(std ? { std } : {}),
    layout: datasetLayout(cfg.get('dataset.layout')),
    maxSamples: maxSamples(cfg.get('maxSamples')),
  };
}

export function codeLensEnabled(): boolean {
  return section().get<boolean>('codeLens.enabled', true) !== false;
}

/** linearLens.cache.maxMegabytes; 0 turns the result cache off. */
export function cacheMaxMegabytes(): number {
  const v = section().get<unknown>('cache.maxMegabytes');
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : 512;
}

/**
 * Executable settings that this untrusted workspace sets and that are therefore ignored. VS Code
 * drops restricted settings' workspace values before an extension sees them, so the settings files
 * are read as well (cheap: one small JSON file per folder).
 */
export async function ignoredUntrustedSettings(): Promise<ExecutableSetting[]> {
  if (vscode.workspace.isTrusted) return [];
  const found = new Set<ExecutableSetting>(readHostSettings().ignored);
  const files = (vscode.workspace.workspaceFolders ?? []).map((f) => vscode.Uri.joinPath(f.uri, '.vscode', 'settings.json'));
  if (vscode.workspace.workspaceFile && vscode.workspace.workspaceFile.scheme !== 'untitled') files.push(vscode.workspace.workspaceFile);
  for (const file of files) {
    let text: string;
    try {
      text = new TextDecoder().decode(await vscode.workspace.fs.readFile(file));
    } catch {
      continue;
    }
    for (const key of EXECUTABLE_SETTINGS) if (settingsTextMentions(text, key)) found.add(key);
  }
  return [...found];
}

/**
 * Tells the user (once per workspace: a message; every time: a log line) that the workspace's
 * executable settings are ignored until it is trusted, with a way to trust it.
 */
export async function noteUntrustedSettings(state: vscode.Memento, log: (line: string) => void): Promise<void> {
  const ignored = await ignoredUntrustedSettings();
  if (ignored.length === 0) return;
  const names = ignored.join(' and ');
  const text = `This workspace is not trusted, so Linear Lens ignores ${names} from its settings: the compute host runs with VS Code's own Node and the bundled backends.`;
  log(`${text} Trust the workspace to use ${ignored.length > 1 ? 'them' : 'it'}.`);
  const key = `linearLens.untrustedNotice:${ignored.join(',')}`;
  if (state.get<boolean>(key)) return;
  await state.update(key, true);
  const manage = 'Manage Workspace Trust';
  if ((await vscode.window.showWarningMessage(`Linear Lens: ${text}`, manage)) === manage) {
    await vscode.commands.executeCommand('workbench.trust.manage');
  }
}
