"""Shared parts of the PyTorch peers of `npm run bench` (bench/main.ts runs them).

Each peer reads the SAME files as Linear Lens: the TF.js layers model (model.json + weight shards,
read with json + numpy) and the IDX .gz data (gzip + numpy, pixels / 255). TF.js layouts are
converted once, outside every timed region: dense kernels [in, out] -> weight [out, in]; conv
kernels HWIO -> OIHW; inputs NHWC -> NCHW; and the rows of the first dense layer after a Flatten
reordered from TF.js's (h, w, c) order to PyTorch's (c, h, w).

A peer prints one JSON object on stdout (its last line) and nothing else there; notes go to stderr.
Debian: apt-get install python3-torch python3-numpy (python3-scipy for weight matching).
"""
import gzip
import json
import os
import resource
import statistics
import sys
import time

import numpy as np
import torch


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def read_idx(path, limit=None):
    """An IDX file (optionally gzipped) as a numpy array; uint8 stays uint8."""
    opener = gzip.open if path.endswith('.gz') else open
    with opener(path, 'rb') as f:
        raw = f.read()
    assert raw[0] == 0 and raw[1] == 0, f'{path}: not an IDX file'
    dtype = {0x08: np.uint8, 0x09: np.int8, 0x0b: '>i2', 0x0c: '>i4', 0x0d: '>f4', 0x0e: '>f8'}[raw[2]]
    rank = raw[3]
    shape = tuple(int.from_bytes(raw[4 + 4 * i:8 + 4 * i], 'big') for i in range(rank))
    a = np.frombuffer(raw, dtype=dtype, offset=4 + 4 * rank).reshape(shape)
    return a[:limit] if limit else a


def label_path(images_path):
    d, b = os.path.split(images_path)
    return os.path.join(d, b.replace('images', 'labels').replace('idx3', 'idx1'))


def read_images(path, limit=None):
    """Images as float32 NCHW in [0, 1] and int64 labels (from the sibling labels file)."""
    x = read_idx(path, limit).astype(np.float32) / 255.0
    if x.ndim == 3:
        x = x[:, None, :, :]
    else:  # N, H, W, C
        x = x.transpose(0, 3, 1, 2)
    y = read_idx(label_path(path), limit).astype(np.int64)
    return torch.from_numpy(np.ascontiguousarray(x)), torch.from_numpy(y)


def read_tfjs(model_dir):
    """The TF.js layers model.json and its weights by name, in TF.js's own layouts (float32)."""
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
    return model, weights


class TfjsSequential(torch.nn.Module):
    """A TF.js Sequential of Conv2D / MaxPooling2D / Flatten / Dense layers, as PyTorch modules (NCHW)."""

    def __init__(self, model, weights):
        super().__init__()
        layers = model['modelTopology']['config']['layers']
        shape = layers[0]['config']['batch_input_shape'][1:]  # H, W, C (or a flat size)
        self.input_hwc = tuple(shape)
        mods = []
        hwc = tuple(shape)
        flat_from = None  # the (h, w, c) of the map a Flatten flattened, until the next Dense
        for l in layers:
            cls, c = l['class_name'], l['config']
            name = c['name']
            if cls == 'Conv2D':
                assert c['strides'] == [1, 1] and c['dilation_rate'] == [1, 1] and c.get('data_format', 'channels_last') == 'channels_last', c
                k = weights[f'{name}/kernel']  # HWIO
                kh, kw, ci, co = k.shape
                pad = (kh // 2, kw // 2) if c['padding'] == 'same' else 0
                assert c['padding'] == 'valid' or (kh % 2 == 1 and kw % 2 == 1), 'even same-padding is asymmetric'
                conv = torch.nn.Conv2d(ci, co, (kh, kw), padding=pad, bias=c['use_bias'])
                with torch.no_grad():
                    conv.weight.copy_(torch.from_numpy(k.transpose(3, 2, 0, 1).copy()))
                    if c['use_bias']:
                        conv.bias.copy_(torch.from_numpy(weights[f'{name}/bias']))
                mods.append(conv)
                h, w, _ = hwc
                hwc = (h, w, co) if c['padding'] == 'same' else (h - kh + 1, w - kw + 1, co)
                mods += activation(c.get('activation', 'linear'))
            elif cls == 'MaxPooling2D':
                assert c['padding'] == 'valid', c
                ph, pw = c['pool_size']
                sh, sw = c['strides'] or c['pool_size']
                mods.append(torch.nn.MaxPool2d((ph, pw), (sh, sw)))
                h, w, ch = hwc
                hwc = ((h - ph) // sh + 1, (w - pw) // sw + 1, ch)
            elif cls == 'Flatten':
                mods.append(torch.nn.Flatten(1))
                flat_from = hwc if len(hwc) == 3 else None
                hwc = (int(np.prod(hwc)),)
            elif cls == 'Dense':
                k = weights[f'{name}/kernel']  # [in, out]
                if flat_from is not None:
                    # TF.js flattens NHWC (h, w, c); PyTorch NCHW (c, h, w): reorder the rows.
                    h, w, ch = flat_from
                    k = k.reshape(h, w, ch, -1).transpose(2, 0, 1, 3).reshape(h * w * ch, -1)
                    flat_from = None
                lin = torch.nn.Linear(k.shape[0], k.shape[1], bias=c['use_bias'])
                with torch.no_grad():
                    lin.weight.copy_(torch.from_numpy(k.T.copy()))
                    if c['use_bias']:
                        lin.bias.copy_(torch.from_numpy(weights[f'{name}/bias']))
                mods.append(lin)
                hwc = (k.shape[1],)
                mods += activation(c.get('activation', 'linear'))
            else:
                raise SystemExit(f'peer: layer {cls} is not supported by bench/peers/common.py')
        self.net = torch.nn.Sequential(*mods)

    def forward(self, x):
        return self.net(x)


def activation(name):
    if name in ('linear', None):
        return []
    if name == 'relu':
        return [torch.nn.ReLU()]
    raise SystemExit(f'peer: activation {name} is not supported')


def load_model(model_dir):
    model, weights = read_tfjs(model_dir)
    net = TfjsSequential(model, weights).eval()
    for p in net.parameters():
        p.requires_grad_(False)
    return net


def nhwc_f32(path, shape):
    """A raw little-endian float32 file written by the bench (NHWC for images) as an NCHW tensor."""
    a = np.fromfile(path, dtype='<f4').reshape(shape)
    if a.ndim == 4:
        a = a.transpose(0, 3, 1, 2)
    return torch.from_numpy(np.ascontiguousarray(a))


def timed(fn, repeats, warmup=1):
    """Median / min milliseconds of `fn` over `repeats` runs after `warmup` runs."""
    for _ in range(warmup):
        fn()
    ts = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        ts.append((time.perf_counter() - t0) * 1000)
    return {'median_ms': statistics.median(ts), 'min_ms': min(ts), 'runs': repeats}


def max_diff(got, want):
    got = np.asarray(got, dtype=np.float64)
    want = np.asarray(want, dtype=np.float64)
    d = np.abs(got - want)
    return {'max_abs': float(d.max()), 'max_rel': float((d / np.maximum(1.0, np.abs(want))).max()), 'scale': float(np.abs(want).max())}


def emit(result):
    """Prints the peer's result as the last stdout line, with torch's threads and peak RSS."""
    result.update({
        'torch': torch.__version__,
        'threads': torch.get_num_threads(),
        'maxrss_mb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
        'python': sys.version.split()[0],
    })
    print(json.dumps(result), flush=True)


def args_json():
    """The peer's arguments: one JSON object in argv[1] (written by bench/main.ts)."""
    return json.loads(sys.argv[1])
