import * as path from 'node:path';

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

/** The NAD reference's LeNet on 32×32×1 (PyTorch init), the same architecture the NAD tests use. */
export { lenet } from '../test/unit/helpers/nadGraphs';
