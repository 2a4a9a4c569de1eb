/**
 * Model definitions in source files: what the code lenses sit on. Pure (no `vscode` import): the
 * finders take text and return line numbers, and are unit-tested on real scripts.
 */
import { findPythonDefinitions } from './pythonDefinitions';
import { findScriptDefinitions } from './scriptDefinitions';

export type DefinitionKind =
  | 'pytorch-module'     // class X(nn.Module) (or a LightningModule), name = nn.Sequential(...)
  | 'keras-sequential'   // name = keras.Sequential(...)
  | 'keras-functional'   // name = keras.Model(inputs=..., outputs=...)
  | 'keras-subclass'     // class X(keras.Model)
  | 'tfjs-sequential'    // const name = tf.sequential(...)
  | 'tfjs-model';        // const name = tf.model({inputs, outputs})

export interface ModelDefinition {
  /** The class name, or the variable / property assigned (its last segment: `self.model` -> `model`). */
  readonly name: string;
  readonly kind: DefinitionKind;
  /** First line, 0-based: the first decorator of a decorated class, else the statement's line. */
  readonly startLine: number;
  /** Last line, 0-based and inclusive: the end of the class body or of the call's arguments. */
  readonly endLine: number;
  /** Where the name is written, 0-based line and character. */
  readonly nameLine: number;
  readonly nameCharacter: number;
}

/** VS Code language ids the finder understands. */
export type DefinitionLanguage = 'python' | 'javascript' | 'typescript' | 'javascriptreact' | 'typescriptreact';

export const DEFINITION_LANGUAGES: readonly DefinitionLanguage[] =
  ['python', 'javascript', 'typescript', 'javascriptreact', 'typescriptreact'];

export function isDefinitionLanguage(id: string): id is DefinitionLanguage {
  return (DEFINITION_LANGUAGES as readonly string[]).includes(id);
}

export interface FindOptions {
  /**
   * More source whose imports count as if written in `text`: the other cells of a notebook, whose
   * imports usually sit in the first cell.
   */
  readonly importContext?: string;
}

/** The model definitions of a document, in source order. */
export function findModelDefinitions(text: string, language: DefinitionLanguage, opts: FindOptions = {}): ModelDefinition[] {
  return language === 'python' ? findPythonDefinitions(text, opts.importContext) : findScriptDefinitions(text, opts.importContext);
}
