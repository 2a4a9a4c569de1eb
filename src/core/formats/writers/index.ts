/** Model writers: the Graph IR back to a model file that loadModel (and the framework) reads. */
export type { TfjsLayersModel, TfjsLayersOptions, WrittenModel } from './tfjsLayers';
export { toTfjsLayers, writeTfjsLayers } from './tfjsLayers';
