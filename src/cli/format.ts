/** Text layout of the CLI's reports; numbers and shapes in words come from protocol/format.ts. */
export { formatBytes, formatCount, formatShape } from '../protocol/format';

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
