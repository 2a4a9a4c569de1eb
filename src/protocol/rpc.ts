/**
 * vscode-jsonrpc message types for node code (host, extension, CLI, tests). Kept apart from the
 * pure protocol types so the webview never bundles vscode-jsonrpc.
 */
import { NotificationType, RequestType, RequestType0 } from 'vscode-jsonrpc';
import type { HostInfo } from './host';
import type { JobCancelParams, JobCancelResult, JobParams, JobPartial, JobProgress } from './jobs';
import { JobMethodName, Method, Notification } from './methods';

/** `host/info`, answered at once. */
export const hostInfoRequest = new RequestType0<HostInfo, void>(Method.hostInfo);
/** `host/shutdown`: cancels every job, answers, then the host exits. */
export const hostShutdownRequest = new RequestType0<void, void>(Method.hostShutdown);
/** `job/cancel` {jobId}. */
export const jobCancelRequest = new RequestType<JobCancelParams, JobCancelResult, void>(Method.jobCancel);
/** `job/progress` {jobId, fraction, message}. */
export const jobProgressNotification = new NotificationType<JobProgress>(Notification.jobProgress);
/** `job/partial` {jobId, data}. */
export const jobPartialNotification = new NotificationType<JobPartial>(Notification.jobPartial);

/**
 * The request type of a job method, seen generically (params: JobParams, result: unknown): code that
 * handles every job alike (the host's dispatcher, the client's `run`) narrows through `JobMethods`.
 */
export function jobRequest(method: JobMethodName): RequestType<JobParams, unknown, void> {
  return new RequestType<JobParams, unknown, void>(method);
}
