import * as tf from '@tensorflow/tfjs-core';
import { UserError } from '../../errors';

/** Optimiser settings, with PyTorch's semantics (torch.optim.SGD / Adam, L2 weight decay added to the gradient). */
export interface OptimizerOptions {
  readonly optimizer?: 'sgd' | 'adam';
  /** SGD momentum (dampening 0); 0 for none. */
  readonly momentum?: number;
  readonly nesterov?: boolean;
  readonly beta1?: number;
  readonly beta2?: number;
  readonly epsilon?: number;
  readonly weightDecay?: number;
  /** Clips the global gradient norm to this (torch.nn.utils.clip_grad_norm_); undefined for none. */
  readonly clipNorm?: number;
}

/** Updates variables from gradients; owns its state tensors until `dispose`. */
export class Optimizer {
  private readonly state = new Map<string, tf.Tensor[]>();
  private t = 0;
  private readonly kind: 'sgd' | 'adam';

  constructor(private readonly o: OptimizerOptions) {
    this.kind = o.optimizer ?? 'sgd';
    if (this.kind !== 'sgd' && this.kind !== 'adam') throw new UserError(`Unknown optimiser "${String(o.optimizer)}"; use sgd or adam.`);
    if (o.clipNorm !== undefined && !(o.clipNorm > 0)) throw new UserError(`The gradient clipping norm must be positive, got ${o.clipNorm}.`);
  }

  /** Global L2 norm of the gradients, as a scalar tensor. */
  static globalNorm(grads: readonly tf.Tensor[]): tf.Scalar {
    return tf.tidy(() => tf.sqrt(tf.addN(grads.map((g) => tf.sum(tf.square(g))))) as tf.Scalar);
  }

  /** One step at learning rate `lr`; `grads` by variable name. Returns the gradient norm before clipping. */
  step(vars: ReadonlyMap<string, tf.Variable>, grads: ReadonlyMap<string, tf.Tensor>, lr: number): tf.Scalar {
    this.t++;
    const names = [...grads.keys()];
    const norm = Optimizer.globalNorm(names.map((n) => grads.get(n)!));
    tf.tidy(() => {
      // torch: clip_coef = max_norm / (total_norm + 1e-6), applied when below 1.
      const coef = this.o.clipNorm !== undefined ? tf.minimum(1, tf.div(this.o.clipNorm, tf.add(norm, 1e-6))) : undefined;
      for (const name of names) {
        const v = vars.get(name)!;
        let g = grads.get(name)!;
        if (coef) g = tf.mul(g, coef);
        if (this.o.weightDecay) g = tf.add(g, tf.mul(v, this.o.weightDecay));
        v.assign(tf.sub(v, tf.mul(this.direction(name, g), lr)));
      }
    });
    return norm;
  }

  private keepState(name: string, values: tf.Tensor[]): void {
    const old = this.state.get(name);
    this.state.set(name, values.map((t) => tf.keep(t)));
    if (old) tf.dispose(old);
  }

  private direction(name: string, g: tf.Tensor): tf.Tensor {
    if (this.kind === 'sgd') {
      const mu = this.o.momentum ?? 0;
      if (mu === 0) return g;
      const prev = this.state.get(name);
      const buf = prev ? tf.add(tf.mul(prev[0], mu), g) : tf.clone(g);
      this.keepState(name, [buf]);
      return this.o.nesterov ? tf.add(g, tf.mul(buf, mu)) : buf;
    }
    const b1 = this.o.beta1 ?? 0.9;
    const b2 = this.o.beta2 ?? 0.999;
    const eps = this.o.epsilon ?? 1e-8;
    const prev = this.state.get(name);
    const m = tf.add(tf.mul(prev ? prev[0] : tf.zerosLike(g), b1), tf.mul(g, 1 - b1));
    const v = tf.add(tf.mul(prev ? prev[1] : tf.zerosLike(g), b2), tf.mul(tf.square(g), 1 - b2));
    this.keepState(name, [m, v]);
    const mHat = tf.div(m, 1 - b1 ** this.t);
    const vHat = tf.div(v, 1 - b2 ** this.t);
    return tf.div(mHat, tf.add(tf.sqrt(vHat), eps));
  }

  dispose(): void {
    for (const s of this.state.values()) tf.dispose(s);
    this.state.clear();
  }
}
