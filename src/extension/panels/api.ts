/**
 * What `activate` returns: the way later parts of the extension and the extension-host tests add
 * analyses and reach the panels without importing the bundle's internals.
 *
 *   const api = await vscode.extensions.getExtension('linear-lens.linear-lens').activate();
 *   context.subscriptions.push(api.registerAnalysis(provider));
 *   await api.panels.open(state);
 */
import type * as vscode from 'vscode';
import type { JsonValue } from '../../protocol/webview';
import type { AnalysisProvider } from './analysis';
import { analysisRegistry, registerAnalysis } from './analysisRegistry';
import { cacheKey, type KeyPart } from './cacheKey';
import type { PanelManager } from './panelManager';

export interface LinearLensApi {
  /** Adds an analysis (overview button, panels of its kind); the disposable removes it. */
  registerAnalysis<R extends JsonValue>(provider: AnalysisProvider<R>): vscode.Disposable;
  /** The registered analyses, in registration order. */
  analyses(): readonly AnalysisProvider[];
  /** The panel manager: open, recent results, the result cache, panel snapshots, the serializer. */
  readonly panels: PanelManager;
  /** The hash of a result's inputs, for PanelState.key. */
  cacheKey(parts: readonly KeyPart[]): Promise<string>;
}

export function createApi(panels: PanelManager): LinearLensApi {
  return {
    registerAnalysis,
    analyses: () => analysisRegistry.all(),
    panels,
    cacheKey,
  };
}
