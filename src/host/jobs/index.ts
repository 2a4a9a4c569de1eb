import type { JobHandlers } from './handlers';
import { describeModel } from './describe';
import { selfTest } from './selfTest';
import { interpretModel } from './interpret';
import { lmcJob, llfcJob } from './connectivity';
import { nadJob, nadMapJob } from './nad';
import { efcnJob } from './efcn';

/** Every job the host runs, by method name. An analysis adds its handler here. */
export const jobHandlers: JobHandlers = {
  'model/describe': describeModel,
  'host/selfTest': selfTest,
  'analysis/interpret': interpretModel,
  'analysis/lmc': lmcJob,
  'analysis/llfc': llfcJob,
  'analysis/nad': nadJob,
  'analysis/nadMap': nadMapJob,
  'analysis/efcn': efcnJob,
};
