/**
 * HostService for the rest of the extension: the supervised compute host (supervisor.ts) plus what
 * the editor adds around it: the "Linear Lens" output channel, progress notifications with cancel,
 * the status bar item, a message with "Restart Compute Host" when the host stays stopped, and a
 * restart when the settings it was started with change (or the workspace becomes trusted).
 */
import * as vscode from 'vscode';
import type { HostInfo } from '../../protocol/host';
import type { JobMethodName, JobParamsOf, JobResultOf } from '../../protocol/methods';
import type { HostService, HostState, JobView, RunOptions } from '../services';
import { affectsHostSettings, noteUntrustedSettings, readHostSettings } from '../settings';
import { HostStatusBar } from './statusBar';
import { HostSupervisor, LaunchConfig, LogLevel, sameLaunch } from './supervisor';
import { editorWorkerEnv } from './workers';

export const RESTART_HOST = 'Restart Compute Host';
export const SHOW_LOG = 'Show Log';

/** A failure message shown less than this long ago is not shown again by a command's error. */
const FAILURE_NOTICE_DEDUPE_MS = 3000;

export class HostManager implements HostService, vscode.Disposable {
  readonly output: vscode.LogOutputChannel;
  private readonly supervisor: HostSupervisor;
  private readonly stateEmitter = new vscode.EventEmitter<HostState>();
  private readonly jobsEmitter = new vscode.EventEmitter<void>();
  private readonly statusBar: HostStatusBar;
  private readonly disposables: vscode.Disposable[] = [];
  /** Settings changed while jobs ran and the user chose to restart when they finish. */
  private restartWhenIdle = false;
  private failureNoticeAt = 0;

  readonly onDidChangeState: vscode.Event<HostState> = this.stateEmitter.event;
  readonly onDidChangeJobs: vscode.Event<void> = this.jobsEmitter.event;

  constructor(private readonly context: vscode.ExtensionContext) {
    this.output = vscode.window.createOutputChannel('Linear Lens', { log: true });
    this.supervisor = new HostSupervisor({
      launch: () => this.launchConfig(),
      log: (line, level) => this.write(line, level),
      env: editorWorkerEnv(),
    });
    this.statusBar = new HostStatusBar();
    this.disposables.push(
      this.output,
      this.stateEmitter,
      this.jobsEmitter,
      this.statusBar,
      this.supervisor.onDidChangeState((s) => {
        this.stateEmitter.fire(s);
        this.statusBar.update(s, this.supervisor.jobs());
        if (s.status === 'failed') void this.notifyFailed(false);
      }),
      this.supervisor.onDidChangeJobs(() => {
        this.jobsEmitter.fire();
        this.statusBar.update(this.supervisor.state(), this.supervisor.jobs());
        if (this.restartWhenIdle && this.supervisor.jobs().length === 0) {
          this.restartWhenIdle = false;
          void this.applyLaunchSettings('the settings changed while jobs ran');
        }
      }),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (affectsHostSettings(e)) void this.applyLaunchSettings('the compute host settings changed');
      }),
      vscode.workspace.onDidGrantWorkspaceTrust(() => {
        this.write('the workspace is now trusted: its linearLens.nodePath and linearLens.tfjsNodePath settings apply');
        void this.applyLaunchSettings('the workspace became trusted');
      }),
    );
    this.statusBar.update(this.supervisor.state(), []);
    void noteUntrustedSettings(context.workspaceState, (line) => this.write(line, 'warn'));
  }

  /** How the next host is started: the bundle beside this one, and the settings. */
  launchConfig(): LaunchConfig {
    const s = readHostSettings();
    return {
      hostScript: this.context.asAbsolutePath('dist/host.js'),
      backend: s.backend,
      ...(s.nodePath ? { nodePath: s.nodePath } : {}),
      ...(s.tfjsNodePath ? { tfjsNodePath: s.tfjsNodePath } : {}),
    };
  }

  state(): HostState {
    return this.supervisor.state();
  }

  /** The host's process id while it runs (also in the log and the status bar tooltip). */
  pid(): number | undefined {
    return this.supervisor.pid();
  }

  info(): Promise<HostInfo> {
    return this.supervisor.info();
  }

  async run<M extends JobMethodName>(method: M, params: Omit<JobParamsOf<M>, 'jobId'>, opts: RunOptions<M>): Promise<JobResultOf<M>> {
    const base = { title: opts.title, ...(opts.onPartial ? { onPartial: opts.onPartial } : {}) };
    if (opts.notification === false) return this.supervisor.run(method, params, { ...base, ...(opts.token ? { token: opts.token } : {}) });
    return await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Linear Lens: ${opts.title}`, cancellable: true },
      async (progress, token) => {
        // Either the notification's Cancel or the caller's token (a closed panel) stops the job.
        const source = new vscode.CancellationTokenSource();
        const subs = [token, opts.token].filter((t): t is vscode.CancellationToken => !!t).map((t) => {
          if (t.isCancellationRequested) source.cancel();
          return t.onCancellationRequested(() => source.cancel());
        });
        if (this.supervisor.state().status !== 'running') progress.report({ message: 'starting the compute host…' });
        let reported = 0;
        try {
          return await this.supervisor.run(method, params, {
            ...base,
            token: source.token,
            onProgress: (fraction, message) => {
              const pct = Math.min(100, Math.max(0, Math.round(fraction * 100)));
              progress.report({ increment: Math.max(0, pct - reported), message: message ?? `${pct}%` });
              reported = Math.max(reported, pct);
            },
          });
        } finally {
          for (const s of subs) s.dispose();
          source.dispose();
        }
      },
    );
  }

  jobs(): readonly JobView[] {
    return this.supervisor.jobs();
  }

  async cancel(jobId: string): Promise<void> {
    await this.supervisor.cancel(jobId);
  }

  async restart(): Promise<void> {
    await this.restartHost();
  }

  /** Restarts and returns the new host's info. */
  restartHost(): Promise<HostInfo> {
    this.restartWhenIdle = false;
    return this.supervisor.restart();
  }

  showLog(): void {
    this.output.show(true);
  }

  log(line: string): void {
    this.write(line);
  }

  /**
   * Shows an error of a host request to the user: the failed-state message (with "Restart Compute
   * Host") when that is the cause, else the error itself with "Show Log" (the stack is logged).
   */
  async showError(e: unknown, what: string): Promise<void> {
    if (this.supervisor.state().status === 'failed') {
      await this.notifyFailed(true);
      return;
    }
    const message = e instanceof Error ? e.message : String(e);
    this.write(`${what} failed: ${e instanceof Error ? (e.stack ?? message) : message}`, 'error');
    const pick = await vscode.window.showErrorMessage(`Linear Lens: ${what} failed: ${message}`, SHOW_LOG);
    if (pick === SHOW_LOG) this.showLog();
  }

  /**
   * The message of the 'failed' state: always when the host just failed; from a command's error
   * only when the same message was not shown a moment ago (the failure that command caused).
   */
  private async notifyFailed(fromCommand: boolean): Promise<void> {
    const now = Date.now();
    if (fromCommand && now - this.failureNoticeAt < FAILURE_NOTICE_DEDUPE_MS) return;
    this.failureNoticeAt = now;
    const reason = this.supervisor.state().reason ?? 'The compute host stopped.';
    const pick = await vscode.window.showErrorMessage(`Linear Lens: ${reason}`, RESTART_HOST, SHOW_LOG);
    if (pick === RESTART_HOST) await vscode.commands.executeCommand('linearLens.restartHost');
    else if (pick === SHOW_LOG) this.showLog();
  }

  /** Restarts the host when the settings it runs with no longer match, asking first if jobs run. */
  private async applyLaunchSettings(why: string): Promise<void> {
    const state = this.supervisor.state().status;
    const running = this.supervisor.launched();
    if (state === 'stopped') return; // the next start reads them
    if (state !== 'failed' && running && sameLaunch(running, this.launchConfig())) return;
    const jobs = this.supervisor.jobs().length;
    if (jobs > 0) {
      const now = 'Restart Now';
      const later = 'When the Jobs Finish';
      const pick = await vscode.window.showInformationMessage(
        `Linear Lens: ${why}. Restart the compute host now? ${jobs} running job${jobs > 1 ? 's' : ''} would stop.`,
        now,
        later,
      );
      if (pick !== now) {
        this.restartWhenIdle = true;
        this.write(`${why}: the compute host restarts when its jobs finish`);
        return;
      }
    }
    this.write(`${why}: restarting the compute host`);
    try {
      await this.restartHost();
    } catch {
      // The failed state and its message say what went wrong.
    }
  }

  private write(line: string, level: LogLevel = 'info'): void {
    if (level === 'error') this.output.error(line);
    else if (level === 'warn') this.output.warn(line);
    else this.output.info(line);
  }

  async dispose(): Promise<void> {
    for (const d of this.disposables.splice(0).reverse()) d.dispose();
    await this.supervisor.dispose();
  }
}
