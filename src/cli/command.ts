import type { BackendInfo } from '../core/tf/backend';
import type { Args, OptionSpec, PositionalSpec } from './args';

/** Where a command writes; the real process streams, or buffers in tests. */
export interface Output {
  /** Writes text to stdout as-is (callers add newlines). */
  out(text: string): void;
  /** Writes text to stderr as-is. */
  err(text: string): void;
}

/** What every command gets besides its own arguments. */
export interface CommandEnv extends Output {
  /** Initialises the backend chosen by --backend / --tfjs-node on first call. */
  backend(): Promise<BackendInfo>;
}

/** One `linear-lens` sub-command; each lives in its own module under commands/. */
export interface Command {
  readonly name: string;
  /** One line for the command list. */
  readonly summary: string;
  /** Paragraphs for `linear-lens NAME --help`. */
  readonly description?: string;
  readonly positionals: readonly PositionalSpec[];
  readonly options: readonly OptionSpec[];
  readonly examples?: readonly string[];
  /** Does the work; throws UserError for the user's mistakes. */
  run(args: Args, env: CommandEnv): Promise<void>;
}
