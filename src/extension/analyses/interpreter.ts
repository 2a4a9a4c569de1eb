/**
 * The linear interpreter's panel: the input, per-class vote maps (rows of A), contribution maps,
 * the logit split into A·x0 and b, and the singular-vector basis; a click on a pixel shows its
 * column of A (the impulse response), a click on an output pixel of an image-to-image model its row.
 * The figures and the click handling live in interpreterView.ts; this file asks the questions.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { DatasetParams } from '../../protocol/data';
import type { InterpretInput, InterpretParams, InterpretResult } from '../../protocol/interpret';
import type { JsonValue } from '../../protocol/webview';
import type { AnalysisProvider } from '../panels/analysis';
import { cacheKey } from '../panels/cacheKey';
import type { DatasetChoice, Services } from '../services';
import { interpreterSelection, interpreterView, type InterpreterParams as Params, type InterpretRun } from './interpreterView';

export const INTERPRETER_KIND = 'interpreter';

/** The protocol's dataset parameters for a dataset choice. */
export function datasetParams(d: DatasetChoice): DatasetParams {
  return {
    path: d.path,
    ...(d.labels ? { labels: d.labels } : {}),
    ...(d.scale !== undefined ? { scale: d.scale } : {}),
    ...(d.mean?.length ? { mean: d.mean } : {}),
    ...(d.std?.length ? { std: d.std } : {}),
    ...(d.layout ? { layout: d.layout } : {}),
  };
}

/** Asks which input to interpret: a sample of the dataset (by index) or an image file. */
async function askInput(services: Services, model: vscode.Uri): Promise<InterpretInput | undefined> {
  const d = await services.picks.dataset();
  type Item = vscode.QuickPickItem & { what: 'sample' | 'image' | 'dataset' };
  const items: Item[] = [
    ...(d ? [{ label: `$(database) A sample of ${path.basename(d.path)}`, description: d.path, what: 'sample' as const }] : []),
    { label: '$(file-media) A PNG or JPEG image…', what: 'image' },
    { label: '$(folder-opened) Another dataset…', what: 'dataset' },
  ];
  const pick = await vscode.window.showQuickPick(items, { title: `Linear interpreter: ${path.basename(model.fsPath)} — which input?` });
  if (!pick) return undefined;
  if (pick.what === 'image') {
    const files = await vscode.window.showOpenDialog({ canSelectMany: false, filters: { Images: ['png', 'jpg', 'jpeg'] }, title: 'Input image' });
    return files?.[0] ? { kind: 'image', path: files[0].fsPath } : undefined;
  }
  const ds = pick.what === 'dataset' ? await services.picks.pickDataset() : d;
  if (!ds) return undefined;
  const text = await vscode.window.showInputBox({
    title: `Sample of ${path.basename(ds.path)}`,
    prompt: 'Index of the sample in the file (0 is the first)',
    value: '0',
    validateInput: (v) => (/^\d+$/.test(v.trim()) ? undefined : 'A whole number, 0 or more'),
  });
  if (text === undefined) return undefined;
  return { kind: 'dataset', dataset: datasetParams(ds), index: Number(text.trim()) };
}

export const interpreterProvider: AnalysisProvider<JsonValue> = {
  kind: INTERPRETER_KIND,
  title: 'Linear interpreter',
  description: 'The exact linear map y = A·x + b of the network at one input: vote maps, bias share, impulse responses, singular vectors.',
  async prepare(start, services) {
    const model = start.models[0];
    if (!model) return undefined;
    const input = await askInput(services, model);
    if (!input) return undefined;
    const params: Params = { input, svd: 8, smooth: 'secant' };
    const key = await cacheKey([{ model: model.fsPath }, input.kind === 'image' ? { file: input.path } : { dataset: input.dataset.path }, { value: params as unknown as JsonValue }]);
    const where = input.kind === 'image' ? path.basename(input.path) : `${path.basename(input.dataset.path)} #${input.index}`;
    return { kind: INTERPRETER_KIND, title: `Linear interpreter: ${path.basename(model.fsPath)} at ${where}`, models: [model.fsPath], key, params };
  },
  async compute(ctx) {
    const p = ctx.state.params as Params;
    const params: InterpretParams = { file: ctx.state.models[0], input: p.input, svd: p.svd, smooth: p.smooth };
    return (await ctx.run('analysis/interpret', params)) as unknown as JsonValue;
  },
  view(result) {
    return interpreterView(result as unknown as InterpretResult);
  },
  onSelect(ctx) {
    const run: InterpretRun = async (params) => (await ctx.run('analysis/interpret', params)) as InterpretResult;
    return interpreterSelection(ctx.state.models[0], ctx.result as unknown as InterpretResult, ctx.state.params as Params, ctx.figureId, ctx.target, run);
  },
};
