/**
 * The lenses above a model definition:
 *
 *   Linear Lens: mnist_cnn.onnx | Linear interpreter | Mode connectivity | Change link…
 *   Linear Lens: link a model file… | Linear interpreter | Mode connectivity
 *
 * The first opens the linked file's model overview, or asks for a file when none is linked; each
 * analysis opens with the linked file (asking first when none is); "Change link…" links another.
 */
import * as vscode from 'vscode';
import type { AnalysisRegistry } from '../panels/analysisRegistry';
import type { PickService } from '../services';
import type { ModelDefinition } from './definitions';
import { documentKey, DocumentDefinitions } from './documentDefinitions';
import { ModelLink, modelLabel, ModelLinks } from './modelLinks';

export const OPEN_OVERVIEW_COMMAND = 'linearLens.openModelOverview';
export const LINK_COMMAND = 'linearLens.linkModel';
/** Registered for the lenses only, so not in the command palette. */
export const OPEN_ANALYSIS_COMMAND = 'linearLens.codeLens.openAnalysis';

export class ModelLensProvider implements vscode.CodeLensProvider {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.changed.event;

  constructor(
    private readonly definitions: DocumentDefinitions,
    private readonly links: ModelLinks,
    private readonly picks: PickService,
    private readonly registry: AnalysisRegistry,
    private readonly enabled: () => boolean,
  ) {}

  /** Asks VS Code for fresh lenses (links, model files, analyses or the setting changed). */
  refresh(): void {
    this.changed.fire();
  }

  async provideCodeLenses(document: vscode.TextDocument, token: vscode.CancellationToken): Promise<vscode.CodeLens[]> {
    if (!this.enabled()) return [];
    const definitions = this.definitions.of(document);
    if (definitions.length === 0) return [];
    const files = await this.picks.modelFiles();
    if (token.isCancellationRequested) return [];
    const key = documentKey(document);
    const lenses: vscode.CodeLens[] = [];
    for (const def of definitions) {
      const link = await this.links.resolve(key, def.name, files);
      lenses.push(...this.lensesOf(key, def, link));
    }
    return lenses;
  }

  private lensesOf(key: string, def: ModelDefinition, link: ModelLink): vscode.CodeLens[] {
    const range = new vscode.Range(def.startLine, 0, def.startLine, 0);
    const lens = (command: vscode.Command): vscode.CodeLens => new vscode.CodeLens(range, command);
    const out: vscode.CodeLens[] = [];
    if (link.state === 'linked') {
      const rel = vscode.workspace.asRelativePath(link.uri, false);
      const how = link.by === 'user' ? 'linked by you' : `its name matches ${def.name}`;
      out.push(lens({
        title: `Linear Lens: ${modelLabel(link.uri)}`,
        tooltip: `Open the model overview of ${rel} (${how})`,
        command: OPEN_OVERVIEW_COMMAND,
        arguments: [link.uri],
      }));
    } else {
      const tooltip = link.state === 'ambiguous'
        ? `${link.candidates.length} model files match ${def.name} (${link.candidates.map((u) => vscode.workspace.asRelativePath(u, false)).join(', ')}): choose one`
        : `No model file of the workspace is named like ${def.name}: choose the one it trains`;
      out.push(lens({ title: 'Linear Lens: link a model file…', tooltip, command: LINK_COMMAND, arguments: [key, def.name] }));
    }
    for (const analysis of this.registry.all()) {
      out.push(lens({
        title: analysis.title,
        tooltip: analysis.description ?? `${analysis.title} of ${def.name}'s model file`,
        command: OPEN_ANALYSIS_COMMAND,
        arguments: [key, def.name, analysis.kind],
      }));
    }
    if (link.state === 'linked') {
      out.push(lens({
        title: 'Change link…',
        tooltip: `Link ${def.name} to another model file (now ${vscode.workspace.asRelativePath(link.uri, false)})`,
        command: LINK_COMMAND,
        arguments: [key, def.name],
      }));
    }
    return out;
  }

  dispose(): void {
    this.changed.dispose();
  }
}
