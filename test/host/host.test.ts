/**
 * The compute host as the extension runs it: dist/host.js forked over Node IPC, driven by the
 * extension's HostClient. Run: node --import tsx --test test/host/host.test.ts
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CancellationTokenSource } from 'vscode-jsonrpc';
import { HostClient } from '../../src/host/client/hostClient';
import { HostRequestError } from '../../src/host/client/hostError';
import { HostErrorCode } from '../../src/protocol/jobs';
import type { SelfTestPartial } from '../../src/protocol/host';
import { ensureBuilt, HOST, ROOT } from '../support/build';
import { corpusDir, TinyModel, writeTinyTfjsModel } from '../support/fixtures';

const pkgVersion = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const logs: string[] = [];

/** A host with a clean environment: no tfjs-node folder, no forced backend. */
function newClient(extra: Partial<ConstructorParameters<typeof HostClient>[0]> = {}): HostClient {
  const env = { ...process.env };
  delete env.LINEAR_LENS_TFJS_NODE;
  delete env.LINEAR_LENS_BACKEND;
  return new HostClient({ hostScript: HOST, execPath: process.execPath, log: (l) => logs.push(l), ...extra, env: { ...env, ...extra.env } });
}

async function rejection(p: Promise<unknown>): Promise<HostRequestError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof HostRequestError, `expected a HostRequestError, got ${String(e)}`);
    return e;
  }
  assert.fail('the request succeeded but should have failed');
}

describe('compute host over IPC', () => {
  let client: HostClient;
  let tiny: TinyModel;

  before(async () => {
    ensureBuilt();
    tiny = await writeTinyTfjsModel();
    client = newClient();
  });

  after(async () => {
    await client.dispose();
    fs.rmSync(path.dirname(tiny.file), { recursive: true, force: true });
  });

  test('host/info reports wasm by default and why tensorflow is not used', async () => {
    const info = await client.info();
    assert.equal(info.backend.name, 'wasm');
    assert.match(info.backend.device, /^wasm \(CPU/);
    const tfNotUsed = info.backend.notUsed.find((n) => n.backend === 'tensorflow');
    assert.ok(tfNotUsed, 'notUsed lists tensorflow');
    assert.match(tfNotUsed.reason, /not installed/);
    assert.equal(info.pid, client.pid);
    assert.equal(info.versions.linearLens, pkgVersion);
    assert.equal(info.versions.node, process.versions.node);
    assert.match(info.versions.tfjs, /^\d+\.\d+\.\d+/);
    assert.ok(info.memory.rss > 0 && info.memory.heapUsed > 0);
    assert.equal(typeof info.memory.tfTensors, 'number');
  });

  test('host/selfTest streams progress and one partial per batch', async () => {
    const partials: SelfTestPartial[] = [];
    const fractions: number[] = [];
    const r = await client.run('host/selfTest', { batches: 5, size: 32 }, { onPartial: (p) => partials.push(p), onProgress: (p) => fractions.push(p.fraction) });
    assert.equal(r.batches, 5);
    assert.deepEqual(partials.map((p) => p.batch), [0, 1, 2, 3, 4]);
    assert.ok(partials.every((p) => Number.isFinite(p.mean)));
    assert.equal(fractions.at(-1), 1);
    assert.ok(fractions.every((f, i) => i === 0 || f >= fractions[i - 1]), 'progress never goes back');
    assert.equal(r.tfTensorsAfter, r.tfTensorsBefore, 'no tensor survives the job');
  });

  test('a failed request (missing file) is a user error naming the file, and the host serves the next one', async () => {
    const missing = path.join(path.dirname(tiny.file), 'no-such-model.onnx');
    const err = await rejection(client.run('model/describe', { file: missing }));
    assert.equal(err.kind, 'user');
    assert.equal(err.code, HostErrorCode.userError);
    assert.ok(err.message.includes(missing), err.message);
    assert.equal(err.hostStack, undefined, 'a user error carries no stack');
    const ok = await client.run('host/selfTest', { batches: 1 });
    assert.equal(ok.batches, 1);
    assert.equal((await client.info()).pid, client.pid, 'same host process');
  });

  test('a bug (invalid params) comes back with its stack, and the host lives on', async () => {
    const err = await rejection(client.run('host/selfTest', { batches: -1 }));
    assert.equal(err.kind, 'bug');
    assert.equal(err.code, HostErrorCode.bug);
    assert.match(err.hostStack ?? '', /\n\s+at /);
    assert.equal((await client.info()).pid, client.pid);
  });

  test('model/describe summarises a TF.js layers model', async () => {
    const s = await client.run('model/describe', { file: tiny.file });
    assert.equal(s.format, 'tfjs-layers');
    assert.deepEqual(s.inputs.map((p) => p.shape), [tiny.inputShape]);
    assert.deepEqual(s.outputs.map((p) => p.shape), [tiny.outputShape]);
    assert.equal(s.paramCount, tiny.paramCount);
    for (const name of tiny.layerNames) assert.ok(s.layers.some((l) => l.name === name), `layer ${name} listed`);
  });

  test('model/describe on a real corpus file', { skip: !corpusDir() && 'no corpus (../shared/corpus)' }, async () => {
    const file = path.join(corpusDir()!, 'onnx-andreygermanov-mnist-lenet/mnist.onnx');
    const s = await client.run('model/describe', { file });
    assert.equal(s.format, 'onnx');
    assert.equal(s.paramCount, 61706);
  });

  test('cancelling the request stops a long job within a second', async () => {
    const source = new CancellationTokenSource();
    let partials = 0;
    let cancelledAt = 0;
    const job = client.run('host/selfTest', { batches: 100_000, size: 64, delayMs: 5 }, {
      token: source.token,
      onPartial: () => {
        if (++partials === 3) {
          cancelledAt = Date.now();
          source.cancel();
        }
      },
    });
    const err = await rejection(job);
    assert.equal(err.kind, 'cancelled');
    assert.ok(Date.now() - cancelledAt < 1000, `stopped ${Date.now() - cancelledAt} ms after the cancel`);
    const info = await client.info();
    assert.deepEqual(info.jobs, { running: 0, queued: 0 }, 'the job is gone from the host');
  });

  test('job/cancel stops a running job by id; a queued job is cancelled before it starts', async () => {
    let firstId = '';
    let secondId = '';
    const first = client.run('host/selfTest', { batches: 100_000, delayMs: 5 }, { onStart: (id) => (firstId = id) });
    const second = client.run('host/selfTest', { batches: 1 }, { onStart: (id) => (secondId = id) });
    // Both requests are in the host once it reports them: one running, one waiting its turn.
    for (let i = 0; i < 100; i++) {
      const { jobs } = await client.info();
      if (jobs.running === 1 && jobs.queued === 1) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.deepEqual((await client.info()).jobs, { running: 1, queued: 1 }, 'one job at a time');
    assert.equal(await client.cancel(secondId), true);
    assert.equal((await rejection(second)).kind, 'cancelled');
    const t0 = Date.now();
    assert.equal(await client.cancel(firstId), true);
    assert.equal((await rejection(first)).kind, 'cancelled');
    assert.ok(Date.now() - t0 < 1000);
    assert.equal(await client.cancel(firstId), false, 'a finished job is not found');
  });

  test('host/info is answered at once while a job runs', async () => {
    const source = new CancellationTokenSource();
    const job = client.run('host/selfTest', { batches: 100_000, size: 128, delayMs: 1 }, { token: source.token });
    await new Promise((r) => setTimeout(r, 100));
    const t0 = Date.now();
    const info = await client.info();
    const ms = Date.now() - t0;
    source.cancel();
    await job.catch(() => undefined);
    assert.equal(info.jobs.running, 1);
    assert.ok(ms < 500, `host/info took ${ms} ms during a job`);
  });

  test('tensor memory stays flat across 20 describe requests', async () => {
    await client.run('model/describe', { file: tiny.file });
    const before = (await client.info()).memory;
    for (let i = 0; i < 20; i++) await client.run('model/describe', { file: tiny.file });
    const afterwards = (await client.info()).memory;
    assert.equal(afterwards.tfTensors, before.tfTensors);
    assert.equal(afterwards.tfBytes, before.tfBytes);
  });

  test('tensor memory stays flat across 20 self-test jobs, finished and cancelled', async () => {
    const before = (await client.info()).memory;
    for (let i = 0; i < 20; i++) {
      const source = new CancellationTokenSource();
      if (i % 2 === 1) setTimeout(() => source.cancel(), 5);
      await client.run('host/selfTest', { batches: 4, size: 16, delayMs: 2 }, { token: source.token }).catch((e: unknown) => {
        if (!(e instanceof HostRequestError && e.kind === 'cancelled')) throw e;
      });
    }
    const afterwards = (await client.info()).memory;
    assert.equal(afterwards.tfTensors, before.tfTensors);
    assert.equal(afterwards.tfBytes, before.tfBytes);
  });
});

describe('host lifecycle and options', () => {
  test('--backend cpu is honoured', async () => {
    const c = newClient({ backend: 'cpu' });
    try {
      assert.equal((await c.info()).backend.name, 'cpu');
    } finally {
      await c.dispose();
    }
  });

  test('LINEAR_LENS_BACKEND is honoured when no flag is given', async () => {
    const c = newClient({ env: { LINEAR_LENS_BACKEND: 'cpu' } });
    try {
      assert.equal((await c.info()).backend.name, 'cpu');
    } finally {
      await c.dispose();
    }
  });

  test('a tfjs-node folder without the package falls back to wasm and says why', async () => {
    const c = newClient({ tfjsNodePath: ROOT });
    try {
      const info = await c.info();
      assert.equal(info.backend.name, 'wasm');
      assert.match(info.backend.notUsed.find((n) => n.backend === 'tensorflow')?.reason ?? '', /no @tensorflow\/tfjs-node/);
    } finally {
      await c.dispose();
    }
  });

  test('dispose shuts the host down cleanly (exit code 0)', async () => {
    const c = newClient();
    await c.info();
    const exit = new Promise<{ code: number | null; expected: boolean }>((resolve) => c.onExit((e) => resolve(e)));
    await c.dispose();
    const e = await exit;
    assert.equal(e.code, 0);
    assert.equal(e.expected, true);
  });

  test('a host killed under a request rejects it as a connection error', async () => {
    const c = newClient();
    await c.info();
    const job = c.run('host/selfTest', { batches: 100_000, delayMs: 5 });
    await new Promise((r) => setTimeout(r, 100));
    process.kill(c.pid!, 'SIGKILL');
    const err = await rejection(job);
    assert.equal(err.kind, 'connection');
    await c.dispose();
  });
});
