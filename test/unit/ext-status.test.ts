/** The status bar item's text and tooltip for each host state, and the GPU name from nvidia-smi. */
import * as assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseNvidiaSmiList } from '../../src/extension/host/gpuName';
import { escapeMarkdown, shortBackend, statusView } from '../../src/extension/host/statusText';
import type { HostInfo } from '../../src/protocol/host';

const info = (over: Partial<HostInfo['backend']> = {}): HostInfo => ({
  backend: {
    name: 'wasm',
    device: 'wasm (CPU, SIMD)',
    notUsed: [{ backend: 'tensorflow', reason: 'not installed (run "Linear Lens: Enable GPU Backend")' }],
    tfjsVersion: '4.22.0',
    ...over,
  },
  versions: { node: '20.19.0', tfjs: '4.22.0', linearLens: '0.1.0' },
  memory: { rss: 200 * 1024 * 1024, heapUsed: 50 * 1024 * 1024, tfBytes: 0, tfTensors: 3 },
  pid: 4242,
  jobs: { running: 0, queued: 0 },
});

describe('status bar', () => {
  test('running on wasm: the backend in the text, details and pid in the tooltip', () => {
    const v = statusView({ status: 'running', info: info(), recentCrashes: 0 }, []);
    assert.equal(v.text, '$(circuit-board) Linear Lens: wasm (CPU)');
    assert.equal(v.command, 'linearLens.showHostInfo');
    assert.match(v.tooltip, /Backend: \*\*wasm \\\(CPU, SIMD\\\)\*\* \(process 4242\)/);
    assert.match(v.tooltip, /tensorflow not used: not installed/);
    assert.match(v.tooltip, /Memory: rss 200\.0 MiB, heap 50\.0 MiB, 3 tensors/);
    assert.ok(!v.error);
  });

  test('jobs show in the text and the tooltip', () => {
    const v = statusView({ status: 'running', info: info(), recentCrashes: 1 }, [
      { id: 'c1', title: 'Linear interpreter: model.onnx', method: 'model/describe', fraction: 0.4, message: 'rows', started: 0 },
    ]);
    assert.equal(v.text, '$(sync~spin) Linear Lens: wasm (CPU) · 1 job');
    assert.match(v.tooltip, /Linear interpreter: model\\\.onnx: 40% \(rows\)/);
    assert.match(v.tooltip, /Restarted after 1 crash in the last 3 minutes/);
  });

  test('failed: error colours, a click restarts', () => {
    const v = statusView({ status: 'failed', reason: 'The compute host crashed 5 times in 3 minutes', recentCrashes: 5 }, []);
    assert.equal(v.text, '$(error) Linear Lens: host stopped');
    assert.equal(v.command, 'linearLens.restartHost');
    assert.ok(v.error);
    assert.match(v.tooltip, /crashed 5 times/);
  });

  test('starting, restarting, stopped', () => {
    assert.match(statusView({ status: 'starting', recentCrashes: 0 }, []).text, /starting…/);
    assert.match(statusView({ status: 'restarting', recentCrashes: 2 }, []).tooltip, /after a crash \(2 in the last 3 minutes\)/);
    assert.equal(statusView({ status: 'stopped', recentCrashes: 0 }, []).text, '$(circuit-board) Linear Lens');
  });

  test('the GPU by name when tensorflow runs on one', () => {
    const gpu = info({ name: 'tensorflow', device: 'tensorflow (GPU (CUDA, libtensorflow))', notUsed: [] });
    assert.equal(shortBackend(gpu, 'NVIDIA H100 80GB HBM3'), 'NVIDIA H100 80GB HBM3');
    assert.equal(shortBackend(gpu), 'tensorflow (GPU)');
    assert.equal(shortBackend(info({ name: 'tensorflow', device: 'tensorflow (CPU (libtensorflow))' }), 'X'), 'tensorflow (CPU)');
    assert.equal(shortBackend(info({ name: 'cpu', device: 'cpu (plain JavaScript)' })), 'cpu (JavaScript)');
    assert.equal(parseNvidiaSmiList('GPU 0: NVIDIA H100 80GB HBM3 (UUID: GPU-1234)\nGPU 1: other\n'), 'NVIDIA H100 80GB HBM3');
    assert.equal(parseNvidiaSmiList('No devices were found'), undefined);
  });

  test('markdown in reasons is escaped', () => {
    assert.equal(escapeMarkdown('a_b*[c](d)'), 'a\\_b\\*\\[c\\]\\(d\\)');
  });
});
