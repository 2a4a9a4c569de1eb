/**
 * Every RPC method and notification name, and the types each one carries. Adding an analysis =
 * one entry in `JobMethods` (params, result, partial) + one handler in the host.
 */
import type { JobParams } from './jobs';
import type { DescribeParams, DescribeResult } from './model';
import type { SelfTestParams, SelfTestPartial, SelfTestResult } from './host';
import type { InterpretParams, InterpretPartial, InterpretResult } from './interpret';
import type { LlfcParams, LlfcPartial, LlfcResult, LmcParams, LmcPartial, LmcResult } from './connectivity';
import type { NadMapParams, NadMapPartial, NadMapResult, NadParams, NadPartial, NadResult } from './nad';
import type { EfcnParams, EfcnPartial, EfcnResult } from './efcn';

/** Request method names (client to host). */
export const Method = {
  hostInfo: 'host/info',
  hostShutdown: 'host/shutdown',
  hostSelfTest: 'host/selfTest',
  modelDescribe: 'model/describe',
  analysisInterpret: 'analysis/interpret',
  analysisLmc: 'analysis/lmc',
  analysisLlfc: 'analysis/llfc',
  analysisNad: 'analysis/nad',
  analysisNadMap: 'analysis/nadMap',
  analysisEfcn: 'analysis/efcn',
  jobCancel: 'job/cancel',
} as const;

/** Notification names (host to client). */
export const Notification = {
  jobProgress: 'job/progress',
  jobPartial: 'job/partial',
} as const;

/** A method that runs as a job: queued, with progress, partial results and cancellation. */
interface JobMethod<P, R, Partial = never> {
  readonly params: P & JobParams;
  readonly result: R;
  readonly partial: Partial;
}

/** The job methods by name. */
export interface JobMethods {
  'model/describe': JobMethod<DescribeParams, DescribeResult>;
  'host/selfTest': JobMethod<SelfTestParams, SelfTestResult, SelfTestPartial>;
  'analysis/interpret': JobMethod<InterpretParams, InterpretResult, InterpretPartial>;
  'analysis/lmc': JobMethod<LmcParams, LmcResult, LmcPartial>;
  'analysis/llfc': JobMethod<LlfcParams, LlfcResult, LlfcPartial>;
  'analysis/nad': JobMethod<NadParams, NadResult, NadPartial>;
  'analysis/nadMap': JobMethod<NadMapParams, NadMapResult, NadMapPartial>;
  'analysis/efcn': JobMethod<EfcnParams, EfcnResult, EfcnPartial>;
}

export type JobMethodName = keyof JobMethods;
export type JobParamsOf<M extends JobMethodName> = JobMethods[M]['params'];
export type JobResultOf<M extends JobMethodName> = JobMethods[M]['result'];
export type JobPartialOf<M extends JobMethodName> = JobMethods[M]['partial'];

/** The job method names, for registries that must cover them all. */
export const JOB_METHODS: readonly JobMethodName[] = [Method.modelDescribe, Method.hostSelfTest, Method.analysisInterpret, Method.analysisLmc, Method.analysisLlfc, Method.analysisNad, Method.analysisNadMap, Method.analysisEfcn];
