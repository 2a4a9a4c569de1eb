import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';

/** How to start a worker thread: a file, or (from TypeScript sources) a line of code to eval. */
export interface WorkerEntry {
  readonly filename: string;
  readonly eval: boolean;
  readonly execArgv?: string[];
}

/**
 * Where the worker's code is. From the esbuild bundles (cli.js, host.js, bench.js) it is
 * dist/worker.js beside them. From TypeScript sources (the tests run `node --import tsx`) a
 * worker cannot start from a .ts file, because Node loads a worker's main script before any
 * --import hook; instead it evals two lines that register tsx's require hook and load worker.ts.
 * Another worker (the HDF5 reader) passes its own source file and bundle name.
 */
export function workerEntry(tsSource?: string, bundle = 'worker.js'): WorkerEntry {
  const self = typeof __filename === 'string' ? __filename : '';
  const dir = typeof __dirname === 'string' ? __dirname : process.cwd();
  if (self.endsWith('.ts')) {
    const tsx = createRequire(self).resolve('tsx/cjs/api');
    const entry = tsSource ?? path.join(dir, 'worker.ts');
    // No inherited --import tsx: the require hook is all a CommonJS package needs, and the ESM
    // hooks would cost every worker another loader thread.
    return { filename: `require(${JSON.stringify(tsx)}).register();\nrequire(${JSON.stringify(entry)});`, eval: true, execArgv: [] };
  }
  const file = path.join(dir, bundle);
  if (!fs.existsSync(file)) throw new Error(`The worker bundle ${file} is missing; build it with node esbuild.mjs.`);
  return { filename: file, eval: false };
}
