import * as os from 'node:os';
import { isMainThread } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import { UserError } from '../errors';

/** The environment variable that sets the worker count when the caller does not. */
export const WORKERS_ENV = 'LINEAR_LENS_WORKERS';

function checkCount(n: number, where: string): number {
  if (!Number.isInteger(n) || n < 1) throw new UserError(`${where} must be a positive whole number of worker threads (1 = no workers), got ${n}.`);
  return n;
}

/** The worker count LINEAR_LENS_WORKERS asks for, if it is set. */
export function envWorkers(): number | undefined {
  const raw = process.env[WORKERS_ENV]?.trim();
  if (!raw) return undefined;
  return checkCount(/^\d+$/.test(raw) ? Number(raw) : NaN, `${WORKERS_ENV}="${raw}"`);
}

/** How many workers a job may use, and whether its caller chose that number. */
export interface WorkerPlan {
  readonly workers: number;
  /** True when the caller's option set it: then the workers are used whatever the job's size. */
  readonly chosen: boolean;
}

/**
 * Worker threads for `tasks` independent pieces of work: the caller's choice, else
 * LINEAR_LENS_WORKERS, else one per core; never more than there are tasks. 1 means no workers:
 * the work runs in this thread exactly as it always did. The tensorflow backend (libtensorflow,
 * maybe a GPU) already uses every core, so it defaults to 1; and a worker never starts workers.
 */
export function workerPlan(tasks: number, explicit?: number): WorkerPlan {
  if (!isMainThread) return { workers: 1, chosen: false };
  const want = explicit !== undefined ? checkCount(explicit, 'The worker count') : (envWorkers() ?? (tf.getBackend() === 'tensorflow' ? 1 : os.availableParallelism()));
  return { workers: Math.max(1, Math.min(want, tasks)), chosen: explicit !== undefined };
}

/** The worker count of workerPlan. */
export function workerCount(tasks: number, explicit?: number): number {
  return workerPlan(tasks, explicit).workers;
}

/**
 * Below this much estimated one-thread time for the rest of a job, workers are not started by
 * default: each takes ≈0.3–0.5 s to load tfjs and its backend from the bundle (seconds from
 * TypeScript sources, or on a busy machine), which a small job never wins back.
 */
export const MIN_PARALLEL_MS = 3000;

/**
 * Whether the rest of a job goes to workers, judged from its first task, run in this thread:
 * always when the caller chose a worker count, else when the `rest` tasks would take at least
 * MIN_PARALLEL_MS one after another.
 */
export function worthWorkers(plan: WorkerPlan, firstMs: number, rest: number): boolean {
  return plan.workers > 1 && (plan.chosen || firstMs * rest >= MIN_PARALLEL_MS);
}
