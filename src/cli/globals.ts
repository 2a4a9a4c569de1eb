import type { OptionSpec } from './args';
import { BACKEND_PREFERENCES } from '../protocol/host';

/** Options every command takes, before or after its name. */
export const GLOBAL_OPTIONS: readonly OptionSpec[] = [
  {
    name: 'backend',
    value: { name: 'NAME', choices: BACKEND_PREFERENCES },
    description: 'compute backend: auto (tensorflow if installed, else wasm, else cpu), tensorflow, wasm or cpu. Env: LINEAR_LENS_BACKEND',
  },
  {
    name: 'tfjs-node',
    value: { name: 'DIR' },
    description: 'folder holding an installed @tensorflow/tfjs-node-gpu (or tfjs-node), for the tensorflow backend. Env: LINEAR_LENS_TFJS_NODE',
  },
  { name: 'help', short: 'h', description: 'show help (of the command, after one)' },
  { name: 'version', description: 'print the version of linear-lens' },
];
