import type { Command } from '../command';
import { hostInfoCommand } from './hostInfo';
import { infoCommand } from './info';
import { demoCommand } from './demo';
import { interpretCommand } from './interpret';
import { lmcCommand, llfcCommand } from './lmc';
import { nadCommand, nadMapCommand } from './nad';
import { efcnCommand } from './efcn';

/** Every sub-command, in the order `--help` lists them. A new command is one module plus one line here. */
export const COMMANDS: readonly Command[] = [infoCommand, interpretCommand, lmcCommand, llfcCommand, nadCommand, nadMapCommand, efcnCommand, hostInfoCommand, demoCommand];
