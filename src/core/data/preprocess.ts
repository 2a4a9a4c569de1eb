import * as tf from '@tensorflow/tfjs-core';
import { UserError } from '../errors';
import type { Preprocess, SourceLayout } from './types';

/** What preprocessing does to a batch [b, ...storedShape], worked out once at open. */
export interface PreprocessPlan {
  scale: number;
  /** Per-channel (or per-feature) statistics, already shaped to broadcast against the stored batch. */
  mean?: { values: Float32Array; shape: number[] };
  std?: { values: Float32Array; shape: number[] };
  /** Transpose of the stored batch, when the model wants the other channel order. */
  perm?: number[];
  /** Per-sample shape after preprocessing. */
  outShape: number[];
}

/** How stored samples of an array file ([N, ...shape]) are laid out, with [H, W] samples given a channel axis. */
export function arraySampleLayout(
  shape: readonly number[],
  override: Preprocess['dataLayout'],
): { sampleShape: number[]; layout: SourceLayout } {
  const s = [...shape];
  if (s.length === 1) return { sampleShape: s, layout: 'flat' };
  if (s.length === 2) return { sampleShape: [s[0], s[1], 1], layout: 'hwc' };
  if (s.length === 3) {
    if (override === 'nhwc') return { sampleShape: s, layout: 'hwc' };
    if (override === 'nchw') return { sampleShape: s, layout: 'chw' };
    if (s[2] <= 4) return { sampleShape: s, layout: 'hwc' };
    if (s[0] <= 4) return { sampleShape: s, layout: 'chw' };
    return { sampleShape: s, layout: 'hwc' };
  }
  return { sampleShape: s, layout: 'nd' };
}

interface Stored {
  file: string;
  path?: string;
  sampleShape: readonly number[];
  layout: SourceLayout;
  defaultScale: number;
}

/** Checks the options against the stored samples and returns the plan; every mismatch is a UserError. */
export function planPreprocess(src: Stored, p: Preprocess = {}): PreprocessPlan {
  const fail = (msg: string): never => {
    throw new UserError(`${src.file}: ${msg}`, src.path);
  };
  const shape = [...src.sampleShape];
  const scale = p.scale ?? src.defaultScale;
  if (!Number.isFinite(scale)) fail(`preprocess.scale must be a finite number, not ${p.scale}.`);

  const image = src.layout === 'hwc' || src.layout === 'chw';
  const [H, W, C] = src.layout === 'chw' ? [shape[1], shape[2], shape[0]] : [shape[0], shape[1], shape[2]];
  const channels = image ? C : src.layout === 'flat' ? shape[0] : 1;
  const stat = (name: 'mean' | 'std', v: number[] | undefined): PreprocessPlan['mean'] => {
    if (!v) return undefined;
    if (!v.every(Number.isFinite)) fail(`preprocess.${name} must hold finite numbers.`);
    if (name === 'std' && v.some((x) => x === 0)) fail('preprocess.std must not contain 0.');
    if (v.length === 1) return { values: Float32Array.from(v), shape: [] };
    if (v.length !== channels || src.layout === 'nd') {
      fail(
        `preprocess.${name} has ${v.length} values but the samples (shape [${shape.join(', ')}]) have ${image ? `${C} channels` : `${channels} features`}; give one value, or one per ${image ? 'channel' : 'feature'}.`,
      );
    }
    return { values: Float32Array.from(v), shape: src.layout === 'chw' ? [v.length, 1, 1] : [v.length] };
  };
  const mean = stat('mean', p.mean);
  const std = stat('std', p.std);
  const base = { scale, mean, std };

  const described = `[${shape.join(', ')}]${image ? ` (stored ${src.layout === 'hwc' ? 'channels-last' : 'channels-first'})` : ''}`;
  if (p.shape) {
    if (!p.shape.every((d) => d === -1 || (Number.isInteger(d) && d > 0))) {
      fail(`preprocess.shape [${p.shape.join(', ')}] must hold positive integers (or -1 for any size).`);
    }
    if (p.shape.filter((d) => d === -1).length > 1 && src.layout === 'flat' && p.shape.length > 1) {
      fail(`preprocess.shape [${p.shape.join(', ')}] has more than one -1, so flat samples cannot be reshaped to it.`);
    }
  }
  const target = p.shape;
  const mismatch = (): never =>
    fail(
      `the samples have shape ${described}, which does not fit the model input [${target?.join(', ')}]${p.layout ? ` with layout ${p.layout}` : ''}. Use data that matches the model, or set preprocess.layout / preprocess.shape.`,
    );

  if (image) {
    const options: { layout: string; out: number[]; perm?: number[] }[] = [];
    const nhwc = { layout: 'nhwc', out: [H, W, C], perm: src.layout === 'chw' ? [0, 2, 3, 1] : undefined };
    const nchw = { layout: 'nchw', out: [C, H, W], perm: src.layout === 'hwc' ? [0, 3, 1, 2] : undefined };
    const flat = { layout: 'flat', out: [H * W * C] };
    if (p.layout === 'nhwc') options.push(nhwc);
    else if (p.layout === 'nchw') options.push(nchw);
    else if (p.layout === 'flat') options.push(flat);
    else if (!target) options.push(src.layout === 'hwc' ? nhwc : nchw);
    else options.push(...(src.layout === 'hwc' ? [nhwc, nchw] : [nchw, nhwc]), flat);
    if (target && target.length === 2 && C === 1 && !p.layout) options.push({ layout: 'hw', out: [H, W] });
    const pick = target ? options.find((o) => fits(o.out, target)) : options[0];
    if (!pick) return mismatch();
    return { ...base, perm: pick.perm, outShape: pick.out };
  }

  if (src.layout === 'flat') {
    const F = shape[0];
    if (!target) {
      if (p.layout === 'nhwc' || p.layout === 'nchw') {
        fail(`the samples are flat vectors of ${F} values; to lay them out as ${p.layout} images, also give preprocess.shape (e.g. [28, 28, 1]).`);
      }
      return { ...base, outShape: [F] };
    }
    if (p.layout === 'flat' && target.length !== 1) return mismatch();
    if ((p.layout === 'nhwc' || p.layout === 'nchw') && target.length !== 3) return mismatch();
    const known = target.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
    const wild = target.indexOf(-1);
    if (wild < 0 ? known !== F : F % known !== 0) return mismatch();
    const out = target.map((d) => (d === -1 ? F / known : d));
    return { ...base, outShape: out };
  }

  // 'nd': kept as stored, or flattened.
  const total = shape.reduce((a, b) => a * b, 1);
  if (p.layout === 'nhwc' || p.layout === 'nchw') {
    fail(`the samples have shape ${described}, which is not an image, so layout ${p.layout} does not apply.`);
  }
  const options = p.layout === 'flat' ? [[total]] : target ? [shape, [total]] : [shape];
  const pick = target ? options.find((o) => fits(o, target)) : options[0];
  if (!pick) return mismatch();
  return { ...base, outShape: pick };
}

/** Applies the plan to a stored batch [b, ...storedShape]; call inside tf.tidy. */
export function applyPreprocess(x: tf.Tensor, plan: PreprocessPlan): tf.Tensor {
  let y = x;
  if (plan.scale !== 1) y = tf.mul(y, tf.scalar(plan.scale));
  if (plan.mean) y = tf.sub(y, tf.tensor(plan.mean.values, plan.mean.shape));
  if (plan.std) y = tf.div(y, tf.tensor(plan.std.values, plan.std.shape));
  if (plan.perm) y = tf.transpose(y, plan.perm);
  return tf.reshape(y, [x.shape[0], ...plan.outShape]);
}

function fits(out: readonly number[], target: readonly number[]): boolean {
  return out.length === target.length && out.every((d, i) => target[i] === -1 || target[i] === d);
}
