/**
 * The services the parts of the extension share. main.ts builds them once at activation and hands
 * them to each part's `register` function; a part uses the others only through these interfaces.
 *
 * - host:   the supervised compute host (host/hostManager.ts)
 * - picks:  quick picks for models and datasets, remembered per workspace (picks.ts)
 * - panels: analysis panels, the result cache and recent results (panels/)
 */
import type * as vscode from 'vscode';
import type { DatasetParams } from '../protocol/data';
import type { HostInfo } from '../protocol/host';
import type { JobMethodName, JobParamsOf, JobPartialOf, JobResultOf } from '../protocol/methods';

export type HostStatus = 'stopped' | 'starting' | 'running' | 'restarting' | 'failed';

export interface HostState {
  readonly status: HostStatus;
  /** The last `host/info` answer while running. */
  readonly info?: HostInfo;
  /** Unexpected exits within the restart window (at most 4 in 3 minutes, then 'failed'). */
  readonly recentCrashes: number;
  /** Why it failed, when status is 'failed'. */
  readonly reason?: string;
}

/** A job the side view lists: running or queued in the host. */
export interface JobView {
  readonly id: string;
  readonly title: string;
  readonly method: JobMethodName;
  readonly fraction: number;
  readonly message?: string;
  readonly started: number;
}

export interface RunOptions<M extends JobMethodName> {
  /** Shown in the progress notification and the side view, e.g. "Linear interpreter: model.onnx". */
  readonly title: string;
  readonly onPartial?: (data: JobPartialOf<M>) => void;
  /** Show a cancellable progress notification (default true). */
  readonly notification?: boolean;
  readonly token?: vscode.CancellationToken;
}

export interface HostService {
  readonly onDidChangeState: vscode.Event<HostState>;
  readonly onDidChangeJobs: vscode.Event<void>;
  state(): HostState;
  /** `host/info`, starting the host if needed. */
  info(): Promise<HostInfo>;
  /** Runs a job under `window.withProgress` with cancel; partial results stream to `onPartial`. */
  run<M extends JobMethodName>(method: M, params: Omit<JobParamsOf<M>, 'jobId'>, opts: RunOptions<M>): Promise<JobResultOf<M>>;
  jobs(): readonly JobView[];
  cancel(jobId: string): Promise<void>;
  /** Stops and starts the host; clears a 'failed' state. */
  restart(): Promise<void>;
  /** Reveals the output channel. */
  showLog(): void;
  /** A line in the output channel. */
  log(line: string): void;
}

/** A dataset choice: the host's dataset parameters, with the sample budget from the settings always set. */
export type DatasetChoice = Omit<DatasetParams, 'maxSamples' | 'seed'> & { readonly maxSamples: number };

export interface PickService {
  /** Model files of the workspace (content-checked where cheap), kept up to date by a file watcher. */
  modelFiles(): Promise<readonly vscode.Uri[]>;
  readonly onDidChangeModelFiles: vscode.Event<void>;
  /**
   * Quick pick of a workspace model file; remembers the choice under `memoryKey` (per workspace)
   * and offers it first next time. Undefined when the user dismissed it.
   */
  pickModel(opts?: { title?: string; memoryKey?: string; exclude?: readonly vscode.Uri[] }): Promise<vscode.Uri | undefined>;
  /** The dataset to use: the remembered one, else the settings' default, else asks. */
  dataset(opts?: { ask?: boolean }): Promise<DatasetChoice | undefined>;
  /** Asks for a dataset (workspace data files, a folder, or browse) and remembers it. */
  pickDataset(): Promise<DatasetChoice | undefined>;
}

/** What a restored panel needs: which analysis, which inputs, and the hash of its parameters. */
export interface PanelState {
  readonly kind: string;
  readonly title: string;
  /** Model files (workspace-relative or absolute paths). */
  readonly models: readonly string[];
  /** Hash of every input (model bytes, data, parameters): the result cache key. */
  readonly key: string;
  /** The analysis parameters, to recompute on retry. */
  readonly params: unknown;
}

/** A finished result the side view lists; opening it reopens its panel from the cache. */
export interface RecentResult {
  readonly state: PanelState;
  readonly finished: number;
  /** A small PNG data URL of the panel's main figure, if the panel sent one. */
  readonly thumbnail?: string;
}

export interface PanelService {
  /** Opens (or reveals) the panel of `state`, beside the active editor; computes unless cached. */
  open(state: PanelState): Promise<void>;
  recent(): readonly RecentResult[];
  readonly onDidChangeRecent: vscode.Event<void>;
}

export interface Services {
  readonly context: vscode.ExtensionContext;
  readonly host: HostService;
  readonly picks: PickService;
  readonly panels: PanelService;
}
