import * as tf from '@tensorflow/tfjs-core';
import { NodeHook } from '../../graph/executor';
import { Graph, Node } from '../../graph/ir';

/**
 * Batch-norm in training: normalise with the batch's statistics and move the running statistics
 * toward them after each step, as the frameworks do (the executor's own training mode normalises
 * but leaves the running statistics alone, and inference after training needs them).
 */
export interface RunningStats {
  /** The hook that normalises with batch statistics and records them for `update`. */
  readonly hook: NodeHook;
  /** Moves each running mean / variance variable toward the recorded batch statistics. */
  update(vars: ReadonlyMap<string, tf.Variable>): void;
  dispose(): void;
}

/**
 * PyTorch: running = (1 − 0.1)·running + 0.1·batch, with the unbiased batch variance;
 * Keras: momentum 0.99 (i.e. 0.01 of the batch), biased variance.
 */
export function runningStats(graph: Graph, opts: { momentum: number; unbiased: boolean }): RunningStats {
  const recorded = new Map<string, { mean: tf.Tensor; variance: tf.Tensor; count: number }>();
  const clear = () => {
    for (const r of recorded.values()) tf.dispose([r.mean, r.variance]);
    recorded.clear();
  };
  const hook: NodeHook = (node: Node, inputs, _compute, param) => {
    if (node.op.op !== 'batchNorm') return undefined;
    const x = inputs[0];
    const m = tf.moments(x, Array.from({ length: x.rank - 1 }, (_, i) => i));
    const old = recorded.get(node.id);
    if (old) tf.dispose([old.mean, old.variance]);
    // The gradient tape holds on to these too; keeping them only stops the run's tidy freeing them.
    recorded.set(node.id, { mean: tf.keep(tf.clone(m.mean)), variance: tf.keep(tf.clone(m.variance)), count: x.size / m.mean.size });
    const c = m.mean.size;
    const flat = (t: tf.Tensor | undefined) => (t ? tf.reshape(t, [c]) : undefined);
    return tf.batchNorm(x, m.mean, m.variance, flat(param('beta')), flat(param('gamma')), node.op.epsilon);
  };
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  return {
    hook,
    update(vars) {
      tf.tidy(() => {
        for (const [id, r] of recorded) {
          const n = byId.get(id)!;
          const meanKey = n.params.movingMean;
          const varKey = n.params.movingVariance;
          const mu = opts.momentum;
          const correction = opts.unbiased && r.count > 1 ? r.count / (r.count - 1) : 1;
          const mv = meanKey ? vars.get(meanKey) : undefined;
          const vv = varKey ? vars.get(varKey) : undefined;
          if (mv) mv.assign(tf.reshape(tf.add(tf.mul(mv, 1 - mu), tf.mul(r.mean, mu)), mv.shape));
          if (vv) vv.assign(tf.reshape(tf.add(tf.mul(vv, 1 - mu), tf.mul(r.variance, mu * correction)), vv.shape));
        }
      });
      clear();
    },
    dispose: clear,
  };
}
