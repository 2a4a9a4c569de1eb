import { loadModel } from '../../core/formats';
import { describeGraph } from '../../core/graph/describe';
import type { Command } from '../command';
import { renderSummary } from '../render';

/** `linear-lens info MODEL [--json]`. */
export const infoCommand: Command = {
  name: 'info',
  summary: 'Describe a model: format, producer, inputs, outputs, layers and parameter count.',
  description: 'MODEL is a TF.js layers model.json, a Keras .keras or .h5 file, or an ONNX file; the format is read from the content, not the name.',
  positionals: [{ name: 'MODEL', description: 'the model file' }],
  options: [{ name: 'json', description: 'print the summary as JSON' }],
  examples: ['linear-lens info model.onnx', 'linear-lens info --json mnist.keras'],
  async run(args, env) {
    const file = args.positional('MODEL')!;
    const summary = describeGraph(await loadModel(file));
    env.out(args.flag('json') ? JSON.stringify(summary, null, 2) + '\n' : renderSummary(summary));
  },
};
