import { Node } from '../graph/ir';

/** Whose rules give the fans: PyTorch and Keras differ on depthwise kernels. */
export type FanConvention = 'pytorch' | 'keras';

export interface Fans {
  readonly fanIn: number;
  readonly fanOut: number;
}

/**
 * Fan-in and fan-out of a layer's kernel in our layouts (dense [in, out], conv HWIO, depthwise
 * [kh, kw, cin, mult]), computed as the framework computes them from its own layout:
 * - conv2d (also grouped): fan_in = kh·kw·cin/groups, fan_out = kh·kw·cout in both;
 * - depthwise: PyTorch sees a grouped conv with one input channel per output (fan_in = kh·kw,
 *   fan_out = kh·kw·cin·mult); Keras applies its generic rule to [kh, kw, cin, mult]
 *   (fan_in = kh·kw·cin, fan_out = kh·kw·mult).
 * Undefined for nodes whose kernel is not a layer weight.
 */
export function kernelFans(node: Node, shape: readonly number[], convention: FanConvention): Fans | undefined {
  switch (node.op.op) {
    case 'dense': {
      if (shape.length !== 2) return undefined;
      return { fanIn: shape[0], fanOut: shape[1] };
    }
    case 'conv2d': {
      if (shape.length !== 4) return undefined;
      const r = shape[0] * shape[1];
      return { fanIn: r * shape[2], fanOut: r * shape[3] };
    }
    case 'depthwiseConv2d': {
      if (shape.length !== 4) return undefined;
      const r = shape[0] * shape[1];
      return convention === 'pytorch' ? { fanIn: r, fanOut: r * shape[2] * shape[3] } : { fanIn: r * shape[2], fanOut: r * shape[3] };
    }
    default:
      return undefined;
  }
}
