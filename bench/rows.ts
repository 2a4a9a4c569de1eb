/**
 * Our side of every benchmark, through the public core APIs (loadModel, openForModel, Executor,
 * lmc, weightMatching, interpret, computeNads), so that whatever makes those faster (a worker
 * pool, better kernels) shows here without changing the bench. Each function runs in its own
 * child process (bench/main.ts), so its peak RSS is its own.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { lmc, LmcResult, weightMatching, WeightMatchingResult } from '../src/core/analyses/connectivity';
import { batchSource } from '../src/core/analyses/connectivity/data';
import { interpret, InterpretResult } from '../src/core/analyses/interpreter';
import { computeNads, NadResult } from '../src/core/analyses/nad';
import { openForModel } from '../src/core/data/forModel';
import { loadModel } from '../src/core/formats';
import { Executor } from '../src/core/graph/executor';
import { deriveSeed, initPlan, samplePlan } from '../src/core/init';
import { memoryNow, OursResult, tensorPeak, time } from './harness';
import { benchInterpreter } from './interpreter';
import { EXAMPLES, lenet } from './models';
import { formatProfile, profileKernels } from './profile';
import { linearAssignment } from '../src/core/linalg/lap';
import { mulberry32 } from '../src/core/random';

export interface RowOptions {
  readonly quick: boolean;
  /** Folder for what the peers check against (our logits, curves, rows, ...). */
  readonly tmp: string;
  readonly profile: boolean;
  /** NAD networks (default 1,000; --quick 100). */
  readonly nadNetworks?: number;
  /** lmc-memory: the dataset and the number of α points. */
  readonly data?: string;
  readonly points?: number;
}

function writeF32(file: string, data: Float32Array): string {
  fs.writeFileSync(file, Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  return file;
}

async function withProfile(o: RowOptions, work: () => Promise<void>): Promise<string[] | undefined> {
  return o.profile ? formatProfile(await profileKernels(work)) : undefined;
}

/** (a) Forward throughput of cnn-seed1 on a batch of 256 test images. */
export async function forward(o: RowOptions): Promise<OursResult> {
  const batchSize = 256;
  const g = await loadModel(EXAMPLES.cnn1);
  const ds = await openForModel(g, { path: EXAMPLES.test });
  let x: tf.Tensor | undefined;
  for await (const b of ds.batches(batchSize)) {
    x = b.x;
    b.y?.dispose();
    break;
  }
  ds.close();
  const ex = new Executor(g);
  const logits = ex.predict(x!);
  const check = writeF32(path.join(o.tmp, 'forward-logits.f32'), (await logits.data()) as Float32Array);
  logits.dispose();
  const work = async () => {
    const y = ex.predict(x!);
    await y.data();
    y.dispose();
  };
  const peak = await tensorPeak(work);
  const ms = await time(work, o.quick ? 10 : 30, 3);
  const profile = await withProfile(o, async () => {
    for (let i = 0; i < 10; i++) await work();
  });
  ex.dispose();
  x!.dispose();
  return {
    ms,
    memory: memoryNow(peak),
    extra: { imagesPerSecond: Math.round((batchSize * 1000) / ms.median) },
    peerArgs: { model: path.dirname(EXAMPLES.cnn1), images: EXAMPLES.test, batch: batchSize, repeats: o.quick ? 10 : 30, check },
    ...(profile ? { profile } : {}),
  };
}

/** (b) A 25-point LMC curve, cnn-seed1 → cnn-seed2, on the 2,000 test samples, batches of 256. */
export async function lmcCurve(o: RowOptions): Promise<OursResult> {
  const [a, b] = [await loadModel(EXAMPLES.cnn1), await loadModel(EXAMPLES.cnn2)];
  const ds = await openForModel(a, { path: EXAMPLES.test });
  const data = batchSource(ds);
  let last: LmcResult | undefined;
  const work = async () => {
    last = await lmc(a, b, data, { points: 25, batchSize: 256 });
  };
  const peak = await tensorPeak(work);
  const ms = await time(work, o.quick ? 1 : 3, 0);
  const profile = await withProfile(o, work);
  ds.close();
  const check = path.join(o.tmp, 'lmc-points.json');
  fs.writeFileSync(check, JSON.stringify(last!.points));
  return {
    ms,
    memory: memoryNow(peak),
    extra: { samples: ds.size, points: last!.points.length, lossBarrier: +last!.barriers.loss.toFixed(4), accuracyBarrier: +last!.barriers.accuracy.toFixed(4) },
    notes: last!.notes,
    peerArgs: { a: path.dirname(EXAMPLES.cnn1), b: path.dirname(EXAMPLES.cnn2), images: EXAMPLES.test, batch: 256, repeats: o.quick ? 1 : 3, check },
    ...(profile ? { profile } : {}),
  };
}

/** (c) Weight matching of mlp-seed1 onto mlp-seed2 (B = seed1 permuted to match A = seed2). */
/**
 * The linear assignment solver alone: a seeded uniform-random 1024×1024 cost matrix, maximised
 * (issue 5: "1024×1024 in well under a second"). The peer is scipy's linear_sum_assignment on the
 * same matrix; both totals must agree.
 */
export async function lapRow(o: RowOptions): Promise<OursResult> {
  const n = 1024;
  const rnd = mulberry32(1024);
  const cost = new Float64Array(n * n).map(() => rnd());
  let total = 0;
  const work = () => {
    const a = linearAssignment(cost, n, { maximize: true });
    total = 0;
    for (let i = 0; i < n; i++) total += cost[i * n + a.rowToCol[i]];
  };
  const ms = await time(work, o.quick ? 3 : 7);
  const file = path.join(o.tmp, 'lap-cost.f64');
  fs.writeFileSync(file, Buffer.from(cost.buffer));
  return { ms, memory: memoryNow(0), extra: { n, total: +total.toFixed(6) }, peerArgs: { cost: file, n, total, repeats: o.quick ? 3 : 7 } };
}

export async function weightMatchingRow(o: RowOptions): Promise<OursResult> {
  const a = await loadModel(EXAMPLES.mlp2);
  const b = await loadModel(EXAMPLES.mlp1);
  let last: WeightMatchingResult | undefined;
  const work = async () => {
    last = await weightMatching(a, b, { seed: 0, maxSweeps: 100 });
  };
  const peak = await tensorPeak(work);
  const ms = await time(work, o.quick ? 3 : 7);
  const profile = await withProfile(o, work);
  const r = last!;
  // The sweep order we used, so the peer sweeps in the same order and must find the same perms.
  const order: string[][] = [];
  for (const s of r.steps) (order[s.sweep] ??= []).push(s.perm);
  const check = path.join(o.tmp, 'wm.json');
  fs.writeFileSync(check, JSON.stringify({ perms: Object.fromEntries([...r.perms].map(([k, v]) => [k, [...v]])), objective: r.objective[r.objective.length - 1] }));
  return {
    ms,
    memory: memoryNow(peak),
    extra: { sweeps: r.sweeps, converged: r.converged, objective: +r.objective[r.objective.length - 1].toFixed(3), msPerSweep: +(ms.median / r.sweeps).toFixed(2) },
    peerArgs: { a: path.dirname(EXAMPLES.mlp2), b: path.dirname(EXAMPLES.mlp1), order, maxSweeps: 100, repeats: o.quick ? 3 : 7, check },
    ...(profile ? { profile } : {}),
  };
}

/** (d) All 10 rows of A (10×784) and b of cnn-seed1 at test image 0, through interpret(). */
export async function interpreterRows(o: RowOptions): Promise<OursResult> {
  const g = await loadModel(EXAMPLES.cnn1);
  const ds = await openForModel(g, { path: EXAMPLES.test });
  const { x: image } = await ds.sample(0);
  ds.close();
  // At a max-pool tie (the images' flat black background gives many) the Jacobian is not unique:
  // PyTorch routes the gradient to the first maximum, we split it among the tied ones. Both are
  // exact (A·x0 + b = F(x0)); a ±1e-3 nudge puts x0 in general position so the peer can check A.
  const x0 = image.map((v, j) => v + 1e-3 * Math.sin(1.7 * j + 0.3));
  let last: InterpretResult | undefined;
  const work = async () => {
    last = await interpret(g, x0, { rows: 'all' });
  };
  const peak = await tensorPeak(work);
  const ms = await time(work, o.quick ? 5 : 20, 2);
  const profile = await withProfile(o, async () => {
    for (let i = 0; i < 5; i++) await work();
  });
  const r = last!;
  const a = new Float32Array(r.rows.length * x0.length);
  r.rows.forEach((row, i) => a.set(row.values, i * x0.length));
  return {
    ms,
    memory: memoryNow(peak),
    extra: { residual: r.residual },
    peerArgs: {
      model: path.dirname(EXAMPLES.cnn1),
      images: EXAMPLES.test,
      index: 0,
      x0: writeF32(path.join(o.tmp, 'interp-x0.f32'), x0),
      repeats: o.quick ? 5 : 20,
      rows: writeF32(path.join(o.tmp, 'interp-rows.f32'), a),
      bias: writeF32(path.join(o.tmp, 'interp-bias.f32'), r.bias),
    },
    ...(profile ? { profile } : {}),
  };
}

/** The existing internal row: interpreter rows vs one forward+backward pass of a CIFAR-size CNN. */
export async function interpreterFb(o: RowOptions): Promise<OursResult> {
  const r = await benchInterpreter(o.quick ? 3 : 7);
  return r;
}

/** (e) NADs of a LeNet (PyTorch init) with N networks: finite differences (s = 100) at x0, then PCA. */
export async function nads(o: RowOptions): Promise<OursResult> {
  const n = o.nadNetworks ?? (o.quick ? 100 : 1000);
  const g = lenet();
  const seed = 0;
  await computeNads(g, { networks: 2, seed, components: 8 }); // warm-up
  const t0 = performance.now();
  const r: NadResult = await computeNads(g, { networks: n, seed, keepGradients: true });
  const total = performance.now() - t0;
  const peak = await tensorPeak(async () => {
    await computeNads(g, { networks: 2, seed, components: 8 });
  });
  const profile = await withProfile(o, async () => {
    await computeNads(g, { networks: 20, seed });
  });
  // Network 0 exactly as finiteDifferenceGradients draws it, for the peer's exactness check.
  const params = samplePlan(g, initPlan(g, r.scheme), deriveSeed(seed, 0));
  const files: Record<string, { shape: number[]; file: string }> = {};
  for (const [key, v] of params) files[key] = { shape: [...g.params.get(key)!.shape], file: writeF32(path.join(o.tmp, `nad-${key}.f32`), v) };
  const d = r.x0.length;
  return {
    ms: { median: total, min: total, runs: 1 },
    memory: memoryNow(peak),
    extra: {
      networks: n,
      perNetworkMs: +(r.timings.gradientsMs / n).toFixed(2),
      gradientsMs: Math.round(r.timings.gradientsMs),
      pcaMs: Math.round(r.timings.pcaMs),
      pcaMethod: r.method,
      nad0DcShare: +r.nads[0].energy.dc.toFixed(3),
    },
    peerArgs: {
      networks: n,
      step: r.step,
      x0: writeF32(path.join(o.tmp, 'nad-x0.f32'), r.x0),
      params: files,
      grad0: writeF32(path.join(o.tmp, 'nad-grad0.f32'), r.gradients!.slice(0, d)),
    },
    notes: ['one timed run after a warm-up with 2 networks; the tensor peak is from a 2-network run'],
    ...(profile ? { profile: ['(20 networks)', ...profile] } : {}),
  };
}

/** Item 2: one LMC curve on `o.data` (the whole file), run once; for the peak RSS per dataset size. */
export async function lmcMemory(o: RowOptions): Promise<OursResult> {
  const [a, b] = [await loadModel(EXAMPLES.cnn1), await loadModel(EXAMPLES.cnn2)];
  const ds = await openForModel(a, { path: o.data! });
  const afterOpen = memoryNow();
  const t0 = performance.now();
  // BENCH_LMC_WORKERS: a worker count that always starts the pool (for comparing like with like).
  const workers = process.env.BENCH_LMC_WORKERS ? Number(process.env.BENCH_LMC_WORKERS) : undefined;
  const r = await lmc(a, b, batchSource(ds), { points: o.points ?? 5, batchSize: 256, ...(workers ? { workers } : {}) });
  const ms = performance.now() - t0;
  ds.close();
  return {
    ms: { median: ms, min: ms, runs: 1 },
    memory: memoryNow(),
    extra: { samples: ds.size, points: r.points.length, maxRssAfterOpenMB: +afterOpen.maxRssMB.toFixed(1), lossBarrier: +r.barriers.loss.toFixed(4) },
    notes: r.notes,
  };
}

export const ROWS: Record<string, (o: RowOptions) => Promise<OursResult>> = {
  forward,
  lmc: lmcCurve,
  'weight-matching': weightMatchingRow,
  lap: lapRow,
  interpreter: interpreterRows,
  'interpreter-fb': interpreterFb,
  nad: nads,
  'lmc-memory': lmcMemory,
};
