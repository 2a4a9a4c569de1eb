import { WorkContext } from '../progress';

/**
 * One kind of work a worker thread can do: `open` turns the job's setup (sent once per worker:
 * graphs, shared data) into state, `run` does one task with it, `close` frees it. The same object
 * is named by the parent (which only sends its `name`) and looked up by name in the worker
 * (src/core/parallel/tasks.ts), so setup, input and output types are checked on both sides.
 * Setup, inputs and outputs cross threads by structured clone: plain data only.
 */
export interface ParallelTask<Setup, Input, Output, State = unknown> {
  readonly name: string;
  open(setup: Setup): Promise<State> | State;
  /** Reports progress in [0, 1] of this task through ctx. */
  run(state: State, input: Input, ctx: WorkContext): Promise<Output>;
  close(state: State): void;
}

/** Any task, for the worker's registry. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyTask = ParallelTask<any, any, any, any>;
