/**
 * The HDF5 worker thread's entry (bundled as dist/h5-worker.js; started by h5Thread.ts): reads one
 * .h5 file or .keras archive with h5wasm, converts it to the Graph IR and posts it back, moving
 * the weight buffers; or posts the error. The parent terminates it when it takes too long.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Graph } from '../../graph/ir';
import { toWire } from '../../parallel/wire';
import type { H5Job, H5Reply } from './h5Thread';
import { readKerasH5 } from './kerasH5';
import { readKerasV3 } from './kerasV3';

if (!parentPort) throw new Error('src/core/formats/keras/h5Worker.ts is the entry of a worker thread; it cannot run in the main thread.');

/** The weight buffers, each once (views may share one). */
function buffers(graph: Graph): ArrayBuffer[] {
  const set = new Set<ArrayBuffer>();
  for (const p of graph.params.values()) if (p.data.buffer instanceof ArrayBuffer) set.add(p.data.buffer);
  return [...set];
}

const { kind, file, bytes, port: reply } = workerData as H5Job;
const post = (m: H5Reply, transfer: ArrayBuffer[] = []): void => reply.postMessage(m, transfer);

(kind === 'h5' ? readKerasH5 : readKerasV3)(file, bytes).then(
  (graph) => {
    try {
      post({ ok: true, graph }, buffers(graph));
    } catch (e) {
      post({ ok: false, error: toWire(e) });
    }
  },
  (e: unknown) => post({ ok: false, error: toWire(e) }),
);
