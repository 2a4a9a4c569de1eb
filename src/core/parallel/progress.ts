/**
 * Progress of a set of tasks running at once: each task's own fraction, weighted (e.g. by the
 * networks it holds), summed into one fraction of the whole. It never goes back, even when a
 * task's reports arrive late.
 */
export class ProgressSum {
  private readonly parts: Float64Array;
  private readonly total: number;
  private last = 0;

  constructor(private readonly weights: readonly number[]) {
    this.parts = new Float64Array(weights.length);
    this.total = weights.reduce((s, w) => s + w, 0) || 1;
  }

  /** Records task `index` at `fraction` of its work; returns the whole's fraction in [0, 1]. */
  set(index: number, fraction: number): number {
    this.parts[index] = Math.max(this.parts[index], Math.min(Math.max(fraction, 0), 1));
    let s = 0;
    for (let i = 0; i < this.parts.length; i++) s += this.parts[i] * this.weights[i];
    this.last = Math.max(this.last, Math.min(s / this.total, 1));
    return this.last;
  }

  /** Weighted work done so far, in the weights' unit (e.g. networks). */
  done(): number {
    return this.last * this.total;
  }
}
