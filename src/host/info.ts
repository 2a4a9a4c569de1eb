import * as tf from '@tensorflow/tfjs-core';
import type { BackendInfo as CoreBackendInfo } from '../core/tf/backend';
import type { BackendInfo, HostInfo, HostMemory } from '../protocol/host';
import { LINEAR_LENS_VERSION } from './version';

/** Node's and TensorFlow.js's memory use right now. */
export function hostMemory(): HostMemory {
  const m = tf.memory();
  const p = process.memoryUsage();
  // The wasm backend keeps its Emscripten module here; other backends have none.
  const wasmHeap = (tf.engine().backendName === 'wasm' ? (tf.backend() as unknown as { wasm?: { HEAPU8?: Uint8Array } }).wasm?.HEAPU8?.buffer.byteLength : undefined);
  return { rss: p.rss, heapUsed: p.heapUsed, tfBytes: m.numBytes, tfTensors: m.numTensors, arrayBuffers: p.arrayBuffers, ...(wasmHeap !== undefined ? { wasmHeap } : {}) };
}

/** Everything `host/info` reports, for the host and for the CLI running in-process. */
export function collectHostInfo(backend: CoreBackendInfo, jobs: HostInfo['jobs'] = { running: 0, queued: 0 }): HostInfo {
  // Assigning core's type to the protocol's makes the compiler catch any drift between the two.
  const b: BackendInfo = backend;
  return {
    backend: b,
    versions: { node: process.versions.node, tfjs: tf.version_core, linearLens: LINEAR_LENS_VERSION },
    memory: hostMemory(),
    pid: process.pid,
    jobs,
  };
}
