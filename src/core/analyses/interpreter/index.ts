import * as tf from '@tensorflow/tfjs-core';
import { UserError } from '../../errors';
import { Executor, NodeHook } from '../../graph/executor';
import { Graph, Node, sizeOf } from '../../graph/ir';
import { checkpoint, WorkContext } from '../../progress';
import { Gate, SmoothRule, applyGate, gateKind, makeGate, needsGate, tiledPool } from './gates';
import { topSingular, SingularResult } from './svd';
import { ConvRoute, applyConvForward, applyConvRoute, convRoute } from './conv';
import { VjpPlan, planVjp } from './vjp';
import { ForwardPlan, denseRow, planForward } from './forward';

export type { SmoothRule } from './gates';

export interface InterpretOptions {
  /** Freezing rule for smooth units (sigmoid, tanh, GELU, ...): 'secant' (default) or 'tangent'. */
  readonly smooth?: SmoothRule;
  /** Output indices whose rows to compute, or 'all'; default: all when there are at most 100 outputs. */
  readonly rows?: readonly number[] | 'all' | 'none';
  /** Input indices (flattened in the model's input layout) whose columns to compute. */
  readonly columns?: readonly number[];
  /** Number of singular values/vectors of A to compute (0 to 16). */
  readonly svd?: number;
  /** Impulses or rows per batch. */
  readonly batchSize?: number;
}

export interface InterpretResult {
  /** F(x0): the ordinary network's output at the logits, flattened in the model's output layout. */
  readonly output: Float32Array;
  /** b(x0) = F1(0). */
  readonly bias: Float32Array;
  /** A(x0)·x0; from the rows when all rows were computed (then the residual checks them), else F1(x0) − b. */
  readonly linear: Float32Array;
  readonly rows: { output: number; values: Float32Array }[];
  readonly columns: { input: number; values: Float32Array }[];
  readonly singular?: SingularResult;
  /** ‖A·x0 + b − F(x0)‖ / ‖F(x0)‖. */
  readonly residual: number;
  /** The model output the map ends at. */
  readonly endNode: string;
  /** The final softmax skipped so that the map ends at the logits, if the model has one. */
  readonly skippedSoftmax?: string;
  readonly inputShape: readonly number[];
  readonly outputShape: readonly number[];
  /** How many units of each kind were frozen. */
  readonly gates: Record<string, number>;
  readonly smooth: SmoothRule;
}

/**
 * The softmax that ends the network, if any: one from which only layout ops lead to the first
 * output. The linear map stops at the logits, so this node is run as the identity.
 */
export function finalSoftmax(g: Graph): Node | undefined {
  const byId = new Map(g.nodes.map((n) => [n.id, n]));
  let n = byId.get(g.outputs[0].node);
  while (n && (n.op.op === 'transpose' || n.op.op === 'identity' || n.op.op === 'reshape' || n.op.op === 'flatten')) n = byId.get(n.inputs[0]);
  return n && n.op.op === 'softmax' ? n : undefined;
}

/**
 * The linear interpreter (LinearScope) of `graph` at `x0` (one sample, the model's own input
 * layout, flattened): every non-linear unit frozen into a gate chosen by x0, so the network is
 * exactly F1(x) = A·x + b. Only the first model input is analysed.
 */
export class LinearInterpreter {
  private readonly ex: Executor;
  private readonly gates = new Map<string, Gate>();
  private readonly convs = new Map<string, ConvRoute>();
  /** ReLU gates folded into the next max-pool's mask (see foldedRelus). */
  private readonly passThrough = new Set<string>();
  /** Convs whose stream-0 kernel also applies the folded ReLU after them (see setInput). */
  private readonly convRelu = new Set<string>();
  private readonly end: Node;
  /** How many nodes and model outputs read each node (the graph's, fixed). */
  private readonly readers = new Map<string, number>();
  readonly skipped: Node | undefined;
  readonly inputShape: readonly number[];
  readonly outputShape: readonly number[];
  readonly n: number;
  readonly m: number;
  private x0: tf.Tensor | undefined;
  /** True once setInput has frozen the gates. */
  private ready = false;
  private biasT: tf.Tensor | undefined;
  /** Stream 0 without tfjs (forward.ts); null: not planned yet, undefined: not covered. */
  private fwd: ForwardPlan | undefined | null = null;
  /** The hand-written backward pass (vjp.ts) for this input; null: not planned yet, undefined: not covered. */
  private plan: VjpPlan | undefined | null = null;
  private readonly handWritten: boolean;

  /**
   * `opts.handWritten` (default true) lets stream 0 and Aᵀ·U take the hand-written passes where
   * they cover the graph (forward.ts, vjp.ts); false keeps the executor and tf.grad everywhere
   * (the tests compare the two). They are used on the CPU backends only (wasm, cpu): their loops
   * run in JS and WebAssembly on the CPU, which a GPU backend would beat on big models.
   */
  constructor(readonly graph: Graph, readonly rule: SmoothRule = 'secant', opts: { handWritten?: boolean } = {}) {
    const backend = tf.getBackend();
    this.handWritten = (opts.handWritten ?? true) && (backend === 'wasm' || backend === 'cpu');
    if (graph.inputs.length !== 1) throw new UserError(`${graph.file}: the model takes ${graph.inputs.length} inputs; the linear interpreter handles models with one input.`, graph.file);
    this.ex = new Executor(graph);
    this.end = graph.nodes.find((n) => n.id === graph.outputs[0].node)!;
    for (const nd of graph.nodes) for (const i of nd.inputs) this.readers.set(i, (this.readers.get(i) ?? 0) + 1);
    for (const o of graph.outputs) this.readers.set(o.node, (this.readers.get(o.node) ?? 0) + 1);
    this.skipped = finalSoftmax(graph);
    const inNode = graph.nodes.find((n) => n.id === graph.inputs[0].node)!;
    this.inputShape = inNode.shape;
    this.outputShape = this.end.shape;
    this.n = sizeOf(this.inputShape);
    this.m = sizeOf(this.outputShape);
    // a softmax anywhere but at the end cannot be frozen into an affine map
    for (const node of graph.nodes) {
      if (node.op.op === 'softmax' && node !== this.skipped && !this.isAfterEnd(node)) {
        throw new UserError(`${graph.file}: node "${node.id}" is a softmax inside the network; the linear interpreter stops at the logits, so a softmax may only come last.`, graph.file);
      }
    }
  }

  private isAfterEnd(node: Node): boolean {
    const idx = this.graph.nodes.indexOf(node);
    return idx > this.graph.nodes.indexOf(this.end);
  }

  /** Stream 0: runs x0 and freezes every gate. */
  setInput(x0: Float32Array): { output: Float32Array } {
    if (x0.length !== this.n) throw new UserError(`${this.graph.file}: the input has ${x0.length} values; the model takes ${this.n} ([${this.inputShape.join(', ')}]).`, this.graph.file);
    this.disposeGates();
    const gated = this.graph.nodes.filter((nd) => needsGate(nd) && !this.isAfterEnd(nd) && nd !== this.skipped);
    const byId = new Map(this.graph.nodes.map((nd) => [nd.id, nd]));
    for (const r of this.foldedRelus(gated, byId)) this.passThrough.add(r);
    for (const nd of this.graph.nodes) {
      const inNode = nd.inputs.length === 1 ? byId.get(nd.inputs[0]) : undefined;
      const route = inNode && !this.isAfterEnd(nd) ? convRoute(nd, nd.params.kernel ? this.graph.params.get(nd.params.kernel) : undefined, inNode.shape) : undefined;
      if (route) this.convs.set(nd.id, route);
    }
    this.ready = true;
    // a plain CNN: stream 0 and its gates in one pass without tfjs (forward.ts)
    if (this.fwd === null) this.fwd = this.handWritten ? planForward(this.graph, this.end, this.skipped, this.passThrough) : undefined;
    if (this.fwd) {
      const r = this.fwd.run(x0);
      for (const [id, g] of r.gates) this.gates.set(id, g);
      return { output: r.output };
    }
    this.x0 = tf.tensor(x0, [1, ...this.inputShape]);
    const tapIds = [...new Set(gated.filter((nd) => !this.passThrough.has(nd.id)).flatMap((nd) => nd.inputs))];
    // a folded ReLU right after a conv that nothing else reads: stream 0 applies it in the conv's
    // kernel (its gate needs no pre-activation: the pool's mask is built from the ReLU's output)
    for (const r of this.passThrough) {
      const c = byId.get(r)!.inputs[0];
      if (this.convs.has(c) && this.readers.get(c) === 1 && c !== this.end.id) this.convRelu.add(c);
    }
    const run = this.ex.run([this.x0], { outputs: [this.end.id], taps: tapIds, hook: this.skipHook });
    const params = this.ex.params();
    try {
      for (const nd of gated) {
        if (this.passThrough.has(nd.id)) continue; // folded into the next max-pool's mask
        const z0 = nd.inputs.map((i) => run.taps.get(i)!);
        const alphaKey = nd.params.alpha;
        const fold = nd.inputs.length === 1 && this.passThrough.has(nd.inputs[0]);
        this.gates.set(nd.id, makeGate(this.graph, nd, z0, () => (alphaKey ? params.get(alphaKey) : undefined), this.rule, fold));
      }
      return { output: run.outputs[0].dataSync() as Float32Array };
    } finally {
      tf.dispose([...run.outputs, ...run.taps.values()]);
    }
  }

  /**
   * ReLUs whose only reader is a non-overlapping max-pool with no pads or crop: the ReLU's mask
   * g goes into the pool's mask (g ∈ {0, 1}, so (g·z)·m = z·(g·m) exactly; makeGate's foldRelu)
   * and stream 1 passes the ReLU through, one multiply less each way and no gate to build.
   */
  private foldedRelus(gated: readonly Node[], byId: ReadonlyMap<string, Node>): string[] {
    const isGated = new Set(gated.map((nd) => nd.id));
    const out: string[] = [];
    for (const nd of gated) {
      if (nd.op.op !== 'maxPool' || nd.inputs.length !== 1) continue;
      const r = byId.get(nd.inputs[0])!;
      if (r.op.op !== 'relu' || !isGated.has(r.id) || this.readers.get(r.id) !== 1 || r.id === this.end.id) continue;
      if (tiledPool(nd, r.shape).exact) out.push(r.id);
    }
    return out;
  }

  /**
   * Stream 0 is the ordinary network, up to the logits: plain convs as one fused kernel each
   * (with the bias, and with a folded ReLU after them: conv.ts applyConvForward), and on the CPU
   * backends a small dense layer at batch 1 in JS, where WASM's matMul cost about 0.1 ms of
   * operator setup (packing the weights) for a few thousand multiply-adds. Both give the
   * executor's values to float32 rounding (the sums in another order).
   */
  private skipHook: NodeHook = (n, ins, _compute, param) => {
    if (n === this.skipped) return ins[0];
    if (this.passThrough.has(n.id) && this.convRelu.has(n.inputs[0])) return ins[0]; // applied in the conv
    const c = this.convs.get(n.id);
    if (c) return applyConvForward(c, ins[0], param('kernel')!, param('bias'), this.convRelu.has(n.id));
    if (n.op.op === 'dense' && this.handWritten) return this.denseForward(n, ins[0]);
    return undefined;
  };

  /** A dense layer on one sample in JS (see skipHook), or undefined to leave it to the executor. */
  private denseForward(n: Node, x: tf.Tensor): tf.Tensor | undefined {
    const k = n.params.kernel ? this.graph.params.get(n.params.kernel) : undefined;
    const b = n.params.bias ? this.graph.params.get(n.params.bias) : undefined;
    if (!k || k.shape.length !== 2 || x.rank !== 2 || x.shape[0] !== 1 || x.shape[1] !== k.shape[0] || k.data.length > JS_DENSE_FORWARD) return undefined;
    if (b && b.data.length !== k.shape[1]) return undefined;
    return tf.tensor2d(denseRow(x.dataSync() as Float32Array, k.data, b?.data, k.shape[0], k.shape[1]), [1, k.shape[1]]);
  }

  private hook: NodeHook = (n, ins, _compute, param) => {
    if (n === this.skipped || this.passThrough.has(n.id)) return ins[0];
    const g = this.gates.get(n.id);
    if (g) return applyGate(n, g, ins, param);
    const c = this.convs.get(n.id);
    return c ? applyConvRoute(c, ins[0], param('kernel')!, param('bias')) : undefined;
  };

  /** F1 on a batch of stream-1 inputs [B, ...inputShape]: affine in them. Returns [B, m]. */
  f1(x: tf.Tensor): tf.Tensor2D {
    if (!this.ready) throw new Error('setInput first');
    return tf.tidy(() => tf.reshape(this.ex.run([x], { outputs: [this.end.id], hook: this.hook }).outputs[0], [x.shape[0], this.m]));
  }

  /** b = F1(0), kept for the products below. */
  bias(): tf.Tensor2D {
    if (!this.biasT) this.biasT = tf.keep(tf.tidy(() => this.f1(tf.zeros([1, ...this.inputShape]))));
    return this.biasT as tf.Tensor2D;
  }

  /** A·V for a batch of input vectors V [B, n] → [B, m]. */
  times(v: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => tf.sub(this.f1(tf.reshape(v, [v.shape[0], ...this.inputShape])), this.bias()));
  }

  /** The hand-written backward pass, when it covers this graph (planned once per input). */
  private vjp(): VjpPlan | undefined {
    if (!this.ready) throw new Error('setInput first');
    if (this.plan === null) {
      this.plan = this.handWritten
        ? planVjp({
            graph: this.graph,
            end: this.end,
            passThrough: (n) => n === this.skipped || this.passThrough.has(n.id),
            gate: (id) => this.gates.get(id),
            conv: (id) => this.convs.get(id),
            // the executor's tensors, uploaded only if a tfjs step asks (forward.ts leaves them be)
            paramTensor: (n, slot) => {
              const key = n.params[slot];
              return key === undefined ? undefined : this.ex.params().get(key);
            },
          })
        : undefined;
    }
    return this.plan;
  }

  /** True when the last setInput ran stream 0 by forward.ts rather than the executor. */
  usesHandWrittenForward(): boolean {
    return !!this.fwd && this.ready;
  }

  /** True when Aᵀ·U goes through the hand-written backward pass (vjp.ts) rather than tf.grad. */
  usesHandWrittenVjp(): boolean {
    return this.vjp() !== undefined;
  }

  /** Aᵀ·U for a batch of output vectors U [B, m] → [B, n]: one backward pass for the batch. */
  transposeTimes(u: tf.Tensor2D): tf.Tensor2D {
    const plan = this.vjp();
    if (plan) return tf.tensor2d(plan.run(u.dataSync() as Float32Array, u.shape[0]).grad, [u.shape[0], this.n]);
    return tf.tidy(() => {
      const x = tf.zeros([u.shape[0], ...this.inputShape]);
      // F1 is affine, so the gradient of Σ_b ⟨u_b, F1(x_b)⟩ w.r.t. x_b is Aᵀu_b wherever x is:
      // the VJP of F1 with dy = U. At x = 0 the forward pass is F1(0) = b on every row, so it
      // also gives the bias when that is not known yet (saves a separate forward pass).
      const { value, grad } = tf.valueAndGrad((t: tf.Tensor) => this.f1(t))(x, u);
      if (!this.biasT) this.biasT = tf.keep(tf.slice(value, [0, 0], [1, this.m]));
      return tf.reshape(grad, [u.shape[0], this.n]);
    });
  }

  /** Rows of A for the given outputs, batched. */
  async rows(outputs: readonly number[], batch: number, ctx?: WorkContext, done = 0, total = outputs.length): Promise<Float32Array[]> {
    const out: Float32Array[] = [];
    const plan = this.vjp();
    // with the hand-written pass, row e_k also gives b_k (see vjp.ts); all m of them make b
    const b = plan && !this.biasT ? new Float64Array(this.m) : undefined;
    const seen = b ? new Uint8Array(this.m) : undefined;
    for (let s = 0; s < outputs.length; s += batch) {
      await checkpoint(ctx);
      const ids = outputs.slice(s, s + batch);
      if (plan) {
        const u = new Float32Array(ids.length * this.m);
        ids.forEach((id, r) => (u[r * this.m + id] = 1));
        const { grad, bias } = plan.run(u, ids.length);
        ids.forEach((id, i) => {
          out.push(grad.slice(i * this.n, (i + 1) * this.n));
          if (b && seen) {
            b[id] = bias[i];
            seen[id] = 1;
          }
        });
        ctx?.progress?.((done + s + ids.length) / Math.max(total, 1), `rows ${s + ids.length}/${outputs.length}`);
        continue;
      }
      const r = tf.tidy(() => this.transposeTimes(basis(ids, this.m)));
      const d = (await r.data()) as Float32Array;
      r.dispose();
      ids.forEach((_, i) => out.push(d.slice(i * this.n, (i + 1) * this.n)));
      ctx?.progress?.((done + s + ids.length) / Math.max(total, 1), `rows ${s + ids.length}/${outputs.length}`);
    }
    if (b && seen && seen.every((v) => v === 1) && !this.biasT) this.biasT = tf.keep(tf.tensor2d(Float32Array.from(b), [1, this.m]));
    return out;
  }

  /** Columns of A for the given inputs (impulse responses), batched. */
  async columns(inputs: readonly number[], batch: number, ctx?: WorkContext): Promise<Float32Array[]> {
    const out: Float32Array[] = [];
    for (let s = 0; s < inputs.length; s += batch) {
      await checkpoint(ctx);
      const ids = inputs.slice(s, s + batch);
      const r = tf.tidy(() => this.times(basis(ids, this.n)));
      const d = (await r.data()) as Float32Array;
      r.dispose();
      ids.forEach((_, i) => out.push(d.slice(i * this.m, (i + 1) * this.m)));
    }
    return out;
  }

  /** Counts of frozen units by kind. */
  gateSummary(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const id of [...this.gates.keys(), ...this.passThrough]) {
      const n = this.graph.nodes.find((nd) => nd.id === id)!;
      const k = gateKind(n);
      counts[k] = (counts[k] ?? 0) + sizeOf(n.shape);
    }
    return counts;
  }

  private disposeGates(): void {
    for (const g of this.gates.values()) {
      if (g.kind === 'elementwise') tf.dispose(g.c ? [g.g, g.c] : [g.g]);
      else if (g.kind === 'maxPool') tf.dispose(g.masks);
      else if (g.kind === 'maxPoolTiled') g.tensors.dispose();
      else if (g.kind === 'globalMaxPool' || g.kind === 'select') g.mask.dispose();
      else if (g.kind === 'norm') tf.dispose([g.mean, g.invStd]);
      else tf.dispose(g.others);
    }
    this.gates.clear();
    this.passThrough.clear();
    this.convRelu.clear();
    for (const c of this.convs.values()) c.dispose();
    this.convs.clear();
    this.x0?.dispose();
    this.biasT?.dispose();
    this.x0 = undefined;
    this.ready = false;
    this.biasT = undefined;
    this.plan = null;
  }

  dispose(): void {
    this.disposeGates();
    this.ex.dispose();
  }
}

/** Above this many weights stream 0's dense layers stay in tfjs (about 50 µs of JS here). */
const JS_DENSE_FORWARD = 1 << 16;

/** Unit vectors e_i for the given ids, one per row (tf.oneHot refuses a depth of 1). */
function basis(ids: readonly number[], depth: number): tf.Tensor2D {
  const d = new Float32Array(ids.length * depth);
  ids.forEach((id, r) => (d[r * depth + id] = 1));
  return tf.tensor2d(d, [ids.length, depth]);
}

/** ⟨a, b⟩ in float64; module-level so that V8 optimises it once (a loop in a closure made per call starts cold every call). */
function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let j = 0; j < a.length; j++) s += a[j] * b[j];
  return s;
}

function norm(v: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * v[i];
  return Math.sqrt(s);
}

/** Runs the whole linear-interpreter analysis at one input. */
export async function interpret(graph: Graph, x0: Float32Array, opts: InterpretOptions = {}, ctx?: WorkContext): Promise<InterpretResult> {
  const li = new LinearInterpreter(graph, opts.smooth ?? 'secant');
  try {
    const { output } = li.setInput(x0);
    const batch = opts.batchSize ?? 64;
    const rowSpec = opts.rows ?? (li.m <= 100 ? 'all' : 'none');
    const rowIds = rowSpec === 'all' ? Array.from({ length: li.m }, (_, i) => i) : rowSpec === 'none' ? [] : [...rowSpec];
    for (const r of rowIds) if (!(r >= 0 && r < li.m)) throw new UserError(`${graph.file}: output ${r} does not exist; the map has ${li.m} outputs.`, graph.file);
    const colIds = [...(opts.columns ?? [])];
    for (const c of colIds) if (!(c >= 0 && c < li.n)) throw new UserError(`${graph.file}: input ${c} does not exist; the model has ${li.n} inputs.`, graph.file);
    // rows first: they also give b (the tf.grad route's forward pass at x = 0 is F1(0); the
    // hand-written pass sums each node's constant term through the adjoint, vjp.ts)
    const rowVals = await li.rows(rowIds, batch, ctx);
    const bias = (await li.bias().data()) as Float32Array;
    const colVals = await li.columns(colIds, batch, ctx);
    let linear: Float32Array;
    if (rowIds.length === li.m) {
      // A·x0 from the rows themselves, so the residual checks the rows, not just F1.
      linear = new Float32Array(li.m);
      rowIds.forEach((r, i) => (linear[r] = dot(rowVals[i], x0)));
    } else {
      const t = tf.tidy(() => li.times(tf.tensor2d(x0, [1, li.n])));
      linear = (await t.data()) as Float32Array;
      t.dispose();
    }
    const diff = new Float32Array(li.m);
    for (let i = 0; i < li.m; i++) diff[i] = linear[i] + bias[i] - output[i];
    const residual = norm(diff) / Math.max(norm(output), 1e-30);
    let singular: SingularResult | undefined;
    const k = Math.min(opts.svd ?? 0, 16);
    if (k > 0) {
      await checkpoint(ctx);
      singular = await topSingular(li, k, { rows: rowIds.length === li.m ? rowVals : undefined, ctx });
    }
    return {
      output,
      bias,
      linear,
      rows: rowIds.map((r, i) => ({ output: r, values: rowVals[i] })),
      columns: colIds.map((c, i) => ({ input: c, values: colVals[i] })),
      singular,
      residual,
      endNode: graph.outputs[0].node,
      ...(li.skipped ? { skippedSoftmax: li.skipped.id } : {}),
      inputShape: li.inputShape,
      outputShape: li.outputShape,
      gates: li.gateSummary(),
      smooth: li.rule,
    };
  } finally {
    li.dispose();
  }
}
