import * as os from 'node:os';

/**
 * The compute host's worker-pool size inside VS Code: every core but one, so the editor (and the
 * webviews drawing the panels) keeps a core while an analysis runs on the rest. The CLI has no
 * editor to keep responsive and uses every core. A LINEAR_LENS_WORKERS the user set wins.
 */
export function editorWorkerEnv(env: NodeJS.ProcessEnv = process.env, cores = os.availableParallelism()): NodeJS.ProcessEnv {
  if (env.LINEAR_LENS_WORKERS) return {};
  return { LINEAR_LENS_WORKERS: String(Math.max(1, cores - 1)) };
}
