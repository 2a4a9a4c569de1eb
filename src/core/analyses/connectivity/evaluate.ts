import * as tf from '@tensorflow/tfjs-core';
import { UserError } from '../../errors';
import { Executor, NodeHook, ParamTensors } from '../../graph/executor';
import { Graph, Node, sizeOf } from '../../graph/ir';
import { WorkContext } from '../../progress';
import { finalSoftmax } from '../interpreter';
import { BatchSource, DEFAULT_BATCH, forEachBatch } from './data';

/**
 * How the model's first output becomes a classification loss. A final softmax or (one-unit)
 * sigmoid is skipped and the loss is taken from its input, because the cross-entropy of the
 * logits is exact where log(softmax) of float32 probabilities underflows.
 */
export interface ClassifierHead {
  /** 'softmax' / 'sigmoid': a final unit that is skipped; 'logits': the output is used as is. */
  readonly kind: 'softmax' | 'sigmoid' | 'logits';
  readonly skip?: Node;
  /** Number of outputs per sample; 1 means a binary classifier with one logit. */
  readonly classes: number;
}

/** The final sigmoid of a one-output model, if any: only layout ops lead from it to the first output. */
function finalSigmoid(g: Graph): Node | undefined {
  const byId = new Map(g.nodes.map((n) => [n.id, n]));
  let n = byId.get(g.outputs[0].node);
  while (n && (n.op.op === 'transpose' || n.op.op === 'identity' || n.op.op === 'reshape' || n.op.op === 'flatten')) n = byId.get(n.inputs[0]);
  return n && n.op.op === 'sigmoid' && sizeOf(n.shape) === 1 ? n : undefined;
}

/** Finds how to read class scores from the model: which final unit to skip and how many classes. */
export function classifierHead(g: Graph): ClassifierHead {
  const out = g.nodes.find((n) => n.id === g.outputs[0].node)!;
  const classes = sizeOf(out.shape);
  if (out.shape.filter((d) => d > 1).length > 1) {
    throw new UserError(`${g.file}: the first output has shape [${out.shape.join(', ')}] per sample; the loss and accuracy need a classifier with one vector of class scores per sample.`, g.file);
  }
  const soft = finalSoftmax(g);
  if (soft) return { kind: 'softmax', skip: soft, classes };
  const sig = finalSigmoid(g);
  if (sig) return { kind: 'sigmoid', skip: sig, classes: 1 };
  return { kind: 'logits', classes };
}

/** A hook that runs the head's final unit as the identity, so the output is the logits. */
export function logitsHook(head: ClassifierHead): NodeHook | undefined {
  const skip = head.skip;
  return skip ? (n, ins) => (n === skip ? ins[0] : undefined) : undefined;
}

/** Sum of per-sample losses and number of correct predictions of one batch, as scalar tensors. */
export function batchLossAndCorrect(logits: tf.Tensor, y: tf.Tensor, classes: number, file: string): { loss: tf.Scalar; correct: tf.Scalar } {
  return tf.tidy(() => {
    const b = logits.shape[0];
    const z = tf.reshape(logits, [b, classes]);
    if (y.shape[0] !== b) throw new UserError(`${file}: a batch has ${b} samples but ${y.shape[0]} labels.`, file);
    const soft = y.rank === 2 && y.shape[1] === classes && classes > 1;
    if (!soft && !(y.rank === 1 || (y.rank === 2 && y.shape[1] === 1))) {
      throw new UserError(`${file}: labels of shape [${y.shape.join(', ')}] do not fit a model with ${classes} output${classes > 1 ? 's' : ''}; give class indices [batch] or one-hot [batch, ${classes}].`, file);
    }
    if (classes === 1) {
      // Binary: one logit per sample, labels 0/1; BCE from logits in its stable form.
      const t = tf.reshape(tf.cast(y, 'float32'), [b]);
      const zz = tf.reshape(z, [b]);
      const loss = tf.sum(tf.add(tf.sub(tf.relu(zz), tf.mul(zz, t)), tf.log1p(tf.exp(tf.neg(tf.abs(zz))))));
      const correct = tf.sum(tf.cast(tf.equal(tf.cast(tf.greater(zz, 0), 'float32'), t), 'float32'));
      return { loss: loss as tf.Scalar, correct: correct as tf.Scalar };
    }
    const logp = tf.logSoftmax(z);
    if (soft) {
      const t = tf.cast(y, 'float32');
      const loss = tf.neg(tf.sum(tf.mul(t, logp)));
      const correct = tf.sum(tf.cast(tf.equal(tf.argMax(z, 1), tf.argMax(t, 1)), 'float32'));
      return { loss: loss as tf.Scalar, correct: correct as tf.Scalar };
    }
    const labels = tf.cast(tf.reshape(y, [b]), 'int32');
    const onehot = tf.oneHot(labels, classes);
    const loss = tf.neg(tf.sum(tf.mul(onehot, logp)));
    const correct = tf.sum(tf.cast(tf.equal(tf.argMax(z, 1), labels), 'float32'));
    return { loss: loss as tf.Scalar, correct: correct as tf.Scalar };
  });
}

async function checkLabels(y: tf.Tensor, classes: number, file: string): Promise<void> {
  if (y.rank === 2 && y.shape[1] === classes && classes > 1) return;
  const v = await y.data();
  const top = classes === 1 ? 2 : classes;
  for (let i = 0; i < v.length; i++) {
    const l = v[i];
    if (!(Number.isInteger(l) && l >= 0 && l < top)) {
      throw new UserError(`${file}: label ${l} is not a class of this model (it has ${classes === 1 ? 'one logit: labels must be 0 or 1' : `${classes} classes: labels 0 to ${classes - 1}`}).`, file);
    }
  }
}

export interface EvaluateOptions {
  /** Parameters to use instead of the graph's own, by key (e.g. θ(α)). */
  readonly params?: ParamTensors;
  readonly batchSize?: number;
  /** Where this pass sits in the caller's progress scale. */
  readonly span?: { from: number; to: number; message?: string };
}

export interface Evaluation {
  /** Mean cross-entropy (from the logits) over the samples. */
  readonly loss: number;
  /** Fraction of samples whose highest-scoring class is the label. */
  readonly accuracy: number;
  readonly samples: number;
}

/**
 * Mean cross-entropy and accuracy of a classifier over one pass of the data, batched. Takes a
 * Graph (an executor is made and disposed) or an Executor to reuse.
 */
export async function evaluate(model: Graph | Executor, data: BatchSource, opts: EvaluateOptions = {}, ctx?: WorkContext): Promise<Evaluation> {
  const ex = model instanceof Executor ? model : new Executor(model);
  const g = ex.graph;
  try {
    const head = classifierHead(g);
    const hook = logitsHook(head);
    let loss = 0;
    let correct = 0;
    const samples = await forEachBatch(g, data, opts.batchSize ?? DEFAULT_BATCH, ctx, async ({ x, y }) => {
      if (!y) throw new UserError(`${g.file}: the dataset has no labels; the loss and accuracy need them.`, g.file);
      await checkLabels(y, head.classes, g.file);
      const r = tf.tidy(() => {
        const logits = ex.predict(x, { params: opts.params, hook });
        return batchLossAndCorrect(logits, y, head.classes, g.file);
      });
      const [l, c] = await Promise.all([r.loss.data(), r.correct.data()]);
      tf.dispose([r.loss, r.correct]);
      loss += l[0];
      correct += c[0];
    }, opts.span);
    return { loss: loss / samples, accuracy: correct / samples, samples };
  } finally {
    if (ex !== model) ex.dispose();
  }
}
