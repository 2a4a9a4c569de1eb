import * as tf from '@tensorflow/tfjs-core';
import { throwIfCancelled } from '../../core/progress';
import type { JobHandler } from './handlers';
import { optionalInt } from './validate';

/** `host/selfTest`: random matrix products batch after batch, with progress, partials and cancellation. */
export const selfTest: JobHandler<'host/selfTest'> = async (params, ctx) => {
  const batches = optionalInt(params, 'batches', 1, 1_000_000, 10);
  const size = optionalInt(params, 'size', 1, 2048, 64);
  const delayMs = optionalInt(params, 'delayMs', 0, 10_000, 0);
  const t0 = Date.now();
  const tfTensorsBefore = tf.memory().numTensors;
  for (let b = 0; b < batches; b++) {
    throwIfCancelled(ctx);
    const m = tf.tidy(() => {
      const a = tf.randomNormal([size, size], 0, 1, 'float32', 1000 + b);
      return tf.mean(tf.matMul(a, a, false, true));
    });
    const mean = (await m.data())[0];
    m.dispose();
    ctx.partial({ batch: b, mean });
    ctx.progress((b + 1) / batches, `batch ${b + 1} of ${batches}`);
    await ctx.pause(delayMs);
  }
  return { batches, millis: Date.now() - t0, tfTensorsBefore, tfTensorsAfter: tf.memory().numTensors };
};
