/**
 * "Linear Lens: Enable GPU Backend": installs @tensorflow/tfjs-node-gpu into the extension's global
 * storage with npm (progress, cancel), or takes a folder where it is installed already; then sets
 * linearLens.tfjsNodePath (user settings), restarts the compute host and reports what the host
 * says about the tensorflow backend. Nothing of the package is ever loaded into the editor.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { HostInfo } from '../../../protocol/host';
import { readHostSettings } from '../../settings';
import { gpuOutcome } from './gpuOutcome';
import { explainNpmFailure, findOnPath, GPU_PACKAGE, npmInstall } from './npmInstall';
import { inspectTfjsNodeFolder } from './tfjsNodeInstall';

/** What this command needs of the host manager. */
export interface GpuHost {
  restartHost(): Promise<HostInfo>;
  log(line: string): void;
  showLog(): void;
  showError(e: unknown, what: string): Promise<void>;
}

const USE_EXISTING = 'Use an Existing Install…';
const SHOW_LOG = 'Show Log';

/** The platforms @tensorflow/tfjs-node-gpu ships libtensorflow's GPU build for. */
const GPU_PLATFORMS = new Set(['linux-x64', 'win32-x64']);

export async function enableGpuBackend(context: vscode.ExtensionContext, host: GpuHost): Promise<void> {
  const storage = path.join(context.globalStorageUri.fsPath, 'gpu');
  const current = readHostSettings().tfjsNodePath;
  const items: (vscode.QuickPickItem & { action: 'install' | 'existing' })[] = [
    {
      action: 'install',
      label: `$(cloud-download) Install ${GPU_PACKAGE}`,
      detail: `npm install into ${storage}. Downloads libtensorflow (about 400 MB); needs an NVIDIA GPU with CUDA 11.2 and cuDNN 8.1 (Linux or Windows, x64).`,
    },
    {
      action: 'existing',
      label: `$(folder-opened) ${USE_EXISTING}`,
      detail: `A folder where ${GPU_PACKAGE} (or @tensorflow/tfjs-node) is installed: the one holding node_modules.`,
    },
  ];
  const pick = await vscode.window.showQuickPick(items, {
    title: 'Linear Lens: Enable GPU Backend',
    placeHolder: current ? `Now: TensorFlow.js for Node from ${current}` : 'The compute host runs on WebAssembly (CPU); the GPU backend needs TensorFlow.js for Node',
    matchOnDetail: true,
  });
  if (!pick) return;
  const folder = pick.action === 'install' ? await install(storage, host) : await pickExisting(host);
  if (folder) await useFolder(folder, host);
}

/** A folder checked by inspectTfjsNodeFolder, with what looked missing in it. */
interface CheckedFolder {
  readonly dir: string;
  readonly nativeProblem?: string;
}

/** Runs npm; the folder on success, undefined (after saying why) otherwise. */
async function install(storage: string, host: GpuHost): Promise<CheckedFolder | undefined> {
  const platform = `${process.platform}-${process.arch}`;
  if (!GPU_PLATFORMS.has(platform)) {
    return offerExisting(host, `${GPU_PACKAGE} has no GPU build for ${platform} (only Linux and Windows on x64 with CUDA).`);
  }
  const npm = findOnPath('npm');
  if (!npm) {
    host.log(`Enable GPU Backend: npm is not on the PATH of the extension host (PATH=${process.env.PATH ?? ''})`);
    return offerExisting(
      host,
      `npm is not on the PATH of VS Code's extension host, so Linear Lens cannot install ${GPU_PACKAGE}. Install Node.js with npm and restart VS Code, or run "npm install ${GPU_PACKAGE}" in a folder yourself and choose "${USE_EXISTING}".`,
    );
  }
  host.log(`Enable GPU Backend: ${npm} install --prefix ${storage} ${GPU_PACKAGE}`);
  const t0 = Date.now();
  const result = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Linear Lens: installing ${GPU_PACKAGE}`, cancellable: true },
    (progress, token) => {
      const abort = new AbortController();
      const sub = token.onCancellationRequested(() => abort.abort());
      return npmInstall({
        npm,
        prefix: storage,
        packages: [GPU_PACKAGE],
        signal: abort.signal,
        onLine: (line) => {
          host.log(`npm: ${line}`);
          const shown = line.replace(/^npm (http|info|warn|notice)\s+/, '').trim();
          if (shown) progress.report({ message: shown.length > 90 ? `${shown.slice(0, 89)}…` : shown });
        },
      }).finally(() => sub.dispose());
    },
  );
  const secs = ((Date.now() - t0) / 1000).toFixed(1);
  if (result.ok) {
    host.log(`Enable GPU Backend: npm finished in ${secs} s`);
    const found = inspectTfjsNodeFolder(storage);
    return { dir: storage, ...(found.ok && found.nativeProblem ? { nativeProblem: found.nativeProblem } : {}) };
  }
  const why = explainNpmFailure(result);
  host.log(`Enable GPU Backend: installing ${GPU_PACKAGE} failed after ${secs} s: ${why}`);
  if (result.cancelled) {
    void vscode.window.showInformationMessage(`Linear Lens: installing ${GPU_PACKAGE} was cancelled.`);
    return undefined;
  }
  return offerExisting(host, `Installing ${GPU_PACKAGE} failed: ${why}`);
}

/** An error message with "Use an Existing Install…" and "Show Log"; the chosen folder, if any. */
async function offerExisting(host: GpuHost, message: string): Promise<CheckedFolder | undefined> {
  const pick = await vscode.window.showErrorMessage(`Linear Lens: ${message}`, USE_EXISTING, SHOW_LOG);
  if (pick === SHOW_LOG) host.showLog();
  return pick === USE_EXISTING ? pickExisting(host) : undefined;
}

/** Asks for a folder and checks it holds the package; undefined (after saying why) otherwise. */
async function pickExisting(host: GpuHost): Promise<CheckedFolder | undefined> {
  const uris = await vscode.window.showOpenDialog({
    canSelectFiles: false,
    canSelectFolders: true,
    canSelectMany: false,
    openLabel: 'Use This Folder',
    title: `Folder where ${GPU_PACKAGE} is installed (the one holding node_modules)`,
  });
  const uri = uris?.[0];
  if (!uri) return undefined;
  const dir = uri.fsPath;
  const found = inspectTfjsNodeFolder(dir);
  if (!found.ok) {
    host.log(`Enable GPU Backend: ${found.reason}`);
    const again = 'Choose Another Folder…';
    const pick = await vscode.window.showErrorMessage(
      `Linear Lens: ${found.reason}. Install it there with "npm install ${GPU_PACKAGE}" (it needs CUDA 11.2 and cuDNN 8.1), then choose the folder that holds its node_modules. The settings were not changed.`,
      again,
    );
    return pick === again ? pickExisting(host) : undefined;
  }
  host.log(`Enable GPU Backend: ${dir} holds ${found.packageName} ${found.version} (${found.packageDir})${found.nativeProblem ? `, but ${found.nativeProblem}` : ''}`);
  return { dir, ...(found.nativeProblem ? { nativeProblem: found.nativeProblem } : {}) };
}

/** Points linearLens.tfjsNodePath at the folder, restarts the host and reports what it says. */
async function useFolder({ dir: folder, nativeProblem }: CheckedFolder, host: GpuHost): Promise<void> {
  // User settings: a workspace value would be ignored in untrusted workspaces, and the install is the user's, not the project's.
  await vscode.workspace.getConfiguration('linearLens').update('tfjsNodePath', folder, vscode.ConfigurationTarget.Global);
  let info: HostInfo;
  try {
    info = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: 'Linear Lens: restarting the compute host with TensorFlow.js for Node…' },
      () => host.restartHost(),
    );
  } catch (e) {
    await host.showError(e, 'Restarting the compute host');
    return;
  }
  const outcome = gpuOutcome(info, folder, readHostSettings().backend, nativeProblem);
  host.log(`Enable GPU Backend: ${outcome.message}`);
  if (outcome.ok) {
    void vscode.window.showInformationMessage(`Linear Lens: ${outcome.message}`);
  } else if ((await vscode.window.showWarningMessage(`Linear Lens: ${outcome.message}`, SHOW_LOG)) === SHOW_LOG) {
    host.showLog();
  }
}
