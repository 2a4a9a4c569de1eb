/**
 * The worker thread's entry (bundled as dist/worker.js): initialises the parent's backend, then
 * runs the tasks it is sent, one at a time, answering each with its output or its error. Only
 * data arrives here (graphs, shared arrays, numbers); the code that runs is this project's.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { initBackend } from '../tf/backend';
import { WorkContext } from '../progress';
import { AnyTask } from './task';
import { TASKS } from './tasks';
import { FromWorker, ToWorker, toWire, WorkerSetup } from './wire';

const port = parentPort;
if (!port) throw new Error('src/core/parallel/worker.ts is the entry of a worker thread; it cannot run in the main thread.');

const setup = workerData as WorkerSetup;
const post = (m: FromWorker, transfer: ArrayBuffer[] = []): void => port.postMessage(m, transfer);

let open: { task: AnyTask; state: unknown } | undefined;

function close(): void {
  if (open) open.task.close(open.state);
  open = undefined;
}

/** Buffers of a typed-array output that can move to the parent instead of being copied. */
function transferables(output: unknown): ArrayBuffer[] {
  return ArrayBuffer.isView(output) && output.buffer instanceof ArrayBuffer ? [output.buffer] : [];
}

async function handle(m: ToWorker): Promise<void> {
  if (m.type === 'open') {
    close();
    const task = TASKS.get(m.task);
    if (!task) throw new Error(`worker: no task named ${m.task}`);
    open = { task, state: await task.open(m.setup) };
    return;
  }
  if (!open) throw new Error('worker: a task arrived before its setup');
  const id = m.id;
  const ctx: WorkContext = { progress: (fraction, message) => post({ type: 'progress', id, fraction, message }) };
  try {
    const output = await open.task.run(open.state, m.input, ctx);
    post({ type: 'done', id, output }, transferables(output));
  } catch (e) {
    post({ type: 'error', id, error: toWire(e) });
  }
}

// Messages are handled strictly in order: a task waits for the backend and for its setup.
let queue: Promise<void> = initBackend(setup.backend).then(() => undefined);
port.on('message', (m: ToWorker) => {
  queue = queue.then(() => handle(m)).catch((e: unknown) => post({ type: 'error', error: toWire(e) }));
});
queue.catch((e: unknown) => post({ type: 'error', error: toWire(e) }));
