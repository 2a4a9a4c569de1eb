/**
 * Counts the compute host's unexpected exits in a sliding time window. A host that keeps dying
 * (a model that exhausts memory on every load, a broken native backend) must not be restarted
 * forever: after too many crashes in the window the supervisor stops and asks the user.
 */
export class CrashWindow {
  private readonly times: number[] = [];

  constructor(
    /** Length of the window in milliseconds. */
    readonly windowMs: number,
  ) {}

  /** Records a crash at `now` and returns how many fall in the window ending at `now`. */
  record(now: number): number {
    this.times.push(now);
    return this.count(now);
  }

  /** Crashes within the window ending at `now`. */
  count(now: number): number {
    while (this.times.length > 0 && now - this.times[0] >= this.windowMs) this.times.shift();
    return this.times.length;
  }

  /** Forgets every crash (the user restarted the host on purpose). */
  reset(): void {
    this.times.length = 0;
  }
}
