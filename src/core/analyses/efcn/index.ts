/**
 * CNN → equivalent fully-connected network (METHODS §5; d'Ascoli, Sagun, Bruna, Biroli 2019):
 * every conv as its sparse dense equivalent, the eFCN as a graph (and a model file through
 * formats/writers), its equivalence residual, and relax training away from the CNN subspace.
 */
export type { ConvEmbedding, LayerSize } from './embed';
export { denseBias, denseKernel, embedConv, kernelPositions, layerSize } from './embed';
export type { Efcn, EfcnLayer, EfcnOptions } from './graph';
export { toEfcn } from './graph';
export type { Residual } from './residual';
export { equivalenceResidual } from './residual';
export type { LayerDeviation } from './deviation';
export { DeviationMeter } from './deviation';
export type { EfcnLayerInfo, RelaxOptions, RelaxPoint, RelaxResult } from './relax';
export { layerInfo, relaxMemoryBytes, relaxTrain } from './relax';
