/**
 * Neural anisotropy directions (METHODS §4; Ortiz-Jiménez et al., NeurIPS 2020): the directions
 * an architecture is biased towards at initialisation, their spectra, and the directional
 * accuracy map that shows the bias in training.
 */
export type { Nad, NadOptions, NadResult } from './nads';
export { computeNads, spectrumOf } from './nads';
export type { GradientOptions } from './gradients';
export { defaultX0, finiteDifferenceGradients } from './gradients';
export type { PcaOptions, PcaResult } from './pca';
export { pca } from './pca';
export { symmetricEigenQl } from './eigen';
export type { ImageGeometry } from './image';
export { imageGeometry, pixelIndex } from './image';
export type { EnergyShares } from './fourier';
export { channelImage, dft2, energyShares, fftshift, fourierDirection, powerSpectrum, signedFrequency } from './fourier';
export { checkOutputIndex, scoreNode, withClasses } from './head';
export type { Direction, DirectionalDataOptions, GridCell } from './directions';
export { coarseFirst, directionalData, directionKey, directionVector, fourierGrid, gridFrequencies, nadDirections } from './directions';
export type { AccuracyMapOptions, DirectionalTrainingOptions, DirectionOutcome, DirectionResult } from './accuracyMap';
export { accuracyMap, architectureHash, directionalAccuracy } from './accuracyMap';
export type { ResultStore } from './store';
export { memoryStore } from './store';
