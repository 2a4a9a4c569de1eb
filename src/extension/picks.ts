/**
 * PickService: quick picks for the inputs an analysis needs (a model file of the workspace, a
 * second one, a dataset), each choice remembered per workspace and offered first next time. The
 * model file list is found by name, checked cheaply by content (picks/modelSniff.ts) and kept up
 * to date by a file watcher; dataset candidates come from picks/dataFiles.ts.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { DataCandidate, dataCandidates, DATA_FILE_GLOB, IMAGE_FILE_GLOB, pushRecent } from './picks/dataFiles';
import { isModelFile } from './picks/modelSniff';
import type { DatasetChoice, PickService } from './services';
import { readDatasetSettings, workspaceRoot } from './settings';

/** Model files by name; their content is checked afterwards. */
export const MODEL_FILE_GLOB = '**/{*.onnx,*.keras,*.h5,model.json}';
/** Never searched: dependencies and VCS internals hold models of their own (test fixtures of packages). */
const EXCLUDE_GLOB = '{**/node_modules/**,**/.git/**}';
const MAX_MODEL_FILES = 2000;
const MAX_DATA_FILES = 500;
const MAX_IMAGES = 5000;

const MODEL_MEMORY = 'linearLens.recentModels';
const DATASET_MEMORY = 'linearLens.dataset';

/** The dataset remembered per workspace: the files, not the preprocessing (that stays in the settings). */
interface RememberedDataset {
  readonly path: string;
  readonly labels?: string;
}

function isRemembered(v: unknown): v is RememberedDataset {
  return typeof v === 'object' && v !== null && typeof (v as { path?: unknown }).path === 'string';
}

const exists = (p: string): boolean => {
  try {
    fs.statSync(p);
    return true;
  } catch {
    return false;
  }
};

/** A path as the user reads it: relative to the workspace folder when inside it. */
export function displayPath(p: string): string {
  const root = workspaceRoot();
  if (root) {
    const rel = path.relative(root, p);
    if (rel && !rel.startsWith('..') && !path.isAbsolute(rel)) return rel.split(path.sep).join('/');
  }
  return p;
}

/** The label of a model file: model.json files are told apart by their folder. */
function modelLabel(uri: vscode.Uri): string {
  const base = path.basename(uri.fsPath);
  return base === 'model.json' ? `${path.basename(path.dirname(uri.fsPath))}/${base}` : base;
}

type ModelItem = vscode.QuickPickItem & { readonly uri?: vscode.Uri; readonly browse?: true };
type DatasetItem = vscode.QuickPickItem & { readonly choice?: RememberedDataset; readonly browse?: true };

export class Picks implements PickService, vscode.Disposable {
  private readonly changeEmitter = new vscode.EventEmitter<void>();
  private readonly disposables: vscode.Disposable[] = [];
  private models: Promise<readonly vscode.Uri[]> | undefined;
  private changeTimer: NodeJS.Timeout | undefined;

  readonly onDidChangeModelFiles: vscode.Event<void> = this.changeEmitter.event;

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly log: (line: string) => void,
  ) {
    const watcher = vscode.workspace.createFileSystemWatcher(MODEL_FILE_GLOB);
    // A rewritten file can turn into (or stop being) a model, so changes count as well.
    const invalidate = (): void => this.invalidate();
    this.disposables.push(
      this.changeEmitter,
      watcher,
      watcher.onDidCreate(invalidate),
      watcher.onDidDelete(invalidate),
      watcher.onDidChange(invalidate),
      vscode.workspace.onDidChangeWorkspaceFolders(invalidate),
    );
  }

  modelFiles(): Promise<readonly vscode.Uri[]> {
    this.models ??= this.findModels().catch((e: unknown) => {
      this.models = undefined;
      this.log(`finding model files failed: ${e instanceof Error ? e.message : String(e)}`);
      return [];
    });
    return this.models;
  }

  async pickModel(opts: { title?: string; memoryKey?: string; exclude?: readonly vscode.Uri[] } = {}): Promise<vscode.Uri | undefined> {
    const key = `${MODEL_MEMORY}:${opts.memoryKey ?? 'model'}`;
    const excluded = new Set((opts.exclude ?? []).map((u) => u.toString()));
    const qp = vscode.window.createQuickPick<ModelItem>();
    qp.title = opts.title ?? 'Linear Lens: Choose a Model File';
    qp.placeholder = 'Model files of the workspace (ONNX, Keras .keras / .h5, TF.js model.json)';
    qp.matchOnDescription = true;
    qp.busy = true;
    const browse: ModelItem = { label: '$(folder-opened) Browse…', description: 'a model file anywhere', browse: true };
    qp.items = [browse];
    // Listening before showing: a pick dismissed while the files are still being found resolves too.
    const accepted = this.accept(qp);
    qp.show();
    const files = (await this.modelFiles()).filter((u) => !excluded.has(u.toString()));
    const byString = new Map(files.map((u) => [u.toString(), u]));
    const recent = this.context.workspaceState
      .get<string[]>(key, [])
      .map((s) => byString.get(s))
      .filter((u): u is vscode.Uri => !!u);
    const recentSet = new Set(recent.map((u) => u.toString()));
    const item = (uri: vscode.Uri): ModelItem => ({ label: `$(file-binary) ${modelLabel(uri)}`, description: displayPath(path.dirname(uri.fsPath)), uri });
    const items: ModelItem[] = [];
    if (recent.length > 0) items.push({ label: 'recently used', kind: vscode.QuickPickItemKind.Separator }, ...recent.map(item));
    const rest = files.filter((u) => !recentSet.has(u.toString()));
    if (rest.length > 0) items.push({ label: 'workspace', kind: vscode.QuickPickItemKind.Separator }, ...rest.map(item));
    items.push({ label: '', kind: vscode.QuickPickItemKind.Separator }, browse);
    qp.items = items;
    if (files.length === 0) qp.placeholder = 'No model files in this workspace: browse for one';
    qp.busy = false;
    const chosen = await accepted;
    if (!chosen) return undefined;
    let uri = chosen.uri;
    if (chosen.browse) {
      const picked = await vscode.window.showOpenDialog({
        canSelectFiles: true,
        canSelectFolders: false,
        canSelectMany: false,
        title: qp.title,
        filters: { 'Model files': ['onnx', 'keras', 'h5', 'json'] },
      });
      uri = picked?.[0];
    }
    if (!uri) return undefined;
    await this.context.workspaceState.update(key, pushRecent(this.context.workspaceState.get<string[]>(key, []), uri.toString()));
    return uri;
  }

  async dataset(opts: { ask?: boolean } = {}): Promise<DatasetChoice | undefined> {
    const remembered = this.context.workspaceState.get<unknown>(DATASET_MEMORY);
    if (isRemembered(remembered) && exists(remembered.path)) return this.choice(remembered);
    const fallback = readDatasetSettings().path;
    if (fallback && exists(fallback)) return this.choice({ path: fallback });
    return opts.ask === false ? undefined : this.pickDataset();
  }

  async pickDataset(): Promise<DatasetChoice | undefined> {
    const qp = vscode.window.createQuickPick<DatasetItem>();
    qp.title = 'Linear Lens: Select Dataset';
    qp.placeholder = 'Data for the analyses: IDX, .npy/.npz, CSV, or a folder of class folders of images';
    qp.matchOnDescription = true;
    qp.matchOnDetail = true;
    qp.busy = true;
    const browse: DatasetItem = { label: '$(folder-opened) Browse…', description: 'a data file or an image folder anywhere', browse: true };
    qp.items = [browse];
    // Listening before showing: a pick dismissed while the files are still being found resolves too.
    const accepted = this.accept(qp);
    qp.show();
    const remembered = this.context.workspaceState.get<unknown>(DATASET_MEMORY);
    const current = isRemembered(remembered) && exists(remembered.path) ? remembered : undefined;
    const settingsPath = readDatasetSettings().path;
    const candidates = await this.dataCandidates();
    const items: DatasetItem[] = [];
    const seen = new Set<string>();
    const add = (d: RememberedDataset, description: string, detail?: string): void => {
      if (seen.has(d.path)) return;
      seen.add(d.path);
      items.push({ label: `$(database) ${path.basename(d.path)}`, description, ...(detail ? { detail } : {}), choice: d });
    };
    if (current) add(current, `current · ${displayPath(path.dirname(current.path))}`, current.labels ? `labels ${path.basename(current.labels)}` : undefined);
    if (settingsPath && exists(settingsPath)) add({ path: settingsPath }, `default from the settings (linearLens.dataset.path) · ${displayPath(path.dirname(settingsPath))}`);
    if (items.length > 0 && candidates.length > 0) items.push({ label: 'workspace', kind: vscode.QuickPickItemKind.Separator });
    for (const c of candidates) add({ path: c.path, ...(c.labels ? { labels: c.labels } : {}) }, displayPath(path.dirname(c.path)), c.detail);
    items.push({ label: '', kind: vscode.QuickPickItemKind.Separator }, browse);
    qp.items = items;
    if (candidates.length === 0) qp.placeholder = 'No data files in this workspace: browse for a file or an image folder';
    qp.busy = false;
    const chosen = await accepted;
    if (!chosen) return undefined;
    let picked = chosen.choice;
    if (chosen.browse) {
      const uris = await vscode.window.showOpenDialog({
        canSelectFiles: true,
        canSelectFolders: true,
        canSelectMany: false,
        title: 'Dataset: an IDX, .npy, .npz or CSV file, or a folder with one subfolder of images per class',
        openLabel: 'Use as Dataset',
      });
      picked = uris?.[0] ? { path: uris[0].fsPath } : undefined;
    }
    if (!picked) return undefined;
    await this.context.workspaceState.update(DATASET_MEMORY, picked);
    this.log(`dataset: ${picked.path}${picked.labels ? ` (labels ${picked.labels})` : ''}`);
    return this.choice(picked);
  }

  /** The choice with the preprocessing of the settings (read now, so a settings change applies at once). */
  private choice(d: RememberedDataset): DatasetChoice {
    const s = readDatasetSettings();
    return {
      path: d.path,
      ...(d.labels ? { labels: d.labels } : {}),
      ...(s.scale !== undefined ? { scale: s.scale } : {}),
      ...(s.mean ? { mean: s.mean } : {}),
      ...(s.std ? { std: s.std } : {}),
      layout: s.layout,
      maxSamples: s.maxSamples,
    };
  }

  private async dataCandidates(): Promise<DataCandidate[]> {
    const [files, images] = await Promise.all([
      vscode.workspace.findFiles(DATA_FILE_GLOB, EXCLUDE_GLOB, MAX_DATA_FILES),
      vscode.workspace.findFiles(IMAGE_FILE_GLOB, EXCLUDE_GLOB, MAX_IMAGES),
    ]);
    return dataCandidates(
      files.map((u) => u.fsPath),
      images.map((u) => u.fsPath),
    );
  }

  private async findModels(): Promise<readonly vscode.Uri[]> {
    const found = await vscode.workspace.findFiles(MODEL_FILE_GLOB, EXCLUDE_GLOB, MAX_MODEL_FILES);
    const checked = await Promise.all(found.map(async (u) => ((await isModelFile(u.fsPath)) ? u : undefined)));
    return checked.filter((u): u is vscode.Uri => !!u).sort((a, b) => a.fsPath.localeCompare(b.fsPath));
  }

  /** Resolves with the accepted item, or undefined when the pick is dismissed. */
  private accept<T extends vscode.QuickPickItem>(qp: vscode.QuickPick<T>): Promise<T | undefined> {
    return new Promise((resolve) => {
      let done = false;
      const finish = (v: T | undefined): void => {
        if (done) return;
        done = true;
        resolve(v);
        qp.dispose();
      };
      qp.onDidAccept(() => finish(qp.selectedItems[0]));
      qp.onDidHide(() => finish(undefined));
    });
  }

  private invalidate(): void {
    this.models = undefined;
    // One event for a burst (a checkout, a training run writing checkpoints).
    if (this.changeTimer) clearTimeout(this.changeTimer);
    this.changeTimer = setTimeout(() => {
      this.changeTimer = undefined;
      this.changeEmitter.fire();
    }, 300);
  }

  dispose(): void {
    if (this.changeTimer) clearTimeout(this.changeTimer);
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}

/** "Linear Lens: Select Dataset…": asks, remembers, and says what the analyses will read. */
export function registerPickCommands(context: vscode.ExtensionContext, picks: PickService): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('linearLens.selectDataset', async () => {
      const d = await picks.pickDataset();
      if (!d) return undefined;
      const labels = d.labels ? `, labels ${path.basename(d.labels)}` : '';
      void vscode.window.showInformationMessage(`Linear Lens: analyses read ${displayPath(d.path)}${labels} (at most ${d.maxSamples} samples).`);
      // The choice, for tests and other extensions.
      return d;
    }),
  );
}
