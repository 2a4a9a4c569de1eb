/**
 * Runs a batch of reliability cases in this process, one after another, and reports each on
 * stdout as a line "@@LL {json}": {"start": id} before it, {"end": id, outcome, ...} after it.
 * The parent (harness.ts) watches the clock and the memory of this process, so a hang, a runaway
 * allocation or a crash of one case is observed there, never fatal to the test.
 *
 * Usage: node --max-old-space-size=N --import tsx test/reliability/runner.ts CASES.json CACHE_DIR
 */
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isUserError } from '../../src/core/errors';
import { loadModel } from '../../src/core/formats';
import { openDataset } from '../../src/core/data';
import { Executor } from '../../src/core/graph/executor';
import type { Graph } from '../../src/core/graph/ir';
import type { Case } from './lib';

/** What happened to one case inside the runner. */
export interface RunnerResult {
  readonly id: string;
  /** ok: loaded (and ran); user-error: a UserError naming the file; unnamed: a UserError that does not; crash: any other error. */
  readonly outcome: 'ok' | 'user-error' | 'unnamed' | 'crash';
  /** The forward pass or the first batch gave NaN or Inf. */
  readonly nonFinite?: boolean;
  /** A loaded model too large to run a forward pass on here (per-sample tensors above FORWARD_LIMIT). */
  readonly notRun?: boolean;
  readonly message?: string;
  readonly ms: number;
  /** Peak resident memory of this process so far, in MB. */
  readonly maxRssMb: number;
}

/** Largest per-sample tensor (elements) a forward pass is tried on. */
const FORWARD_LIMIT = 1 << 24;

function say(o: object): void {
  process.stdout.write(`@@LL ${JSON.stringify(o)}\n`);
}

async function allFinite(t: tf.Tensor): Promise<boolean> {
  const d = await t.data();
  for (let i = 0; i < d.length; i++) if (!Number.isFinite(d[i])) return false;
  return true;
}

async function forward(g: Graph): Promise<{ nonFinite: boolean; notRun: boolean }> {
  if (g.nodes.some((n) => n.shape.reduce((a, d) => a * d, 1) > FORWARD_LIMIT)) return { nonFinite: false, notRun: true };
  const ex = new Executor(g);
  const xs = g.inputs.map((p) => tf.zeros([1, ...p.shape.slice(1).map((d) => d ?? 1)]));
  try {
    const r = ex.run(xs);
    let finite = true;
    for (const o of r.outputs) {
      finite &&= await allFinite(o);
      o.dispose();
    }
    return { nonFinite: !finite, notRun: false };
  } finally {
    for (const x of xs) x.dispose();
    ex.dispose();
  }
}

async function runOne(c: Case, cacheDir: string): Promise<Omit<RunnerResult, 'ms' | 'maxRssMb' | 'id'>> {
  try {
    if (c.kind === 'model') {
      const g = await loadModel(c.file);
      return { outcome: 'ok', ...(await forward(g)) };
    }
    const ds = await openDataset({ path: c.file, cacheDir });
    let nonFinite = false;
    try {
      for await (const b of ds.batches(16)) {
        nonFinite = !(await allFinite(b.x));
        b.x.dispose();
        b.y?.dispose();
        break;
      }
      if (ds.fileSize > 0) {
        const s = await ds.sample(ds.fileSize - 1);
        if (!s.x.every(Number.isFinite)) nonFinite = true;
      }
    } finally {
      ds.close();
    }
    return { outcome: 'ok', nonFinite };
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    if (isUserError(e)) {
      // a data error may rightly name the neighbour at fault (a label file found beside the data)
      const names = [c.file, path.basename(c.file), ...(c.kind === 'data' && fs.statSync(c.file).isFile() ? fs.readdirSync(path.dirname(c.file)) : [])];
      const named = names.some((n) => message.includes(n));
      return { outcome: named ? 'user-error' : 'unnamed', message };
    }
    return { outcome: 'crash', message: e instanceof Error ? (e.stack ?? message) : message };
  }
}

async function main(): Promise<void> {
  const [listFile, cacheDir] = process.argv.slice(2);
  const cases = JSON.parse(fs.readFileSync(listFile, 'utf8')) as Case[];
  tf.enableProdMode();
  await tf.setBackend('cpu');
  // h5wasm compiles 4 MB of wasm on first use (seconds on a busy machine): done before the clock starts
  await (await import('h5wasm/node')).ready;
  for (const c of cases) {
    say({ start: c.id });
    const t0 = Date.now();
    const r = await runOne(c, cacheDir);
    const maxRssMb = Math.round(process.resourceUsage().maxRSS / 1024);
    say({ end: c.id, ...r, ms: Date.now() - t0, maxRssMb });
  }
}

if (require.main === module) {
  main().then(
    () => process.exit(0),
    (e: unknown) => {
      process.stderr.write(`runner failed: ${e instanceof Error ? e.stack : String(e)}\n`);
      process.exit(3);
    },
  );
}
