import * as path from 'node:path';
import { GraphBuilder } from '../src/core/graph/builder';
import { Graph } from '../src/core/graph/ir';

/** The example files the benchmarks read (run from the repository root, as `npm run bench` does). */
export const EXAMPLES = {
  cnn1: path.resolve('examples/models/cnn-seed1/model.json'),
  cnn2: path.resolve('examples/models/cnn-seed2/model.json'),
  mlp1: path.resolve('examples/models/mlp-seed1/model.json'),
  mlp2: path.resolve('examples/models/mlp-seed2/model.json'),
  /** 2,000 Fashion-MNIST test images (the labels file sits beside it). */
  test: path.resolve('examples/data/fashion-mnist/t10k-images-idx3-ubyte.gz'),
};

/** Debian's dataset-fashion-mnist package: the full 60,000-image training split. */
export const DEBIAN_FASHION_TRAIN = '/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz';

/**
 * The NAD reference's LeNet on 32×32×1, as PyTorch defines it (so its default init is PyTorch's):
 * conv5(6)-relu-maxpool-conv5(16)-relu-maxpool-flatten(NCHW order)-fc120-relu-fc84-relu-fc(1).
 * The same builder as test/unit/nad.test.ts; bench/peers/nad.py builds the same net in torch.
 */
export function lenet(): Graph {
  const z = (n: number) => new Float32Array(n);
  const b = new GraphBuilder('/bench/lenet.onnx', 'onnx', { framework: 'pytorch', name: 'pytorch 2.2.1' }, 'lenet');
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
