/**
 * The model definitions of open documents, found once per document version. A notebook cell is
 * read with the other cells' imports (they usually sit in the first cell), and its links are kept
 * under the notebook's URI, since a cell's own URI changes from one session to the next.
 */
import * as vscode from 'vscode';
import { findModelDefinitions, isDefinitionLanguage, ModelDefinition } from './definitions';

const NOTEBOOK_CELL_SCHEME = 'vscode-notebook-cell';

function notebookOf(document: vscode.TextDocument): vscode.NotebookDocument | undefined {
  if (document.uri.scheme !== NOTEBOOK_CELL_SCHEME) return undefined;
  return vscode.workspace.notebookDocuments.find((nb) => nb.getCells().some((c) => c.document === document));
}

/** The URI under which the definitions of `document` are linked: the notebook's for a cell. */
export function documentKey(document: vscode.TextDocument): string {
  return (notebookOf(document)?.uri ?? document.uri).toString();
}

interface CacheEntry {
  readonly version: string;
  readonly definitions: readonly ModelDefinition[];
}

export class DocumentDefinitions implements vscode.Disposable {
  private readonly cache = new Map<string, CacheEntry>();
  private readonly subscription: vscode.Disposable;

  constructor() {
    this.subscription = vscode.workspace.onDidCloseTextDocument((d) => this.cache.delete(d.uri.toString()));
  }

  /** The definitions of `document`, in source order; [] for a language the finder does not read. */
  of(document: vscode.TextDocument): readonly ModelDefinition[] {
    const language = document.languageId;
    if (!isDefinitionLanguage(language)) return [];
    const notebook = notebookOf(document);
    // A cell's definitions also depend on the other cells' imports, hence the notebook's version.
    const version = `${language}:${document.version}:${notebook?.version ?? ''}`;
    const key = document.uri.toString();
    const hit = this.cache.get(key);
    if (hit?.version === version) return hit.definitions;
    const importContext = notebook
      ?.getCells()
      .filter((c) => c.document !== document && c.document.languageId === language)
      .map((c) => c.document.getText())
      .join('\n');
    const definitions = findModelDefinitions(document.getText(), language, importContext === undefined ? {} : { importContext });
    this.cache.set(key, { version, definitions });
    return definitions;
  }

  dispose(): void {
    this.subscription.dispose();
    this.cache.clear();
  }
}
