import { isUserError, UserError } from '../core/errors';
import { BackendInfo, initBackend } from '../core/tf/backend';
import { parseBackendPreference } from '../host/options';
import { LINEAR_LENS_VERSION } from '../host/version';
import { Args, checkPositionals, parseArgv } from './args';
import type { Command, Output } from './command';
import { COMMANDS } from './commands';
import { GLOBAL_OPTIONS } from './globals';
import { commandHelp, mainHelp, usage } from './help';

/** Exit statuses of the CLI. */
export const ExitCode = { ok: 0, bug: 1, userError: 2 } as const;

const PROGRAM = 'linear-lens';

function findCommand(name: string): Command {
  const c = COMMANDS.find((c) => c.name === name);
  if (!c) {
    const near = COMMANDS.filter((c) => c.name.startsWith(name.slice(0, 2))).map((c) => c.name);
    throw new UserError(`unknown command "${name}"${near.length > 0 ? ` (did you mean ${near.join(' or ')}?)` : ''}; run "${PROGRAM} --help" for the list.`);
  }
  return c;
}

/** Keeps a user-error message to one line, as promised on stderr. */
function oneLine(message: string): string {
  return message.replace(/\s*\n\s*/g, ' ').trim();
}

/** Runs the CLI on argv (without node and the script); returns the exit status instead of exiting. */
export async function runCli(argv: readonly string[], io: Output): Promise<number> {
  try {
    const raw = parseArgv(argv, (name) => {
      const c = name === undefined ? undefined : COMMANDS.find((c) => c.name === name);
      return c ? [...c.options, ...GLOBAL_OPTIONS] : GLOBAL_OPTIONS;
    });
    if (raw.options.has('version')) {
      io.out(`${LINEAR_LENS_VERSION}\n`);
      return ExitCode.ok;
    }
    if (raw.command === undefined && raw.unknown.length > 0) {
      throw new UserError(`unknown option ${raw.unknown[0]}; run "${PROGRAM} --help" for the options.`);
    }
    if (raw.command === undefined || raw.command === 'help') {
      // "linear-lens help info" reads as "linear-lens info --help".
      const about = raw.command === 'help' ? raw.positionals[0] : undefined;
      io.out(about ? commandHelp(findCommand(about)) : mainHelp(COMMANDS));
      return ExitCode.ok;
    }
    const command = findCommand(raw.command);
    if (raw.unknown.length > 0) {
      throw new UserError(`unknown option ${raw.unknown[0]} for "${PROGRAM} ${command.name}"; run "${PROGRAM} ${command.name} --help" for its options.`);
    }
    if (raw.options.has('help')) {
      io.out(commandHelp(command));
      return ExitCode.ok;
    }
    checkPositionals(usage(command), command.positionals, raw.positionals);
    let backend: Promise<BackendInfo> | undefined;
    const tfjsNodePath = raw.options.get('tfjs-node');
    const flag = raw.options.get('backend');
    const preference = typeof flag === 'string' ? flag : process.env.LINEAR_LENS_BACKEND;
    await command.run(new Args(command.positionals, raw.positionals, raw.options), {
      ...io,
      backend: () =>
        (backend ??= initBackend({
          preference: preference ? parseBackendPreference(preference, typeof flag === 'string' ? '--backend' : 'LINEAR_LENS_BACKEND') : 'auto',
          ...(typeof tfjsNodePath === 'string' ? { tfjsNodePath } : {}),
        })),
    });
    return ExitCode.ok;
  } catch (e) {
    if (isUserError(e)) {
      io.err(`${PROGRAM}: ${oneLine(e.message)}\n`);
      return ExitCode.userError;
    }
    const err = e instanceof Error ? e : new Error(String(e));
    io.err(`${PROGRAM}: internal error (a bug in Linear Lens; please report it with this output):\n${err.stack ?? err.message}\n`);
    return ExitCode.bug;
  }
}
