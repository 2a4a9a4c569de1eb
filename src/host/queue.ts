import { CancelledError } from '../core/errors';

/** One job's cancellation flag, read by the work between batches. */
export interface JobControl {
  readonly jobId: string;
  readonly cancelled: () => boolean;
}

interface Entry {
  readonly control: JobControl;
  cancel(): void;
  start(): void;
}

/**
 * Runs jobs in submission order, `concurrency` at a time. One at a time by default: analyses share
 * one backend and its memory, and two interleaved ones would only both be slower.
 */
export class JobQueue {
  private readonly waiting: Entry[] = [];
  private readonly running = new Map<string, Entry>();

  constructor(private readonly concurrency = 1) {}

  /** Queues `work`; it starts when a slot frees up and sees `cancelled()` turn true on cancel. */
  submit<T>(jobId: string, work: (control: JobControl) => Promise<T>): Promise<T> {
    if (this.find(jobId)) return Promise.reject(new Error(`job id "${jobId}" is already in use`));
    return new Promise<T>((resolve, reject) => {
      let cancelled = false;
      const control: JobControl = { jobId, cancelled: () => cancelled };
      const entry: Entry = {
        control,
        cancel: () => {
          cancelled = true;
          const i = this.waiting.indexOf(entry);
          if (i >= 0) {
            // Never started: answer now rather than when its turn would have come.
            this.waiting.splice(i, 1);
            reject(new CancelledError());
          }
        },
        start: () => {
          this.running.set(jobId, entry);
          Promise.resolve()
            .then(() => work(control))
            .then(resolve, reject)
            .finally(() => {
              this.running.delete(jobId);
              this.pump();
            });
        },
      };
      this.waiting.push(entry);
      this.pump();
    });
  }

  /** Cancels a queued or running job; false when there is none of that id. */
  cancel(jobId: string): boolean {
    const e = this.find(jobId);
    e?.cancel();
    return !!e;
  }

  /** Cancels every job, queued and running. */
  cancelAll(): void {
    for (const e of [...this.waiting, ...this.running.values()]) e.cancel();
  }

  /** Jobs running and waiting. */
  counts(): { running: number; queued: number } {
    return { running: this.running.size, queued: this.waiting.length };
  }

  /** True when a job of that id is queued or running. */
  has(jobId: string): boolean {
    return this.find(jobId) !== undefined;
  }

  private find(jobId: string): Entry | undefined {
    return this.running.get(jobId) ?? this.waiting.find((e) => e.control.jobId === jobId);
  }

  private pump(): void {
    while (this.running.size < this.concurrency && this.waiting.length > 0) this.waiting.shift()!.start();
  }
}
