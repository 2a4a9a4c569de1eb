/**
 * A small training loop on the Graph IR (SGD / Adam, cross-entropy, clipping, schedules), shared
 * by the directional accuracy map (METHODS §4) and eFCN relax training (§5).
 */
export type { LrSchedule } from './schedule';
export { learningRate } from './schedule';
export type { OptimizerOptions } from './optimizer';
export { Optimizer } from './optimizer';
export type { RunningStats } from './batchNorm';
export { runningStats } from './batchNorm';
export type { StepInfo, TrainOptions, TrainResult } from './loop';
export { DEFAULT_TRAIN_BATCH, train } from './loop';
export { memorySource, permutation } from './sources';
