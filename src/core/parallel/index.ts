/**
 * Worker threads for independent work (α points of a curve, networks of a NAD job, layer-wise
 * evaluations): tfjs-backend-wasm runs one thread per process, so without them an analysis uses
 * one core. Each worker initialises the parent's backend and is sent plain data only.
 */
export type { PoolHooks } from './pool';
export { WorkerPool, workerThreads } from './pool';
export type { ParallelTask } from './task';
export type { WorkerPlan } from './size';
export { envWorkers, MIN_PARALLEL_MS, workerCount, workerPlan, worthWorkers, WORKERS_ENV } from './size';
export type { SharedBatches, SharedTensor } from './sharedData';
export { MAX_SHARED_BYTES, replaySource, shareBatches } from './sharedData';
export { ProgressSum } from './progress';
export type { WorkerEntry } from './entry';
export { workerEntry } from './entry';
