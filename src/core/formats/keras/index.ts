/**
 * The Keras-family loaders: TF.js layers models, Keras 3 .keras archives and legacy .h5 files.
 * All three parse the container, then hand the same Keras model config to one converter.
 */
export { loadTfjsLayers } from './tfjsLayers';
export { loadKerasV3 } from './kerasV3';
export { loadKerasH5 } from './kerasH5';
