import { UserError } from '../core/errors';

/** A `--name` option: a flag when `value` is absent, else it takes one value. */
export interface OptionSpec {
  readonly name: string;
  readonly short?: string;
  readonly value?: { readonly name: string; readonly choices?: readonly string[] };
  readonly description: string;
}

export interface PositionalSpec {
  readonly name: string;
  readonly description: string;
  readonly optional?: boolean;
}

/** What the parser found, before the command is known to be valid. */
export interface RawArgs {
  /** The first word that is not an option; undefined when there is none. */
  readonly command?: string;
  readonly positionals: readonly string[];
  /** Option values by long name; `true` for flags. Repeated options keep the last value. */
  readonly options: ReadonlyMap<string, string | true>;
  /** Options given before any command could be checked (validated once the command is known). */
  readonly unknown: readonly string[];
}

/** Typed access to one command's parsed arguments. */
export class Args {
  constructor(
    private readonly positionalSpecs: readonly PositionalSpec[],
    private readonly values: readonly string[],
    private readonly options: ReadonlyMap<string, string | true>,
  ) {}

  /** A positional by its spec name; required ones were checked at parse time. */
  positional(name: string): string | undefined {
    const i = this.positionalSpecs.findIndex((p) => p.name === name);
    if (i < 0) throw new Error(`no positional "${name}" in the spec`);
    return this.values[i];
  }

  /** True when a flag was given. */
  flag(name: string): boolean {
    return this.options.get(name) === true;
  }

  /** The value of an option that takes one. */
  value(name: string): string | undefined {
    const v = this.options.get(name);
    return typeof v === 'string' ? v : undefined;
  }
}

const display = (o: OptionSpec): string => `--${o.name}`;

/**
 * Splits argv into a command, positionals and options. Options may come before or after the
 * command, as `--name value`, `--name=value` or `-x`; `--` ends the options. `specs` returns the
 * options known once the command word has been seen (globals before it).
 */
export function parseArgv(argv: readonly string[], specs: (command: string | undefined) => readonly OptionSpec[]): RawArgs {
  let command: string | undefined;
  const positionals: string[] = [];
  const options = new Map<string, string | true>();
  const unknown: string[] = [];
  let onlyPositionals = false;
  for (let i = 0; i < argv.length; i++) {
    const tok = argv[i];
    if (onlyPositionals || tok === '-' || !tok.startsWith('-')) {
      if (command === undefined && !onlyPositionals) command = tok;
      else positionals.push(tok);
      continue;
    }
    if (tok === '--') {
      onlyPositionals = true;
      continue;
    }
    const long = tok.startsWith('--');
    const [key, inline] = long ? tok.slice(2).split(/=(.*)/s, 2) : [tok.slice(1), undefined];
    const known = specs(command);
    const spec = known.find((o) => (long ? o.name === key : o.short === key));
    if (!spec) {
      unknown.push(long ? `--${key}` : tok);
      continue;
    }
    if (!spec.value) {
      if (inline !== undefined) throw new UserError(`${display(spec)} takes no value (got "${tok}").`);
      options.set(spec.name, true);
      continue;
    }
    const v = inline ?? argv[++i];
    if (v === undefined || (inline === undefined && v.startsWith('--'))) throw new UserError(`${display(spec)} needs a value: ${display(spec)} ${spec.value.name}.`);
    if (spec.value.choices && !spec.value.choices.includes(v)) {
      throw new UserError(`${display(spec)} must be one of ${spec.value.choices.join(', ')} (got "${v}").`);
    }
    options.set(spec.name, v);
  }
  return { ...(command !== undefined ? { command } : {}), positionals, options, unknown };
}

/** Checks the positionals against a command's spec: all required present, none extra. */
export function checkPositionals(usage: string, specs: readonly PositionalSpec[], values: readonly string[]): void {
  const required = specs.filter((p) => !p.optional).length;
  if (values.length < required) {
    const missing = specs.slice(values.length).filter((p) => !p.optional).map((p) => p.name);
    throw new UserError(`missing ${missing.join(' ')}; usage: ${usage}`);
  }
  if (values.length > specs.length) throw new UserError(`unexpected argument "${values[specs.length]}"; usage: ${usage}`);
}
