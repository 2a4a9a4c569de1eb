/**
 * Runs reliability cases in child processes (runner.ts), a batch per child, with a time limit per
 * case and a memory cap, and classifies every case: ok, user-error, unnamed (a UserError that does
 * not name the file), crash (any other error, or the process died), hang (over the time limit) or
 * memory (over the cap). A child that is killed or dies is replaced, and the rest of its batch
 * goes on in a fresh one.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Case } from './lib';
import type { RunnerResult } from './runner';

export type Outcome = 'ok' | 'user-error' | 'unnamed' | 'crash' | 'hang' | 'memory';

export interface CaseResult {
  readonly case: Case;
  readonly outcome: Outcome;
  readonly nonFinite?: boolean;
  readonly notRun?: boolean;
  readonly message?: string;
  readonly ms: number;
  readonly maxRssMb?: number;
}

export interface HarnessOptions {
  /** Child processes at once. */
  readonly workers?: number;
  /** Cases per child process. */
  readonly batch?: number;
  /** Time limit per case. */
  readonly timeoutMs?: number;
  /** Resident-memory cap of a child, in MB. */
  readonly rssMb?: number;
  /** V8 heap limit of a child, in MB. */
  readonly heapMb?: number;
  readonly cacheDir?: string;
  readonly onResult?: (r: CaseResult) => void;
}

const RUNNER = path.join(__dirname, 'runner.ts');
// Runners get an HDF5 deadline (LINEAR_LENS_H5_DEADLINE_MS, src/core/formats/keras/h5Thread.ts) of
// half the time limit per case, so a file that makes HDF5 loop is seen to end in its UserError.

function rssMbOf(pid: number): number | undefined {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Runs one batch in a fresh child; resolves with the results and the cases it did not reach. */
function runBatch(batch: Case[], o: Required<Omit<HarnessOptions, 'onResult'>> & Pick<HarnessOptions, 'onResult'>, tmp: string, n: number): Promise<{ results: CaseResult[]; rest: Case[] }> {
  return new Promise((resolve) => {
    const list = path.join(tmp, `batch-${n}.json`);
    fs.writeFileSync(list, JSON.stringify(batch));
    const child = spawn(process.execPath, [`--max-old-space-size=${o.heapMb}`, '--import', 'tsx', RUNNER, list, o.cacheDir], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LINEAR_LENS_BACKEND: 'cpu', LINEAR_LENS_H5_DEADLINE_MS: process.env.LINEAR_LENS_H5_DEADLINE_MS ?? String(Math.floor(o.timeoutMs / 2)) } });
    const byId = new Map(batch.map((c) => [c.id, c]));
    const results: CaseResult[] = [];
    const done = new Set<string>();
    let current: { c: Case; t0: number } | undefined;
    let killed: { outcome: Outcome; why: string } | undefined;
    let stderr = '';
    let buf = '';
    const spawnedAt = Date.now();
    const finish = (r: CaseResult) => {
      results.push(r);
      done.add(r.case.id);
      o.onResult?.(r);
    };
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        if (!line.startsWith('@@LL ')) continue;
        const msg = JSON.parse(line.slice(5)) as { start?: string } & Partial<RunnerResult> & { end?: string };
        if (msg.start !== undefined) current = { c: byId.get(msg.start)!, t0: Date.now() };
        else if (msg.end !== undefined && current) {
          const over = (msg.maxRssMb ?? 0) > o.rssMb;
          finish({
            case: current.c,
            outcome: over ? 'memory' : msg.outcome!,
            ...(msg.nonFinite ? { nonFinite: true } : {}),
            ...(msg.notRun ? { notRun: true } : {}),
            ...(msg.message !== undefined ? { message: over ? `peak RSS ${msg.maxRssMb} MB; ${msg.message}` : msg.message } : over ? { message: `peak RSS ${msg.maxRssMb} MB` } : {}),
            ms: msg.ms!,
            maxRssMb: msg.maxRssMb!,
          });
          current = undefined;
          // Peak RSS never comes down: after a memory case the rest of the batch goes to a fresh child.
          if (over) {
            killed = { outcome: 'memory', why: 'after' };
            child.kill('SIGKILL');
          }
        }
      }
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-4000);
    });
    const timer = setInterval(() => {
      if (killed) return;
      if (current && Date.now() - current.t0 > o.timeoutMs) {
        killed = { outcome: 'hang', why: `no result after ${o.timeoutMs} ms` };
        child.kill('SIGKILL');
        return;
      }
      if (!current && Date.now() - spawnedAt > 180_000 && done.size === 0) {
        killed = { outcome: 'crash', why: 'the runner did not start within 180 s' };
        child.kill('SIGKILL');
        return;
      }
      const rss = rssMbOf(child.pid!);
      if (rss !== undefined && rss > o.rssMb) {
        killed = { outcome: 'memory', why: `resident memory reached ${Math.round(rss)} MB (cap ${o.rssMb} MB)` };
        child.kill('SIGKILL');
      }
    }, 50);
    child.on('close', (code, signal) => {
      clearInterval(timer);
      if (current) {
        const outcome: Outcome = killed && killed.why !== 'after' ? killed.outcome : 'crash';
        const why = killed && killed.why !== 'after' ? killed.why : `the process died (exit ${code}, signal ${signal}): ${stderr.slice(-1500)}`;
        finish({ case: current.c, outcome, message: why, ms: Date.now() - current.t0 });
      } else if (!killed && code !== 0 && done.size < batch.length) {
        // died between cases: the next case is charged with it so it cannot loop forever
        const next = batch.find((c) => !done.has(c.id))!;
        finish({ case: next, outcome: 'crash', message: `the runner exited ${code} (${signal}) before this case: ${stderr.slice(-1500)}`, ms: 0 });
      }
      resolve({ results, rest: batch.filter((c) => !done.has(c.id)) });
    });
  });
}

/** Runs every case; the results come back in the order of `cases`. */
export async function runCases(cases: readonly Case[], opts: HarnessOptions = {}): Promise<CaseResult[]> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'linear-lens-harness-'));
  const o = {
    workers: opts.workers ?? 2,
    batch: opts.batch ?? 60,
    timeoutMs: opts.timeoutMs ?? 20_000,
    rssMb: opts.rssMb ?? 1536,
    heapMb: opts.heapMb ?? 1024,
    cacheDir: opts.cacheDir ?? path.join(tmp, 'cache'),
    onResult: opts.onResult,
  };
  const queue: Case[][] = [];
  for (let i = 0; i < cases.length; i += o.batch) queue.push(cases.slice(i, i + o.batch));
  const all = new Map<string, CaseResult>();
  let n = 0;
  const worker = async () => {
    for (let b = queue.shift(); b; b = queue.shift()) {
      const { results, rest } = await runBatch(b, o, tmp, n++);
      for (const r of results) all.set(r.case.id, r);
      if (rest.length > 0) queue.unshift(rest);
    }
  };
  try {
    await Promise.all(Array.from({ length: o.workers }, worker));
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  return cases.map((c) => all.get(c.id)!);
}

/** Why a result fails the reliability test, or undefined when it passes. */
export function verdict(r: CaseResult): string | undefined {
  const c = r.case;
  if (r.outcome === 'crash' || r.outcome === 'hang' || r.outcome === 'memory') return `${r.outcome}: ${r.message ?? ''}`;
  if (r.outcome === 'unnamed') return `a UserError that does not name the file: ${r.message}`;
  if (r.outcome === 'ok' && c.escape) return 'ESCAPE: loaded a file from outside the model\'s folder';
  if (r.outcome === 'ok' && c.expect === 'user-error') return 'loaded, but must be refused';
  if (r.outcome === 'user-error' && c.expect === 'ok') return `refused, but must load: ${r.message}`;
  if (r.outcome === 'user-error' && c.message && !new RegExp(c.message, 'i').test(r.message ?? '')) return `the message does not match /${c.message}/: ${r.message}`;
  if (r.outcome === 'ok' && r.nonFinite && c.expect !== 'any') return 'NaN or Inf in the results without an error';
  return undefined;
}

/** Counts of outcomes overall and per family, for the report. */
export function tally(results: readonly CaseResult[]): { total: Record<string, number>; byFamily: Record<string, Record<string, number>> } {
  const total: Record<string, number> = {};
  const byFamily: Record<string, Record<string, number>> = {};
  for (const r of results) {
    const key = r.outcome === 'ok' && r.case.escape ? 'escape' : r.outcome;
    total[key] = (total[key] ?? 0) + 1;
    const f = (byFamily[r.case.family] ??= {});
    f[key] = (f[key] ?? 0) + 1;
  }
  return { total, byFamily };
}
