import * as tf from '@tensorflow/tfjs-core';

/**
 * Where the time goes (`npm run bench -- --profile`): wall time per kernel name, split into the
 * forward and the backward part of tf.grad. The wasm and cpu kernels run synchronously inside
 * runKernel, so the wall time of each call is the kernel's own time (on an async GPU backend it
 * would only be the launch). Nested runKernel calls (composite kernels) count once, at the top.
 */
export interface KernelProfile {
  readonly totalMs: number;
  readonly kernels: { name: string; phase: 'forward' | 'backward' | 'other'; calls: number; ms: number }[];
}

interface EngineLike {
  runKernel: (name: string, inputs: unknown, attrs: unknown) => unknown;
  gradients: (...args: unknown[]) => unknown;
  tidy: (nameOrFn: unknown, fn?: unknown) => unknown;
}

/** Runs `f` with every kernel call timed; returns the profile. */
export async function profileKernels(f: () => Promise<void>): Promise<KernelProfile> {
  const engine = tf.engine() as unknown as EngineLike;
  const orig = { runKernel: engine.runKernel, gradients: engine.gradients, tidy: engine.tidy };
  const acc = new Map<string, { name: string; phase: 'forward' | 'backward' | 'other'; calls: number; ms: number }>();
  let depth = 0;
  let inGrad = 0;
  let inForward = 0;
  engine.runKernel = function (this: unknown, name: string, inputs: unknown, attrs: unknown) {
    if (depth > 0) return orig.runKernel.call(this, name, inputs, attrs);
    depth++;
    const t0 = performance.now();
    try {
      return orig.runKernel.call(this, name, inputs, attrs);
    } finally {
      const ms = performance.now() - t0;
      depth--;
      const phase = inGrad === 0 ? 'other' : inForward > 0 ? 'forward' : 'backward';
      const key = `${phase}:${name}`;
      const e = acc.get(key) ?? { name, phase, calls: 0, ms: 0 };
      e.calls++;
      e.ms += ms;
      acc.set(key, e);
    }
  };
  engine.gradients = function (this: unknown, ...args: unknown[]) {
    inGrad++;
    try {
      return orig.gradients.apply(this, args);
    } finally {
      inGrad--;
    }
  };
  // Engine.gradients runs the forward function inside tidy('forward', f).
  engine.tidy = function (this: unknown, nameOrFn: unknown, fn?: unknown) {
    const fwd = nameOrFn === 'forward' && inGrad > 0;
    if (fwd) inForward++;
    try {
      return orig.tidy.call(this, nameOrFn, fn);
    } finally {
      if (fwd) inForward--;
    }
  };
  const t0 = performance.now();
  try {
    await f();
  } finally {
    Object.assign(engine, orig);
  }
  const totalMs = performance.now() - t0;
  return { totalMs, kernels: [...acc.values()].sort((a, b) => b.ms - a.ms) };
}

/** The profile as lines of text: the top kernels, and the forward / backward / other totals. */
export function formatProfile(p: KernelProfile, top = 12): string[] {
  const sum = (ph: string) => p.kernels.filter((k) => k.phase === ph).reduce((s, k) => s + k.ms, 0);
  const inKernels = p.kernels.reduce((s, k) => s + k.ms, 0);
  const lines = [
    `  total ${p.totalMs.toFixed(1)} ms; in kernels ${inKernels.toFixed(1)} ms (forward of tf.grad ${sum('forward').toFixed(1)}, backward ${sum('backward').toFixed(1)}, outside tf.grad ${sum('other').toFixed(1)}); outside kernels ${(p.totalMs - inKernels).toFixed(1)} ms`,
  ];
  for (const k of p.kernels.slice(0, top)) {
    lines.push(`  ${k.phase.padEnd(8)} ${k.name.padEnd(28)} ${String(k.calls).padStart(6)} calls ${k.ms.toFixed(1).padStart(9)} ms  ${((100 * k.ms) / p.totalMs).toFixed(1).padStart(5)}%`);
  }
  return lines;
}
