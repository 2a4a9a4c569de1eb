import { ChildProcess, fork } from 'node:child_process';
import * as readline from 'node:readline';
import { CancellationToken, Disposable, Emitter, Event, MessageConnection } from 'vscode-jsonrpc';
import { createMessageConnection, IPCMessageReader, IPCMessageWriter } from 'vscode-jsonrpc/node';
import { HostInfo, HostLaunchOptions, hostArgs } from '../../protocol/host';
import type { JobParams, JobPartial, JobProgress } from '../../protocol/jobs';
import type { JobMethodName, JobParamsOf, JobPartialOf, JobResultOf } from '../../protocol/methods';
import { hostInfoRequest, hostShutdownRequest, jobCancelRequest, jobPartialNotification, jobProgressNotification, jobRequest } from '../../protocol/rpc';
import { toHostRequestError } from './hostError';

export interface HostClientOptions extends HostLaunchOptions {
  /** The built host bundle (dist/host.js). */
  readonly hostScript: string;
  /** Node to run it with; the editor's own (Electron in node mode) by default. */
  readonly execPath?: string;
  /** Arguments for node itself, before the script (e.g. ["--import", "tsx"] to run sources). */
  readonly execArgv?: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
  /** Receives each line the host writes to stdout or stderr (its log). */
  readonly log?: (line: string) => void;
  /** How long dispose() waits for a clean exit before killing the host. */
  readonly shutdownTimeoutMs?: number;
}

/** Callbacks of one job while it runs. */
export interface JobCallbacks<Partial> {
  readonly token?: CancellationToken;
  onProgress?(p: JobProgress): void;
  onPartial?(data: Partial): void;
  /** Called with the job's id as soon as it is sent, for `cancel(jobId)`. */
  onStart?(jobId: string): void;
}

export interface HostExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** True when dispose() asked for it. */
  readonly expected: boolean;
}

/**
 * Job ids count up per extension process, not per client: a supervisor keeps jobs of a dead host
 * and of its successor apart by id, so a restarted host must not hand out the ids again.
 */
let nextJob = 1;

interface RunningJob {
  onProgress?(p: JobProgress): void;
  onPartial?(data: unknown): void;
}

/**
 * Forks the compute host, connects to it over Node IPC and supervises it. Knows nothing of VS Code,
 * so the tests drive it too; restarts after a crash belong here when they come.
 */
export class HostClient implements Disposable {
  private child: ChildProcess | undefined;
  private connection: MessageConnection | undefined;
  private readonly jobs = new Map<string, RunningJob>();
  private readonly exitEmitter = new Emitter<HostExit>();
  private disposing = false;

  /** Fires when the host process ends, expectedly or not. */
  readonly onExit: Event<HostExit> = this.exitEmitter.event;

  constructor(private readonly opts: HostClientOptions) {}

  /** The host's process id while it runs. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Starts the host if it is not running; returns the connection to it. */
  start(): MessageConnection {
    if (this.connection) return this.connection;
    if (this.disposing) throw new Error('the host client was disposed');
    const env = { ...process.env, ...this.opts.env, ELECTRON_RUN_AS_NODE: '1' };
    const child = fork(this.opts.hostScript, hostArgs(this.opts), {
      execPath: this.opts.execPath ?? process.execPath,
      execArgv: [...(this.opts.execArgv ?? [])],
      env,
      // Piped, not inherited: the host's log goes to the output channel, never the editor's console.
      silent: true,
    });
    const log = this.opts.log ?? (() => undefined);
    for (const stream of [child.stdout, child.stderr]) {
      if (stream) readline.createInterface({ input: stream }).on('line', log);
    }
    const connection = createMessageConnection(new IPCMessageReader(child), new IPCMessageWriter(child));
    connection.onNotification(jobProgressNotification, (p: JobProgress) => this.jobs.get(p.jobId)?.onProgress?.(p));
    connection.onNotification(jobPartialNotification, (p: JobPartial) => this.jobs.get(p.jobId)?.onPartial?.(p.data));
    child.on('error', (e) => log(`host process error: ${e.message}`));
    child.on('exit', (code, signal) => {
      const expected = this.disposing;
      if (!expected) log(`host exited unexpectedly (code ${code}, signal ${signal})`);
      if (this.child === child) {
        this.child = undefined;
        this.connection = undefined;
      }
      // Rejects whatever is still pending: no answer can come from a dead process.
      connection.dispose();
      this.jobs.clear();
      this.exitEmitter.fire({ code, signal, expected });
    });
    connection.listen();
    this.child = child;
    this.connection = connection;
    return connection;
  }

  /** `host/info`: the backend, versions and memory; answered even while a job runs. */
  async info(token?: CancellationToken): Promise<HostInfo> {
    try {
      return await this.start().sendRequest(hostInfoRequest, token);
    } catch (e) {
      throw toHostRequestError(e);
    }
  }

  /** Runs a job method; progress and partial results arrive through `cb` before it resolves. */
  async run<M extends JobMethodName>(method: M, params: Omit<JobParamsOf<M>, 'jobId'>, cb: JobCallbacks<JobPartialOf<M>> = {}): Promise<JobResultOf<M>> {
    const connection = this.start();
    const jobId = `c${process.pid}-${nextJob++}`;
    this.jobs.set(jobId, {
      ...(cb.onProgress ? { onProgress: (p: JobProgress) => cb.onProgress?.(p) } : {}),
      // The host sends this job's partials only, of this method's partial type.
      ...(cb.onPartial ? { onPartial: (d: unknown) => cb.onPartial?.(d as JobPartialOf<M>) } : {}),
    });
    cb.onStart?.(jobId);
    try {
      const full: JobParams = { ...params, jobId };
      // The host answers `method` with that method's result type (protocol/methods.ts).
      return (await connection.sendRequest(jobRequest(method), full, cb.token)) as JobResultOf<M>;
    } catch (e) {
      throw toHostRequestError(e);
    } finally {
      this.jobs.delete(jobId);
    }
  }

  /** Cancels a job by id (the one onStart gave); false when the host knows no such job. */
  async cancel(jobId: string): Promise<boolean> {
    if (!this.connection) return false;
    try {
      return (await this.connection.sendRequest(jobCancelRequest, { jobId })).found;
    } catch (e) {
      throw toHostRequestError(e);
    }
  }

  /** Asks the host to shut down, and kills it if it has not exited within the timeout. */
  async dispose(): Promise<void> {
    this.disposing = true;
    const child = this.child;
    const connection = this.connection;
    if (!child || !connection) return;
    const exited = new Promise<void>((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve())));
    const timeout = this.opts.shutdownTimeoutMs ?? 2000;
    // The host may already be gone or stuck: the timeout below covers both.
    connection.sendRequest(hostShutdownRequest).catch(() => undefined);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeout);
    await exited;
    clearTimeout(timer);
    this.exitEmitter.dispose();
  }
}
