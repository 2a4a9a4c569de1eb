import * as tf from '@tensorflow/tfjs-core';
import { Executor } from '../../graph/executor';
import { Graph, sizeOf } from '../../graph/ir';
import { Rng } from '../../init/random';

export interface Residual {
  /** max |eFCN − CNN| over every output value of every sample. */
  readonly maxAbs: number;
  /** maxAbs / max |CNN|. */
  readonly maxRel: number;
  readonly samples: number;
}

/** The equivalence residual of two graphs with the same inputs and outputs, on seeded N(0, I) inputs. */
export async function equivalenceResidual(cnn: Graph, efcn: Graph, opts: { samples?: number; seed?: number } = {}): Promise<Residual> {
  const samples = opts.samples ?? 8;
  const rng = new Rng(opts.seed ?? 0);
  const inputs = cnn.inputs.map((p) => {
    const shape = cnn.nodes.find((n) => n.id === p.node)!.shape;
    return tf.tensor(rng.fillNormal(new Float32Array(samples * sizeOf(shape))), [samples, ...shape]);
  });
  const a = new Executor(cnn);
  const b = new Executor(efcn);
  try {
    const ra = a.run(inputs).outputs;
    const rb = b.run(inputs).outputs;
    let maxAbs = 0;
    let maxRef = 0;
    for (let k = 0; k < ra.length; k++) {
      const [va, vb] = await Promise.all([ra[k].data(), rb[k].data()]);
      for (let i = 0; i < va.length; i++) {
        maxAbs = Math.max(maxAbs, Math.abs(va[i] - vb[i]));
        maxRef = Math.max(maxRef, Math.abs(va[i]));
      }
    }
    tf.dispose([...ra, ...rb]);
    return { maxAbs, maxRel: maxAbs / (maxRef || 1), samples };
  } finally {
    tf.dispose(inputs);
    a.dispose();
    b.dispose();
  }
}
