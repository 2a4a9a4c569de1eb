/**
 * The analyses the extension offers. Each analysis registers its provider once at activation; the
 * model overview shows a button for each, and panels find the provider of their `kind` here (a
 * panel restored before its provider registered waits for it).
 */
import * as vscode from 'vscode';
import type { AnalysisProvider } from './analysis';
import type { JsonValue } from '../../protocol/webview';

export class AnalysisRegistry implements vscode.Disposable {
  private readonly providers = new Map<string, AnalysisProvider>();
  private readonly changed = new vscode.EventEmitter<void>();
  /** Fires when a provider is added or removed. */
  readonly onDidChange: vscode.Event<void> = this.changed.event;

  /** Adds a provider; the returned disposable removes it. A second provider of one kind is a bug. */
  register<R extends JsonValue>(provider: AnalysisProvider<R>): vscode.Disposable {
    if (!provider.kind) throw new Error('An analysis provider needs a kind');
    if (this.providers.has(provider.kind)) throw new Error(`An analysis of kind '${provider.kind}' is already registered`);
    // Stored as a provider of any JSON result: the registry hands it only results its own compute
    // made (the panels of its kind), so its R holds.
    const p: AnalysisProvider = provider;
    this.providers.set(provider.kind, p);
    this.changed.fire();
    return new vscode.Disposable(() => {
      if (this.providers.get(provider.kind) === p) {
        this.providers.delete(provider.kind);
        this.changed.fire();
      }
    });
  }

  get(kind: string): AnalysisProvider | undefined {
    return this.providers.get(kind);
  }

  /** In registration order. */
  all(): readonly AnalysisProvider[] {
    return [...this.providers.values()];
  }

  dispose(): void {
    this.providers.clear();
    this.changed.dispose();
  }
}

/** The extension's registry: analyses add themselves with `registerAnalysis`. */
export const analysisRegistry = new AnalysisRegistry();

/** Makes an analysis available to the overview's buttons and to panels of its kind. */
export function registerAnalysis<R extends JsonValue>(provider: AnalysisProvider<R>): vscode.Disposable {
  return analysisRegistry.register(provider);
}
