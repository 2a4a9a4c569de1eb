import { Graph, sizeOf } from './ir';

/** One row of a model's layer table: the model's own layer with what it became in the IR. */
export interface LayerRow {
  readonly name: string;
  readonly type: string;
  /** IR ops this layer became, e.g. ["conv2d", "relu"]. */
  readonly ops: readonly string[];
  /** Output sample shape of the layer's last node (internal NHWC layout). */
  readonly outputShape: readonly number[];
  readonly params: number;
}

export interface ModelSummary {
  readonly file: string;
  readonly format: Graph['format'];
  readonly producer: Graph['producer'];
  readonly name: string;
  readonly inputs: Graph['inputs'];
  readonly outputs: Graph['outputs'];
  readonly layers: readonly LayerRow[];
  /** Every weight element stored in the file (batch-norm statistics included). */
  readonly paramCount: number;
  /** Elements of the parameters the IR keeps (can be lower when stored tensors were folded or unused). */
  readonly graphParamCount: number;
  readonly warnings: readonly string[];
}

/** Summarises a graph for tables and `linear-lens info`: layers in order, shapes, parameter counts. */
export function describeGraph(g: Graph): ModelSummary {
  const rows = new Map<string, { name: string; type: string; ops: string[]; outputShape: readonly number[]; keys: Set<string> }>();
  for (const n of g.nodes) {
    if (n.op.op === 'input') continue;
    let row = rows.get(n.layer);
    if (!row) {
      row = { name: n.layer, type: n.layerType ?? n.op.op, ops: [], outputShape: n.shape, keys: new Set() };
      rows.set(n.layer, row);
    }
    row.ops.push(n.op.op);
    row.outputShape = n.shape;
    for (const k of Object.values(n.params)) if (k !== undefined) row.keys.add(k);
  }
  const layers: LayerRow[] = [...rows.values()].map((r) => ({
    name: r.name,
    type: r.type,
    ops: r.ops,
    outputShape: r.outputShape,
    params: [...r.keys].reduce((s, k) => s + sizeOf(g.params.get(k)?.shape ?? [0]), 0),
  }));
  let graphParamCount = 0;
  for (const p of g.params.values()) graphParamCount += p.data.length;
  return {
    file: g.file,
    format: g.format,
    producer: g.producer,
    name: g.name,
    inputs: g.inputs,
    outputs: g.outputs,
    layers,
    paramCount: g.storedParamCount,
    graphParamCount,
    warnings: g.warnings,
  };
}
