/**
 * Code lenses on model definitions (PyTorch modules, Keras models, TF.js `tf.sequential`/`tf.model`)
 * that link each definition to a model file of the workspace and open its overview and analyses.
 * The setting `linearLens.codeLens.enabled` hides them at once.
 */
import * as vscode from 'vscode';
import { analysisRegistry } from '../panels/analysisRegistry';
import { classifyFailure } from '../panels/failure';
import type { Services } from '../services';
import { codeLensEnabled } from '../settings';
import { DEFINITION_LANGUAGES, ModelDefinition } from './definitions';
import { documentKey, DocumentDefinitions } from './documentDefinitions';
import { LINK_COMMAND, ModelLensProvider, OPEN_ANALYSIS_COMMAND } from './lensProvider';
import { ModelLinks } from './modelLinks';

const ENABLED_SETTING = 'linearLens.codeLens.enabled';
/** Files on disk, unsaved files and notebook cells; not diff views or other virtual documents. */
const SCHEMES = ['file', 'untitled', 'vscode-notebook-cell'];

export function registerCodeLenses(services: Services): void {
  const definitions = new DocumentDefinitions();
  const links = new ModelLinks(services.context.workspaceState, services.picks);
  const provider = new ModelLensProvider(definitions, links, services.picks, analysisRegistry, codeLensEnabled);
  const selector = DEFINITION_LANGUAGES.flatMap((language) => SCHEMES.map((scheme) => ({ language, scheme })));

  services.context.subscriptions.push(
    definitions,
    links,
    provider,
    vscode.languages.registerCodeLensProvider(selector, provider),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration(ENABLED_SETTING)) provider.refresh();
    }),
    services.picks.onDidChangeModelFiles(() => provider.refresh()),
    analysisRegistry.onDidChange(() => provider.refresh()),
    links.onDidChange(() => provider.refresh()),
    vscode.commands.registerCommand(LINK_COMMAND, (doc?: unknown, name?: unknown) => linkModel(definitions, links, doc, name)),
    vscode.commands.registerCommand(OPEN_ANALYSIS_COMMAND, (doc: unknown, name: unknown, kind: unknown) =>
      openAnalysis(services, links, String(doc), String(name), String(kind))),
  );
}

/**
 * `linearLens.linkModel (documentKey, definitionName)`: asks for the definition's model file. From
 * a lens both arguments come along; without them (a keybinding) it links the definition under the
 * cursor of the active editor, or asks which one.
 */
async function linkModel(definitions: DocumentDefinitions, links: ModelLinks, doc: unknown, name: unknown): Promise<void> {
  const key = doc instanceof vscode.Uri ? doc.toString() : doc;
  if (typeof key === 'string' && typeof name === 'string') {
    await links.ask(key, name);
    return;
  }
  const editor = vscode.window.activeTextEditor;
  const defs = editor ? definitions.of(editor.document) : [];
  if (!editor || defs.length === 0) {
    void vscode.window.showInformationMessage('Linear Lens: the active editor has no model definition (an nn.Module class, a Keras model or a TF.js tf.sequential / tf.model).');
    return;
  }
  const line = editor.selection.active.line;
  const def = defs.find((d) => line >= d.startLine && line <= d.endLine) ?? (defs.length === 1 ? defs[0] : await pickDefinition(defs));
  if (def) await links.ask(documentKey(editor.document), def.name);
}

async function pickDefinition(defs: readonly ModelDefinition[]): Promise<ModelDefinition | undefined> {
  const picked = await vscode.window.showQuickPick(
    defs.map((d) => ({ label: d.name, description: `line ${d.nameLine + 1} · ${d.kind}`, def: d })),
    { title: 'Link which model definition to a model file?' },
  );
  return picked?.def;
}

/** Opens analysis `kind` on the definition's model file, asking for the file when none is linked. */
async function openAnalysis(services: Services, links: ModelLinks, doc: string, name: string, kind: string): Promise<void> {
  const provider = analysisRegistry.get(kind);
  if (!provider) {
    void vscode.window.showErrorMessage(`Linear Lens: the analysis '${kind}' is not available.`);
    return;
  }
  const uri = await links.linkedOrAsk(doc, name);
  if (!uri) return;
  try {
    const state = await provider.prepare({ models: [uri] }, services);
    if (state) await services.panels.open(state);
  } catch (e) {
    const failure = classifyFailure(e, services.host.state(), { activity: 'starting the analysis' });
    if (failure.kind === 'cancelled') return;
    if (failure.detail) services.host.log(`${provider.title} of ${uri.fsPath} (code lens on ${name}): ${failure.detail}`);
    void vscode.window.showErrorMessage(`${provider.title}: ${failure.message}`);
  }
}
