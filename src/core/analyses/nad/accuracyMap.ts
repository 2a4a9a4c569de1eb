import { createHash } from 'node:crypto';
import { UserError } from '../../errors';
import { Graph, sizeOf } from '../../graph/ir';
import { deriveSeed, InitScheme, initialValues, resolveScheme, Rng } from '../../init';
import { throwIfCancelled, WorkContext } from '../../progress';
import { withParams } from '../connectivity/interpolate';
import { classifierHead, evaluate } from '../connectivity/evaluate';
import { memorySource, train } from '../train';
import { Direction, directionalData, directionKey, directionVector } from './directions';
import { ImageGeometry, imageGeometry } from './image';
import { withClasses } from './head';
import { ResultStore } from './store';

/**
 * Settings of one directional training. Defaults are the reference's (directional_bias.py and
 * utils.train): 10,000 training samples, a test set of the same size (the reference passes
 * num_train for its test set too), ε = 1, σ = 3, SGD without momentum or weight decay, lr 0.5
 * decayed linearly to 0 over all steps, batch 128, 20 epochs, gradient norm clipped to 0.5,
 * training mode, reshuffled every epoch.
 */
export interface DirectionalTrainingOptions {
  readonly samples?: number;
  readonly testSamples?: number;
  readonly epsilon?: number;
  readonly sigma?: number;
  readonly epochs?: number;
  readonly batchSize?: number;
  readonly lr?: number;
  readonly momentum?: number;
  readonly clipNorm?: number;
  /** Initialiser; 'auto' (default) follows the model's framework. */
  readonly scheme?: InitScheme | 'auto';
  readonly seed?: number;
  /** Reads a flat input as this [H, W, C] image. */
  readonly imageShape?: readonly [number, number, number];
}

export interface DirectionResult {
  /** The cache key: direction and every setting that changes the outcome. */
  readonly key: string;
  readonly directionKey: string;
  readonly testAccuracy: number;
  readonly testLoss: number;
  /** Over the last epoch's batches, as the reference prints it. */
  readonly trainAccuracy: number;
  readonly trainLoss: number;
  readonly steps: number;
  /** Wall time of the training and test, ms. */
  readonly ms: number;
}

/** A direction's result as a sweep reports it. */
export interface DirectionOutcome extends DirectionResult {
  readonly direction: Direction;
  /** True when it came from the store, not a training. */
  readonly cached: boolean;
}

export interface AccuracyMapOptions extends DirectionalTrainingOptions {
  readonly directions: readonly Direction[];
  /** Where results are kept between runs (resume after cancel); none: nothing is kept. */
  readonly store?: ResultStore<DirectionResult>;
  /** Called for every direction as soon as its result is known (cached ones too). */
  readonly onResult?: (r: DirectionOutcome) => void | Promise<void>;
}

interface Settings {
  readonly samples: number;
  readonly testSamples: number;
  readonly epsilon: number;
  readonly sigma: number;
  readonly epochs: number;
  readonly batchSize: number;
  readonly lr: number;
  readonly momentum: number;
  readonly clipNorm: number;
  readonly scheme: InitScheme;
  readonly seed: number;
}

function settings(graph: Graph, o: DirectionalTrainingOptions): Settings {
  const s: Settings = {
    samples: o.samples ?? 10000,
    testSamples: o.testSamples ?? o.samples ?? 10000,
    epsilon: o.epsilon ?? 1,
    sigma: o.sigma ?? 3,
    epochs: o.epochs ?? 20,
    batchSize: o.batchSize ?? 128,
    lr: o.lr ?? 0.5,
    momentum: o.momentum ?? 0,
    clipNorm: o.clipNorm ?? 0.5,
    scheme: resolveScheme(graph, o.scheme),
    seed: o.seed ?? 0,
  };
  if (!Number.isInteger(s.samples) || s.samples < 2) throw new UserError(`The directional training set needs at least 2 samples, got ${s.samples}.`);
  if (!Number.isInteger(s.testSamples) || s.testSamples < 1) throw new UserError(`The directional test set needs at least 1 sample, got ${s.testSamples}.`);
  if (!(s.sigma >= 0) || !Number.isFinite(s.epsilon)) throw new UserError('ε must be a number and σ a non-negative number.');
  return s;
}

/** A hash of what a graph computes (ops, wiring, shapes, parameter shapes), not of its weights. */
export function architectureHash(graph: Graph): string {
  const h = createHash('sha256');
  for (const n of graph.nodes) {
    const params = Object.entries(n.params).map(([slot, key]) => [slot, key ? graph.params.get(key)?.shape : undefined]);
    h.update(JSON.stringify([n.id, n.op, n.inputs, n.shape, params, n.constantFirst ?? false]));
  }
  h.update(JSON.stringify(graph.outputs.map((o) => o.node)));
  return h.digest('hex').slice(0, 16);
}

function settingsHash(graph: Graph, geometry: ImageGeometry, s: Settings): string {
  return createHash('sha256').update(JSON.stringify([architectureHash(graph), geometry.h, geometry.w, geometry.c, geometry.layout, s])).digest('hex').slice(0, 16);
}

/** Stable 32-bit number of a string, to derive per-direction seeds. */
function seedOf(text: string): number {
  return createHash('sha256').update(text).digest().readUInt32LE(0);
}

/**
 * Trains the architecture from scratch on the separable set along one direction and measures
 * its test accuracy. The model gets a two-class head: its final dense layer cut to two outputs
 * (exactly the reference's num_classes = 2 network); a model whose last layer is not dense keeps
 * its outputs and learns classes 0 and 1 of them.
 */
export async function directionalAccuracy(graph: Graph, direction: Direction, opts: DirectionalTrainingOptions = {}, ctx?: WorkContext, span?: { from: number; to: number }): Promise<DirectionResult> {
  const geometry = imageGeometry(graph, opts.imageShape);
  const s = settings(graph, opts);
  return trainOne(graph, geometry, s, direction, `${directionKey(direction, geometry)}@${settingsHash(graph, geometry, s)}`, ctx, span);
}

async function trainOne(graph: Graph, geometry: ImageGeometry, s: Settings, direction: Direction, key: string, ctx: WorkContext | undefined, span?: { from: number; to: number }): Promise<DirectionResult> {
  const t0 = performance.now();
  const dk = directionKey(direction, geometry);
  const net = withClasses(graph, 2) ?? graph;
  // Validates the head now rather than after the data is built.
  classifierHead(net);
  const v = directionVector(direction, geometry);
  const base = deriveSeed(s.seed, seedOf(dk));
  const trainSet = directionalData(v, s.samples, new Rng(deriveSeed(base, 1)), s);
  const testSet = directionalData(v, s.testSamples, new Rng(deriveSeed(base, 2)), s);
  const shape = geometry.sampleShape;
  if (sizeOf(shape) !== v.length) throw new Error('direction and input sizes differ');
  const initial = initialValues(net, { scheme: s.scheme, seed: deriveSeed(base, 3) });
  const r = await train(
    net,
    memorySource(trainSet.x, trainSet.y, shape, { shuffleSeed: deriveSeed(base, 4) }),
    { optimizer: 'sgd', lr: s.lr, schedule: 'linear', momentum: s.momentum, clipNorm: s.clipNorm, batchSize: s.batchSize, epochs: s.epochs, training: true, initial, span: span ? { ...span, message: dk } : undefined },
    ctx,
  );
  const test = await evaluate(withParams(net, r.values), memorySource(testSet.x, testSet.y, shape), { batchSize: 500 }, { cancelled: ctx?.cancelled });
  return {
    key,
    directionKey: dk,
    testAccuracy: test.accuracy,
    testLoss: test.loss,
    trainAccuracy: r.lastEpoch.accuracy,
    trainLoss: r.lastEpoch.loss,
    steps: r.steps,
    ms: performance.now() - t0,
  };
}

/**
 * The directional accuracy map (METHODS §4): for every direction, a fresh network trained on the
 * separable set along it, and its test accuracy. Results go to the store as each finishes and
 * stream through onResult; directions already in the store are not trained again, so a cancelled
 * sweep resumes where it stopped. Directions equal up to sign are trained once.
 */
export async function accuracyMap(graph: Graph, opts: AccuracyMapOptions, ctx?: WorkContext): Promise<DirectionOutcome[]> {
  const geometry = imageGeometry(graph, opts.imageShape);
  const s = settings(graph, opts);
  const suffix = settingsHash(graph, geometry, s);
  const out: DirectionOutcome[] = [];
  const done = new Map<string, DirectionResult>();
  const total = opts.directions.length;
  for (let i = 0; i < total; i++) {
    throwIfCancelled(ctx);
    const direction = opts.directions[i];
    const key = `${directionKey(direction, geometry)}@${suffix}`;
    // `cached`: read back from the store (a resumed sweep); a direction equal up to sign to one
    // of this sweep reuses that result without counting as cached.
    const mirror = done.get(key);
    const stored = mirror ? undefined : await opts.store?.get(key);
    const cached = stored !== undefined;
    let result = mirror ?? stored;
    if (!result) {
      result = await trainOne(graph, geometry, s, direction, key, ctx, { from: i / total, to: (i + 1) / total });
      await opts.store?.set(key, result);
    }
    done.set(key, result);
    const outcome: DirectionOutcome = { ...result, direction, cached };
    out.push(outcome);
    ctx?.progress?.((i + 1) / total, `${i + 1}/${total} directions`);
    await opts.onResult?.(outcome);
  }
  return out;
}
