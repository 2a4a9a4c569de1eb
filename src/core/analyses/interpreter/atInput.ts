import { UserError } from '../../errors';
import { openDataset } from '../../data';
import { DataRequest, specForModel } from '../../data/forModel';
import type { Graph } from '../../graph/ir';
import type { WorkContext } from '../../progress';
import { interpret, InterpretOptions, InterpretResult } from './index';

/** Which input to interpret at: a dataset sample by its index in the file, or one image file. */
export type InputChoice = { readonly kind: 'dataset'; readonly request: DataRequest; readonly index: number } | { readonly kind: 'image'; readonly path: string };

export interface InterpretedInput {
  readonly result: InterpretResult;
  /** x0 as the model saw it (preprocessed, the model's layout). */
  readonly x0: Float32Array;
  readonly label?: number;
  readonly classNames?: readonly string[];
}

/** Reads x0 from a dataset or an image, shaped for the model's first input. */
export async function readInput(graph: Graph, input: InputChoice, ctx?: WorkContext): Promise<{ x0: Float32Array; label?: number; classNames?: readonly string[] }> {
  const req: DataRequest = input.kind === 'dataset' ? { ...input.request, maxSamples: undefined } : { path: input.path };
  const ds = await openDataset(specForModel(graph, req), ctx);
  try {
    const index = input.kind === 'dataset' ? input.index : 0;
    if (!Number.isInteger(index) || index < 0 || index >= ds.fileSize) {
      throw new UserError(`${req.path}: there is no sample ${index}; the file has ${ds.fileSize} samples (0 to ${ds.fileSize - 1}).`, req.path);
    }
    const s = await ds.sample(index);
    return { x0: s.x, ...(s.y !== undefined ? { label: s.y } : {}), ...(ds.classNames ? { classNames: ds.classNames } : {}) };
  } finally {
    ds.close();
  }
}

/** The linear interpreter of `graph` at a chosen dataset sample or image. */
export async function interpretAt(graph: Graph, input: InputChoice, opts: InterpretOptions = {}, ctx?: WorkContext): Promise<InterpretedInput> {
  const { x0, label, classNames } = await readInput(graph, input, ctx);
  const result = await interpret(graph, x0, opts, ctx);
  return { result, x0, ...(label !== undefined ? { label } : {}), ...(classNames ? { classNames } : {}) };
}
