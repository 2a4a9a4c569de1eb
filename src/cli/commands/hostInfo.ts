import { collectHostInfo } from '../../host/info';
import type { Command } from '../command';
import { renderHostInfo } from '../render';

/** `linear-lens host-info [--json]`. */
export const hostInfoCommand: Command = {
  name: 'host-info',
  summary: 'Show the compute backend in use, why better ones are not, versions and memory.',
  description: 'Initialises the backend as an analysis would (honouring --backend and --tfjs-node) and reports it.',
  positionals: [],
  options: [{ name: 'json', description: 'print the report as JSON' }],
  examples: ['linear-lens host-info', 'linear-lens --backend cpu host-info --json'],
  async run(args, env) {
    const info = collectHostInfo(await env.backend());
    env.out(args.flag('json') ? JSON.stringify(info, null, 2) + '\n' : renderHostInfo(info));
  },
};
