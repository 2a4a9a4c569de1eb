import type { OptionSpec } from './args';
import type { Command } from './command';
import { GLOBAL_OPTIONS } from './globals';

const PROGRAM = 'linear-lens';

function optionLines(options: readonly OptionSpec[]): string[] {
  const heads = options.map((o) => {
    const value = o.value ? ` ${o.value.choices ? o.value.choices.join('|') : o.value.name}` : '';
    return `${o.short ? `-${o.short}, ` : '    '}--${o.name}${value}`;
  });
  const w = Math.max(...heads.map((h) => h.length));
  return heads.map((h, i) => `  ${h.padEnd(w)}  ${options[i].description}`);
}

/** The one-line usage of a command, e.g. "linear-lens info [options] MODEL". */
export function usage(c: Command): string {
  const pos = c.positionals.map((p) => (p.optional ? `[${p.name}]` : p.name)).join(' ');
  return `${PROGRAM} ${c.name}${c.options.length > 0 ? ' [options]' : ''}${pos ? ` ${pos}` : ''}`;
}

/** `linear-lens --help`: what the tool is, its commands and its global options. */
export function mainHelp(commands: readonly Command[]): string {
  const w = Math.max(...commands.map((c) => c.name.length));
  return [
    `${PROGRAM}: see trained neural networks as linear systems (TensorFlow.js).`,
    '',
    `Usage: ${PROGRAM} [global options] COMMAND [options] [arguments]`,
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(w)}  ${c.summary}`),
    '',
    'Global options:',
    ...optionLines(GLOBAL_OPTIONS),
    '',
    `Run "${PROGRAM} COMMAND --help" for a command's arguments and options.`,
    'Exit status: 0 success, 2 a problem with the input or arguments (message on stderr), 1 a bug in linear-lens.',
    '',
  ].join('\n');
}

/** `linear-lens COMMAND --help`. */
export function commandHelp(c: Command): string {
  const lines = [`Usage: ${usage(c)}`, '', c.summary];
  if (c.description) lines.push('', c.description);
  if (c.positionals.length > 0) {
    const w = Math.max(...c.positionals.map((p) => p.name.length));
    lines.push('', 'Arguments:', ...c.positionals.map((p) => `  ${p.name.padEnd(w)}  ${p.description}${p.optional ? ' (optional)' : ''}`));
  }
  if (c.options.length > 0) lines.push('', 'Options:', ...optionLines(c.options));
  lines.push('', 'Global options:', ...optionLines(GLOBAL_OPTIONS));
  if (c.examples && c.examples.length > 0) lines.push('', 'Examples:', ...c.examples.map((e) => `  ${e}`));
  lines.push('');
  return lines.join('\n');
}
