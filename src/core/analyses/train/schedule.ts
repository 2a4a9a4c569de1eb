import { UserError } from '../../errors';

/**
 * Learning rate against steps. 'linear' is the NAD reference's schedule: np.interp from lr at
 * t = 0 to 0 at t = T, read after each step's share of progress, so step k of T (1-based) runs
 * at lr·(1 − k/T) and the last step at 0. 'cosine' is lr·½(1 + cos(π·(k−1)/T)).
 */
export type LrSchedule = 'constant' | 'linear' | 'cosine';

/** The learning rate of step k (1-based) of T. */
export function learningRate(schedule: LrSchedule, lr: number, k: number, total: number): number {
  switch (schedule) {
    case 'constant':
      return lr;
    case 'linear':
      return lr * Math.max(0, 1 - k / total);
    case 'cosine':
      return lr * 0.5 * (1 + Math.cos((Math.PI * (k - 1)) / total));
    default:
      throw new UserError(`Unknown learning-rate schedule "${String(schedule)}"; use constant, linear or cosine.`);
  }
}
