"""PyTorch peer of the NAD benchmark (METHODS §4; Ortiz-Jiménez et al. 2020): N freshly initialised
LeNets (PyTorch's default init), central finite differences with step s along every input basis
vector at one shared x0 (ours, passed in), first logit; then the principal components of the N
gradients (eigh of the float64 Gram matrix, as our PCA does for N ≤ D).

Exactness check: network 0 with OUR initial weights must give our gradient row 0.
"""
import time

import numpy as np
import torch

from common import args_json, emit, log, max_diff


class LeNet(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(1, 6, 5)
        self.conv2 = torch.nn.Conv2d(6, 16, 5)
        self.fc1 = torch.nn.Linear(400, 120)
        self.fc2 = torch.nn.Linear(120, 84)
        self.fc3 = torch.nn.Linear(84, 1)

    def forward(self, x):
        x = torch.max_pool2d(torch.relu(self.conv1(x)), 2)
        x = torch.max_pool2d(torch.relu(self.conv2(x)), 2)
        x = torch.flatten(x, 1)
        x = torch.relu(self.fc1(x))
        x = torch.relu(self.fc2(x))
        return self.fc3(x)


def perturbed(x0, s):
    """[2D, 1, 32, 32]: x0 + s·e_i for every i, then x0 − s·e_i."""
    d = x0.numel()
    e = torch.eye(d) * s
    flat = x0.reshape(1, d)
    return torch.cat([flat + e, flat - e]).reshape(2 * d, 1, 32, 32)


def fd_gradient(net, xs, s):
    with torch.inference_mode():
        f = net(xs)[:, 0]
    d = xs.shape[0] // 2
    return (f[:d] - f[d:]) / (2 * s)


def load_ours(net, params):
    """Our IR parameters: conv kernels HWIO, dense kernels [in, out] (fc1 rows already in NCHW order)."""
    with torch.no_grad():
        for key, spec in params.items():
            mod, kind = key.split('.')
            v = np.fromfile(spec['file'], dtype='<f4').reshape(spec['shape'])
            if kind == 'w':
                v = v.transpose(3, 2, 0, 1) if v.ndim == 4 else v.T
                getattr(net, mod).weight.copy_(torch.from_numpy(np.ascontiguousarray(v)))
            else:
                getattr(net, mod).bias.copy_(torch.from_numpy(v))


def nads(n, xs, s, seed=0):
    t0 = time.perf_counter()
    d = xs.shape[0] // 2
    g = torch.empty((n, d))
    for k in range(n):
        torch.manual_seed(seed + k)
        net = LeNet().eval()
        g[k] = fd_gradient(net, xs, s)
    t1 = time.perf_counter()
    c = g.double() - g.double().mean(0, keepdim=True)
    vals, vecs = torch.linalg.eigh(c @ c.T)  # Gram, ascending
    vals, vecs = vals.flip(0), vecs.flip(1)
    top = c.T @ vecs[:, :64]
    top = top / top.norm(dim=0, keepdim=True)
    t2 = time.perf_counter()
    return g, (vals / (n - 1)), top.T.float(), (t1 - t0) * 1000, (t2 - t1) * 1000


def main():
    a = args_json()
    s = a['step']
    x0 = torch.from_numpy(np.fromfile(a['x0'], dtype='<f4'))  # 32×32×1: NHWC and NCHW alike
    xs = perturbed(x0, s)
    net = LeNet().eval()
    load_ours(net, a['params'])
    g0 = fd_gradient(net, xs, s).numpy()
    d = max_diff(g0, np.fromfile(a['grad0'], dtype='<f4'))
    log(f'nad: network 0 with our weights: gradient max |diff| {d["max_abs"]:.2e} (max |g| {d["scale"]:.3e})')
    nads(2, xs, s)  # warm-up
    n = a['networks']
    t0 = time.perf_counter()
    _, vals, top, grad_ms, pca_ms = nads(n, xs, s)
    total = (time.perf_counter() - t0) * 1000
    power = np.abs(np.fft.fft2(top[0].reshape(32, 32).numpy())) ** 2
    dc = float(power[0, 0] / power.sum())
    # The gradients are tiny (ReLU nets at init); judge them against their own scale.
    rel = d['max_abs'] / max(d['scale'], 1e-30)
    emit({'median_ms': total, 'min_ms': total, 'runs': 1, 'valid': rel < 1e-3,
          'check': f'network 0 with our weights: FD gradient max |diff| {d["max_abs"]:.1e} = {rel:.1e} of max |g| (tolerance 1e-3)',
          'extra': {'networks': n, 'perNetworkMs': round(grad_ms / n, 2), 'gradientsMs': round(grad_ms), 'pcaMs': round(pca_ms), 'nad0DcShare': round(dc, 3)},
          'notes': ['one timed run after a warm-up with 2 networks']})


main()
