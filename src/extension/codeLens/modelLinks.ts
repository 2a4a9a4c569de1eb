/**
 * Which model file a definition goes with: the one the user linked (remembered per workspace),
 * else the one its name matches when exactly one does; otherwise the user is asked, never guessed
 * for.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { PickService } from '../services';
import { DefinitionLinks } from './definitionLinks';
import { matchModelFile } from './nameMatch';

export type ModelLink =
  | { readonly state: 'linked'; readonly uri: vscode.Uri; readonly by: 'user' | 'name' }
  /** More than one workspace model file matches the name. */
  | { readonly state: 'ambiguous'; readonly candidates: readonly vscode.Uri[] }
  | { readonly state: 'unlinked' };

/** The label a lens shows for a model file: its name, with its folder for a TF.js `model.json`. */
export function modelLabel(uri: vscode.Uri): string {
  const base = path.posix.basename(uri.path);
  const folder = path.posix.basename(path.posix.dirname(uri.path));
  return base.toLowerCase() === 'model.json' && folder !== '' ? `${folder}/${base}` : base;
}

export class ModelLinks {
  private readonly links: DefinitionLinks;
  private readonly relativePaths = new WeakMap<readonly vscode.Uri[], ReadonlyMap<string, vscode.Uri>>();
  private readonly changed = new vscode.EventEmitter<void>();
  /** Fires when the user links a definition to a file. */
  readonly onDidChange = this.changed.event;

  constructor(memento: vscode.Memento, private readonly picks: PickService) {
    this.links = new DefinitionLinks(memento);
  }

  /**
   * The link of definition `name` of the document `documentKey`, given the workspace's model files.
   * A remembered file that is gone no longer counts (the name match applies again), but stays
   * remembered in case it comes back.
   */
  async resolve(documentKey: string, name: string, modelFiles: readonly vscode.Uri[]): Promise<ModelLink> {
    const remembered = this.links.get(documentKey, name);
    if (remembered !== undefined) {
      const uri = vscode.Uri.parse(remembered);
      if (modelFiles.some((f) => f.toString() === remembered) || (await exists(uri))) return { state: 'linked', uri, by: 'user' };
    }
    const byPath = this.byRelativePath(modelFiles);
    const match = matchModelFile(name, [...byPath.keys()]);
    if (match.kind === 'unique') return { state: 'linked', uri: byPath.get(match.path)!, by: 'name' };
    if (match.kind === 'ambiguous') return { state: 'ambiguous', candidates: match.paths.map((p) => byPath.get(p)!) };
    return { state: 'unlinked' };
  }

  /**
   * The files by workspace-relative path, the names the matcher compares. PickService hands out the
   * same array until the files change, so one map serves every definition of every document.
   */
  private byRelativePath(files: readonly vscode.Uri[]): ReadonlyMap<string, vscode.Uri> {
    let map = this.relativePaths.get(files);
    if (!map) {
      map = new Map(files.map((f) => [vscode.workspace.asRelativePath(f, false), f] as const));
      this.relativePaths.set(files, map);
    }
    return map;
  }

  /** Asks for the model file of definition `name` and remembers it; undefined when dismissed. */
  async ask(documentKey: string, name: string): Promise<vscode.Uri | undefined> {
    const uri = await this.picks.pickModel({
      title: `Link ${name} to a model file`,
      memoryKey: `codeLens:${documentKey}#${name}`,
    });
    if (!uri) return undefined;
    await this.links.set(documentKey, name, uri.toString());
    this.changed.fire();
    return uri;
  }

  /** The linked file, asking when there is none (or more than one by name). */
  async linkedOrAsk(documentKey: string, name: string): Promise<vscode.Uri | undefined> {
    const link = await this.resolve(documentKey, name, await this.picks.modelFiles());
    return link.state === 'linked' ? link.uri : this.ask(documentKey, name);
  }

  dispose(): void {
    this.changed.dispose();
  }
}

async function exists(uri: vscode.Uri): Promise<boolean> {
  try {
    await vscode.workspace.fs.stat(uri);
    return true;
  } catch {
    return false;
  }
}
