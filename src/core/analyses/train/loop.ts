import * as tf from '@tensorflow/tfjs-core';
import { UserError } from '../../errors';
import { Executor, NodeHook, ParamTensors } from '../../graph/executor';
import { Graph, Param } from '../../graph/ir';
import { checkpoint, WorkContext } from '../../progress';
import { BatchSource } from '../connectivity/data';
import { batchLossAndCorrect, classifierHead, logitsHook } from '../connectivity/evaluate';
import { runningStats } from './batchNorm';
import { Optimizer, OptimizerOptions } from './optimizer';
import { learningRate, LrSchedule } from './schedule';

export interface TrainOptions extends OptimizerOptions {
  /** Peak learning rate (default 0.01). */
  readonly lr?: number;
  readonly schedule?: LrSchedule;
  readonly batchSize?: number;
  /** Passes over the data (default 1); ignored when `steps` is set. */
  readonly epochs?: number;
  /** Total optimiser steps; passes repeat until they are done. */
  readonly steps?: number;
  /** Batch-norm uses batch statistics and updates its running statistics (default true). */
  readonly training?: boolean;
  /** Share of a batch's statistics in the running ones (default: PyTorch 0.1 for PyTorch models, else Keras 0.01). */
  readonly bnMomentum?: number;
  /** Starting values by parameter key (default: the graph's own). */
  readonly initial?: ReadonlyMap<string, Float32Array>;
  /** Which parameters the optimiser changes (default: those marked trainable). */
  readonly trainable?: (p: Param) => boolean;
  /** Called after every step with the current parameters (valid during the call only). */
  readonly onStep?: (info: StepInfo, params: ParamTensors) => void | Promise<void>;
  /** Where this training sits in the caller's progress scale. */
  readonly span?: { from: number; to: number; message?: string };
}

export interface StepInfo {
  /** 1-based. */
  readonly step: number;
  readonly totalSteps: number;
  /** 0-based pass over the data. */
  readonly epoch: number;
  readonly lr: number;
  /** Mean cross-entropy of the step's batch, before the update. */
  readonly loss: number;
  readonly accuracy: number;
  /** Global gradient norm before clipping. */
  readonly gradNorm: number;
}

export interface TrainResult {
  /** Every parameter after training (trained, running statistics, untouched ones), by key. */
  readonly values: Map<string, Float32Array>;
  readonly steps: number;
  /** Mean batch loss per step. */
  readonly losses: Float32Array;
  /** Mean loss and accuracy over the last pass's batches. */
  readonly lastEpoch: { loss: number; accuracy: number };
}

export const DEFAULT_TRAIN_BATCH = 128;

function checkOptions(o: TrainOptions): void {
  const bad = (what: string, v: unknown) => {
    throw new UserError(`Training: ${what} must be a positive ${what === 'learning rate' ? 'number' : 'integer'}, got ${String(v)}.`);
  };
  if (o.lr !== undefined && !(o.lr > 0 && Number.isFinite(o.lr))) bad('learning rate', o.lr);
  if (o.batchSize !== undefined && !(Number.isInteger(o.batchSize) && o.batchSize > 0)) bad('batch size', o.batchSize);
  if (o.epochs !== undefined && !(Number.isInteger(o.epochs) && o.epochs > 0)) bad('epoch count', o.epochs);
  if (o.steps !== undefined && !(Number.isInteger(o.steps) && o.steps > 0)) bad('step count', o.steps);
}

async function checkLabels(y: tf.Tensor, classes: number, file: string): Promise<void> {
  if (y.rank === 2 && y.shape[1] === classes && classes > 1) return;
  const v = await y.data();
  const top = classes === 1 ? 2 : classes;
  for (let i = 0; i < v.length; i++) {
    if (!(Number.isInteger(v[i]) && v[i] >= 0 && v[i] < top)) {
      throw new UserError(`${file}: label ${v[i]} is not a class of this model (labels must be 0 to ${top - 1}).`, file);
    }
  }
}

/**
 * Trains a classifier graph with mini-batch SGD or Adam on cross-entropy from its logits (a final
 * softmax / sigmoid is skipped), PyTorch-style: global-norm gradient clipping, L2 weight decay,
 * a learning-rate schedule over all steps. Cancellable between batches; tensors all freed.
 */
export async function train(graph: Graph, data: BatchSource, opts: TrainOptions = {}, ctx?: WorkContext): Promise<TrainResult> {
  checkOptions(opts);
  if (graph.inputs.length !== 1) throw new UserError(`${graph.file}: the model takes ${graph.inputs.length} inputs; training feeds one dataset into models with one input.`, graph.file);
  const batchSize = opts.batchSize ?? DEFAULT_TRAIN_BATCH;
  const perPass = data.samples !== undefined ? Math.ceil(data.samples / batchSize) : undefined;
  const total = opts.steps ?? (perPass !== undefined ? perPass * (opts.epochs ?? 1) : undefined);
  const schedule = opts.schedule ?? 'constant';
  if (total === undefined && schedule !== 'constant') throw new UserError('Training: the dataset does not say how many samples it has; give a step count for a learning-rate schedule.');
  const lr0 = opts.lr ?? 0.01;
  const training = opts.training ?? true;
  const head = classifierHead(graph);
  const headHook = logitsHook(head);
  const pytorch = graph.producer.framework === 'pytorch';
  const bn = training && graph.nodes.some((n) => n.op.op === 'batchNorm') ? runningStats(graph, { momentum: opts.bnMomentum ?? (pytorch ? 0.1 : 0.01), unbiased: pytorch }) : undefined;
  const hook: NodeHook | undefined = headHook || bn ? (n, ins, compute, param) => headHook?.(n, ins, compute, param) ?? bn?.hook(n, ins, compute, param) : undefined;
  const isTrainable = opts.trainable ?? ((p: Param) => p.trainable);

  // Every parameter lives in a variable: the optimiser's and the running statistics' targets.
  const vars = new Map<string, tf.Variable>();
  const trainableNames: string[] = [];
  // The executor gets no parameters of its own: every key comes from `vars` (no second copy of big weights).
  const ex = new Executor({ ...graph, params: new Map() });
  const optimizer = new Optimizer(opts);
  const losses: number[] = [];
  let step = 0;
  let passLoss = 0;
  let passCorrect = 0;
  let passSeen = 0;
  try {
    for (const p of graph.params.values()) {
      const init = opts.initial?.get(p.key) ?? p.data;
      if (init.length !== p.data.length) throw new Error(`initial value of ${p.key}: ${init.length} values for shape [${p.shape.join(', ')}]`);
      const train = isTrainable(p);
      const t = tf.tensor(init, [...p.shape], 'float32');
      vars.set(p.key, tf.variable(t, train));
      t.dispose();
      if (train) trainableNames.push(p.key);
    }
    if (trainableNames.length === 0) throw new UserError(`${graph.file}: the model has no trainable parameters.`, graph.file);
    const trainVars = trainableNames.map((k) => vars.get(k)!);
    const span = opts.span ?? { from: 0, to: 1 };
    for (let epoch = 0; total === undefined ? epoch < (opts.epochs ?? 1) : step < total; epoch++) {
      passLoss = 0;
      passCorrect = 0;
      passSeen = 0;
      let batches = 0;
      for await (const batch of data(batchSize, ctx)) {
        try {
          await checkpoint(ctx);
          if (!batch.y) throw new UserError(`${graph.file}: the training data has no labels.`, graph.file);
          const y = batch.y;
          await checkLabels(y, head.classes, graph.file);
          const b = batch.x.shape[0];
          const lr = total !== undefined ? learningRate(schedule, lr0, step + 1, total) : lr0;
          let correct: tf.Scalar | undefined;
          const { value, grads } = tf.variableGrads(() => {
            const logits = ex.predict(batch.x, { params: vars, training, hook });
            const r = batchLossAndCorrect(logits, y, head.classes, graph.file);
            correct = tf.keep(r.correct);
            return tf.div(r.loss, b) as tf.Scalar;
          }, trainVars);
          const gradMap = new Map<string, tf.Tensor>();
          trainVars.forEach((v, i) => gradMap.set(trainableNames[i], grads[v.name]));
          const norm = optimizer.step(vars, gradMap, lr);
          bn?.update(vars);
          const [l, c, gn] = await Promise.all([value.data(), correct!.data(), norm.data()]);
          tf.dispose([value, correct!, norm, ...Object.values(grads)]);
          if (!Number.isFinite(l[0])) throw new UserError(`${graph.file}: training diverged at step ${step + 1} (the loss is ${l[0]}); lower the learning rate or clip the gradients.`, graph.file);
          step++;
          batches++;
          losses.push(l[0]);
          passLoss += l[0] * b;
          passCorrect += c[0];
          passSeen += b;
          const info: StepInfo = { step, totalSteps: total ?? step, epoch, lr, loss: l[0], accuracy: c[0] / b, gradNorm: gn[0] };
          if (opts.onStep) await opts.onStep(info, vars);
          if (ctx?.progress) {
            const f = total !== undefined ? step / total : 0;
            ctx.progress(span.from + (span.to - span.from) * f, `${span.message ? span.message + ': ' : ''}step ${step}${total !== undefined ? `/${total}` : ''}, loss ${l[0].toFixed(4)}`);
          }
        } finally {
          batch.x.dispose();
          batch.y?.dispose();
        }
        if (total !== undefined && step >= total) break;
      }
      if (batches === 0) throw new UserError('Training: the dataset yielded no samples.');
    }
    const values = new Map<string, Float32Array>();
    for (const [k, v] of vars) values.set(k, (await v.data()) as Float32Array);
    return { values, steps: step, losses: Float32Array.from(losses), lastEpoch: { loss: passSeen ? passLoss / passSeen : NaN, accuracy: passSeen ? passCorrect / passSeen : NaN } };
  } finally {
    bn?.dispose();
    optimizer.dispose();
    for (const v of vars.values()) v.dispose();
    ex.dispose();
  }
}
