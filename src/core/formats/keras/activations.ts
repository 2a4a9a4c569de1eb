import { UserError } from '../../errors';
import { OpSpec } from '../../graph/ir';
import { isObject } from './json';

/** What an activation becomes: IR ops applied in a chain, or x * hardSigmoid(x) (hard swish). */
export type ActivationPlan =
  | { readonly kind: 'none' }
  | { readonly kind: 'op'; readonly name: string; readonly op: OpSpec }
  | { readonly kind: 'hardSwish'; readonly name: string; readonly op: OpSpec };

/** The activation's name from a config value: a string, or Keras 3's serialized function object. */
export function activationName(v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v;
  if (isObject(v)) {
    if (typeof v.config === 'string') return v.config;
    if (isObject(v.config) && typeof v.config.name === 'string') return v.config.name;
    if (typeof v.class_name === 'string') return v.class_name;
  }
  return JSON.stringify(v);
}

/**
 * Maps a Keras / TF.js activation name to IR ops. `kerasMajor` matters for hard_sigmoid, whose
 * slope Keras 3 changed from 0.2 to 1/6.
 */
export function planActivation(file: string, layer: string, value: unknown, kerasMajor: number): ActivationPlan {
  const raw = activationName(value);
  if (raw === undefined) return { kind: 'none' };
  const name = raw.replace(/^keras\.activations\./, '');
  const hard: OpSpec = kerasMajor >= 3 ? { op: 'hardSigmoid', alpha: 1 / 6, beta: 0.5 } : { op: 'hardSigmoid', alpha: 0.2, beta: 0.5 };
  const op = (o: OpSpec): ActivationPlan => ({ kind: 'op', name, op: o });
  switch (name.toLowerCase()) {
    case 'linear':
    case 'none':
      return { kind: 'none' };
    case 'relu':
      return op({ op: 'relu' });
    case 'relu6':
      return op({ op: 'clip', min: 0, max: 6 });
    case 'sigmoid':
      return op({ op: 'sigmoid' });
    case 'tanh':
      return op({ op: 'tanh' });
    case 'softmax':
      return op({ op: 'softmax', axis: -1 });
    case 'elu':
      return op({ op: 'elu', alpha: 1 });
    case 'selu':
      return op({ op: 'selu' });
    case 'gelu':
      return op({ op: 'gelu', approximate: false });
    case 'gelu_new':
      return op({ op: 'gelu', approximate: true });
    case 'silu':
    case 'swish':
      return op({ op: 'silu' });
    case 'softplus':
      return op({ op: 'softplus' });
    case 'softsign':
      return op({ op: 'softsign' });
    case 'hard_sigmoid':
    case 'hardsigmoid':
      return op(hard);
    case 'hard_silu':
    case 'hard_swish':
      return { kind: 'hardSwish', name, op: { op: 'hardSigmoid', alpha: 1 / 6, beta: 0.5 } };
    case 'leaky_relu':
      return op({ op: 'leakyRelu', alpha: 0.2 });
    default:
      throw new UserError(
        `${file}: layer "${layer}" uses the activation "${raw}", which Linear Lens does not support (supported: linear, relu, relu6, sigmoid, tanh, softmax, elu, selu, gelu, silu/swish, softplus, softsign, hard_sigmoid, hard_silu, leaky_relu).`,
        file,
      );
  }
}
