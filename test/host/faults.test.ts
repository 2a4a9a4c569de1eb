/**
 * Faults of the compute host, for every analysis it runs (issue 8, item 2), against the real
 * dist/host.js: each one cancelled mid-run (answered as cancelled within a second, no tensor
 * left, the process idle again), killed with SIGKILL mid-run (a clear error at once, the
 * extension's supervisor brings a fresh host, and running it again works), all of them submitted
 * at once (every one answered: the analyses one at a time, describe beside them), and a request
 * sent to a host that just died
 * (answered with an error, not left hanging). Prints the measured latencies.
 * Run: node --import tsx --test test/host/faults.test.ts
 * LINEAR_LENS_FAULTS_SLOW=2 doubles the time limits (a slow or crowded machine).
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { CancellationTokenSource } from 'vscode-jsonrpc';
import { HostClient } from '../../src/host/client/hostClient';
import { HostRequestError } from '../../src/host/client/hostError';
import { HostSupervisor } from '../../src/extension/host/supervisor';
import { classifyFailure } from '../../src/extension/panels/failure';
import type { HostState } from '../../src/extension/services';
import type { JobProgress } from '../../src/protocol/jobs';
import type { JobMethodName } from '../../src/protocol/methods';
import { ensureBuilt, HOST } from '../support/build';
import { AnalysisCase, ANALYSES, byName, cpuMillis, SCRATCH, SeenProgress } from './analyses';

const SLOW = Number(process.env.LINEAR_LENS_FAULTS_SLOW ?? 1) || 1;
/**
 * The issue's "work stops within a second", measured from the cancel to the rejection the client
 * sees; the 150 ms on top is the cancel's and the answer's trip over IPC and the scheduling of
 * three processes (test, host, and whatever else shares this machine's cores), not work.
 */
const CANCEL_LIMIT_MS = 1000 * SLOW + 150;
/**
 * A killed host's pending request fails as soon as the client sees the process exit: a few hundred
 * milliseconds at most here (757 ms the worst seen with 9 runnable processes on 2 cores), where a
 * hang would be the 90 s start time-out or forever.
 */
const KILL_LIMIT_MS = 2000 * SLOW;
const MID_RUN_TIMEOUT_MS = 60_000 * SLOW;

const measured: { name: string; what: string; ms: number }[] = [];

function cleanEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.LINEAR_LENS_TFJS_NODE;
  delete env.LINEAR_LENS_BACKEND;
  return env;
}

function newClient(): HostClient {
  return new HostClient({ hostScript: HOST, execPath: process.execPath, backend: 'wasm', env: cleanEnv(), log: () => undefined });
}

async function rejection(p: Promise<unknown>): Promise<HostRequestError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof HostRequestError, `expected a HostRequestError, got ${e instanceof Error ? e.stack : String(e)}`);
    return e;
  }
  assert.fail('the request succeeded but should have failed');
}

/** Callbacks that record a run's progress and resolve `midRun` once the case says it is under way. */
function tracker(c: AnalysisCase): { onProgress(p: JobProgress): void; onPartial(): void; midRun: Promise<void>; progress: SeenProgress[] } {
  const progress: SeenProgress[] = [];
  let partials = 0;
  let first = 0;
  let resolve!: () => void;
  const midRun = new Promise<void>((r) => (resolve = r));
  const check = (): void => {
    if (first && c.midRun!(progress, Date.now() - first, partials)) resolve();
  };
  // Time-based predicates need a tick even when no message comes; unref'd, so a run that never
  // gets under way fails its test (the time-out below) instead of keeping the process alive.
  const timer = setInterval(check, 50);
  timer.unref();
  void midRun.then(() => clearInterval(timer));
  return {
    progress,
    midRun,
    onProgress: (p) => {
      progress.push({ ...p, at: Date.now() });
      first ||= Date.now();
      check();
    },
    onPartial: () => {
      partials++;
      first ||= Date.now();
      check();
    },
  };
}

function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: nothing after ${ms} ms`)), ms)))]).finally(() => clearTimeout(timer));
}

const LONG = ANALYSES.filter((c) => c.long);

describe('cancelling every analysis mid-run', () => {
  let client: HostClient;

  before(async () => {
    ensureBuilt();
    client = newClient();
    await client.info();
  });

  after(async () => {
    await client.dispose();
  });

  for (const c of LONG) {
    test(`${c.name}: answered as cancelled within a second, no tensor left, the host idle`, { timeout: 120_000 * SLOW }, async () => {
      const before = (await client.info()).memory;
      const source = new CancellationTokenSource();
      const t = tracker(c);
      const job = client.run(c.method as JobMethodName, c.long!() as never, { token: source.token, onProgress: t.onProgress, onPartial: t.onPartial });
      let settled = false;
      job.then(() => (settled = true), () => (settled = true));
      await within(t.midRun, MID_RUN_TIMEOUT_MS, `${c.name} getting under way`);
      assert.equal(settled, false, `${c.name} finished before it could be cancelled; make its long params longer`);
      const cancelledAt = Date.now();
      source.cancel();
      const err = await rejection(job);
      const ms = Date.now() - cancelledAt;
      assert.equal(err.kind, 'cancelled', `${c.name}: ${err.message}`);
      // Every analysis looks for a cancel at least once a second, eFCN relax training included
      // (between its SGD step, the deviation measure of each layer and the test pass).
      const limit = CANCEL_LIMIT_MS;
      measured.push({ name: c.name, what: 'cancel', ms });
      assert.ok(ms < limit, `${c.name} stopped ${ms} ms after the cancel (limit ${limit} ms); last progress: ${t.progress.at(-1)?.message}`);

      const info = await client.info();
      assert.deepEqual(info.jobs, { running: 0, queued: 0 });
      assert.equal(info.memory.tfTensors, before.tfTensors, `${c.name}: tensors after the cancel`);
      assert.equal(info.memory.tfBytes, before.tfBytes, `${c.name}: tensor bytes after the cancel`);
      // Stopped means stopped: no loop, worker or timer of the job keeps the host's CPU busy.
      const cpu0 = cpuMillis(info.pid);
      if (cpu0 !== undefined) {
        await new Promise((r) => setTimeout(r, 500));
        const busy = cpuMillis(info.pid)! - cpu0;
        assert.ok(busy < 150, `${c.name}: the host used ${busy} ms of CPU in the 500 ms after the cancel`);
      }
    });
  }

  test('describe does not wait behind a long analysis: answered while it runs, which goes on', async () => {
    const first = new CancellationTokenSource();
    const long = client.run('host/selfTest', { batches: 100_000, size: 32, delayMs: 5 }, { token: first.token });
    for (let i = 0; i < 100 && (await client.info()).jobs.running === 0; i++) await new Promise((r) => setTimeout(r, 20));
    const t0 = Date.now();
    const d = byName('describe');
    d.check((await client.run('model/describe', d.short() as never)) as never);
    measured.push({ name: 'describe', what: 'answered during a long job', ms: Date.now() - t0 });
    assert.deepEqual((await client.info()).jobs, { running: 1, queued: 0 }, 'the long job goes on');
    first.cancel();
    assert.equal((await rejection(long)).kind, 'cancelled');
  });

});

describe('killing the host in the middle of every analysis', () => {
  let sup: HostSupervisor;
  const lines: string[] = [];

  before(() => {
    ensureBuilt();
    // The crash limit is the supervisor's own test; here every kill must be followed by a restart.
    sup = new HostSupervisor({ launch: () => ({ hostScript: HOST, backend: 'wasm' }), log: (l, level) => lines.push(`${level}: ${l}`), restartDelayMs: 50, maxRestarts: 100, env: cleanEnv() });
  });

  after(async () => {
    await sup.dispose();
  });

  const running = async (notPid?: number): Promise<HostState> => {
    for (let i = 0; i < 600; i++) {
      const s = sup.state();
      if (s.status === 'running' && s.info && s.info.pid !== notPid) return s;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.fail(`the host did not come back: ${sup.state().status}\n${lines.slice(-5).join('\n')}`);
  };

  // describe has no middle to kill (milliseconds, and it never waits behind an analysis); a
  // describe sent to a host that just died is the last group's case.
  for (const c of LONG) {
    test(`${c.name}: SIGKILL mid-run fails the request at once with what happened; the host restarts by itself and the retry works`, { timeout: 180_000 * SLOW }, async () => {
      await sup.info();
      const pid = (await running()).info!.pid;
      const title = `faults ${c.name}`;
      const t = tracker(c);
      const job = sup.run(c.method as JobMethodName, c.long!() as never, { title, onProgress: (fraction, message) => t.onProgress({ jobId: '', fraction, ...(message !== undefined ? { message } : {}) }), onPartial: t.onPartial });
      job.catch(() => undefined);
      await within(t.midRun, MID_RUN_TIMEOUT_MS, `${c.name} getting under way`);
      const killedAt = Date.now();
      process.kill(pid, 'SIGKILL');
      const err = await rejection(job);
      const ms = Date.now() - killedAt;
      measured.push({ name: c.name, what: 'kill', ms });
      assert.equal(err.kind, 'connection');
      assert.match(err.message, new RegExp(`The compute host stopped while running "${title}" \\(killed by SIGKILL\\)\\. It is being restarted; run it again\\.`));
      assert.ok(ms < KILL_LIMIT_MS, `${c.name}: the request failed ${ms} ms after the kill`);
      // What the analysis panel shows (with Retry): the panel framework's wording of this error.
      const failure = classifyFailure(err, sup.state(), { activity: 'computing' });
      assert.deepEqual([failure.kind, failure.message], ['host', 'The compute host stopped while computing; it has been restarted.']);
      assert.equal(sup.jobs().length, 0, 'no job of the dead host is listed');

      // Nobody asks: the supervisor restarts it (a new process), and it runs the analysis again.
      const next = await running(pid);
      assert.notEqual(next.info!.pid, pid);
      const r = await sup.run(c.method as JobMethodName, c.short() as never, { title: `${title} (retry)` });
      c.check(r as never);
      assert.equal((await sup.info()).memory.tfTensors, 0, 'a fresh host that ran one analysis holds no tensors');
      assert.ok(lines.some((l) => l.includes(`the compute host (pid ${pid}) crashed (killed by SIGKILL); restarting it`)), 'the crash is logged');
    });
  }
});

describe('many analyses at once, and requests to a dead host', () => {
  let client: HostClient;

  before(async () => {
    ensureBuilt();
    client = newClient();
    await client.info();
  });

  after(async () => {
    await client.dispose();
    fs.rmSync(SCRATCH, { recursive: true, force: true });
    const rows = measured.map((m) => `${m.name.padEnd(10)} ${m.what.padEnd(16)} ${String(m.ms).padStart(5)} ms`);
    process.stdout.write(`# fault latencies (ms from the cancel or kill to the rejection):\n${rows.map((r) => `#   ${r}`).join('\n')}\n`);
  });

  test('every analysis submitted at once: all answered, the analyses one at a time in order, describe without waiting', { timeout: 300_000 * SLOW }, async () => {
    const before = (await client.info()).memory;
    const finished: string[] = [];
    const jobs = ANALYSES.map((c) => client.run(c.method as JobMethodName, c.short() as never).then((r) => {
      finished.push(c.name);
      return r;
    }));
    // describe has a queue of its own and may be done already; of the analyses one runs.
    const info = await client.info();
    assert.ok(info.jobs.running >= 1 && info.jobs.running <= 2, `${info.jobs.running} running`);
    assert.equal(info.jobs.running + info.jobs.queued + finished.length, ANALYSES.length);
    const results = await Promise.all(jobs);
    results.forEach((r, i) => ANALYSES[i].check(r as never));
    assert.equal(finished[0], 'describe', `describe is answered first, not after the analyses: ${finished}`);
    const analyses = LONG.map((c) => c.name);
    assert.deepEqual(finished.filter((n) => n !== 'describe'), analyses, 'the analyses answered in submission order');
    const afterwards = (await client.info()).memory;
    assert.equal(afterwards.tfTensors, before.tfTensors);
  });


  for (const c of ANALYSES) {
    test(`${c.name}: sent just as the host dies, it is answered with an error; the next one starts a fresh host`, { timeout: 120_000 * SLOW }, async () => {
      const pid = (await client.info()).pid;
      process.kill(pid, 'SIGKILL');
      // Sent before the client has seen the exit: it goes to a process that can no longer answer.
      const t0 = Date.now();
      const err = await within(rejection(client.run(c.method as JobMethodName, c.short() as never)), 10_000, `${c.name} on a dead host`);
      const ms = Date.now() - t0;
      measured.push({ name: c.name, what: 'dead host', ms });
      assert.equal(err.kind, 'connection', err.message);
      assert.match(err.message, /the compute host is gone/);
      assert.ok(ms < KILL_LIMIT_MS, `${c.name}: answered ${ms} ms after it was sent`);
      const r = await client.run(c.method as JobMethodName, c.short() as never);
      c.check(r as never);
      assert.notEqual((await client.info()).pid, pid);
    });
  }
});
