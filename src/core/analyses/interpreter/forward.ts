import * as tf from '@tensorflow/tfjs-core';
import { Graph, Node, sizeOf } from '../../graph/ir';
import { samePads } from '../../graph/shapes';
import { Gate, needsGate, tiledPool, tiledPoolGate } from './gates';
import { ForwardLayer, runForward, wasmAvailable } from './loops';

/**
 * Stream 0 of a plain CNN in one go, without tfjs: convs, ReLUs and 2×2 max-pools in WebAssembly
 * (loops.wat), each reading the last in the module's memory, and the dense head after the flatten
 * in JS. It builds the gates as it goes: a pool's switch mask comes from the same pass that finds
 * its maxima, and a ReLU's mask from the pass that applies it. On WASM the executor's pass cost
 * about as much in tfjs's per-op overhead, the weights' upload and XNNPACK's operator setup
 * (which packs the weights anew for every call, since the weight tensors are new) as in the
 * arithmetic, for a batch of one.
 *
 * The values are the executor's to float32 rounding: the same products, summed from the bias in
 * the taps' order, where XNNPACK sums in its own blocks. So a gate could differ only where stream
 * 0 sits within a rounding of a ReLU's kink or of a tie in a max-pool window; exact zeros and
 * exact ties (a constant input region) come out exact either way.
 *
 * Covered: a chain from the input through conv2d (groups 1, no dilation), relu, non-overlapping
 * 2×2 max-pools without pads, identity, then a flatten ('nhwc') or reshape to a vector, then dense
 * and relu layers, ending at the logits or the final softmax, which stream 0 skips. Anything else
 * (or a gate of another kind) gives undefined, and the interpreter runs the executor instead.
 */

export interface ForwardPlan {
  /** F(x0) at the end, flattened, and the gates of every gated node (frozen at x0). */
  run(x0: Float32Array): { output: Float32Array; gates: Map<string, Gate> };
}

/** Above this many weights a dense layer stays with the executor (JS would take milliseconds). */
const JS_DENSE_WEIGHTS = 1 << 20;
/**
 * Above this many multiply-adds a conv stays with the executor: convForward is a plain loop, and
 * where XNNPACK's blocked kernels pay off more than its setup costs (bigger images, more
 * channels) stream 0 is better left to it. (On the bench's CIFAR-size CNN, up to 4.7M per conv,
 * this pass still took 1.2 ms against the executor's 2.1.)
 */
const WASM_CONV_MACS = 20e6;

type Tail = { kind: 'dense'; w: Float32Array; b?: Float32Array; nin: number; nout: number } | { kind: 'relu'; id: string | undefined };

/**
 * The plan for `graph` up to `end`, or undefined when the chain has a node it does not cover.
 * `skipped` is the final softmax (run as the identity), `folded` the ReLUs folded into the next
 * max-pool's mask (no gate of their own).
 */
export function planForward(graph: Graph, end: Node, skipped: Node | undefined, folded: ReadonlySet<string>): ForwardPlan | undefined {
  if (!wasmAvailable()) return undefined;
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  const readers = new Map<string, number>();
  for (const n of graph.nodes) for (const i of n.inputs) readers.set(i, (readers.get(i) ?? 0) + 1);
  // the chain from the end back to the input, every node read by the next one only
  const chain: Node[] = [];
  for (let n: Node | undefined = end; n; ) {
    chain.unshift(n);
    if (n.op.op === 'input') break;
    if (n.inputs.length !== 1) return undefined;
    const prev = byId.get(n.inputs[0]);
    if (!prev || readers.get(prev.id) !== 1) return undefined;
    n = prev;
  }
  if (chain[0].op.op !== 'input' || chain[0].id !== graph.inputs[0].node) return undefined;
  // a gated node anywhere else would need a gate this plan does not build
  const onChain = new Set(chain.map((n) => n.id));
  const endAt = graph.nodes.indexOf(end);
  if (graph.nodes.some((n, i) => i <= endAt && needsGate(n) && n !== skipped && !onChain.has(n.id))) return undefined;

  const layers: ForwardLayer[] = [];
  // what each wasm layer's gate belongs to: pools and ReLUs in order
  const poolIds: { id: string; h: number; w: number; c: number }[] = [];
  const reluIds: { id: string | undefined; shape: readonly number[] }[] = [];
  const tail: Tail[] = [];
  let shape = chain[0].shape;
  let inTail = shape.length !== 3;
  for (let i = 1; i < chain.length; i++) {
    const n = chain[i];
    const op = n.op;
    const next = chain[i + 1];
    if (n === skipped || op.op === 'identity') continue;
    if (op.op === 'relu') {
      if (folded.has(n.id) && !inTail) {
        // applied by the conv before it when there is one (see below), else here without a gate
        const prev = layers[layers.length - 1];
        if (!(prev?.kind === 'conv' && prev.relu)) {
          layers.push({ kind: 'relu', n: sizeOf(shape) });
          reluIds.push({ id: undefined, shape });
        }
        continue;
      }
      if (inTail) tail.push({ kind: 'relu', id: n.id });
      else {
        layers.push({ kind: 'relu', n: sizeOf(shape) });
        reluIds.push({ id: n.id, shape });
      }
      continue;
    }
    if (op.op === 'flatten' || op.op === 'reshape') {
      if (op.op === 'flatten' && op.order !== 'nhwc' && shape.length === 3) return undefined;
      if (n.shape.length !== 1) return undefined;
      inTail = true;
      shape = n.shape;
      continue;
    }
    if (op.op === 'conv2d' && !inTail) {
      const k = n.params.kernel ? graph.params.get(n.params.kernel) : undefined;
      const b = n.params.bias ? graph.params.get(n.params.bias) : undefined;
      if (!k || k.shape.length !== 4 || op.groups !== 1 || op.dilations[0] !== 1 || op.dilations[1] !== 1) return undefined;
      const [h, w, ci] = shape;
      const [kh, kw, kci, co] = k.shape;
      if (kci !== ci || n.shape[2] !== co || (b && b.data.length !== co)) return undefined;
      if (n.shape[0] * n.shape[1] * co * kh * kw * ci > WASM_CONV_MACS) return undefined;
      const [sh, sw] = op.strides;
      const pt = op.padding === 'valid' ? 0 : op.padding === 'same' ? samePads(h, kh, sh, 1)[0] : op.padding.top;
      const pl = op.padding === 'valid' ? 0 : op.padding === 'same' ? samePads(w, kw, sw, 1)[0] : op.padding.left;
      // a folded ReLU right after it is applied in the same pass
      const relu = next?.op.op === 'relu' && folded.has(next.id);
      layers.push({ kind: 'conv', k: k.data, ...(b ? { bias: b.data } : {}), h, w, ci, kh, kw, co, oh: n.shape[0], ow: n.shape[1], sh, sw, pt, pl, relu });
      shape = n.shape;
      continue;
    }
    if (op.op === 'maxPool' && !inTail) {
      const t = tiledPool(n, shape);
      if (!t.exact || op.poolSize[0] !== 2 || op.poolSize[1] !== 2) return undefined;
      const [h, w, c] = shape;
      const fold = folded.has(chain[i - 1].id);
      layers.push({ kind: 'pool', h, w, c, fold });
      poolIds.push({ id: n.id, h, w, c });
      shape = n.shape;
      continue;
    }
    if (op.op === 'dense' && inTail) {
      const k = n.params.kernel ? graph.params.get(n.params.kernel) : undefined;
      const b = n.params.bias ? graph.params.get(n.params.bias) : undefined;
      if (!k || k.shape.length !== 2 || k.shape[0] !== shape[0] || k.data.length > JS_DENSE_WEIGHTS || (b && b.data.length !== k.shape[1])) return undefined;
      tail.push({ kind: 'dense', w: k.data, ...(b ? { b: b.data } : {}), nin: k.shape[0], nout: k.shape[1] });
      shape = n.shape;
      continue;
    }
    return undefined;
  }
  const tailShapes = new Map<string, readonly number[]>();
  for (const n of chain) if (n.op.op === 'relu') tailShapes.set(n.id, n.shape);

  return {
    run(x0: Float32Array) {
      const gates = new Map<string, Gate>();
      // a copy when there are no wasm layers: a ReLU in the tail works in place
      let v = layers.length > 0 ? x0 : x0.slice();
      if (layers.length > 0) {
        const r = runForward(x0, layers);
        v = r.out;
        r.pools.forEach((m, k) => gates.set(poolIds[k].id, tiledPoolGate(m.md, m, [[0, 0], [0, 0]], [2, 2], [poolIds[k].h, poolIds[k].w], poolIds[k].c)));
        r.relus.forEach((g, k) => {
          const id = reluIds[k].id;
          if (id) gates.set(id, reluGateOf(g, reluIds[k].shape));
        });
      }
      for (const t of tail) {
        if (t.kind === 'dense') v = denseRow(v, t.w, t.b, t.nin, t.nout);
        else {
          const g = reluInPlace(v);
          if (t.id) gates.set(t.id, reluGateOf(g, tailShapes.get(t.id)!));
        }
      }
      return { output: v, gates };
    },
  };
}

/** A ReLU's gate: g = step(z0), no offset (what tf.grad of relu gives, see gates.ts). */
function reluGateOf(g: Float32Array, shape: readonly number[]): Gate {
  return { kind: 'elementwise', g: tf.keep(tf.tensor(g, [1, ...shape])), c: undefined, data: g };
}

/** v = max(v, 0) in place; returns step(v) as it was. */
function reluInPlace(v: Float32Array): Float32Array {
  const g = new Float32Array(v.length);
  for (let i = 0; i < v.length; i++) {
    if (v[i] > 0) g[i] = 1;
    else v[i] = Math.max(v[i], 0);
  }
  return g;
}

/** y = x·W + b for one sample, W [nin, nout] row-major; sums in float64. */
export function denseRow(x: Float32Array, w: Float32Array, b: Float32Array | undefined, nin: number, nout: number): Float32Array {
  const acc = new Float64Array(nout);
  for (let i = 0; i < nin; i++) {
    const v = x[i];
    if (v === 0) continue;
    const o = i * nout;
    for (let j = 0; j < nout; j++) acc[j] += v * w[o + j];
  }
  const y = new Float32Array(nout);
  for (let j = 0; j < nout; j++) y[j] = acc[j] + (b ? b[j] : 0);
  return y;
}
