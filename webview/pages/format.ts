/** Numbers, shapes and times in words for the webviews (the overview and the CLI agree). */
export { formatBytes, formatCount, formatShape } from '../../src/protocol/format';

/** "3 min ago", "just now": how long ago a time was. */
export function formatAgo(then: number, now: number = Date.now()): string {
  const s = Math.max(0, Math.round((now - then) / 1000));
  if (s < 45) return 'just now';
  const m = Math.round(s / 60);
  if (m < 60) return `${m} min ago`;
  const h = Math.round(m / 60);
  if (h < 24) return `${h} h ago`;
  return new Date(then).toLocaleDateString('en-US', { month: 'short', day: 'numeric' });
}
