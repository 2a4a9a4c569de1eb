/**
 * Every task a worker thread can run, by name. Only the worker entry imports this file (the
 * analyses import the pool, not the other way round), so adding a task means: define it next to
 * its serial code, and list it here.
 */
import { lmcPointTask } from '../analyses/connectivity/lmc';
import { layerwiseTask } from '../analyses/connectivity/layerwise';
import { nadGradientTask } from '../analyses/nad/gradients';
import { AnyTask } from './task';

export const TASKS: ReadonlyMap<string, AnyTask> = new Map<string, AnyTask>([lmcPointTask, layerwiseTask, nadGradientTask].map((t) => [t.name, t]));
