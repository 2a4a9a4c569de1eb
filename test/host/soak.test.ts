/**
 * Soak (issue 8, item 4): 200 analyses in a row through one compute host (dist/host.js over IPC,
 * as the extension runs it): the linear interpreter on the example CNN, a short LMC and a
 * describe, in turn. The host's memory is sampled every few runs; tensors must stay exactly flat
 * and the resident size must level off. The curve goes to a CSV file and a summary to stdout.
 * Run: node --import tsx --test test/host/soak.test.ts
 * Knobs: LINEAR_LENS_SOAK_RUNS (default 200), LINEAR_LENS_SOAK_EVERY (sample period, default 5),
 * LINEAR_LENS_SOAK_CSV (default .test-artifacts/soak/soak.csv).
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { HostClient } from '../../src/host/client/hostClient';
import type { JobMethodName } from '../../src/protocol/methods';
import { ensureBuilt, HOST, ROOT } from '../support/build';
import { byName, SCRATCH } from './analyses';

const RUNS = Number(process.env.LINEAR_LENS_SOAK_RUNS ?? 200);
const EVERY = Number(process.env.LINEAR_LENS_SOAK_EVERY ?? 5);
const CSV = process.env.LINEAR_LENS_SOAK_CSV ?? path.join(ROOT, '.test-artifacts', 'soak', 'soak.csv');
/**
 * Allowed growth of the resident size from the second quarter of the runs to the last, in MiB.
 * The first quarter is warm-up (wasm memory grows to its high-water mark once and never shrinks,
 * kernels and the dataset reader's buffers are allocated). Past it, 32 MiB over ~100 runs is
 * what a leak of ~300 KiB per run (a dataset batch, a result's arrays) would show, while the V8
 * heap's own sawtooth between collections stays well under it.
 */
const RSS_GROWTH_LIMIT_MIB = 32;
const MIX = ['interpret', 'lmc', 'describe'].map(byName);
const MIB = 1024 * 1024;

interface Sample {
  readonly run: number;
  readonly rss: number;
  readonly heapUsed: number;
  readonly arrayBuffers: number;
  readonly wasmHeap: number;
  readonly tfTensors: number;
  readonly tfBytes: number;
  readonly seconds: number;
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

let client: HostClient;

before(() => {
  ensureBuilt();
  const env = { ...process.env };
  delete env.LINEAR_LENS_TFJS_NODE;
  delete env.LINEAR_LENS_BACKEND;
  client = new HostClient({ hostScript: HOST, execPath: process.execPath, backend: 'wasm', env, log: () => undefined });
});

after(async () => {
  await client.dispose();
  fs.rmSync(SCRATCH, { recursive: true, force: true });
});

test(`soak: ${RUNS} analyses through one host, tensors flat and resident memory levelling off`, { timeout: 30 * 60_000 }, async () => {
  assert.ok(Number.isInteger(RUNS) && RUNS >= 8 && Number.isInteger(EVERY) && EVERY >= 1, 'LINEAR_LENS_SOAK_RUNS >= 8, LINEAR_LENS_SOAK_EVERY >= 1');
  const pid = (await client.info()).pid;
  const t0 = Date.now();
  const samples: Sample[] = [];
  const sample = async (run: number): Promise<void> => {
    const m = (await client.info()).memory;
    samples.push({ run, rss: m.rss, heapUsed: m.heapUsed, arrayBuffers: m.arrayBuffers ?? 0, wasmHeap: m.wasmHeap ?? 0, tfTensors: m.tfTensors, tfBytes: m.tfBytes, seconds: (Date.now() - t0) / 1000 });
  };
  await sample(0);
  for (let run = 1; run <= RUNS; run++) {
    const c = MIX[(run - 1) % MIX.length];
    const r = await client.run(c.method as JobMethodName, c.short() as never);
    c.check(r as never);
    if (run % EVERY === 0 || run === RUNS) await sample(run);
  }
  assert.equal((await client.info()).pid, pid, 'one host process served every run');

  fs.mkdirSync(path.dirname(CSV), { recursive: true });
  fs.writeFileSync(CSV, ['run,seconds,rss_mib,heap_used_mib,array_buffers_mib,wasm_heap_mib,tf_tensors,tf_bytes', ...samples.map((s) => [s.run, s.seconds.toFixed(1), (s.rss / MIB).toFixed(1), (s.heapUsed / MIB).toFixed(1), (s.arrayBuffers / MIB).toFixed(1), (s.wasmHeap / MIB).toFixed(1), s.tfTensors, s.tfBytes].join(','))].join('\n') + '\n');

  const quarter = (q: number): Sample[] => samples.filter((s) => s.run > (RUNS * q) / 4 && s.run <= (RUNS * (q + 1)) / 4);
  const rssQ = [0, 1, 2, 3].map((q) => median(quarter(q).map((s) => s.rss)) / MIB);
  const rows = samples.filter((s) => s.run % 25 === 0 || s.run === RUNS).map((s) => `#   run ${String(s.run).padStart(4)}: rss ${(s.rss / MIB).toFixed(1)} MiB, heap ${(s.heapUsed / MIB).toFixed(1)} MiB, array buffers ${(s.arrayBuffers / MIB).toFixed(1)} MiB, wasm ${(s.wasmHeap / MIB).toFixed(1)} MiB, ${s.tfTensors} tensors (${s.tfBytes} bytes), ${s.seconds.toFixed(0)} s`);
  process.stdout.write(`# soak: ${RUNS} runs in ${((Date.now() - t0) / 1000).toFixed(0)} s; rss median per quarter ${rssQ.map((x) => x.toFixed(1)).join(' / ')} MiB; curve in ${path.relative(ROOT, CSV)}\n${rows.join('\n')}\n`);

  // Tensors: exactly where they started, at every sample, not only at the end.
  const tensors = new Set(samples.map((s) => s.tfTensors));
  assert.deepEqual([...tensors], [samples[0].tfTensors], `tensor counts seen: ${[...tensors].join(', ')}`);
  assert.deepEqual([...new Set(samples.map((s) => s.tfBytes))], [samples[0].tfBytes]);
  // Resident memory: the last quarter's median within the limit of the second quarter's.
  const growth = rssQ[3] - rssQ[1];
  assert.ok(growth < RSS_GROWTH_LIMIT_MIB, `rss grew ${growth.toFixed(1)} MiB from the second quarter to the last (limit ${RSS_GROWTH_LIMIT_MIB} MiB)`);
});
