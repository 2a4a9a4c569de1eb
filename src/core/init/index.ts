/**
 * Framework default initialisers on IR parameters: fresh networks of a trained model's
 * architecture, for the neural anisotropy directions and the directional accuracy map
 * (METHODS §4), which are properties of an architecture at initialisation.
 */
import { UserError } from '../errors';
import { Graph, Param, ParamSlot } from '../graph/ir';
import { FanConvention, kernelFans } from './fans';
import { Rng } from './random';

export type { Fans, FanConvention } from './fans';
export { kernelFans } from './fans';
export { deriveSeed, Rng } from './random';

/**
 * - 'pytorch': torch.nn.init.kaiming_uniform_(a=√5) kernels, i.e. U(±1/√fan_in), bias U(±1/√fan_in)
 *   (what nn.Linear / nn.Conv2d do in reset_parameters);
 * - 'keras': glorot-uniform kernels U(±√(6/(fan_in+fan_out))), zero bias (Dense / Conv2D defaults);
 * - 'he': N(0, 2/fan_in) kernels (kaiming_normal_, ReLU gain), zero bias;
 * - 'glorot': N(0, 2/(fan_in+fan_out)) kernels (xavier_normal_), zero bias.
 * Every scheme: normalisation scale 1 and shift 0, batch-norm running mean 0 and variance 1.
 */
export type InitScheme = 'pytorch' | 'keras' | 'he' | 'glorot';

export const INIT_SCHEMES: readonly InitScheme[] = ['pytorch', 'keras', 'he', 'glorot'];

export interface InitOptions {
  /** 'auto' (default): the scheme of the framework that made the model. */
  readonly scheme?: InitScheme | 'auto';
  readonly seed?: number;
}

/** How one parameter is drawn. */
export type InitRule =
  | { readonly key: string; readonly kind: 'uniform'; readonly bound: number }
  | { readonly key: string; readonly kind: 'normal'; readonly std: number }
  | { readonly key: string; readonly kind: 'constant'; readonly value: number };

/** The default scheme of the framework that produced `graph`: PyTorch for PyTorch (and unknown producers, as the NAD reference code is PyTorch), Keras for Keras, TF.js and TensorFlow. */
export function defaultScheme(graph: Graph): InitScheme {
  switch (graph.producer.framework) {
    case 'keras':
    case 'tfjs':
    case 'tensorflow':
      return 'keras';
    default:
      return 'pytorch';
  }
}

/** The scheme an option names, 'auto' resolved against the graph. */
export function resolveScheme(graph: Graph, scheme: InitScheme | 'auto' | undefined): InitScheme {
  if (scheme === undefined || scheme === 'auto') return defaultScheme(graph);
  if (!INIT_SCHEMES.includes(scheme)) throw new UserError(`Unknown initialisation scheme "${String(scheme)}"; use one of auto, ${INIT_SCHEMES.join(', ')}.`);
  return scheme;
}

const KAIMING_A = Math.sqrt(5);

function kernelRule(key: string, scheme: InitScheme, fanIn: number, fanOut: number): InitRule {
  switch (scheme) {
    case 'pytorch': {
      // Exactly torch.nn.init.kaiming_uniform_(w, a=√5): gain = √(2/(1+a²)), bound = √3·gain/√fan_in.
      const gain = Math.sqrt(2 / (1 + KAIMING_A * KAIMING_A));
      return { key, kind: 'uniform', bound: (Math.sqrt(3) * gain) / Math.sqrt(fanIn) };
    }
    case 'keras':
      return { key, kind: 'uniform', bound: Math.sqrt(6 / (fanIn + fanOut)) };
    case 'he':
      return { key, kind: 'normal', std: Math.sqrt(2 / fanIn) };
    case 'glorot':
      return { key, kind: 'normal', std: Math.sqrt(2 / (fanIn + fanOut)) };
  }
}

const NORM_CONSTANTS: Partial<Record<ParamSlot, number>> = { gamma: 1, beta: 0, movingMean: 0, movingVariance: 1 };

/**
 * The rule for every parameter the scheme covers, in node order (shared parameters once).
 * Parameters of other roles (constants, ...) are left out and keep their values.
 */
export function initPlan(graph: Graph, scheme: InitScheme): InitRule[] {
  // he / glorot are textbook schemes: their fans are the true ones (PyTorch's convention).
  const convention: FanConvention = scheme === 'keras' ? 'keras' : 'pytorch';
  const seen = new Set<string>();
  const rules: InitRule[] = [];
  const add = (r: InitRule) => {
    if (seen.has(r.key)) return;
    seen.add(r.key);
    rules.push(r);
  };
  for (const node of graph.nodes) {
    const p = (slot: ParamSlot): Param | undefined => {
      const key = node.params[slot];
      return key === undefined ? undefined : graph.params.get(key);
    };
    const kernel = p('kernel');
    const fans = kernel ? kernelFans(node, kernel.shape, convention) : undefined;
    if (kernel && fans && fans.fanIn > 0) {
      add(kernelRule(kernel.key, scheme, fans.fanIn, fans.fanOut));
      const bias = p('bias');
      if (bias) add(scheme === 'pytorch' ? { key: bias.key, kind: 'uniform', bound: 1 / Math.sqrt(fans.fanIn) } : { key: bias.key, kind: 'constant', value: 0 });
    }
    if (node.op.op === 'batchNorm' || node.op.op === 'layerNorm' || node.op.op === 'instanceNorm') {
      for (const [slot, value] of Object.entries(NORM_CONSTANTS) as [ParamSlot, number][]) {
        const q = p(slot);
        if (q) add({ key: q.key, kind: 'constant', value });
      }
    }
    if (node.op.op === 'prelu') {
      // nn.PReLU starts at 0.25 (as He et al. did); Keras PReLU at 0.
      const a = p('alpha');
      if (a) add({ key: a.key, kind: 'constant', value: scheme === 'pytorch' || scheme === 'he' ? 0.25 : 0 });
    }
  }
  return rules;
}

/** Draws fresh values for the parameters of a plan, in plan order from one seeded stream. */
export function samplePlan(graph: Graph, plan: readonly InitRule[], seed: number): Map<string, Float32Array> {
  const rng = new Rng(seed);
  const out = new Map<string, Float32Array>();
  for (const r of plan) {
    const n = graph.params.get(r.key)!.data.length;
    const v = new Float32Array(n);
    if (r.kind === 'uniform') rng.fillUniform(v, -r.bound, r.bound);
    else if (r.kind === 'normal') rng.fillNormal(v, r.std);
    else v.fill(r.value);
    out.set(r.key, v);
  }
  return out;
}

/** Fresh values (seeded) for every parameter the scheme covers; the others are not in the map. */
export function initialValues(graph: Graph, opts: InitOptions = {}): Map<string, Float32Array> {
  const scheme = resolveScheme(graph, opts.scheme);
  return samplePlan(graph, initPlan(graph, scheme), opts.seed ?? 0);
}

/** A copy of `graph` with freshly initialised parameters (uncovered ones keep their values). */
export function reinitialize(graph: Graph, opts: InitOptions = {}): Graph {
  const values = initialValues(graph, opts);
  const params = new Map<string, Param>();
  for (const [key, p] of graph.params) {
    const v = values.get(key);
    params.set(key, v ? { ...p, data: v } : p);
  }
  return { ...graph, params };
}
