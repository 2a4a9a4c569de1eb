import { spawnSync } from 'node:child_process';
import { CLI, ROOT } from './build';

export interface CliRun {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the built `linear-lens` (node dist/cli.js) with a clean backend environment. */
export function runCli(args: readonly string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 120_000): CliRun {
  const base = { ...process.env };
  delete base.LINEAR_LENS_BACKEND;
  delete base.LINEAR_LENS_TFJS_NODE;
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, encoding: 'utf8', env: { ...base, ...env }, timeout: timeoutMs });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The lines of a text, without the empty last one. */
export function lines(text: string): string[] {
  return text.split('\n').filter((l, i, all) => l !== '' || i < all.length - 1);
}

/** True when the text contains a stack-trace line ("    at f (file:1:2)"). */
export function hasStack(text: string): boolean {
  return /^\s+at /m.test(text);
}

/** Checks the user-error contract: exit 2, one line on stderr, no stack. Returns that line. */
export function userErrorLine(r: CliRun): string {
  if (r.status !== 2) throw new Error(`expected exit 2, got ${r.status}; stderr: ${r.stderr}`);
  const errLines = lines(r.stderr);
  if (errLines.length !== 1) throw new Error(`expected one stderr line, got ${errLines.length}:\n${r.stderr}`);
  if (hasStack(r.stderr)) throw new Error(`stderr has a stack:\n${r.stderr}`);
  return errLines[0];
}
