import * as fs from 'node:fs';
import * as path from 'node:path';

/** Writes one figure into `dir` (created if needed) and records its path in `out`. */
export function writePng(dir: string, name: string, png: Buffer, out: string[]): void {
  fs.mkdirSync(dir, { recursive: true });
  const f = path.join(dir, name);
  fs.writeFileSync(f, png);
  out.push(f);
}
