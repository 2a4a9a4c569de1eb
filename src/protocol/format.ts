/**
 * Numbers and shapes in words, shared by `linear-lens info` and the webviews (the model overview,
 * the side view), so the CLI and the panels print a model the same way.
 */

/** [?, 28, 28, 1]: free dimensions (null) print as "?". */
export function formatShape(shape: readonly (number | null)[]): string {
  return `[${shape.map((d) => (d === null ? '?' : String(d))).join(', ')}]`;
}

/** 1234567 -> "1,234,567". */
export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

/** Bytes in the largest unit that keeps the number at least 1. */
export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${u === 0 ? v : v.toFixed(1)} ${units[u]}`;
}
