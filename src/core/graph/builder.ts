import { UserError } from '../errors';
import { Graph, Layout, ModelFormat, Node, OpSpec, Param, ParamRole, ParamSlot, Port, Producer, sizeOf } from './ir';
import { inferShape, shapeUserError } from './shapes';

/** Shapes whose element count passes this are refused before any allocation. */
export const MAX_TENSOR_ELEMENTS = 2 ** 31 - 1;

/**
 * Builds a Graph node by node, inferring shapes as it goes, so a loader learns of a mismatch at
 * the node that causes it and can name that node in the error.
 */
export class GraphBuilder {
  private readonly nodes: Node[] = [];
  private readonly byId = new Map<string, Node>();
  private readonly params = new Map<string, Param>();
  private readonly inputs: Port[] = [];
  private readonly outputs: Port[] = [];
  private readonly warnings: string[] = [];
  private storedCount = 0;

  constructor(
    readonly file: string,
    readonly format: ModelFormat,
    readonly producer: Producer,
    readonly name: string,
  ) {}

  /**
   * A model input. `modelShape` is in the model's layout with the batch first (null for free
   * dimensions); `sample` is the fixed sample shape the input node carries, still in the model's
   * layout: a loader for an NCHW model adds a `transpose` node after it.
   */
  input(id: string, modelShape: readonly (number | null)[], layout: Layout, sample: readonly number[]): string {
    for (const d of sample) {
      if (!Number.isInteger(d) || d <= 0) throw new UserError(`${this.file}: input "${id}" has a dimension that is not a positive integer ([${modelShape.join(', ')}]); Linear Lens needs fixed input sizes apart from the batch.`, this.file);
    }
    const node = this.addNode({ id: this.uniqueId(id), op: { op: 'input', index: this.inputs.length }, inputs: [], params: {}, shape: [...sample], layer: id });
    this.inputs.push({ name: id, node: node.id, shape: [...modelShape], layout });
    return node.id;
  }

  /** Registers a parameter; `stored` says whether it counts as a weight stored in the file. */
  param(key: string, role: ParamRole, shape: readonly number[], data: Float32Array, opts: { trainable?: boolean; stored?: boolean } = {}): string {
    const n = sizeOf(shape);
    if (!shape.every((d) => Number.isInteger(d) && d >= 0) || n > MAX_TENSOR_ELEMENTS) {
      throw new UserError(`${this.file}: weight "${key}" has an impossible shape [${shape.join(', ')}].`, this.file);
    }
    if (data.length !== n) {
      throw new UserError(`${this.file}: weight "${key}" has ${data.length} values but its shape [${shape.join(', ')}] needs ${n}.`, this.file);
    }
    let k = key;
    for (let i = 1; this.params.has(k); i++) k = `${key}_${i}`;
    const trainable = opts.trainable ?? (role !== 'movingMean' && role !== 'movingVariance' && role !== 'constant');
    this.params.set(k, { key: k, role, shape: [...shape], data, trainable });
    if (opts.stored ?? true) this.storedCount += n;
    return k;
  }

  /** Adds to the count of stored weight elements for tensors the graph does not keep as params. */
  countStored(n: number): void {
    this.storedCount += n;
  }

  /** Appends a node after its inputs; returns its id (made unique). */
  node(id: string, op: OpSpec, inputs: readonly string[], params: Partial<Record<ParamSlot, string>> = {}, extra: { layer?: string; layerType?: string; constantFirst?: boolean } = {}): string {
    const uid = this.uniqueId(id);
    const inShapes = inputs.map((i) => {
      const n = this.byId.get(i);
      if (!n) throw new UserError(`${this.file}: node "${id}" reads "${i}", which is not produced before it.`, this.file);
      return n.shape;
    });
    const ps: Partial<Record<string, Param>> = {};
    for (const [slot, key] of Object.entries(params)) {
      const p = key === undefined ? undefined : this.params.get(key);
      if (!p) throw new UserError(`${this.file}: node "${id}" refers to a missing weight "${key}".`, this.file);
      ps[slot] = p;
    }
    let shape: number[];
    try {
      shape = inferShape(op, inShapes, ps);
    } catch (e) {
      throw shapeUserError(e, this.file, id, op.op);
    }
    if (sizeOf(shape) > MAX_TENSOR_ELEMENTS) throw new UserError(`${this.file}: node "${id}" would produce ${sizeOf(shape)} values per sample.`, this.file);
    const node = this.addNode({ id: uid, op, inputs: [...inputs], params: { ...params }, shape, layer: extra.layer ?? id, ...(extra.layerType ? { layerType: extra.layerType } : {}), ...(extra.constantFirst ? { constantFirst: true } : {}) });
    return node.id;
  }

  /** Shape (sample, internal layout) of a node added so far. */
  shapeOf(id: string): readonly number[] {
    const n = this.byId.get(id);
    if (!n) throw new Error(`no node ${id}`);
    return n.shape;
  }

  /** The node added under `id`, if any. */
  get(id: string): Node | undefined {
    return this.byId.get(id);
  }

  /** The parameter registered under `key`, if any. */
  getParam(key: string): Param | undefined {
    return this.params.get(key);
  }

  output(nodeId: string, name: string, modelShape: readonly (number | null)[], layout: Layout): void {
    if (!this.byId.has(nodeId)) throw new UserError(`${this.file}: output "${name}" is not produced by any node.`, this.file);
    this.outputs.push({ name, node: nodeId, shape: [...modelShape], layout });
  }

  warn(message: string): void {
    if (!this.warnings.includes(message)) this.warnings.push(message);
  }

  build(): Graph {
    if (this.inputs.length === 0) throw new UserError(`${this.file}: the model has no inputs.`, this.file);
    if (this.outputs.length === 0) throw new UserError(`${this.file}: the model has no outputs.`, this.file);
    return {
      file: this.file,
      format: this.format,
      producer: this.producer,
      name: this.name,
      inputs: this.inputs,
      outputs: this.outputs,
      nodes: this.nodes,
      params: this.params,
      warnings: this.warnings,
      storedParamCount: this.storedCount,
    };
  }

  private uniqueId(id: string): string {
    let k = id;
    for (let i = 1; this.byId.has(k); i++) k = `${id}_${i}`;
    return k;
  }

  private addNode(n: Node): Node {
    this.nodes.push(n);
    this.byId.set(n.id, n);
    return n;
  }
}
