import type { Graph } from '../graph/ir';
import type { WorkContext } from '../progress';
import { openDataset } from './index';
import type { Dataset, DatasetSpec } from './types';

/** A dataset request from a user or a client (the protocol's DatasetParams). */
export interface DataRequest {
  readonly path: string;
  readonly labels?: string;
  readonly scale?: number;
  readonly mean?: readonly number[];
  readonly std?: readonly number[];
  readonly layout?: 'auto' | 'nhwc' | 'nchw' | 'flat';
  readonly maxSamples?: number;
  readonly seed?: number;
  readonly cacheDir?: string;
}

/** The dataset spec that feeds `graph`'s first input: its sample shape and layout, the user's scaling. */
export function specForModel(graph: Graph, req: DataRequest): DatasetSpec {
  const port = graph.inputs[0];
  const node = graph.nodes.find((n) => n.id === port.node)!;
  const layout = req.layout && req.layout !== 'auto' ? req.layout : port.layout === 'nchw' ? 'nchw' : port.layout === 'nhwc' ? 'nhwc' : node.shape.length === 1 ? 'flat' : undefined;
  return {
    path: req.path,
    ...(req.labels ? { labels: req.labels } : {}),
    ...(req.cacheDir ? { cacheDir: req.cacheDir } : {}),
    preprocess: {
      ...(req.scale !== undefined ? { scale: req.scale } : {}),
      ...(req.mean && req.mean.length ? { mean: [...req.mean] } : {}),
      ...(req.std && req.std.length ? { std: [...req.std] } : {}),
      ...(layout ? { layout } : {}),
      shape: [...node.shape],
    },
    ...(req.maxSamples ? { subset: { count: req.maxSamples, seed: req.seed ?? 0 } } : {}),
  };
}

/** Opens a dataset shaped for `graph`'s input; a subset of maxSamples when the file has more. */
export async function openForModel(graph: Graph, req: DataRequest, ctx?: WorkContext): Promise<Dataset> {
  const spec = specForModel(graph, req);
  if (spec.subset) {
    // A subset larger than the file is just the whole file.
    const probe = await openDataset({ ...spec, subset: undefined }, ctx);
    const size = probe.size;
    probe.close();
    if (spec.subset.count >= size) return openDataset({ ...spec, subset: undefined }, ctx);
  }
  return openDataset(spec, ctx);
}
