/** Timing helpers for `npm run bench`: medians over repeats, after a warm-up, in one process. */

export interface Timing {
  readonly median: number;
  readonly min: number;
  readonly runs: number;
}

/** Runs `f` once to warm up, then `repeats` times; milliseconds. */
export async function time(f: () => Promise<void> | void, repeats = 7): Promise<Timing> {
  await f();
  const ts: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    await f();
    ts.push(performance.now() - t0);
  }
  ts.sort((a, b) => a - b);
  return { median: ts[Math.floor(ts.length / 2)], min: ts[0], runs: repeats };
}

/** One row of the benchmark table. */
export interface BenchRow {
  readonly name: string;
  /** What the ratio compares against, in words. */
  readonly peer: string;
  readonly oursMs: number;
  readonly peerMs: number;
  /** ours / peer: below 1 is faster than the peer. */
  readonly ratio: number;
  /** The goal for the ratio, from the issue. */
  readonly goal: number;
  readonly notes?: string;
}
