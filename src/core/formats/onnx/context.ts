import { UserError } from '../../errors';
import { GraphBuilder } from '../../graph/builder';
import { Layout, OpSpec, ParamRole, ParamSlot } from '../../graph/ir';
import { FoldError } from './consts';
import { channelsLast, identity, isIdentity, relayout, samePerm, samplePerm } from './layout';
import { Attribute, AttrType, OnnxNode, OnnxTensor } from './proto';
import { Const, tensorToConst } from './tensor';

/** An ONNX value computed from the model's inputs: an IR node plus how its axes map (see layout.ts). */
export interface NodeValue {
  readonly kind: 'node';
  readonly id: string;
  /** IR axis j holds ONNX axis perm[j]; perm[0] = 0 (the batch). */
  readonly perm: readonly number[];
}

/** An ONNX value known at load time. */
export interface ConstValue {
  readonly kind: 'const';
  readonly c: Const;
  /** The initializer or value name, used as the parameter key when it becomes a weight. */
  readonly name: string;
}

export type Value = NodeValue | ConstValue;

/** Reads a node's attributes with ONNX defaults, failing clearly on a wrong type. */
export class Attrs {
  private readonly byName = new Map<string, Attribute>();

  constructor(private readonly ctx: Ctx, private readonly node: OnnxNode) {
    for (const a of node.attributes) this.byName.set(a.name, a);
  }

  /** Whether the node sets attribute `name`. */
  has(name: string): boolean {
    return this.byName.has(name);
  }

  private get(name: string, type: number, field: keyof Attribute): Attribute | undefined {
    const a = this.byName.get(name);
    if (!a) return undefined;
    // Very old files leave `type` unset; then the field that is present decides.
    const ok = a.type === type || (a.type === 0 && a[field] !== undefined && (!Array.isArray(a[field]) || (a[field] as unknown[]).length > 0));
    if (!ok) throw this.ctx.fail(this.node, `attribute "${name}" has the wrong type`);
    return a;
  }

  /** An INT attribute, or `def`. */
  int(name: string, def: number): number {
    return this.get(name, AttrType.INT, 'i')?.i ?? def;
  }

  /** A FLOAT attribute, or `def`. */
  float(name: string, def: number): number {
    return this.get(name, AttrType.FLOAT, 'f')?.f ?? def;
  }

  /** An INTS attribute, if set. */
  ints(name: string): number[] | undefined {
    const a = this.get(name, AttrType.INTS, 'ints');
    return a ? [...a.ints] : undefined;
  }

  /** A FLOATS attribute, if set. */
  floats(name: string): number[] | undefined {
    const a = this.get(name, AttrType.FLOATS, 'floats');
    return a ? [...a.floats] : undefined;
  }

  /** A STRING attribute decoded as UTF-8, or `def`. */
  string(name: string, def: string): string {
    const a = this.get(name, AttrType.STRING, 's');
    return a?.s ? new TextDecoder().decode(a.s) : def;
  }

  /** A TENSOR attribute, if set. */
  tensor(name: string): OnnxTensor | undefined {
    return this.get(name, AttrType.TENSOR, 't')?.t;
  }
}

/** State shared by the op converters while one ONNX graph becomes an IR graph. */
export class Ctx {
  private readonly values = new Map<string, Value>();
  private readonly transposes = new Map<string, string>();
  /** Layout of each 4-D model input as its first channel-wise consumer reveals it, by input node id. */
  readonly inputLayouts = new Map<string, Layout>();
  readonly inputNodes = new Set<string>();
  /** Nodes already converted as part of a pattern found from an earlier node. */
  readonly absorbed = new Set<OnnxNode>();

  constructor(
    readonly b: GraphBuilder,
    readonly file: string,
    readonly opset: number,
    /** The batch dimension as the model declares it: a fixed size or null when free. */
    readonly batch: number | null,
    private readonly initializers: ReadonlyMap<string, OnnxTensor>,
    private readonly consumers: ReadonlyMap<string, readonly OnnxNode[]>,
    private readonly graphOutputs: ReadonlySet<string>,
  ) {}

  /** A UserError about `node` of this file. */
  fail(node: OnnxNode, message: string): UserError {
    return new UserError(`${this.file}: node "${nodeName(node)}" (${node.opType}): ${message}`, this.file);
  }

  /** Runs a constant computation, turning a FoldError into a UserError naming the node. */
  fold<T>(node: OnnxNode, f: () => T): T {
    try {
      return f();
    } catch (e) {
      if (e instanceof FoldError) throw this.fail(node, e.message);
      throw e;
    }
  }

  /** The attributes of `node`. */
  attrs(node: OnnxNode): Attrs {
    return new Attrs(this, node);
  }

  /** Records the value an ONNX name holds from now on. */
  set(name: string, v: Value): void {
    if (name !== '') this.values.set(name, v);
  }

  /** The value of `name`, decoding an initializer on first use. */
  lookup(name: string): Value | undefined {
    const v = this.values.get(name);
    if (v) return v;
    const t = this.initializers.get(name);
    if (!t) return undefined;
    const c: ConstValue = { kind: 'const', c: tensorToConst(this.file, t), name };
    this.values.set(name, c);
    return c;
  }

  /** Input `i` of `node`, or undefined when absent or empty (an omitted optional input). */
  input(node: OnnxNode, i: number): Value | undefined {
    const name = node.inputs[i];
    if (name === undefined || name === '') return undefined;
    const v = this.lookup(name);
    if (!v) throw this.fail(node, `reads "${name}", which nothing produces`);
    return v;
  }

  /** Input `i`, which must be present. */
  need(node: OnnxNode, i: number, what: string): Value {
    const v = this.input(node, i);
    if (!v) throw this.fail(node, `has no ${what} (input ${i})`);
    return v;
  }

  /** Input `i`, which must be computed from the model's inputs. */
  nodeIn(node: OnnxNode, i: number, what = 'data input'): NodeValue {
    const v = this.need(node, i, what);
    if (v.kind !== 'node') throw this.fail(node, `its ${what} "${node.inputs[i]}" is a constant; Linear Lens needs it to come from the model's inputs (fold constant subgraphs before exporting, e.g. with onnxsim)`);
    return v;
  }

  /** Input `i`, which must be known at load time. */
  constIn(node: OnnxNode, i: number, what: string): Const {
    const v = this.need(node, i, what);
    if (v.kind !== 'const') throw this.fail(node, `its ${what} "${node.inputs[i]}" is computed at run time; Linear Lens needs it to be a constant (an initializer or a static shape computation)`);
    return v.c;
  }

  /** Optional input `i`, which must be known at load time when present. */
  optConst(node: OnnxNode, i: number, what: string): Const | undefined {
    return this.input(node, i) ? this.constIn(node, i, what) : undefined;
  }

  /** The ONNX dims of a runtime value, batch first (null when the batch is free). */
  dims(v: NodeValue): (number | null)[] {
    const ir = this.b.shapeOf(v.id);
    const out = new Array<number | null>(v.perm.length);
    v.perm.forEach((a, j) => (out[a] = j === 0 ? this.batch : ir[j - 1]));
    return out;
  }

  /** The ONNX dims of a runtime value without the batch. */
  sampleDims(v: NodeValue): number[] {
    return this.dims(v).slice(1) as number[];
  }

  /**
   * The IR node holding `v` laid out as `perm`, adding (and caching) a transpose node when needed.
   * The transpose belongs to the layer of the node that produced `v`.
   */
  laidOut(v: NodeValue, perm: readonly number[]): string {
    if (samePerm(v.perm, perm)) return v.id;
    const r = relayout(v.perm, perm);
    if (isIdentity(r)) return v.id;
    const key = `${v.id}|${r.join(',')}`;
    const cached = this.transposes.get(key);
    if (cached) return cached;
    const src = this.b.get(v.id);
    const id = this.b.node(`${v.id}/transpose`, { op: 'transpose', perm: samplePerm(r) }, [v.id], {}, { layer: src?.layer ?? v.id, layerType: src?.layerType ?? 'Transpose' });
    this.transposes.set(key, id);
    return id;
  }

  /** `v` in ONNX axis order (identity layout). */
  plain(v: NodeValue): string {
    return this.laidOut(v, identity(v.perm.length));
  }

  /**
   * `v` as NHWC for a channel-wise op; the first such use of a 4-D model input tells whether the
   * model reads that input as NCHW or (through its own Transpose) as NHWC.
   */
  nhwc(v: NodeValue): string {
    const want = channelsLast(v.perm.length);
    if (this.inputNodes.has(v.id) && v.perm.length === 4 && !this.inputLayouts.has(v.id)) {
      const r = relayout(v.perm, want);
      if (isIdentity(r)) this.inputLayouts.set(v.id, 'nhwc');
      else if (samePerm(r, channelsLast(4))) this.inputLayouts.set(v.id, 'nchw');
    }
    return this.laidOut(v, want);
  }

  /** Adds an IR node converted from `node` (id = the node's name plus `suffix`). */
  emit(node: OnnxNode, op: OpSpec, inputs: readonly string[], params: Partial<Record<ParamSlot, string>> = {}, suffix = '', extra: { constantFirst?: boolean } = {}): string {
    const name = nodeName(node);
    return this.b.node(name + suffix, op, inputs, params, { layer: name, layerType: node.opType, ...extra });
  }

  /** Registers a weight; stored counts are taken from the file once, so never again here. */
  param(key: string, role: ParamRole, shape: readonly number[], data: Float32Array): string {
    return this.b.param(key, role, shape, data, { stored: false });
  }

  /** The only node reading `name`, when exactly one does and it is not a graph output. */
  soleConsumer(name: string): OnnxNode | undefined {
    if (this.graphOutputs.has(name)) return undefined;
    const cs = this.consumers.get(name);
    return cs && cs.length === 1 ? cs[0] : undefined;
  }

  /** Whether anything still to be converted reads `name` (a node not folded into a pattern, or a graph output). */
  used(name: string | undefined): boolean {
    if (name === undefined || name === '') return false;
    return this.graphOutputs.has(name) || (this.consumers.get(name) ?? []).some((n) => !this.absorbed.has(n));
  }

  /** A note for the user, shown with the graph. */
  warn(message: string): void {
    this.b.warn(message);
  }
}

/** The name a node goes by in the IR and in messages: its name, else its first output. */
export function nodeName(node: OnnxNode): string {
  return node.name || node.outputs.find((o) => o !== '') || node.opType;
}
