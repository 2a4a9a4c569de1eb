import { Worker } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import { CancelledError } from '../errors';
import { throwIfCancelled, WorkContext } from '../progress';
import { BackendName, findWasmDir } from '../tf/backend';
import { workerEntry } from './entry';
import { ParallelTask } from './task';
import { FromWorker, fromWire, ToWorker, WorkerSetup } from './wire';

/** How often a running pool asks the job whether it was cancelled (and stops within this plus a terminate). */
const CANCEL_POLL_MS = 50;

/** What the caller hears while a pool works through its tasks. */
export interface PoolHooks<Output> {
  /** A task's output, as soon as it arrives (tasks may finish in any order). */
  readonly onResult?: (output: Output, index: number) => void;
  /** Progress of one task in [0, 1], with the worker's message. */
  readonly onProgress?: (index: number, fraction: number, message?: string) => void;
}

/** Worker threads started and still running, over every pool of the process (a check for tests and leaks). */
let live = 0;
let started = 0;

/** How many worker threads pools have started in this process, and how many still run. */
export function workerThreads(): { readonly live: number; readonly started: number } {
  return { live, started };
}

interface Slot {
  readonly worker: Worker;
  /** The task it is computing, if any. */
  busy?: number;
}

/**
 * A fixed set of worker threads, each with its own tfjs backend (the parent's), for one job.
 * Start it early (the workers load and initialise while the parent prepares), `run` tasks on it,
 * and `close` it in a finally: that terminates every worker, whatever happened.
 */
export class WorkerPool {
  private readonly slots: Slot[];
  private closing?: Promise<void>;
  /** Set while `run` is in progress: stops it with an error. */
  private abort?: (e: Error) => void;
  /** The first failure of a worker outside any run, reported by the next run. */
  private early?: Error;

  private constructor(readonly size: number) {
    const entry = workerEntry();
    const backend = tf.getBackend() as BackendName;
    const setup: WorkerSetup = { backend: { preference: backend, ...(backend === 'wasm' ? { wasmDir: findWasmDir() } : {}) } };
    this.slots = Array.from({ length: size }, () => ({
      worker: new Worker(entry.filename, { eval: entry.eval, workerData: setup, ...(entry.execArgv ? { execArgv: entry.execArgv } : {}) }),
    }));
    live += size;
    started += size;
    for (const [i, s] of this.slots.entries()) {
      s.worker.once('exit', () => live--);
      // A worker that dies is an error of the job, never a hang: its tasks would never answer.
      s.worker.on('error', (e: Error) => this.fail(new Error(`Worker thread ${i + 1} of ${size} failed: ${e.message}`, { cause: e })));
      s.worker.on('exit', (code) => {
        if (!this.closing) this.fail(new Error(`Worker thread ${i + 1} of ${size} stopped unexpectedly (exit code ${code})${s.busy !== undefined ? ` during task ${s.busy + 1}` : ''}.`));
      });
      s.worker.on('messageerror', (e) => this.fail(new Error(`Worker thread ${i + 1} of ${size} sent a message that could not be read: ${e.message}`)));
    }
  }

  /** Starts `size` workers (at least 2; with one, run the work in-process instead). */
  static start(size: number): WorkerPool {
    if (!Number.isInteger(size) || size < 2) throw new Error(`a worker pool needs at least 2 workers, got ${size}`);
    return new WorkerPool(size);
  }

  private fail(e: Error): void {
    if (this.abort) this.abort(e);
    else this.early ??= e;
  }

  /**
   * Sends the setup to every worker (once per worker), then the inputs one at a time to
   * whichever worker is free. Resolves with the outputs in input order. A cancel of the job
   * terminates the workers (a wasm kernel cannot be interrupted any other way) and rejects with
   * CancelledError; so does any task's error, rethrown as the parent's error (see fromWire).
   */
  async run<Setup, Input, Output>(task: ParallelTask<Setup, Input, Output>, setup: Setup, inputs: readonly Input[], hooks: PoolHooks<Output> = {}, ctx?: WorkContext): Promise<Output[]> {
    if (this.closing) throw new Error('the worker pool is closed');
    if (this.early) throw this.early;
    throwIfCancelled(ctx);
    const outputs: Output[] = new Array(inputs.length);
    if (!inputs.length) return outputs;
    let next = 0;
    let finished = 0;
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    const handlers: ((m: FromWorker) => void)[] = [];
    try {
      return await new Promise<Output[]>((resolve, reject) => {
        const stop = (e: Error): void => {
          if (settled) return;
          settled = true;
          // Terminate now, not in close(): a cancelled job must stop using the cores at once.
          void this.close();
          reject(e);
        };
        this.abort = stop;
        const cancelled = (): boolean => {
          if (ctx?.cancelled?.()) stop(new CancelledError());
          return settled;
        };
        const feed = (s: Slot): void => {
          if (next >= inputs.length) {
            s.busy = undefined;
            return;
          }
          s.busy = next++;
          s.worker.postMessage({ type: 'run', id: s.busy, input: inputs[s.busy] } satisfies ToWorker);
        };
        for (const s of this.slots) {
          const handle = (m: FromWorker): void => {
            if (m.type === 'progress') {
              hooks.onProgress?.(m.id, m.fraction, m.message);
              cancelled();
            } else if (m.type === 'done') {
              outputs[m.id] = m.output as Output;
              finished++;
              hooks.onResult?.(outputs[m.id], m.id);
              if (cancelled()) return;
              if (finished === inputs.length) {
                settled = true;
                resolve(outputs);
              } else feed(s);
            } else {
              stop(fromWire(m.error));
            }
          };
          const onMessage = (m: FromWorker): void => {
            if (settled) return;
            // The hooks are the caller's code (progress, onPoint): what they throw ends the run.
            try {
              handle(m);
            } catch (e) {
              stop(e instanceof Error ? e : new Error(String(e)));
            }
          };
          handlers.push(onMessage);
          s.worker.on('message', onMessage);
          s.worker.postMessage({ type: 'open', task: task.name, setup } satisfies ToWorker);
        }
        for (const s of this.slots) feed(s);
        timer = setInterval(cancelled, CANCEL_POLL_MS);
      });
    } finally {
      clearInterval(timer);
      this.abort = undefined;
      this.slots.forEach((s, i) => s.worker.off('message', handlers[i]));
    }
  }

  /** Terminates every worker and resolves once all have exited; safe to call more than once. */
  close(): Promise<void> {
    this.closing ??= Promise.all(this.slots.map((s) => s.worker.terminate())).then(() => undefined);
    return this.closing;
  }
}
