/**
 * Runs `npm install` of the GPU backend into a folder of the extension's own storage, streaming
 * npm's lines, with cancellation (the whole process tree: npm runs the package's install script,
 * which downloads libtensorflow), and explains a failure in one sentence. No `vscode` here.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as readline from 'node:readline';

/** The GPU build of TensorFlow.js for Node: libtensorflow with CUDA 11.2 / cuDNN 8.1. */
export const GPU_PACKAGE = '@tensorflow/tfjs-node-gpu';

/** An executable on PATH (with PATHEXT on Windows), or undefined. */
export function findOnPath(name: string, env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string | undefined {
  const dirs = (env.PATH ?? env.Path ?? '').split(platform === 'win32' ? ';' : ':').filter(Boolean);
  const exts = platform === 'win32' ? (env.PATHEXT ?? '.COM;.EXE;.BAT;.CMD').split(';').map((e) => e.toLowerCase()) : [''];
  for (const dir of dirs) {
    for (const ext of exts) {
      const p = path.join(dir, name + ext);
      try {
        if (fs.statSync(p).isFile()) {
          if (platform !== 'win32') fs.accessSync(p, fs.constants.X_OK);
          return p;
        }
      } catch {
        // not here, or not executable: the next folder
      }
    }
  }
  return undefined;
}

export interface NpmInstallOptions {
  /** The npm executable. */
  readonly npm: string;
  /** Where node_modules goes; created with a private package.json when missing. */
  readonly prefix: string;
  readonly packages: readonly string[];
  /** Every line npm (or an install script) writes. */
  readonly onLine?: (line: string) => void;
  readonly signal?: AbortSignal;
  readonly env?: NodeJS.ProcessEnv;
}

export interface NpmInstallResult {
  readonly ok: boolean;
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly cancelled: boolean;
  /** npm could not be started at all. */
  readonly spawnError?: string;
  /** The last lines npm wrote (at most 400). */
  readonly lines: readonly string[];
}

/** `npm install --prefix PREFIX PACKAGES`; resolves (never rejects) with what happened. */
export function npmInstall(o: NpmInstallOptions): Promise<NpmInstallResult> {
  fs.mkdirSync(o.prefix, { recursive: true });
  const pkg = path.join(o.prefix, 'package.json');
  // Without a package.json here npm would look upwards for a project to install into.
  if (!fs.existsSync(pkg)) fs.writeFileSync(pkg, `${JSON.stringify({ name: 'linear-lens-gpu-backend', private: true, description: 'Installed by "Linear Lens: Enable GPU Backend".' }, null, 2)}\n`);
  const args = ['install', '--prefix', o.prefix, '--no-audit', '--no-fund', '--no-update-notifier', '--loglevel', 'http', '--foreground-scripts', ...o.packages];
  const lines: string[] = [];
  return new Promise((resolve) => {
    let cancelled = false;
    let settled = false;
    const win = process.platform === 'win32';
    const child = spawn(o.npm, args, {
      cwd: o.prefix,
      env: { ...process.env, ...o.env },
      // Its own process group, so a cancel reaches the install script's downloads too.
      detached: !win,
      // npm is a .cmd script on Windows, which only a shell runs.
      shell: win,
      windowsHide: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const take = (line: string): void => {
      lines.push(line);
      if (lines.length > 400) lines.shift();
      o.onLine?.(line);
    };
    for (const s of [child.stdout, child.stderr]) readline.createInterface({ input: s }).on('line', take);
    const kill = (sig: NodeJS.Signals): void => {
      try {
        if (!win && child.pid) process.kill(-child.pid, sig);
        else child.kill(sig);
      } catch {
        // already gone
      }
    };
    const onAbort = (): void => {
      cancelled = true;
      kill('SIGTERM');
      setTimeout(() => kill('SIGKILL'), 3000).unref();
    };
    if (o.signal?.aborted) onAbort();
    o.signal?.addEventListener('abort', onAbort, { once: true });
    const finish = (r: Omit<NpmInstallResult, 'lines' | 'cancelled'>): void => {
      if (settled) return;
      settled = true;
      o.signal?.removeEventListener('abort', onAbort);
      resolve({ ...r, ok: r.ok && !cancelled, cancelled, lines });
    };
    child.on('error', (e) => finish({ ok: false, code: null, signal: null, spawnError: e.message }));
    child.on('close', (code, signal) => finish({ ok: code === 0, code, signal }));
  });
}

// npm's closing boilerplate, which says nothing about the cause.
const BOILERPLATE = /A complete log of this run|^npm (error|ERR!)\s*$|^npm (error|ERR!) (code|path|command|errno|syscall|signal)\b|If you are behind a proxy|^npm (error|ERR!)\s+at |^npm (error|ERR!)\s+[\^{}]|Node\.js v\d/;

/** npm's lines without its "npm error " prefix, boilerplate dropped. */
function errorLines(lines: readonly string[]): string[] {
  return lines.filter((l) => /^npm (error|ERR!)/.test(l) && !BOILERPLATE.test(l)).map((l) => l.replace(/^npm (error|ERR!)\s*/, '').trim());
}

/** One or two sentences on why the install failed and what to do, from npm's output. */
export function explainNpmFailure(r: NpmInstallResult, pkg = GPU_PACKAGE): string {
  if (r.cancelled) return 'the install was cancelled.';
  if (r.spawnError) return `npm could not be started (${r.spawnError}).`;
  const text = r.lines.join('\n');
  const errs = errorLines(r.lines);
  // An error's own message ("Error: getaddrinfo ENOTFOUND …") says most; the properties printed under it (`code: 'ENOTFOUND',`) least.
  const prose = errs.filter((l) => !/^\w+: ['\d-]/.test(l));
  const latest = (re: RegExp): string | undefined => [...prose].reverse().find((l) => re.test(l));
  const cause = latest(/Error: /) ?? latest(/ENOTFOUND|ECONNREFUSED|ETIMEDOUT|EAI_AGAIN|ECONNRESET|EACCES|EPERM|ENOSPC|404/) ?? prose.at(-1);
  const how = r.signal ? `npm was killed by ${r.signal}` : `npm exited with code ${r.code}`;
  // The package's install script downloads libtensorflow (hundreds of MB) from Google's storage.
  if (/scripts\/install\.js|libtensorflow|node-pre-gyp/.test(text) && /command failed|install script|ELIFECYCLE/i.test(text)) {
    const url = /https?:\/\/\S*libtensorflow\S*/.exec(text)?.[0];
    const host = url ? new URL(url).host : 'storage.googleapis.com';
    return `${pkg} was downloaded, but its install script could not get libtensorflow${url ? ` (${url})` : ''}${cause ? `: ${cause}` : ''}. This machine cannot download from ${host}; install ${pkg} on a machine that can reach it, or copy an installed folder here, and use "Use an Existing Install…" (${how}).`;
  }
  if (/ENOTFOUND|ECONNREFUSED|ETIMEDOUT|EAI_AGAIN|ECONNRESET|ENETUNREACH|network/i.test(text)) {
    return `npm could not reach the package registry${cause ? ` (${cause})` : ''}: this machine looks offline or needs a proxy (npm's "proxy" setting) (${how}).`;
  }
  if (/E404|404 Not Found/.test(text)) return `npm found no package ${pkg} in its registry${cause ? ` (${cause})` : ''} (${how}).`;
  if (/EACCES|EPERM/.test(text)) return `npm was not allowed to write the files${cause ? ` (${cause})` : ''} (${how}).`;
  if (/ENOSPC/.test(text)) return `the disk is full (${how}).`;
  return `${how}${cause ? `: ${cause}` : ''}.`;
}
