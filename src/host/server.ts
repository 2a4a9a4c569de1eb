import { CancellationToken, Disposable, MessageConnection } from 'vscode-jsonrpc';
import { BackendInfo, initBackend } from '../core/tf/backend';
import type { HostInfo } from '../protocol/host';
import type { JobParams } from '../protocol/jobs';
import { JOB_METHODS, JobMethodName } from '../protocol/methods';
import { hostInfoRequest, hostShutdownRequest, jobCancelRequest, jobPartialNotification, jobProgressNotification, jobRequest } from '../protocol/rpc';
import { toResponseError } from './errors';
import { collectHostInfo } from './info';
import { JobContext, pause, throttledProgress } from './jobs/context';
import type { JobHandlers } from './jobs/handlers';
import { jobHandlers } from './jobs';
import type { HostOptions } from './options';
import { JobQueue } from './queue';

/** Launch options plus what an embedding (a test, the in-process host) may replace. */
export interface HostServerOptions extends Partial<HostOptions> {
  /** Replaces the built-in handlers (tests); defaults to every job of the protocol. */
  readonly handlers?: JobHandlers;
  /** Where the host writes its own log lines; stderr by default (the client shows them). */
  readonly log?: (line: string) => void;
}

/**
 * Jobs that only read a model file and summarise it (no tensors, milliseconds to seconds): they
 * have a queue of their own, so a model overview opened during a long analysis shows at once
 * instead of waiting for it.
 */
const QUICK_METHODS: ReadonlySet<JobMethodName> = new Set<JobMethodName>(['model/describe']);

/**
 * Serves the host protocol on one JSON-RPC connection: `host/info` and `job/cancel` at once, every
 * job method through a queue (analyses one at a time; quick summaries beside them). Works over
 * Node IPC (the forked host) or any stream pair (in-process).
 */
export class HostServer implements Disposable {
  /** The backend, once initialised; every request waits for it. */
  readonly ready: Promise<BackendInfo>;
  /** Settles when a client asked the host to shut down. */
  readonly shutdownRequested: Promise<void>;
  private readonly queue: JobQueue;
  private readonly quick = new JobQueue(1);
  private readonly handlers: JobHandlers;
  private readonly log: (line: string) => void;
  private readonly disposables: Disposable[] = [];
  private requestShutdown!: () => void;
  private nextJob = 1;

  constructor(
    private readonly connection: MessageConnection,
    opts: HostServerOptions = {},
  ) {
    this.queue = new JobQueue(opts.concurrency ?? 1);
    this.handlers = opts.handlers ?? jobHandlers;
    this.log = opts.log ?? ((line) => process.stderr.write(`${line}\n`));
    this.shutdownRequested = new Promise((resolve) => (this.requestShutdown = resolve));
    this.ready = initBackend({ preference: opts.backend ?? 'auto', ...(opts.tfjsNodePath ? { tfjsNodePath: opts.tfjsNodePath } : {}) });
    // Awaited by every request; a rejection here would otherwise be reported as unhandled at start.
    this.ready.then(
      (b) => this.log(`backend: ${b.device}${b.notUsed.map((n) => `; ${n.backend} not used: ${n.reason}`).join('')}`),
      (e: unknown) => this.log(`backend initialisation failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`),
    );
  }

  /** Registers the handlers and starts reading messages. */
  listen(): void {
    const c = this.connection;
    this.disposables.push(
      c.onRequest(hostInfoRequest, () => this.guard(async () => this.info())),
      c.onRequest(hostShutdownRequest, () => {
        this.queue.cancelAll();
        this.quick.cancelAll();
        this.requestShutdown();
      }),
      c.onRequest(jobCancelRequest, (p) => ({ found: this.queue.cancel(p.jobId) || this.quick.cancel(p.jobId) })),
    );
    for (const method of JOB_METHODS) this.registerJob(method);
    c.listen();
  }

  /** What `host/info` answers. */
  async info(): Promise<HostInfo> {
    const a = this.queue.counts();
    const q = this.quick.counts();
    return collectHostInfo(await this.ready, { running: a.running + q.running, queued: a.queued + q.queued });
  }

  /** Cancels every job and stops serving; the connection is the caller's to close. */
  dispose(): void {
    this.queue.cancelAll();
    this.quick.cancelAll();
    for (const d of this.disposables.splice(0)) d.dispose();
  }

  private registerJob(method: JobMethodName): void {
    // The protocol's map ties each method to its handler's types; at this point every job looks alike.
    const handler = this.handlers[method] as (params: JobParams, ctx: JobContext<unknown>) => Promise<unknown>;
    this.disposables.push(
      this.connection.onRequest(jobRequest(method), (params: JobParams | undefined, token) =>
        this.guard(async () => {
          await this.ready;
          const p: JobParams = params ?? {};
          const jobId = typeof p.jobId === 'string' && p.jobId ? p.jobId : `job-${this.nextJob++}`;
          return this.runJob(QUICK_METHODS.has(method) ? this.quick : this.queue, jobId, token, (ctx: JobContext<unknown>) => handler(p, ctx));
        }),
      ),
    );
  }

  private runJob<T, Partial>(queue: JobQueue, jobId: string, token: CancellationToken, work: (ctx: JobContext<Partial>) => Promise<T>): Promise<T> {
    const sub = token.onCancellationRequested(() => queue.cancel(jobId));
    const c = this.connection;
    const progress = throttledProgress((fraction, message) => void c.sendNotification(jobProgressNotification, { jobId, fraction, ...(message !== undefined ? { message } : {}) }));
    if (this.queue.has(jobId) || this.quick.has(jobId)) return Promise.reject(new Error(`job id "${jobId}" is already in use`));
    return queue
      .submit(jobId, (control) =>
        work({
          jobId,
          cancelled: () => control.cancelled() || token.isCancellationRequested,
          progress,
          partial: (data) => void c.sendNotification(jobPartialNotification, { jobId, data }),
          pause,
        }),
      )
      .finally(() => sub.dispose());
  }

  /** Runs a handler so that whatever it throws goes back as a typed RPC error and the host lives on. */
  private async guard<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      const err = toResponseError(e);
      if (err.data?.kind === 'bug') this.log(`request failed: ${err.data.stack}`);
      throw err;
    }
  }
}
