import type { Command } from '../command';
import { hostInfoCommand } from './hostInfo';
import { infoCommand } from './info';
import { demoCommand } from './demo';
import { interpretCommand } from './interpret';

/** Every sub-command, in the order `--help` lists them. A new command is one module plus one line here. */
export const COMMANDS: readonly Command[] = [infoCommand, interpretCommand, hostInfoCommand, demoCommand];
