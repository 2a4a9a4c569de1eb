import * as path from 'node:path';
import { MessageChannel, MessagePort, receiveMessageOnPort, Worker } from 'node:worker_threads';
import { UserError } from '../../errors';
import { Graph } from '../../graph/ir';
import { workerEntry, type WorkerEntry } from '../../parallel/entry';
import { fromWire, WireError } from '../../parallel/wire';

/**
 * Keras .h5 files and .keras archives are read in a worker thread with a deadline. h5wasm runs the
 * HDF5 C library as synchronous WebAssembly, and a damaged file can make it loop for minutes
 * (fuzz seed 486); JavaScript cannot interrupt that in its own thread, but it can terminate a
 * worker. The worker (h5Worker.ts) reads the file and converts it to the Graph IR, which comes
 * back as plain data (its weight buffers moved, not copied); its errors come back with their class.
 */

/** Overrides the deadline, in milliseconds (tests set it low). */
export const H5_DEADLINE_ENV = 'LINEAR_LENS_H5_DEADLINE_MS';

/** What the worker is started with. */
export interface H5Job {
  readonly kind: 'h5' | 'keras';
  readonly file: string;
  readonly bytes: Uint8Array;
  /** Where the worker posts its H5Reply. */
  readonly port: MessagePort;
}

/** What the worker answers. */
export type H5Reply = { readonly ok: true; readonly graph: Graph } | { readonly ok: false; readonly error: WireError };

/** The time allowed for reading a file of `byteLength` bytes: 60 s plus 1 s per 10 MB, or the env override. */
export function h5Deadline(byteLength: number): number {
  const env = process.env[H5_DEADLINE_ENV];
  if (env !== undefined && env !== '' && Number.isFinite(Number(env)) && Number(env) > 0) return Number(env);
  return 60_000 + Math.ceil(byteLength / 10_000_000) * 1000;
}

/** Where the worker's code is: dist/h5-worker.js beside the bundles, or h5Worker.ts from sources (see core/parallel/entry.ts). */
function h5WorkerEntry(): WorkerEntry {
  return workerEntry(path.join(typeof __dirname === 'string' ? __dirname : process.cwd(), 'h5Worker.ts'), 'h5-worker.js');
}

const seconds = (ms: number): string => String(Number((ms / 1000).toFixed(ms < 10_000 ? 1 : 0)));

/** Reads `bytes` (an .h5 file or a .keras archive) into the Graph IR in a worker thread, within the deadline. */
async function inWorker(kind: H5Job['kind'], file: string, bytes: Uint8Array): Promise<Graph> {
  const ms = h5Deadline(bytes.length);
  const entry = h5WorkerEntry();
  // One copy, moved to the worker: the caller keeps its bytes.
  const copy = bytes.slice();
  // A channel of its own, so that a reply can still be looked for when the deadline fires or the
  // thread exits: a main thread that was busy sees those events before a message that came in time.
  const { port1, port2 } = new MessageChannel();
  const job: H5Job = { kind, file, bytes: copy, port: port2 };
  const worker = new Worker(entry.filename, { eval: entry.eval, workerData: job, transferList: [copy.buffer, port2], ...(entry.execArgv ? { execArgv: entry.execArgv } : {}) });
  let timer: NodeJS.Timeout | undefined;
  try {
    return await new Promise<Graph>((resolve, reject) => {
      const settle = (m: H5Reply): void => (m.ok ? resolve(m.graph) : reject(fromWire(m.error)));
      const fail = (e: Error): void => {
        const reply = receiveMessageOnPort(port1);
        if (reply) settle(reply.message as H5Reply);
        else reject(e);
      };
      timer = setTimeout(() => {
        const what = kind === 'h5' ? 'this file' : 'the model.weights.h5 of this archive';
        fail(new UserError(`${file}: the HDF5 library did not finish reading ${what} within ${seconds(ms)} s; the file is probably damaged.`, file));
      }, ms);
      port1.once('message', settle);
      worker.once('error', (e: Error) => fail(new Error(`The HDF5 worker thread failed while reading ${file}: ${e.message}`, { cause: e })));
      worker.once('exit', (code) => fail(new Error(`The HDF5 worker thread stopped (exit code ${code}) before it finished reading ${file}.`)));
    });
  } finally {
    clearTimeout(timer);
    port1.close();
    // Ends the thread however it went, a loop inside the wasm code included.
    await worker.terminate();
  }
}

/** Loads a legacy Keras .h5 full model (model_config + model_weights) into the Graph IR. */
export function loadKerasH5(file: string, bytes: Uint8Array): Promise<Graph> {
  return inWorker('h5', file, bytes);
}

/** Loads a Keras .keras archive (Keras 3, or tf.keras 2.13-2.15) into the Graph IR. */
export function loadKerasV3(file: string, bytes: Uint8Array): Promise<Graph> {
  return inWorker('keras', file, bytes);
}
