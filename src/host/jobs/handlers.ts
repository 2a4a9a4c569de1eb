import type { JobMethodName, JobParamsOf, JobPartialOf, JobResultOf } from '../../protocol/methods';
import type { JobContext } from './context';

/** The host side of one job method. */
export type JobHandler<M extends JobMethodName> = (params: JobParamsOf<M>, ctx: JobContext<JobPartialOf<M>>) => Promise<JobResultOf<M>>;

/** One handler per job method; the mapped type makes a missing one a compile error. */
export type JobHandlers = { readonly [M in JobMethodName]: JobHandler<M> };
