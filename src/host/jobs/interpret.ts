import { loadModel } from '../../core/formats';
import { interpretAt, InputChoice, InterpretedInput } from '../../core/analyses/interpreter/atInput';
import type { Graph } from '../../core/graph/ir';
import type { InterpretInput, InterpretParams, InterpretResult } from '../../protocol/interpret';
import type { JobHandler } from './handlers';
import { requireString } from './validate';

/** The protocol's input choice as core takes it. */
export function inputChoice(input: InterpretInput, cacheDir?: string): InputChoice {
  if (input.kind === 'image') return { kind: 'image', path: input.path };
  return { kind: 'dataset', request: { ...input.dataset, ...(cacheDir ? { cacheDir } : {}) }, index: input.index };
}

function argmax(v: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
  return best;
}

/** Core's result as plain JSON data, every vector in the model's own layout. */
export function interpretToWire(graph: Graph, params: InterpretParams, r: InterpretedInput, millis: number): InterpretResult {
  const res = r.result;
  const arr = (v: Float32Array) => Array.from(v);
  return {
    file: graph.file,
    input: params.input,
    x0: arr(r.x0),
    inputShape: res.inputShape,
    inputLayout: graph.inputs[0].layout,
    ...(r.label !== undefined ? { label: r.label } : {}),
    ...(r.classNames ? { classNames: r.classNames } : {}),
    output: arr(res.output),
    outputShape: res.outputShape,
    predicted: argmax(res.output),
    bias: arr(res.bias),
    linear: arr(res.linear),
    rows: res.rows.map((row) => ({ output: row.output, values: arr(row.values) })),
    columns: res.columns.map((c) => ({ input: c.input, values: arr(c.values) })),
    ...(res.singular
      ? {
          singularValues: res.singular.values,
          singularInputVectors: res.singular.inputVectors.map(arr),
          singularOutputVectors: res.singular.outputVectors.map(arr),
        }
      : {}),
    residual: res.residual,
    ...(res.skippedSoftmax ? { skippedSoftmax: res.skippedSoftmax } : {}),
    gates: res.gates,
    smooth: res.smooth,
    millis,
  };
}

/** `analysis/interpret`: the linear interpreter of a model at one input. */
export const interpretModel: JobHandler<'analysis/interpret'> = async (params, ctx) => {
  const file = requireString(params, 'file');
  const t0 = Date.now();
  ctx.progress(0, `Loading ${file}`);
  const graph = await loadModel(file);
  const r = await interpretAt(graph, inputChoice(params.input), {
    ...(params.rows !== undefined ? { rows: params.rows } : {}),
    ...(params.columns ? { columns: params.columns } : {}),
    ...(params.svd !== undefined ? { svd: params.svd } : {}),
    ...(params.smooth ? { smooth: params.smooth } : {}),
  }, ctx);
  ctx.progress(1);
  return interpretToWire(graph, params, r, Date.now() - t0);
};
