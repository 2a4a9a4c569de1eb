/**
 * The model file the user linked to a definition, remembered per workspace under the document's
 * URI and the definition's name (so it survives edits that move the definition, and a reload).
 * No `vscode` import: it takes any Memento-like store, so it is unit-tested with a Map.
 */

/** The part of `vscode.Memento` used here. */
export interface LinkMemento {
  get<T>(key: string): T | undefined;
  update(key: string, value: unknown): PromiseLike<void>;
}

export const LINK_KEY_PREFIX = 'linearLens.codeLens.link:';

/** The workspaceState key of a definition's link: `linearLens.codeLens.link:<document URI>#<name>`. */
export function linkKey(documentUri: string, definitionName: string): string {
  return `${LINK_KEY_PREFIX}${documentUri}#${definitionName}`;
}

export class DefinitionLinks {
  constructor(private readonly memento: LinkMemento) {}

  /** The linked model file's URI (as a string), if the user chose one. */
  get(documentUri: string, definitionName: string): string | undefined {
    const v = this.memento.get<unknown>(linkKey(documentUri, definitionName));
    return typeof v === 'string' && v !== '' ? v : undefined;
  }

  /** Remembers `modelUri`; undefined forgets the link (the name match applies again). */
  set(documentUri: string, definitionName: string, modelUri: string | undefined): PromiseLike<void> {
    return this.memento.update(linkKey(documentUri, definitionName), modelUri);
  }
}
