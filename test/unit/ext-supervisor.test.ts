/**
 * The extension's host supervisor against the real compute host (dist/host.js): start on first
 * use, jobs with progress, a crash mid-job (a clear error, then a restart), the crash limit and
 * the 'failed' state, restart, a Node that cannot run the host, and shutdown.
 */
import * as assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { CancellationTokenSource } from 'vscode-jsonrpc';
import { HostRequestError } from '../../src/host/client/hostError';
import { CrashWindow } from '../../src/extension/host/crashWindow';
import { HostSupervisor, LaunchConfig, SupervisorOptions, executableProblem, sameLaunch } from '../../src/extension/host/supervisor';
import type { HostState, HostStatus } from '../../src/extension/services';
import { HOST, ensureBuilt } from '../support/build';

const launch: LaunchConfig = { hostScript: HOST, backend: 'wasm' };

function supervisor(extra: Partial<SupervisorOptions> = {}): { sup: HostSupervisor; lines: string[]; states: HostStatus[] } {
  const lines: string[] = [];
  const states: HostStatus[] = [];
  const sup = new HostSupervisor({ launch: () => launch, log: (l, level) => lines.push(`${level}: ${l}`), restartDelayMs: 50, ...extra });
  sup.onDidChangeState((s: HostState) => states.push(s.status));
  return { sup, lines, states };
}

function waitForState(sup: HostSupervisor, want: HostStatus, timeoutMs = 30_000): Promise<HostState> {
  if (sup.state().status === want) return Promise.resolve(sup.state());
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      sub.dispose();
      reject(new Error(`state stayed ${sup.state().status}, wanted ${want}`));
    }, timeoutMs);
    const sub = sup.onDidChangeState((s) => {
      if (s.status !== want) return;
      clearTimeout(timer);
      sub.dispose();
      resolve(s);
    });
  });
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('CrashWindow', () => {
  test('counts crashes within the window only', () => {
    const w = new CrashWindow(1000);
    assert.equal(w.record(0), 1);
    assert.equal(w.record(500), 2);
    assert.equal(w.record(999), 3);
    assert.equal(w.count(1000), 2, 'the crash at 0 left the window');
    assert.equal(w.record(2000), 1);
    w.reset();
    assert.equal(w.count(2000), 0);
  });
});

describe('launch helpers', () => {
  test('sameLaunch compares every field', () => {
    assert.ok(sameLaunch(launch, { ...launch }));
    assert.ok(!sameLaunch(launch, { ...launch, backend: 'cpu' }));
    assert.ok(!sameLaunch(launch, { ...launch, tfjsNodePath: '/x' }));
    assert.ok(!sameLaunch(launch, { ...launch, nodePath: process.execPath }));
  });
  test('executableProblem says what is wrong with a Node path', () => {
    assert.equal(executableProblem(process.execPath), undefined);
    assert.match(executableProblem('/nonexistent/node') ?? '', /does not exist/);
    assert.match(executableProblem('/tmp') ?? '', /is not a file/);
    assert.match(executableProblem(HOST) ?? '', /is not executable/);
  });
});

describe('HostSupervisor', () => {
  before(() => ensureBuilt());

  test('starts on first use and reports the backend', async () => {
    const { sup, lines, states } = supervisor();
    try {
      assert.equal(sup.state().status, 'stopped');
      const info = await sup.info();
      assert.equal(info.backend.name, 'wasm');
      // Later 'running' events only refresh the info (memory, jobs).
      assert.deepEqual(states.filter((s, i) => s !== states[i - 1]), ['starting', 'running']);
      assert.equal(sup.state().info?.pid, info.pid);
      assert.equal(sup.pid(), info.pid);
      assert.ok(lines.some((l) => l.includes(`compute host started (pid ${info.pid})`)), lines.join('\n'));
      // The host's own stderr lines reach the log.
      assert.ok(lines.some((l) => l.includes(`[linear-lens host ${info.pid}] backend: wasm`)), lines.join('\n'));
    } finally {
      await sup.dispose();
    }
  });

  test('runs a job with progress and partials, listed in jobs() while it runs', async () => {
    const { sup, lines } = supervisor();
    try {
      const seen: number[] = [];
      let listed = 0;
      sup.onDidChangeJobs(() => (listed = Math.max(listed, sup.jobs().length)));
      const partials: number[] = [];
      const r = await sup.run('host/selfTest', { batches: 4, size: 16, delayMs: 20 }, {
        title: 'self test',
        onProgress: (f) => seen.push(f),
        onPartial: (p) => partials.push(p.batch),
      });
      assert.equal(r.batches, 4);
      assert.equal(partials.length, 4);
      assert.ok(seen.length > 0 && seen.every((f) => f >= 0 && f <= 1));
      assert.equal(listed, 1);
      assert.equal(sup.jobs().length, 0);
      assert.ok(lines.some((l) => /job \S+ started: self test \(host\/selfTest/.test(l)));
      assert.ok(lines.some((l) => /job \S+ finished in [\d.]+ s: self test/.test(l)));
    } finally {
      await sup.dispose();
    }
  });

  test('a job cancelled through its token rejects as cancelled', async () => {
    const { sup, lines } = supervisor();
    try {
      await sup.info();
      const source = new CancellationTokenSource();
      const token = source.token;
      const cancel = (): void => source.cancel();
      const job = sup.run('host/selfTest', { batches: 200, size: 16, delayMs: 20 }, { title: 'long', token, onProgress: (f) => f > 0 && cancel() });
      await assert.rejects(job, (e: unknown) => e instanceof HostRequestError && e.kind === 'cancelled');
      assert.equal(sup.state().status, 'running', 'a cancelled job leaves the host running');
      const pid = (await sup.info()).pid;
      assert.ok(lines.some((l) => new RegExp(`job \\S+ cancel requested by its caller \\(host pid ${pid}\\): long`).test(l)), lines.join('\n'));
    } finally {
      await sup.dispose();
    }
  });

  test('a host killed during a job: the job rejects with a clear error and the host restarts', async () => {
    const { sup, lines } = supervisor();
    try {
      const first = await sup.info();
      const job = sup.run('host/selfTest', { batches: 1000, size: 16, delayMs: 20 }, { title: 'doomed', onProgress: () => process.kill(first.pid, 'SIGKILL') });
      await assert.rejects(job, (e: unknown) => {
        assert.ok(e instanceof HostRequestError);
        assert.equal(e.kind, 'connection');
        assert.match(e.message, /The compute host stopped while running "doomed" \(killed by SIGKILL\)\. It is being restarted; run it again\./);
        return true;
      });
      const s = await waitForState(sup, 'running');
      assert.equal(s.recentCrashes, 1);
      assert.notEqual(s.info?.pid, first.pid);
      assert.ok(lines.some((l) => /warn: the compute host \(pid \d+\) crashed \(killed by SIGKILL\); restarting it \(restart 1 of at most 4/.test(l)), lines.join('\n'));
      assert.ok(lines.some((l) => /job \S+ failed after .*doomed/.test(l)));
      assert.equal(sup.jobs().length, 0);
      // The new host's client must not hand out the dead one's job ids again: jobs() and the log
      // tell jobs apart by id across restarts.
      await sup.run('host/selfTest', { batches: 1, size: 4, delayMs: 0 }, { title: 'after' });
      const doomed = lines.find((l) => /started: doomed/.test(l))!.match(/job (\S+)/)![1];
      const after = lines.find((l) => /started: after/.test(l))!.match(/job (\S+)/)![1];
      assert.notEqual(after, doomed, 'a job on the restarted host gets a fresh id');
    } finally {
      await sup.dispose();
    }
  });

  test('the fifth crash within the window leaves it failed until restart()', async () => {
    const { sup, lines } = supervisor();
    try {
      const pids: number[] = [];
      for (let i = 1; i <= 5; i++) {
        const info = await sup.info();
        pids.push(info.pid);
        const restarting = waitForState(sup, i < 5 ? 'restarting' : 'failed');
        process.kill(info.pid, 'SIGKILL');
        await restarting;
        if (i < 5) assert.equal((await waitForState(sup, 'running')).recentCrashes, i);
      }
      const failed = await waitForState(sup, 'failed');
      assert.match(failed.reason ?? '', /crashed 5 times in 3 minutes .*killed by SIGKILL.*stays stopped until you restart it/);
      assert.equal(new Set(pids).size, 5);
      await assert.rejects(sup.info(), /Run "Linear Lens: Restart Compute Host"/);
      await assert.rejects(sup.run('host/selfTest', { batches: 1 }, { title: 'x' }), /Restart Compute Host/);
      const info = await sup.restart();
      assert.equal(sup.state().status, 'running');
      assert.equal(sup.state().recentCrashes, 0);
      assert.ok(!pids.includes(info.pid));
      assert.ok(lines.some((l) => l.startsWith('error: The compute host crashed 5 times')));
    } finally {
      await sup.dispose();
    }
  });

  test('restart() replaces the process; a job running then is told it was restarted', async () => {
    const { sup } = supervisor();
    try {
      const first = await sup.info();
      let restarted: Promise<unknown> | undefined;
      const job = sup.run('host/selfTest', { batches: 1000, size: 16, delayMs: 20 }, { title: 'interrupted', onProgress: () => (restarted ??= sup.restart()) });
      await assert.rejects(job, /The compute host was restarted while running "interrupted"; run it again\./);
      await restarted;
      const second = await sup.info();
      assert.notEqual(second.pid, first.pid);
      assert.ok(!alive(first.pid), 'the old host is gone');
      // Two restarts at once share one new process.
      const [a, b] = await Promise.all([sup.restart(), sup.restart()]);
      assert.equal(a.pid, b.pid);
    } finally {
      await sup.dispose();
    }
  });

  test('a Node path that does not exist fails at once with a message naming the setting', async () => {
    const { sup } = supervisor({ launch: () => ({ ...launch, nodePath: '/nonexistent/node' }) });
    try {
      await assert.rejects(sup.info(), /linearLens\.nodePath: \/nonexistent\/node does not exist/);
      assert.equal(sup.state().status, 'failed');
    } finally {
      await sup.dispose();
    }
  });

  test('a Node that exits at once is a start failure, not a crash loop', async () => {
    const { sup, states } = supervisor({ launch: () => ({ ...launch, nodePath: '/bin/true' }) });
    try {
      await assert.rejects(sup.info(), /exited while starting \(exit code 0\)/);
      assert.deepEqual(states, ['starting', 'failed']);
    } finally {
      await sup.dispose();
    }
  });

  test('dispose() stops the host process', async () => {
    const { sup } = supervisor();
    const info = await sup.info();
    assert.ok(alive(info.pid));
    await sup.dispose();
    assert.ok(!alive(info.pid));
  });
});
