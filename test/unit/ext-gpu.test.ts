/**
 * "Enable GPU Backend" without a GPU or the network: the real npm against an unreachable
 * registry (a clear message), npm's real output of a failed libtensorflow download (recorded on a
 * machine that reaches npm but not storage.googleapis.com), cancel mid-install, folders that do
 * or do not hold the package, and the message built from the host's answer.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { gpuOutcome } from '../../src/extension/host/gpu/gpuOutcome';
import { explainNpmFailure, findOnPath, npmInstall, NpmInstallResult } from '../../src/extension/host/gpu/npmInstall';
import { inspectTfjsNodeFolder } from '../../src/extension/host/gpu/tfjsNodeInstall';
import type { HostInfo } from '../../src/protocol/host';
import { ROOT } from '../support/build';

const npm = findOnPath('npm');
let tmp: string;
before(() => (tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'll-gpu-'))));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** npm's own settings for these runs: no user config, no retries, a private cache. */
const npmEnv = (registry: string): NodeJS.ProcessEnv => ({
  npm_config_registry: registry,
  npm_config_fetch_retries: '0',
  npm_config_fetch_timeout: '60000',
  npm_config_cache: path.join(tmp, 'npm-cache'),
  npm_config_userconfig: path.join(tmp, 'no-npmrc'),
});

describe('npm install of @tensorflow/tfjs-node-gpu', () => {
  test('findOnPath finds executables on PATH only', () => {
    assert.equal(findOnPath('node', { PATH: path.dirname(process.execPath) }), process.execPath);
    assert.equal(findOnPath('node', { PATH: tmp }), undefined);
    assert.equal(findOnPath('node', {}), undefined);
  });

  test('an unreachable registry: npm fails and the message says the machine looks offline', { skip: !npm && 'npm is not on PATH' }, async () => {
    const lines: string[] = [];
    const prefix = path.join(tmp, 'offline');
    const r = await npmInstall({ npm: npm!, prefix, packages: ['@tensorflow/tfjs-node-gpu'], env: npmEnv('http://127.0.0.1:9/'), onLine: (l) => lines.push(l) });
    assert.equal(r.ok, false);
    assert.equal(r.cancelled, false);
    assert.notEqual(r.code, 0);
    assert.ok(lines.some((l) => /ECONNREFUSED/.test(l)), lines.join('\n'));
    assert.ok(fs.existsSync(path.join(prefix, 'package.json')), 'the prefix got a private package.json');
    const why = explainNpmFailure(r);
    assert.match(why, /^npm could not reach the package registry \(.*ECONNREFUSED.*\): this machine looks offline or needs a proxy/);
    assert.match(why, /npm exited with code \d+/);
  });

  test('cancel stops npm while it waits for the registry', { skip: !npm && 'npm is not on PATH' }, async () => {
    // A registry that accepts connections and never answers.
    const sockets: net.Socket[] = [];
    const server = net.createServer((s) => sockets.push(s));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    try {
      const abort = new AbortController();
      const t0 = Date.now();
      const started = npmInstall({
        npm: npm!,
        prefix: path.join(tmp, 'cancel'),
        packages: ['@tensorflow/tfjs-node-gpu'],
        env: npmEnv(`http://127.0.0.1:${port}/`),
        signal: abort.signal,
      });
      await new Promise((r) => setTimeout(r, 1500));
      abort.abort();
      const r = await started;
      assert.equal(r.cancelled, true);
      assert.equal(r.ok, false);
      assert.ok(Date.now() - t0 < 15_000, 'cancel is prompt');
      assert.equal(explainNpmFailure(r), 'the install was cancelled.');
    } finally {
      for (const s of sockets) s.destroy();
      server.close();
    }
  });

  test("a failed libtensorflow download (npm's real output) is explained as such", () => {
    const lines = fs.readFileSync(path.join(ROOT, 'test/fixtures/npm/tfjs-node-gpu-postinstall-offline.log'), 'utf8').split('\n');
    const r: NpmInstallResult = { ok: false, code: 1, signal: null, cancelled: false, lines };
    const why = explainNpmFailure(r);
    assert.match(why, /^@tensorflow\/tfjs-node-gpu was downloaded, but its install script could not get libtensorflow \(https:\/\/storage\.googleapis\.com\/tensorflow\/libtensorflow\/libtensorflow-gpu-linux-x86_64-2\.9\.1\.tar\.gz\)/);
    assert.match(why, /getaddrinfo ENOTFOUND storage\.googleapis\.com/);
    assert.match(why, /This machine cannot download from storage\.googleapis\.com/);
    assert.match(why, /Use an Existing Install/);
  });

  test('npm that cannot start', () => {
    assert.equal(explainNpmFailure({ ok: false, code: null, signal: null, cancelled: false, spawnError: 'spawn npm ENOENT', lines: [] }), 'npm could not be started (spawn npm ENOENT).');
  });
});

describe('a folder with an existing install', () => {
  test('a folder without the package is refused with a reason', () => {
    const empty = path.join(tmp, 'empty');
    fs.mkdirSync(empty);
    const r = inspectTfjsNodeFolder(empty);
    assert.equal(r.ok, false);
    assert.match(!r.ok ? r.reason : '', /holds no @tensorflow\/tfjs-node-gpu or @tensorflow\/tfjs-node/);
    assert.match(inspectTfjsNodeFolder(path.join(tmp, 'nope')).ok ? '' : 'does not exist', /does not exist/);
  });

  test('a folder with the package but no native binding: found, with the problem named', () => {
    const dir = path.join(tmp, 'half');
    const pkg = path.join(dir, 'node_modules', '@tensorflow', 'tfjs-node-gpu');
    fs.mkdirSync(pkg, { recursive: true });
    fs.writeFileSync(path.join(pkg, 'package.json'), JSON.stringify({ name: '@tensorflow/tfjs-node-gpu', version: '4.22.0', main: 'index.js' }));
    const r = inspectTfjsNodeFolder(dir);
    assert.ok(r.ok);
    assert.equal(r.ok && r.packageName, '@tensorflow/tfjs-node-gpu');
    assert.equal(r.ok && r.version, '4.22.0');
    assert.match((r.ok && r.nativeProblem) || '', /tfjs_binding\.node\) is missing/);
    // With the binding in place the folder looks complete; the package folder itself works too.
    fs.mkdirSync(path.join(pkg, 'lib', 'napi-v8'), { recursive: true });
    fs.writeFileSync(path.join(pkg, 'lib', 'napi-v8', 'tfjs_binding.node'), '');
    const again = inspectTfjsNodeFolder(pkg);
    assert.ok(again.ok && !again.nativeProblem);
  });
});

describe('what the host says afterwards', () => {
  const info = (backend: HostInfo['backend']): HostInfo => ({
    backend,
    versions: { node: '20', tfjs: '4.22.0', linearLens: '0.1.0' },
    memory: { rss: 0, heapUsed: 0, tfBytes: 0, tfTensors: 0 },
    pid: 1,
    jobs: { running: 0, queued: 0 },
  });

  test('success names the device', () => {
    const o = gpuOutcome(info({ name: 'tensorflow', device: 'tensorflow (GPU (CUDA, libtensorflow))', notUsed: [], tfjsVersion: '4.22.0' }), '/g', 'auto');
    assert.deepEqual(o, { ok: true, message: 'Linear Lens now computes on tensorflow (GPU (CUDA, libtensorflow)) (TensorFlow.js for Node from /g).' });
  });

  test('missing CUDA: the host reason, which names CUDA 11.2 and cuDNN 8.1', () => {
    const reason = '@tensorflow/tfjs-node-gpu is installed but CUDA libraries are missing (libcudart.so.11.0: cannot open shared object file); it needs CUDA 11.2 and cuDNN 8.1';
    const o = gpuOutcome(info({ name: 'wasm', device: 'wasm (CPU, SIMD)', notUsed: [{ backend: 'tensorflow', reason }], tfjsVersion: '4.22.0' }), '/g', 'auto');
    assert.equal(o.ok, false);
    assert.match(o.message, /still runs on wasm \(CPU, SIMD\): the GPU backend from \/g did not load: .*CUDA 11\.2 and cuDNN 8\.1\.$/);
  });

  test('a library load failure without CUDA in it gets the hint', () => {
    const o = gpuOutcome(info({ name: 'wasm', device: 'wasm (CPU)', notUsed: [{ backend: 'tensorflow', reason: '@tensorflow/tfjs-node-gpu failed to load: libtensorflow.so.2: cannot open shared object file' }], tfjsVersion: '4.22.0' }), '/g', 'auto');
    assert.match(o.message, /needs an NVIDIA driver with the CUDA 11\.2 and cuDNN 8\.1 libraries/);
  });

  test('a backend setting that rules it out says so', () => {
    const o = gpuOutcome(info({ name: 'wasm', device: 'wasm (CPU)', notUsed: [], tfjsVersion: '4.22.0' }), '/g', 'wasm');
    assert.match(o.message, /linearLens\.backend is "wasm".*Set linearLens\.backend to "auto"/);
  });
});
