/**
 * Changes to the figures a panel keeps (pure functions, unit-tested): a streamed point folded into
 * its curve, and a click's answer merged in by id.
 */
import type { CurvePoint, FigureSpec } from '../../protocol/webview';

/** `figures` with `point` appended to one curve; unchanged when there is no such curve. */
export function withPoint(figures: readonly FigureSpec[], figureId: string, seriesId: string, point: CurvePoint): readonly FigureSpec[] | undefined {
  const i = figures.findIndex((f) => f.id === figureId);
  const fig = figures[i];
  if (!fig || fig.kind !== 'line') return undefined;
  const j = fig.series.findIndex((s) => s.id === seriesId);
  if (j < 0) return undefined;
  const series = fig.series.map((s, k) => (k === j ? { ...s, points: [...s.points, point] } : s));
  return figures.map((f, k) => (k === i ? { ...fig, series } : f));
}

/** Items of `update` replace those of the same id in `current`; new ones are appended. */
export function mergeById<T extends { readonly id: string }>(current: readonly T[], update: readonly T[] | undefined): readonly T[] {
  if (!update?.length) return current;
  const byId = new Map(update.map((u) => [u.id, u]));
  const merged = current.map((c) => byId.get(c.id) ?? c);
  const known = new Set(current.map((c) => c.id));
  return [...merged, ...update.filter((u) => !known.has(u.id))];
}
