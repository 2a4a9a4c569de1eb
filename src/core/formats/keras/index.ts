/**
 * The Keras-family loaders: TF.js layers models, Keras 3 .keras archives and legacy .h5 files.
 * All three parse the container, then hand the same Keras model config to one converter.
 */
export { loadTfjsLayers } from './tfjsLayers';
// .keras and .h5 files are read by h5wasm in a worker thread with a deadline (h5Thread.ts).
export { H5_DEADLINE_ENV, h5Deadline, loadKerasH5, loadKerasV3 } from './h5Thread';
