/** Formats a model shape; free dimensions (null) print as "?". */
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

export type Align = 'left' | 'right';

/** Lays rows out in columns padded to their widest cell, two spaces apart; trailing spaces trimmed. */
export function table(rows: readonly (readonly string[])[], align: readonly Align[] = []): string[] {
  const cols = Math.max(0, ...rows.map((r) => r.length));
  const widths = Array.from({ length: cols }, (_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  const line = (r: readonly string[]) =>
    widths
      .map((w, c) => (align[c] === 'right' ? (r[c] ?? '').padStart(w) : (r[c] ?? '').padEnd(w)))
      .join('  ')
      .trimEnd();
  return rows.map(line);
}

/** Label/value lines with the values aligned; a value's further lines are indented under its first. */
export function fields(pairs: readonly (readonly [string, string])[]): string[] {
  const w = Math.max(...pairs.map(([k]) => k.length));
  return pairs.flatMap(([k, v]) => v.split('\n').map((line, i) => `${(i === 0 ? k : '').padEnd(w)}  ${line}`.trimEnd()));
}
