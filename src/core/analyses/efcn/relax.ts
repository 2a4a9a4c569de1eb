import * as tf from '@tensorflow/tfjs-core';
import { UserError } from '../../errors';
import { Executor } from '../../graph/executor';
import { Graph } from '../../graph/ir';
import { checkpoint, WorkContext } from '../../progress';
import { BatchSource } from '../connectivity/data';
import { evaluate } from '../connectivity/evaluate';
import { train, TrainOptions } from '../train';
import { DeviationMeter, LayerDeviation } from './deviation';
import { Efcn, EfcnLayer, toEfcn } from './graph';

export interface RelaxOptions extends Omit<TrainOptions, 'initial' | 'onStep' | 'steps' | 'epochs' | 'trainable' | 'span'> {
  /** Optimiser steps (default 100). */
  readonly steps?: number;
  /** Measure the deviations every this many steps (default 1: every step). */
  readonly measureEvery?: number;
  /** Evaluate on `testData` at step 0, every this many steps and at the end (default: start and end only). */
  readonly evalEvery?: number;
  readonly testData?: BatchSource;
  readonly evalBatchSize?: number;
  /** Called with every measured point as it is ready. */
  readonly onPoint?: (p: RelaxPoint) => void | Promise<void>;
}

export interface RelaxPoint {
  /** Optimiser steps done (0: the embedded CNN). */
  readonly step: number;
  /** Mean batch loss of the steps since the previous point (absent at step 0). */
  readonly trainLoss?: number;
  readonly testLoss?: number;
  readonly testAccuracy?: number;
  readonly layers: LayerDeviation[];
}

/** Sizes of an eFCN layer, without its index arrays. */
export type EfcnLayerInfo = Omit<EfcnLayer, 'embedding'> & { readonly inShape: readonly number[]; readonly outShape: readonly number[] };

export interface RelaxResult {
  readonly layers: EfcnLayerInfo[];
  readonly points: RelaxPoint[];
  /** Rough peak device memory of the training: every dense weight ×4 (weight, gradient, optimiser state, a scatter buffer). */
  readonly estimatedBytes: number;
}

/** Public facts of an eFCN layer (sizes and keys), for reports. */
export function layerInfo(l: EfcnLayer): EfcnLayerInfo {
  const { embedding, ...rest } = l;
  return { ...rest, inShape: embedding.inShape, outShape: embedding.outShape };
}

/** Device memory the relax training of an eFCN needs, roughly. */
export function relaxMemoryBytes(efcn: Efcn, momentum = false): number {
  const dense = efcn.layers.reduce((a, l) => a + l.denseBytes, 0);
  return dense * (momentum ? 4 : 3);
}

/**
 * Relax training (METHODS §5, d'Ascoli et al. 2019): trains the eFCN of a CNN with every dense
 * entry free, starting from the embedded CNN, and tracks per layer how far the weights leave
 * the CNN's subspace (off the sparsity pattern, and off weight sharing), with train and test
 * loss. Defaults follow the reference's main.py: SGD, lr 0.1, no momentum, batch 250, constant lr.
 */
export async function relaxTrain(model: Graph | Efcn, data: BatchSource, opts: RelaxOptions = {}, ctx?: WorkContext): Promise<RelaxResult> {
  const efcn = 'layers' in model ? model : toEfcn(model);
  const graph = efcn.graph;
  const steps = opts.steps ?? 100;
  const every = opts.measureEvery ?? 1;
  const evalEvery = opts.evalEvery ?? steps;
  for (const [what, v] of [['steps', steps], ['measureEvery', every], ['evalEvery', evalEvery]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new UserError(`Relax training: ${what} must be a positive integer, got ${v}.`);
  }
  const meter = new DeviationMeter(efcn.layers);
  const points: RelaxPoint[] = [];
  const lossSince: number[] = [];
  const evalOn = async (params: ReadonlyMap<string, tf.Tensor> | undefined) => {
    if (!opts.testData) return {};
    const ex = params ? new Executor({ ...graph, params: new Map() }) : new Executor(graph);
    try {
      const r = await evaluate(ex, opts.testData, { params, batchSize: opts.evalBatchSize ?? 500 }, { cancelled: ctx?.cancelled });
      return { testLoss: r.loss, testAccuracy: r.accuracy };
    } finally {
      ex.dispose();
    }
  };
  const emit = async (p: RelaxPoint) => {
    points.push(p);
    await opts.onPoint?.(p);
  };
  try {
    // Step 0: the embedded CNN itself.
    const start = new Map<string, tf.Tensor>();
    for (const l of efcn.layers) {
      for (const key of [l.kernelKey, l.biasKey]) {
        if (!key) continue;
        const p = graph.params.get(key)!;
        start.set(key, tf.tensor(p.data, [...p.shape], 'float32'));
      }
    }
    let layers0: LayerDeviation[];
    try {
      layers0 = await meter.measure(start);
    } finally {
      tf.dispose([...start.values()]);
    }
    await emit({ step: 0, ...(await evalOn(undefined)), layers: layers0 });
    await train(
      graph,
      data,
      {
        ...opts,
        lr: opts.lr ?? 0.1,
        batchSize: opts.batchSize ?? 250,
        steps,
        span: { from: 0, to: 1, message: 'relax training' },
        onStep: async (info, params) => {
          lossSince.push(info.loss);
          const last = info.step === steps;
          if (info.step % every !== 0 && !last) return;
          const trainLoss = lossSince.reduce((a, v) => a + v, 0) / lossSince.length;
          lossSince.length = 0;
          // The step, the measure and the test pass each take a good part of a second on a CPU
          // for a real eFCN: a cancel is looked for between them, not only between steps.
          await checkpoint(ctx);
          const layers = await meter.measure(params, ctx);
          await checkpoint(ctx);
          const test = info.step % evalEvery === 0 || last ? await evalOn(params) : {};
          await emit({ step: info.step, trainLoss, ...test, layers });
        },
      },
      ctx,
    );
    return { layers: efcn.layers.map(layerInfo), points, estimatedBytes: relaxMemoryBytes(efcn, (opts.momentum ?? 0) > 0 || opts.optimizer === 'adam') };
  } finally {
    meter.dispose();
  }
}
