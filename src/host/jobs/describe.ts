import { describeGraph } from '../../core/graph/describe';
import { loadModel } from '../../core/formats';
import { throwIfCancelled } from '../../core/progress';
import type { DescribeResult } from '../../protocol/model';
import type { JobHandler } from './handlers';
import { requireString } from './validate';

/** `model/describe`: loads the file with the loader its content calls for and summarises it. */
export const describeModel: JobHandler<'model/describe'> = async (params, ctx) => {
  const file = requireString(params, 'file');
  ctx.progress(0, `Loading ${file}`);
  const graph = await loadModel(file);
  throwIfCancelled(ctx);
  // Core's summary assigned to the protocol type: the compiler flags any drift between the two.
  const summary: DescribeResult = describeGraph(graph);
  ctx.progress(1);
  return summary;
};
