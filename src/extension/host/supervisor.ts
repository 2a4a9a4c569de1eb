/**
 * Supervises the compute host process: starts it on first use, restarts it after a crash (at most
 * `maxRestarts` times in `windowMs`, then stays stopped until asked), tracks the jobs it runs and
 * logs what happens. Knows nothing of VS Code (only HostClient, the protocol and node), so the
 * unit tests drive it against the real dist/host.js; hostManager.ts adds the editor around it.
 */
import * as fs from 'node:fs';
import { CancellationToken, Emitter, Event } from 'vscode-jsonrpc';
import { HostClient, HostExit } from '../../host/client/hostClient';
import { HostRequestError, toHostRequestError } from '../../host/client/hostError';
import type { BackendPreference, HostInfo } from '../../protocol/host';
import type { JobProgress } from '../../protocol/jobs';
import type { JobMethodName, JobParamsOf, JobPartialOf, JobResultOf } from '../../protocol/methods';
import type { HostState, JobView } from '../services';
import { CrashWindow } from './crashWindow';

/** How one host process is started; read afresh from the settings at every start. */
export interface LaunchConfig {
  /** The built host bundle (dist/host.js). */
  readonly hostScript: string;
  /** Node executable (linearLens.nodePath); VS Code's own Node when absent. */
  readonly nodePath?: string;
  readonly backend: BackendPreference;
  /** Folder holding an installed @tensorflow/tfjs-node-gpu (linearLens.tfjsNodePath). */
  readonly tfjsNodePath?: string;
}

/** True when both configs start the same host. */
export function sameLaunch(a: LaunchConfig, b: LaunchConfig): boolean {
  return a.hostScript === b.hostScript && a.nodePath === b.nodePath && a.backend === b.backend && a.tfjsNodePath === b.tfjsNodePath;
}

export type LogLevel = 'info' | 'warn' | 'error';

export interface SupervisorOptions {
  readonly launch: () => LaunchConfig;
  readonly log: (line: string, level: LogLevel) => void;
  /** Restarts after crashes allowed within the window (default 4); one more crash and it stays stopped. */
  readonly maxRestarts?: number;
  /** The crash window in milliseconds (default 3 minutes). */
  readonly windowMs?: number;
  /** Pause before restarting a crashed host, so a crash loop does not spin (default 500 ms). */
  readonly restartDelayMs?: number;
  /** How long a start may take until `host/info` answers (default 90 s: a cold wasm compile is slow on small machines). */
  readonly startTimeoutMs?: number;
  /** Extra environment of the host process. */
  readonly env?: NodeJS.ProcessEnv;
}

export interface SupervisedRun<M extends JobMethodName> {
  readonly title: string;
  readonly token?: CancellationToken;
  readonly onPartial?: (data: JobPartialOf<M>) => void;
  readonly onProgress?: (fraction: number, message: string | undefined) => void;
}

/** One host process, from fork to exit. */
interface Incarnation {
  readonly client: HostClient;
  readonly launch: LaunchConfig;
  readonly pid: number | undefined;
  readonly ready: Promise<HostInfo>;
  isReady: boolean;
  exit?: HostExit;
  /** Set when we ended it on purpose, so its jobs' errors can say why. */
  stoppedBecause?: 'restart' | 'stop';
}

interface TrackedJob {
  view: JobView;
  readonly inc: Incarnation;
}

const minutes = (ms: number): string => `${Math.round(ms / 60_000)} minute${Math.round(ms / 60_000) === 1 ? '' : 's'}`;
const seconds = (ms: number): string => `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;

/** "exit code 1" or "killed by SIGKILL". */
export function exitText(e: HostExit): string {
  return e.signal ? `killed by ${e.signal}` : `exit code ${e.code}`;
}

/** Why `file` cannot run as the host's Node, or undefined when it can. */
export function executableProblem(file: string): string | undefined {
  try {
    if (!fs.statSync(file).isFile()) return `${file} is not a file`;
    if (process.platform !== 'win32') fs.accessSync(file, fs.constants.X_OK);
    return undefined;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? `${file} does not exist` : code === 'EACCES' ? `${file} is not executable` : `${file}: ${e instanceof Error ? e.message : String(e)}`;
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new HostRequestError(`${what} did not answer within ${seconds(ms)}`, 'connection', 0)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

export class HostSupervisor {
  private readonly maxRestarts: number;
  private readonly windowMs: number;
  private readonly crashes: CrashWindow;
  private readonly stateEmitter = new Emitter<HostState>();
  private readonly jobsEmitter = new Emitter<void>();
  private readonly tracked = new Map<string, TrackedJob>();
  private current: Incarnation | undefined;
  private st: HostState = { status: 'stopped', recentCrashes: 0 };
  private restartTimer: NodeJS.Timeout | undefined;
  private restarting: Promise<HostInfo> | undefined;
  private disposed = false;

  readonly onDidChangeState: Event<HostState> = this.stateEmitter.event;
  readonly onDidChangeJobs: Event<void> = this.jobsEmitter.event;

  constructor(private readonly opts: SupervisorOptions) {
    this.maxRestarts = opts.maxRestarts ?? 4;
    this.windowMs = opts.windowMs ?? 180_000;
    this.crashes = new CrashWindow(this.windowMs);
  }

  state(): HostState {
    return this.st;
  }

  /** The running host's process id. */
  pid(): number | undefined {
    return this.current?.pid;
  }

  /** The launch config of the host that runs now (or is starting). */
  launched(): LaunchConfig | undefined {
    return this.current?.launch;
  }

  jobs(): readonly JobView[] {
    return [...this.tracked.values()].map((t) => t.view);
  }

  /** `host/info`, starting the host if needed. */
  async info(): Promise<HostInfo> {
    const inc = await this.ensureStarted();
    try {
      const info = await inc.client.info();
      this.noteInfo(inc, info);
      return info;
    } catch (e) {
      throw this.explain(e, inc, 'host/info');
    }
  }

  /** Runs a job on the host, tracking it in `jobs()` and logging its start, end and timing. */
  async run<M extends JobMethodName>(method: M, params: Omit<JobParamsOf<M>, 'jobId'>, o: SupervisedRun<M>): Promise<JobResultOf<M>> {
    const inc = await this.ensureStarted();
    const t0 = Date.now();
    let jobId: string | undefined;
    // Logged with the job and the host it runs on, so a cancel that does not land can be traced.
    const cancelled = o.token?.onCancellationRequested(() => {
      if (jobId !== undefined && this.tracked.has(jobId)) this.log(`job ${jobId} cancel requested by its caller (host pid ${inc.pid}${inc === this.current ? '' : ', a host that is gone'}): ${o.title}`);
    });
    try {
      const result = await inc.client.run(method, params, {
        ...(o.token ? { token: o.token } : {}),
        ...(o.onPartial ? { onPartial: o.onPartial } : {}),
        onStart: (id) => {
          jobId = id;
          this.tracked.set(id, { inc, view: { id, title: o.title, method, fraction: 0, started: t0 } });
          this.log(`job ${id} started: ${o.title} (${method}, host pid ${inc.pid})`);
          this.jobsEmitter.fire();
        },
        onProgress: (p: JobProgress) => {
          const t = this.tracked.get(p.jobId);
          if (t) {
            t.view = { ...t.view, fraction: p.fraction, ...(p.message !== undefined ? { message: p.message } : {}) };
            this.jobsEmitter.fire();
          }
          o.onProgress?.(p.fraction, p.message);
        },
      });
      this.log(`job ${jobId} finished in ${seconds(Date.now() - t0)}: ${o.title}`);
      return result;
    } catch (e) {
      const err = this.explain(e, inc, `"${o.title}"`);
      const head = `job ${jobId ?? '(not started)'} ${err.kind === 'cancelled' ? 'cancelled' : 'failed'} after ${seconds(Date.now() - t0)}: ${o.title}`;
      if (err.kind === 'cancelled') this.log(head);
      else if (err.kind === 'user') this.log(`${head}: ${err.message}`, 'warn');
      else this.log(`${head}: ${err.hostStack ?? err.message}`, 'error');
      throw err;
    } finally {
      cancelled?.dispose();
      if (jobId !== undefined && this.tracked.delete(jobId)) this.jobsEmitter.fire();
      // Memory and job counts in the status bar's tooltip are only as fresh as the last answer.
      this.refreshInfo();
    }
  }

  /** Cancels a job; false when it is not running (finished, or of a host that is gone). */
  async cancel(jobId: string): Promise<boolean> {
    const t = this.tracked.get(jobId);
    if (!t || t.inc !== this.current) return false;
    this.log(`job ${jobId} cancel requested: ${t.view.title}`);
    return t.inc.client.cancel(jobId);
  }

  /** Stops the host (if any) and starts a fresh one; clears the crash count and a 'failed' state. */
  restart(): Promise<HostInfo> {
    if (this.restarting) return this.restarting;
    const p = (async () => {
      this.clearRestartTimer();
      this.crashes.reset();
      const old = this.current;
      this.current = undefined;
      this.setState({ status: 'restarting', recentCrashes: 0 });
      if (old) {
        old.stoppedBecause = 'restart';
        this.log(`restarting the compute host (pid ${old.pid})`);
        await old.client.dispose();
      }
      const inc = this.spawn();
      if (!inc) throw this.failedError();
      return inc.ready;
    })();
    this.restarting = p;
    // Cleared whichever way it ends; callers get the outcome from `p` itself.
    p.then(
      () => (this.restarting = undefined),
      () => (this.restarting = undefined),
    );
    return p;
  }

  /** Stops the host; the next request starts it again. */
  async stop(): Promise<void> {
    this.clearRestartTimer();
    const old = this.current;
    this.current = undefined;
    if (old) {
      old.stoppedBecause = 'stop';
      this.log(`stopping the compute host (pid ${old.pid})`);
      await old.client.dispose();
    }
    if (!this.disposed) this.setState({ status: 'stopped', recentCrashes: this.crashes.count(Date.now()) });
  }

  /** Stops the host for good (deactivation). */
  async dispose(): Promise<void> {
    await this.stop();
    this.disposed = true;
    this.stateEmitter.dispose();
    this.jobsEmitter.dispose();
  }

  /** The running host, started (and awaited) if needed. */
  private async ensureStarted(): Promise<Incarnation> {
    if (this.restarting) await this.restarting.catch(() => undefined);
    if (this.disposed) throw new HostRequestError('Linear Lens is shutting down.', 'connection', 0);
    if (this.failed()) throw this.failedError();
    // A crashed host waiting out its restart delay starts now: someone needs it.
    if (!this.current) this.clearRestartTimer();
    const inc = this.current ?? this.spawn();
    if (!inc) throw this.failedError();
    try {
      await inc.ready;
    } catch (e) {
      throw this.failed() ? this.failedError() : toHostRequestError(e);
    }
    // It may have died between answering and now; HostClient would silently fork another.
    if (inc.exit || inc !== this.current) return this.ensureStarted();
    return inc;
  }

  /**
   * Forks a host process with the current launch config and makes it `current`; undefined (and
   * 'failed') when the configured Node cannot run at all, which no restart would fix.
   */
  private spawn(): Incarnation | undefined {
    const launch = this.opts.launch();
    // Checked up front: fork() of a missing executable emits 'error' but never 'exit'.
    const problem = launch.nodePath ? executableProblem(launch.nodePath) : undefined;
    if (problem) {
      this.fail(`linearLens.nodePath: ${problem}. Fix the setting or clear it to use VS Code's own Node.`);
      return undefined;
    }
    const client = new HostClient({
      hostScript: launch.hostScript,
      backend: launch.backend,
      ...(launch.nodePath ? { execPath: launch.nodePath } : {}),
      ...(launch.tfjsNodePath ? { tfjsNodePath: launch.tfjsNodePath } : {}),
      ...(this.opts.env ? { env: this.opts.env } : {}),
      log: (line) => this.log(line),
    });
    client.start();
    const t0 = Date.now();
    const pid = client.pid;
    if (this.st.status !== 'restarting') this.setState({ status: 'starting', recentCrashes: this.crashes.count(t0) });
    const how = [`backend ${launch.backend}`, launch.nodePath ? `node ${launch.nodePath}` : `VS Code's Node ${process.version}`, ...(launch.tfjsNodePath ? [`tfjs-node from ${launch.tfjsNodePath}`] : [])];
    this.log(`starting the compute host (pid ${pid}; ${how.join('; ')})`);
    const inc: Incarnation = {
      client,
      launch,
      pid,
      isReady: false,
      ready: withTimeout(client.info(), this.opts.startTimeoutMs ?? 90_000, `the compute host (pid ${pid})`).then(
        (info) => {
          if (this.current === inc) {
            inc.isReady = true;
            this.log(`compute host started (pid ${info.pid}) in ${seconds(Date.now() - t0)}: ${info.backend.device}`);
            this.setState({ status: 'running', info, recentCrashes: this.crashes.count(Date.now()) });
          }
          return info;
        },
        (e: unknown) => {
          // Its exit was handled already (onExit failed the state), or it hangs: end it here.
          if (this.current === inc) {
            const err = toHostRequestError(e);
            this.current = undefined;
            void client.dispose();
            this.fail(`The compute host did not start: ${err.message}.`);
          }
          throw this.failed() ? this.failedError() : toHostRequestError(e);
        },
      ),
    };
    inc.ready.catch(() => undefined);
    client.onExit((e) => this.onExit(inc, e));
    this.current = inc;
    return inc;
  }

  private onExit(inc: Incarnation, e: HostExit): void {
    inc.exit = e;
    if (this.current !== inc) return;
    this.current = undefined;
    if (e.expected || this.disposed) return;
    const what = exitText(e);
    if (!inc.isReady) {
      this.fail(`The compute host exited while starting (${what}); its last lines are in the log.`);
      return;
    }
    const n = this.crashes.record(Date.now());
    if (n > this.maxRestarts) {
      this.fail(`The compute host crashed ${n} times in ${minutes(this.windowMs)} (the last time: ${what}); it stays stopped until you restart it.`);
      return;
    }
    this.log(`the compute host (pid ${inc.pid}) crashed (${what}); restarting it (restart ${n} of at most ${this.maxRestarts} in ${minutes(this.windowMs)})`, 'warn');
    this.setState({ status: 'restarting', recentCrashes: n });
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      if (!this.current && !this.disposed && this.st.status === 'restarting') this.spawn();
    }, this.opts.restartDelayMs ?? 500);
  }

  private fail(reason: string): void {
    this.clearRestartTimer();
    const inc = this.current;
    this.current = undefined;
    if (inc) {
      inc.stoppedBecause = 'stop';
      void inc.client.dispose();
    }
    this.log(reason, 'error');
    this.setState({ status: 'failed', reason, recentCrashes: this.crashes.count(Date.now()) });
  }

  /** A method, not a field test: TypeScript would narrow `this.st` across the awaits that change it. */
  private failed(): boolean {
    return this.st.status === 'failed';
  }

  private failedError(): HostRequestError {
    return new HostRequestError(`${this.st.reason ?? 'The compute host is stopped.'} Run "Linear Lens: Restart Compute Host" to start it again.`, 'connection', 0);
  }

  /** Turns a broken connection into a message that says what happened to the host and what to do. */
  private explain(e: unknown, inc: Incarnation, what: string): HostRequestError {
    const err = toHostRequestError(e);
    // host/shutdown cancels the jobs it still runs before it exits: that is the restart, not the user.
    const interrupted = err.kind === 'connection' || (err.kind === 'cancelled' && inc.stoppedBecause !== undefined);
    if (!interrupted) return err;
    if (inc.stoppedBecause === 'restart') return new HostRequestError(`The compute host was restarted while running ${what}; run it again.`, 'connection', err.code);
    if (inc.stoppedBecause === 'stop' && this.st.status !== 'failed') return new HostRequestError(`The compute host was stopped while running ${what}.`, 'connection', err.code);
    if (inc.exit || this.failed()) {
      const how = inc.exit ? ` (${exitText(inc.exit)})` : '';
      const next = this.failed() ? ` ${this.failedError().message}` : ' It is being restarted; run it again.';
      return new HostRequestError(`The compute host stopped while running ${what}${how}.${next}`, 'connection', err.code);
    }
    return err;
  }

  private noteInfo(inc: Incarnation, info: HostInfo): void {
    if (this.current === inc && this.st.status === 'running') this.setState({ ...this.st, info });
  }

  private refreshInfo(): void {
    const inc = this.current;
    if (!inc?.isReady || inc.exit) return;
    inc.client.info().then(
      (info) => this.noteInfo(inc, info),
      () => undefined,
    );
  }

  private clearRestartTimer(): void {
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
  }

  private setState(s: HostState): void {
    this.st = s;
    if (!this.disposed) this.stateEmitter.fire(s);
  }

  private log(line: string, level: LogLevel = 'info'): void {
    this.opts.log(line, level);
  }
}
