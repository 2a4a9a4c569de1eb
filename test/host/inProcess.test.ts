/**
 * The same HostServer in this process over in-memory streams (how the CLI or a test can embed it),
 * from the TypeScript sources. Run: node --import tsx --test test/host/inProcess.test.ts
 */
import * as assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CancellationTokenSource, ResponseError } from 'vscode-jsonrpc';
import { startInProcessHost, InProcessHost } from '../../src/host/inProcess';
import { hostInfoRequest, jobPartialNotification, jobRequest } from '../../src/protocol/rpc';
import { HostErrorCode, HostErrorData, JobPartial } from '../../src/protocol/jobs';
import { JobQueue } from '../../src/host/queue';
import type { JobParamsOf } from '../../src/protocol/methods';
import { parseHostOptions } from '../../src/host/options';

describe('in-process host', () => {
  let host: InProcessHost;
  before(() => {
    host = startInProcessHost({ backend: 'cpu', log: () => undefined });
  });
  after(() => host.dispose());

  test('host/info', async () => {
    const info = await host.client.sendRequest(hostInfoRequest);
    assert.equal(info.backend.name, 'cpu');
    assert.equal(info.pid, process.pid);
  });

  test('partials carry the job id the client chose', async () => {
    const seen: JobPartial[] = [];
    const sub = host.client.onNotification(jobPartialNotification, (p) => {
      seen.push(p);
    });
    const params: JobParamsOf<'host/selfTest'> = { jobId: 'mine', batches: 3 };
    await host.client.sendRequest(jobRequest('host/selfTest'), params);
    sub.dispose();
    assert.equal(seen.length, 3);
    assert.ok(seen.every((p) => p.jobId === 'mine'));
  });

  test('user errors carry the userError code and the file', async () => {
    try {
      const params: JobParamsOf<'model/describe'> = { file: '/nonexistent/model.h5' };
      await host.client.sendRequest(jobRequest('model/describe'), params);
      assert.fail('should fail');
    } catch (e) {
      assert.ok(e instanceof ResponseError);
      assert.equal(e.code, HostErrorCode.userError);
      assert.deepEqual(e.data as HostErrorData, { kind: 'user', file: '/nonexistent/model.h5' });
    }
  });

  test('cancellation through the request token', async () => {
    const source = new CancellationTokenSource();
    const params: JobParamsOf<'host/selfTest'> = { batches: 1_000_000, delayMs: 1 };
    const p = host.client.sendRequest(jobRequest('host/selfTest'), params, source.token);
    setTimeout(() => source.cancel(), 50);
    await assert.rejects(p, (e: unknown) => e instanceof ResponseError && e.code === HostErrorCode.cancelled);
  });
});

describe('job queue', () => {
  test('runs jobs one at a time in order', async () => {
    const q = new JobQueue(1);
    const order: string[] = [];
    const job = (id: string, ms: number) =>
      q.submit(id, async () => {
        order.push(`start ${id}`);
        await new Promise((r) => setTimeout(r, ms));
        order.push(`end ${id}`);
        return id;
      });
    assert.deepEqual(await Promise.all([job('a', 30), job('b', 1), job('c', 1)]), ['a', 'b', 'c']);
    assert.deepEqual(order, ['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
  });

  test('refuses a job id already in use', async () => {
    const q = new JobQueue(1);
    const a = q.submit('x', () => new Promise((r) => setTimeout(r, 20)));
    await assert.rejects(q.submit('x', async () => 1), /already in use/);
    await a;
  });

  test('a job that throws synchronously frees its slot', async () => {
    const q = new JobQueue(1);
    await assert.rejects(
      q.submit('bad', () => {
        throw new Error('boom');
      }),
      /boom/,
    );
    assert.equal(await q.submit('good', async () => 42), 42);
  });
});

describe('host options', () => {
  test('flags win over the environment', () => {
    assert.deepEqual(parseHostOptions(['--backend', 'wasm', '--concurrency=2'], { LINEAR_LENS_BACKEND: 'cpu', LINEAR_LENS_TFJS_NODE: '/opt/tf' }), {
      backend: 'wasm',
      tfjsNodePath: '/opt/tf',
      concurrency: 2,
    });
  });

  test('unknown values are user errors', () => {
    assert.throws(() => parseHostOptions(['--backend', 'gpu'], {}), { name: 'UserError' });
    assert.throws(() => parseHostOptions(['--frobnicate'], {}), { name: 'UserError' });
    assert.throws(() => parseHostOptions(['--concurrency', '0'], {}), { name: 'UserError' });
  });
});
