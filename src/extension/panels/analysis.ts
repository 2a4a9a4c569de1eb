/**
 * What an analysis (linear interpreter, connectivity, NADs, eFCN, ...) gives the panel framework:
 * how to start it for some models, how to compute it, how its result looks, and what a click on a
 * figure does. One provider per analysis, registered with `registerAnalysis` (analysisRegistry.ts);
 * the panel manager does the rest: panels, caching, recent results, restore, errors and retry.
 */
import type * as vscode from 'vscode';
import type { JobMethodName, JobParamsOf, JobPartialOf, JobResultOf } from '../../protocol/methods';
import type { CurvePoint, FigureSpec, JsonValue, SelectTarget, TableSpec } from '../../protocol/webview';
import type { PanelState, Services } from '../services';

/** What a panel shows: its heading, figures and tables (the `render` message without its tag). */
export interface AnalysisView {
  readonly title?: string;
  readonly figures: readonly FigureSpec[];
  readonly tables?: readonly TableSpec[];
}

/** Figures and tables that replace those of the same id in the panel; new ids are appended. */
export interface AnalysisUpdate {
  readonly figures?: readonly FigureSpec[];
  readonly tables?: readonly TableSpec[];
}

/** Where a running analysis shows what it has so far; calls after the panel closed do nothing. */
export interface AnalysisSink {
  /** Replaces the panel's figures while the job runs, e.g. with empty curves that `point` fills. */
  show(view: AnalysisView): void;
  /** Appends a point to a curve of a line figure shown by `show`. */
  point(figureId: string, seriesId: string, point: CurvePoint): void;
  /** Progress in [0, 1]. `run` reports its job's progress by itself. */
  progress(fraction: number, message?: string): void;
}

export interface AnalysisContext {
  readonly state: PanelState;
  readonly services: Services;
  readonly sink: AnalysisSink;
  /** Cancelled when the panel closes or the user presses Retry. */
  readonly token: vscode.CancellationToken;
  /**
   * `services.host.run` with the panel's title and token; the job's progress shows in the panel.
   * The usual way for `compute` to reach the compute host.
   */
  run<M extends JobMethodName>(method: M, params: Omit<JobParamsOf<M>, 'jobId'>, onPartial?: (data: JobPartialOf<M>) => void): Promise<JobResultOf<M>>;
}

export interface SelectContext<R> extends AnalysisContext {
  /** The result the panel shows. */
  readonly result: R;
  readonly figureId: string;
  readonly target: SelectTarget;
}

/** Where an analysis is started from: the model overview's button, a code lens, a command. */
export interface AnalysisStart {
  /** The model the user started from (connectivity asks for the second one itself). */
  readonly models: readonly vscode.Uri[];
}

/**
 * One analysis. `R` is its result as stored in the cache: plain JSON, so it survives the cache
 * file and a reload; `view` must turn any `R` that `compute` returned into figures.
 */
export interface AnalysisProvider<R extends JsonValue = JsonValue> {
  /** Unique; PanelState.kind names it. */
  readonly kind: string;
  /** "Linear interpreter", shown on buttons and as the panel title's prefix. */
  readonly title: string;
  /** One line for the button's tooltip. */
  readonly description?: string;
  /**
   * The panel state for a start: asks the user for what else it needs (a second model, a dataset,
   * a sample), and computes `key` with `cacheKey()` over every input. Undefined when the user
   * dismissed a question.
   */
  prepare(start: AnalysisStart, services: Services): Promise<PanelState | undefined>;
  /** Computes the result; partial figures go to `ctx.sink`. Throws to fail (the panel offers Retry). */
  compute(ctx: AnalysisContext): Promise<R>;
  /** The figures of a result (fresh or from the cache). */
  view(result: R, state: PanelState): AnalysisView;
  /** A click on a pixel, cell or bar: compute something for it (e.g. a column of the linear map). */
  onSelect?(ctx: SelectContext<R>): Promise<AnalysisUpdate | undefined>;
}
