import { GraphBuilder } from '../../../src/core/graph/builder';
import { Graph } from '../../../src/core/graph/ir';

/**
 * Architectures for the NAD tests and the NAD benchmark, with zero weights (the analysis draws
 * fresh ones) and a PyTorch producer, so the default initialiser is PyTorch's.
 */

const z = (n: number) => new Float32Array(n);
const PYTORCH = { framework: 'pytorch', name: 'pytorch 2.2.1' } as const;

/**
 * The NAD reference's LeNet on 32×32×1, as PyTorch defines it: conv5(6)-relu-maxpool-conv5(16)-
 * relu-maxpool-flatten(NCHW order)-fc120-relu-fc84-relu-fc(1). bench/peers/nad.py builds the same
 * net in torch.
 */
export function lenet(): Graph {
  const b = new GraphBuilder('/mem/lenet.onnx', 'onnx', PYTORCH, 'lenet');
  let x = b.input('x', [null, 32, 32, 1], 'nhwc', [32, 32, 1]);
  const conv = (id: string, cin: number, cout: number) =>
    b.node(id, { op: 'conv2d', strides: [1, 1], padding: 'valid', dilations: [1, 1], groups: 1 }, [x], {
      kernel: b.param(`${id}.w`, 'kernel', [5, 5, cin, cout], z(25 * cin * cout)),
      bias: b.param(`${id}.b`, 'bias', [cout], z(cout)),
    });
  const pool = (id: string) => b.node(id, { op: 'maxPool', poolSize: [2, 2], strides: [2, 2], padding: 'valid' }, [x]);
  const dense = (id: string, i: number, o: number) =>
    b.node(id, { op: 'dense' }, [x], { kernel: b.param(`${id}.w`, 'kernel', [i, o], z(i * o)), bias: b.param(`${id}.b`, 'bias', [o], z(o)) });
  x = conv('conv1', 1, 6);
  x = b.node('relu1', { op: 'relu' }, [x]);
  x = pool('pool1');
  x = conv('conv2', 6, 16);
  x = b.node('relu2', { op: 'relu' }, [x]);
  x = pool('pool2');
  x = b.node('flat', { op: 'flatten', order: 'nchw' }, [x]);
  x = b.node('relu3', { op: 'relu' }, [dense('fc1', 400, 120)]);
  x = b.node('relu4', { op: 'relu' }, [dense('fc2', 120, 84)]);
  x = dense('fc3', 84, 1);
  b.output(x, 'y', [null, 1], 'flat');
  return b.build();
}

/** A small bias-free ReLU CNN on 6×6×2: conv3(3, same)-relu-maxpool-flatten-dense(5)-relu-dense(2). */
export function biasFreeCnn(): Graph {
  const b = new GraphBuilder('/mem/nobias.onnx', 'onnx', PYTORCH, 'nobias');
  let x = b.input('x', [null, 6, 6, 2], 'nhwc', [6, 6, 2]);
  x = b.node('conv', { op: 'conv2d', strides: [1, 1], padding: 'same', dilations: [1, 1], groups: 1 }, [x], { kernel: b.param('c.w', 'kernel', [3, 3, 2, 3], z(54)) });
  x = b.node('pool', { op: 'maxPool', poolSize: [2, 2], strides: [2, 2], padding: 'valid' }, [b.node('relu', { op: 'relu' }, [x])]);
  x = b.node('flat', { op: 'flatten', order: 'nhwc' }, [x]);
  x = b.node('fc1', { op: 'dense' }, [x], { kernel: b.param('f1.w', 'kernel', [27, 5], z(135)) });
  x = b.node('fc2', { op: 'dense' }, [b.node('relu2', { op: 'relu' }, [x])], { kernel: b.param('f2.w', 'kernel', [5, 2], z(10)) });
  b.output(x, 'y', [null, 2], 'flat');
  return b.build();
}
