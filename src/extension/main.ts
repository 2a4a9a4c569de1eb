/**
 * The VS Code side of Linear Lens. It never imports core or TensorFlow.js: all computation runs in
 * the forked compute host (dist/host.js), reached through the protocol, so the editor stays light
 * and a crash in the math cannot take it down.
 */
import * as vscode from 'vscode';
import { BACKEND_PREFERENCES, BackendPreference } from '../protocol/host';
import { HostClient } from '../host/client/hostClient';
import { toHostRequestError } from '../host/client/hostError';
import { hostInfoLines } from './hostInfoView';

let client: HostClient | undefined;

function backendSetting(): BackendPreference {
  const v = vscode.workspace.getConfiguration('linearLens').get<string>('backend', 'auto');
  return BACKEND_PREFERENCES.find((b) => b === v) ?? 'auto';
}

/** Starts the extension: the output channel and the commands; the host is forked on first use. */
export function activate(context: vscode.ExtensionContext): void {
  const output = vscode.window.createOutputChannel('Linear Lens');
  const host = (): HostClient => {
    if (!client) {
      const tfjsNodePath = vscode.workspace.getConfiguration('linearLens').get<string>('tfjsNodePath') || undefined;
      client = new HostClient({
        hostScript: context.asAbsolutePath('dist/host.js'),
        backend: backendSetting(),
        ...(tfjsNodePath ? { tfjsNodePath } : {}),
        log: (line) => output.appendLine(line),
      });
      client.onExit((e) => {
        if (!e.expected) output.appendLine(`The compute host stopped (code ${e.code}, signal ${e.signal}); it starts again on the next command.`);
        client = undefined;
      });
    }
    return client;
  };

  context.subscriptions.push(
    output,
    vscode.commands.registerCommand('linearLens.showHostInfo', async () => {
      try {
        const info = await host().info();
        for (const line of hostInfoLines(info)) output.appendLine(line);
        void vscode.window.showInformationMessage(`Linear Lens computes on ${info.backend.device}.`);
      } catch (e) {
        const err = toHostRequestError(e);
        output.appendLine(`host/info failed: ${err.hostStack ?? err.stack ?? err.message}`);
        void vscode.window.showErrorMessage(`Linear Lens: ${err.message}`);
        if (err.kind !== 'user') output.show(true);
      }
    }),
    { dispose: () => void client?.dispose() },
  );
}

/** Stops the compute host. */
export async function deactivate(): Promise<void> {
  const c = client;
  client = undefined;
  await c?.dispose();
}
