/**
 * The compute host's palette commands: Show Compute Host Info, Restart Compute Host, Show Compute
 * Host Log and Enable GPU Backend. Each shows a real result: a message naming the backend and the
 * process, the restarted process, the output channel, or what the GPU backend needs.
 */
import * as vscode from 'vscode';
import type { HostInfo } from '../../protocol/host';
import { enableGpuBackend } from './gpu/enableGpu';
import { HostManager, SHOW_LOG } from './hostManager';
import { hostInfoLines } from './hostInfoView';

export const HOST_COMMANDS = {
  showInfo: 'linearLens.showHostInfo',
  restart: 'linearLens.restartHost',
  showLog: 'linearLens.showHostLog',
  enableGpu: 'linearLens.enableGpu',
} as const;

const ENABLE_GPU = 'Enable GPU Backend';

export function registerHostCommands(context: vscode.ExtensionContext, host: HostManager): void {
  context.subscriptions.push(
    vscode.commands.registerCommand(HOST_COMMANDS.showInfo, () => showHostInfo(host)),
    vscode.commands.registerCommand(HOST_COMMANDS.restart, () => restartHost(host)),
    vscode.commands.registerCommand(HOST_COMMANDS.showLog, () => host.showLog()),
    vscode.commands.registerCommand(HOST_COMMANDS.enableGpu, () => enableGpuBackend(context, host)),
  );
}

/** Resolves with the info (for tests and other extensions) without waiting for the message's buttons. */
async function showHostInfo(host: HostManager): Promise<HostInfo | undefined> {
  try {
    const starting = host.state().status !== 'running';
    const info = starting
      ? await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: 'Linear Lens: starting the compute host…' }, () => host.info())
      : await host.info();
    for (const line of hostInfoLines(info)) host.log(line);
    const gpu = info.backend.notUsed.find((n) => n.backend === 'tensorflow');
    const text = `Linear Lens computes on ${info.backend.device} (compute host pid ${info.pid}).${gpu ? ` GPU backend not used: ${gpu.reason}.` : ''}`;
    void vscode.window.showInformationMessage(text, ...(gpu ? [SHOW_LOG, ENABLE_GPU] : [SHOW_LOG])).then((pick) => {
      if (pick === SHOW_LOG) host.showLog();
      else if (pick === ENABLE_GPU) void vscode.commands.executeCommand(HOST_COMMANDS.enableGpu);
    });
    return info;
  } catch (e) {
    void host.showError(e, 'Show Compute Host Info');
    return undefined;
  }
}

/** Resolves with the new host's info, undefined when it did not restart. */
async function restartHost(host: HostManager): Promise<HostInfo | undefined> {
  const jobs = host.jobs().length;
  if (jobs > 0) {
    const restart = 'Restart';
    const answer = await vscode.window.showWarningMessage(
      `Restarting the compute host stops ${jobs} running job${jobs > 1 ? 's' : ''}.`,
      { modal: true, detail: host.jobs().map((j) => j.title).join('\n') },
      restart,
    );
    if (answer !== restart) return undefined;
  }
  const before = host.pid();
  try {
    const info = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'Linear Lens: restarting the compute host…' }, () => host.restartHost());
    void vscode.window.showInformationMessage(
      `Linear Lens: the compute host restarted (pid ${before ?? 'none'} → ${info.pid}); it computes on ${info.backend.device}.`,
    );
    return info;
  } catch (e) {
    void host.showError(e, 'Restarting the compute host');
    return undefined;
  }
}
