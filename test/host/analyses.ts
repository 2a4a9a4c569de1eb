/**
 * Every job the compute host runs, with two sets of params on the examples: `short` (a fraction of
 * a second to a few seconds: for queueing, restarts and the soak) and `long` (runs for many
 * seconds, and says when it is well under way: for cancelling and killing it mid-run).
 * Shared by the fault tests and the soak; not a test file.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { JobProgress } from '../../src/protocol/jobs';
import type { JobMethodName, JobParamsOf, JobResultOf } from '../../src/protocol/methods';
import { ROOT } from '../support/build';

const EX = path.join(ROOT, 'examples');
export const DATA = path.join(EX, 'data/fashion-mnist/t10k-images-idx3-ubyte.gz');
export const CNN1 = path.join(EX, 'models/cnn-seed1/model.json');
export const CNN2 = path.join(EX, 'models/cnn-seed2/model.json');

/** A folder for the accuracy map's resume files, so no run resumes another's. */
export const SCRATCH = fs.mkdtempSync(path.join(os.tmpdir(), 'll-host-faults-'));
let scratch = 0;
const freshCacheFile = (): string => path.join(SCRATCH, `nad-map-${process.pid}-${scratch++}.json`);

/** A progress notification and when it arrived (ms since the epoch). */
export type SeenProgress = JobProgress & { readonly at: number };

/** One analysis as the host runs it. */
export interface AnalysisCase<M extends JobMethodName = JobMethodName> {
  /** The name the reports use: interpret, lmc, llfc, nad, nad-map, efcn, describe. */
  readonly name: string;
  readonly method: M;
  /** Fresh params for a quick run (fresh because the accuracy map resumes from its file). */
  short(): Omit<JobParamsOf<M>, 'jobId'>;
  /** Params for a run of many seconds; undefined for a job that has no "middle" (describe). */
  long?(): Omit<JobParamsOf<M>, 'jobId'>;
  /**
   * True once the long run is well under way (past loading, inside its main loop), judged from
   * its progress so far and the milliseconds since the first progress.
   */
  midRun?(progress: readonly SeenProgress[], sinceFirstMs: number, partials: number): boolean;
  /** Throws unless `r` is a plausible result of the short run. */
  check(r: JobResultOf<M>): void;
}

function expect(ok: boolean, what: string): void {
  if (!ok) throw new Error(`unexpected result: ${what}`);
}

const dataset = (maxSamples: number) => ({ path: DATA, maxSamples });
const said = (progress: readonly SeenProgress[], re: RegExp): boolean => progress.some((p) => re.test(p.message ?? ''));

const describe: AnalysisCase<'model/describe'> = {
  name: 'describe',
  method: 'model/describe',
  short: () => ({ file: CNN1 }),
  check: (r) => expect(r.format === 'tfjs-layers' && r.paramCount > 0, `describe: ${r.format} ${r.paramCount}`),
};

const interpret: AnalysisCase<'analysis/interpret'> = {
  name: 'interpret',
  method: 'analysis/interpret',
  short: () => ({ file: CNN1, input: { kind: 'dataset', dataset: dataset(10), index: 0 }, rows: 'all' }),
  // The example CNN interprets in a few hundred milliseconds; thousands of impulse responses
  // (every pixel, eight times over) keep it in its column loop for seconds.
  long: () => ({ file: CNN1, input: { kind: 'dataset', dataset: dataset(10), index: 0 }, rows: 'all', columns: Array.from({ length: 784 * 8 }, (_, i) => i % 784) }),
  midRun: (p, since) => said(p, /^rows 10\/10/) && since >= 400,
  check: (r) => expect(r.rows.length === 10 && r.residual < 1e-3, `interpret: ${r.rows.length} rows, residual ${r.residual}`),
};

const lmc: AnalysisCase<'analysis/lmc'> = {
  name: 'lmc',
  method: 'analysis/lmc',
  short: () => ({ a: CNN1, b: CNN2, dataset: dataset(200), points: 3 }),
  long: () => ({ a: CNN1, b: CNN2, dataset: dataset(2000), points: 41 }),
  midRun: (_p, _since, partials) => partials >= 3,
  check: (r) => expect(r.alpha.length === 3 && r.loss.every(Number.isFinite), `lmc: ${r.alpha.length} points`),
};

const llfc: AnalysisCase<'analysis/llfc'> = {
  name: 'llfc',
  method: 'analysis/llfc',
  short: () => ({ a: CNN1, b: CNN2, dataset: dataset(200), alphas: [0, 0.5, 1] }),
  long: () => ({ a: CNN1, b: CNN2, dataset: dataset(2000), alphas: Array.from({ length: 11 }, (_, i) => i / 10) }),
  midRun: (p, since) => said(p, /^LLFC α/) && since >= 400,
  check: (r) => expect(r.alphas.length === 3 && r.layers.length > 0, `llfc: ${r.alphas.length} alphas, ${r.layers.length} rows`),
};

const nad: AnalysisCase<'analysis/nad'> = {
  name: 'nad',
  method: 'analysis/nad',
  short: () => ({ file: CNN1, networks: 3, top: 2 }),
  long: () => ({ file: CNN1, networks: 500, top: 2 }),
  midRun: (p) => said(p, /^network [3-9]\//),
  check: (r) => expect(r.networks === 3 && r.nads.length === 2, `nad: ${r.networks} networks, ${r.nads.length} NADs`),
};

const nadMap: AnalysisCase<'analysis/nadMap'> = {
  name: 'nad-map',
  method: 'analysis/nadMap',
  short: () => ({ file: CNN1, grid: 1, samples: 100, epochs: 1, cacheFile: freshCacheFile() }),
  long: () => ({ file: CNN1, grid: 4, samples: 500, epochs: 3, cacheFile: freshCacheFile() }),
  midRun: (p) => said(p, /step [3-9]\//),
  check: (r) => expect(r.grid === 1 && r.accuracy.length === 1 && r.cached === 0, `nad-map: grid ${r.grid}, ${r.accuracy.length} cells, ${r.cached} cached`),
};

const efcn: AnalysisCase<'analysis/efcn'> = {
  name: 'efcn',
  method: 'analysis/efcn',
  short: () => ({ file: CNN1 }),
  // Batches of 32 (the default, 250, makes one SGD step of the example CNN's eFCN take about 2 s
  // on a small CPU; a step is the part that cannot be interrupted, see RELIABILITY.md).
  long: () => ({ file: CNN1, relax: { dataset: dataset(500), steps: 500, batchSize: 32 } }),
  midRun: (p) => said(p, /^relax training: step [3-9]\//),
  check: (r) => expect(r.residual.maxRel < 1e-3 && r.layers.length > 0, `efcn: residual ${r.residual.maxRel}, ${r.layers.length} layers`),
};

/** Every analysis, describe first. */
export const ANALYSES: readonly AnalysisCase[] = [describe, interpret, lmc, llfc, nad, nadMap, efcn] as readonly AnalysisCase[];

export const byName = (name: string): AnalysisCase => ANALYSES.find((a) => a.name === name)!;

/** Milliseconds of CPU the process `pid` (all its threads) has used so far; undefined off Linux. */
export function cpuMillis(pid: number): number | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / 100;
  } catch {
    return undefined;
  }
}
