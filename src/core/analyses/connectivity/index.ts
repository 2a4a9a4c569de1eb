/**
 * Connectivity analyses between two trained networks of one architecture (METHODS §2, §3):
 * linear mode connectivity and its barriers, permutation alignment (weight and activation
 * matching), batch-norm reset and REPAIR, layer-wise barriers, and layerwise linear feature
 * connectivity.
 */
export type { Batch, BatchSource } from './data';
export { forEachBatch, requireOneInput, ChannelMoments, channelMoments, DEFAULT_BATCH } from './data';
export type { ParamValues } from './interpolate';
export { alphaGrid, architectureDifference, asArchitectureOf, interpolate, paramTensors, readParams, sameArchitecture, withParams } from './interpolate';
export type { ClassifierHead, Evaluation, EvaluateOptions } from './evaluate';
export { classifierHead, evaluate } from './evaluate';
export type { Barriers, LmcOptions, LmcPoint, LmcResult } from './lmc';
export { barriers, lmc } from './lmc';
export type { AxisPerm, PermGroup, Permutations, PermutationSpec } from './permutationSpec';
export {
  applyPermutation,
  axisGather,
  axisSlots,
  identityPermutations,
  invertPermutations,
  permutationSpec,
  permuteParams,
  randomPermutations,
} from './permutationSpec';
export type { WeightMatchingOptions, WeightMatchingResult, WeightMatchingStep } from './weightMatching';
export { weightMatching } from './weightMatching';
export type { ActivationCost, ActivationGroupResult, ActivationMatchingOptions, ActivationMatchingResult } from './activationMatching';
export { activationMatching, activationNodes } from './activationMatching';
export type { ChannelStats, Correction, RepairPoint, RepairResult, StatsOptions } from './batchNorm';
export { channelStatistics, hasBatchNorm, repair, repairGoals, repairPoints, repairStatistics, resetBatchNorm } from './batchNorm';
export type { LayerGroup, LayerwiseEntry, LayerwiseEval, LayerwiseOptions, LayerwiseResult } from './layerwise';
export { layerGroups, layerwise } from './layerwise';
export type { Dissimilarity, FeatureLayer, LlfcLayerPoint, LlfcOptions, LlfcPoint, LlfcResult } from './llfc';
export { featureLayers, llfc } from './llfc';
