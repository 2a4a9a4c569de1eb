/**
 * The CLI and host tests run the built bundles, as users get them. This makes sure dist/ is built
 * from the current sources: it rebuilds when a bundle is missing or older than any source file,
 * under a lock so parallel test files do not build over each other.
 * LINEAR_LENS_SKIP_BUILD=1 uses dist/ as it is (a CI step that just built it).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

export const ROOT = path.resolve(__dirname, '../..');
export const DIST = path.join(ROOT, 'dist');
export const CLI = path.join(DIST, 'cli.js');
export const HOST = path.join(DIST, 'host.js');

function newestSource(dir: string): number {
  let newest = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestSource(p));
    else if (/\.(ts|mts|js|mjs|json)$/.test(e.name)) newest = Math.max(newest, fs.statSync(p).mtimeMs);
  }
  return newest;
}

function isFresh(): boolean {
  const bundles = [CLI, HOST, ...['extension.js', 'worker.js', 'h5-worker.js'].map((b) => path.join(DIST, b))];
  if (!bundles.every((b) => fs.existsSync(b))) return false;
  const built = Math.min(...bundles.map((b) => fs.statSync(b).mtimeMs));
  const sources = Math.max(newestSource(path.join(ROOT, 'src')), fs.statSync(path.join(ROOT, 'esbuild.mjs')).mtimeMs);
  return built >= sources;
}

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Builds dist/ when it is missing or stale; throws with esbuild's output when the build fails. */
export function ensureBuilt(): void {
  if (process.env.LINEAR_LENS_SKIP_BUILD === '1' || isFresh()) return;
  fs.mkdirSync(DIST, { recursive: true });
  const lock = path.join(DIST, '.build-lock');
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      fs.mkdirSync(lock);
      break;
    } catch {
      // Another test file is building: a stale lock (a killed run) is taken over after two minutes.
      if (Date.now() > deadline) fs.rmSync(lock, { recursive: true, force: true });
      sleep(200);
    }
  }
  try {
    if (isFresh()) return;
    const r = spawnSync(process.execPath, [path.join(ROOT, 'esbuild.mjs')], { cwd: ROOT, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`the build failed (node esbuild.mjs):\n${r.stdout}\n${r.stderr}`);
  } finally {
    fs.rmSync(lock, { recursive: true, force: true });
  }
}
