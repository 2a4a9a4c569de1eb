#!/usr/bin/env python3
"""Writes the format-coverage copies of two TF.js example models (run by `npm run examples`).

  examples/models/cnn-seed1-onnx/model.onnx  cnn-seed1 rebuilt in PyTorch, exported to ONNX (opset 13)
  examples/models/mlp-seed1-keras/model.h5   mlp-seed1 as a Keras 2 full-model HDF5 file (h5py)

Only numpy, torch (for the ONNX export), onnx (checker) and h5py are needed; no TensorFlow.
Each copy is checked to compute the same logits as its TF.js original on the 2,000 test images:
against a NumPy forward pass written from the TF.js weights in their own NHWC layout and, when
--reference-logits names a folder with <model>.f32 files (raw float32 [n, 10], written by
make-examples.ts from tfjs-layers), against TF.js itself.

Debian: apt-get install python3-torch python3-h5py python3-onnx python3-numpy
Usage:  python3 scripts/export_copies.py [--models-dir examples/models] [--data-dir examples/data/fashion-mnist]
                                         [--reference-logits DIR]
"""
import argparse
import gzip
import json
import os
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOLERANCE = 1e-4  # relative: |a - b| / max(1, |b|)
KERAS_VERSION = '2.12.0'


def read_idx(path):
    with gzip.open(path, 'rb') as f:
        raw = f.read()
    assert raw[0] == 0 and raw[1] == 0 and raw[2] == 8, f'{path}: not a uint8 IDX file'
    rank = raw[3]
    shape = tuple(int.from_bytes(raw[4 + 4 * i:8 + 4 * i], 'big') for i in range(rank))
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * rank).reshape(shape)


def read_tfjs(model_dir):
    """The TF.js layers model's topology and its weights by name, in TF.js's own layouts."""
    with open(os.path.join(model_dir, 'model.json')) as f:
        model = json.load(f)
    weights = {}
    for group in model['weightsManifest']:
        blob = b''.join(open(os.path.join(model_dir, p), 'rb').read() for p in group['paths'])
        offset = 0
        for spec in group['weights']:
            assert spec['dtype'] == 'float32' and 'quantization' not in spec, spec
            n = int(np.prod(spec['shape'], dtype=np.int64))
            weights[spec['name']] = np.frombuffer(blob, dtype='<f4', count=n, offset=offset).reshape(spec['shape']).copy()
            offset += 4 * n
        assert offset == len(blob), f'{model_dir}: {len(blob) - offset} unused weight bytes'
    return model, weights


def compare(what, got, want):
    worst = float(np.max(np.abs(got - want) / np.maximum(1.0, np.abs(want))))
    if not worst < TOLERANCE:
        sys.exit(f'{what}: logits differ by {worst:.3g} (relative), more than {TOLERANCE}')
    print(f'  {what}: max relative difference {worst:.2e}')


def reference(args, name, n):
    if not args.reference_logits:
        return None
    return np.fromfile(os.path.join(args.reference_logits, f'{name}.f32'), dtype='<f4').reshape(n, 10)


# ---------------------------------------------------------------- NumPy forward passes (NHWC, as TF.js)

def conv_same_nhwc(x, k, b):
    n, h, w, _ = x.shape
    kh, kw, _, co = k.shape
    xp = np.pad(x, ((0, 0), (kh // 2, kh // 2), (kw // 2, kw // 2), (0, 0)))
    out = np.zeros((n, h, w, co), dtype=np.float64)
    for i in range(kh):
        for j in range(kw):
            out += np.einsum('nhwc,co->nhwo', xp[:, i:i + h, j:j + w, :], k[i, j], optimize=True)
    return out + b


def maxpool2_nhwc(x):
    n, h, w, c = x.shape
    return x.reshape(n, h // 2, 2, w // 2, 2, c).max(axis=(2, 4))


def cnn_numpy(wt, x):
    x = x.astype(np.float64)
    x = maxpool2_nhwc(np.maximum(conv_same_nhwc(x, wt['conv1/kernel'], wt['conv1/bias']), 0))
    x = maxpool2_nhwc(np.maximum(conv_same_nhwc(x, wt['conv2/kernel'], wt['conv2/bias']), 0))
    return x.reshape(x.shape[0], -1) @ wt['logits/kernel'] + wt['logits/bias']


def mlp_numpy(kernels_biases, x):
    h = x.reshape(x.shape[0], -1).astype(np.float64)
    for i, (k, b) in enumerate(kernels_biases):
        h = h @ k + b
        if i < len(kernels_biases) - 1:
            h = np.maximum(h, 0)
    return h


# ---------------------------------------------------------------- ONNX copy of cnn-seed1

def export_onnx(args, x_test):
    import torch
    import onnx

    src = os.path.join(args.models_dir, 'cnn-seed1')
    topo, wt = read_tfjs(src)
    layers = [l['config']['name'] for l in topo['modelTopology']['config']['layers']]
    assert layers == ['conv1', 'pool1', 'conv2', 'pool2', 'flatten', 'logits'], layers

    class Cnn(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = torch.nn.Conv2d(1, 16, 3, padding=1)
            self.conv2 = torch.nn.Conv2d(16, 32, 3, padding=1)
            self.pool = torch.nn.MaxPool2d(2)
            self.logits = torch.nn.Linear(32 * 7 * 7, 10)

        def forward(self, x):
            x = self.pool(torch.relu(self.conv1(x)))
            x = self.pool(torch.relu(self.conv2(x)))
            return self.logits(torch.flatten(x, 1))

    net = Cnn().eval()
    with torch.no_grad():
        # TF.js kernels are HWIO; PyTorch's are OIHW.
        net.conv1.weight.copy_(torch.from_numpy(wt['conv1/kernel'].transpose(3, 2, 0, 1).copy()))
        net.conv1.bias.copy_(torch.from_numpy(wt['conv1/bias']))
        net.conv2.weight.copy_(torch.from_numpy(wt['conv2/kernel'].transpose(3, 2, 0, 1).copy()))
        net.conv2.bias.copy_(torch.from_numpy(wt['conv2/bias']))
        # TF.js flattens an NHWC map (row index (h*7 + w)*32 + c), PyTorch an NCHW one
        # (c*49 + h*7 + w): reorder the dense rows HWC -> CHW, then transpose [in, out] -> [out, in].
        k = wt['logits/kernel'].reshape(7, 7, 32, 10).transpose(2, 0, 1, 3).reshape(32 * 7 * 7, 10)
        net.logits.weight.copy_(torch.from_numpy(k.T.copy()))
        net.logits.bias.copy_(torch.from_numpy(wt['logits/bias']))

    # One channel: the NHWC test images reshape to NCHW without moving any value.
    x_nchw = x_test.reshape(-1, 1, 28, 28)
    with torch.no_grad():
        torch_logits = net(torch.from_numpy(x_nchw)).numpy()
    print('cnn-seed1 -> ONNX')
    compare('PyTorch rebuild vs NumPy NHWC forward of the TF.js weights', torch_logits, cnn_numpy(wt, x_test))
    ref = reference(args, 'cnn-seed1', len(x_test))
    if ref is not None:
        compare('PyTorch rebuild vs tfjs-layers', torch_logits, ref)

    out_dir = os.path.join(args.models_dir, 'cnn-seed1-onnx')
    os.makedirs(out_dir, exist_ok=True)
    out = os.path.join(out_dir, 'model.onnx')
    torch.onnx.export(
        net, torch.zeros(1, 1, 28, 28), out,
        input_names=['input'], output_names=['logits'],
        dynamic_axes={'input': {0: 'batch'}, 'logits': {0: 'batch'}},
        opset_version=13, do_constant_folding=True,
    )
    m = onnx.load(out)
    onnx.checker.check_model(m, full_check=True)
    dims = m.graph.input[0].type.tensor_type.shape.dim
    assert dims[0].dim_param == 'batch' and [d.dim_value for d in dims[1:]] == [1, 28, 28], dims
    print(f'  wrote {os.path.relpath(out, ROOT)}: ops {[n.op_type for n in m.graph.node]}, opset {m.opset_import[0].version}')


# ---------------------------------------------------------------- Keras 2 .h5 copy of mlp-seed1

def dense_config(name, units, activation):
    return {'class_name': 'Dense', 'config': {
        'name': name, 'trainable': True, 'dtype': 'float32', 'units': units, 'activation': activation,
        'use_bias': True,
        'kernel_initializer': {'class_name': 'GlorotUniform', 'config': {'seed': None}},
        'bias_initializer': {'class_name': 'Zeros', 'config': {}},
        'kernel_regularizer': None, 'bias_regularizer': None, 'activity_regularizer': None,
        'kernel_constraint': None, 'bias_constraint': None}}


def export_keras(args, x_test):
    import h5py

    src = os.path.join(args.models_dir, 'mlp-seed1')
    topo, wt = read_tfjs(src)
    layers = [l['config']['name'] for l in topo['modelTopology']['config']['layers']]
    assert layers == ['flatten', 'dense1', 'dense2', 'logits'], layers
    # Keras's own default layer names, as a model built with keras.Sequential would have them.
    renamed = [('dense', 'dense1', 256, 'relu'), ('dense_1', 'dense2', 256, 'relu'), ('dense_2', 'logits', 10, 'linear')]
    model_config = {'class_name': 'Sequential', 'config': {'name': 'sequential', 'layers': [
        {'class_name': 'InputLayer', 'config': {'batch_input_shape': [None, 28, 28, 1], 'dtype': 'float32',
                                                'sparse': False, 'ragged': False, 'name': 'flatten_input'}},
        {'class_name': 'Flatten', 'config': {'name': 'flatten', 'trainable': True, 'dtype': 'float32',
                                             'batch_input_shape': [None, 28, 28, 1], 'data_format': 'channels_last'}},
    ] + [dense_config(k, units, act) for k, _, units, act in renamed]}}

    out_dir = os.path.join(args.models_dir, 'mlp-seed1-keras')
    os.makedirs(out_dir, exist_ok=True)
    out = os.path.join(out_dir, 'model.h5')
    if os.path.exists(out):
        os.remove(out)
    # The attribute types follow Keras 2's hdf5_format.save_model_to_hdf5: keras_version and backend
    # as str on the file, JSON as bytes; in model_weights, everything as bytes.
    with h5py.File(out, 'w', track_order=False) as f:
        f.attrs['keras_version'] = KERAS_VERSION
        f.attrs['backend'] = 'tensorflow'
        f.attrs['model_config'] = json.dumps(model_config).encode('utf8')
        mw = f.create_group('model_weights')
        mw.attrs['layer_names'] = np.array([b'flatten'] + [k.encode('utf8') for k, _, _, _ in renamed])
        mw.attrs['backend'] = b'tensorflow'
        mw.attrs['keras_version'] = KERAS_VERSION.encode('utf8')
        # Keras writes a layer's empty weight list as np.asarray([]): an empty float64 array.
        mw.create_group('flatten').attrs['weight_names'] = np.asarray([])
        for keras_name, tfjs_name, _, _ in renamed:
            g = mw.create_group(keras_name)
            names = [f'{keras_name}/kernel:0', f'{keras_name}/bias:0']
            g.attrs['weight_names'] = np.array([n.encode('utf8') for n in names])
            # Dense kernels are [in, out] in both Keras and TF.js: copied as they are.
            for n, part in zip(names, ('kernel', 'bias')):
                g.create_dataset(n, data=wt[f'{tfjs_name}/{part}'].astype('<f4'), track_times=False)

    # Read the file back and run it, to check what was written rather than what was meant.
    with h5py.File(out, 'r') as f:
        cfg = json.loads(f.attrs['model_config'])
        mw = f['model_weights']
        kb = []
        for layer in cfg['config']['layers'][2:]:
            g = mw[layer['config']['name']]
            names = [n.decode('utf8') for n in g.attrs['weight_names']]
            kb.append((g[names[0]][()], g[names[1]][()]))
    print('mlp-seed1 -> Keras .h5')
    tfjs_wt = [(wt[f'{n}/kernel'], wt[f'{n}/bias']) for n in ('dense1', 'dense2', 'logits')]
    h5_logits = mlp_numpy(kb, x_test)
    compare('the .h5 weights vs the TF.js weights (NumPy forward)', h5_logits, mlp_numpy(tfjs_wt, x_test))
    ref = reference(args, 'mlp-seed1', len(x_test))
    if ref is not None:
        compare('the .h5 weights (NumPy forward) vs tfjs-layers', h5_logits, ref)
    print(f'  wrote {os.path.relpath(out, ROOT)}')


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--models-dir', default=os.path.join(ROOT, 'examples/models'))
    p.add_argument('--data-dir', default=os.path.join(ROOT, 'examples/data/fashion-mnist'))
    p.add_argument('--reference-logits', help='folder with <model>.f32 logits from tfjs-layers')
    args = p.parse_args()
    x_test = (read_idx(os.path.join(args.data_dir, 't10k-images-idx3-ubyte.gz')).astype(np.float32) / 255).reshape(-1, 28, 28, 1)
    export_onnx(args, x_test)
    export_keras(args, x_test)


if __name__ == '__main__':
    main()
