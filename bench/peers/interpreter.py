"""PyTorch peer of the interpreter benchmark: A = ∂logits/∂x (10×784) and b = F(x0) − A·x0 at test image 0
(nudged by ±1e-3 so that no max-pool window has a tie, where the Jacobian would not be unique).

For a ReLU / max-pool network the linear interpreter's A is exactly the Jacobian at x0, so the same
work in PyTorch is one forward pass on x0 repeated 10 times and one backward pass with the identity
as grad_outputs (10 vector-Jacobian products in one batch, as we do).
"""
import numpy as np
import torch

from common import args_json, emit, load_model, log, max_diff, read_images, timed

TOLERANCE = 1e-4


def main():
    a = args_json()
    net = load_model(a['model'])
    x, _ = read_images(a['images'], a['index'] + 1)
    # Our x0: test image `index` nudged by ±1e-3 into general position (no max-pool ties).
    x0 = torch.from_numpy(np.fromfile(a['x0'], dtype='<f4')).reshape(1, 1, 28, 28)
    nudge = float((x0 - x[a['index']:a['index'] + 1]).abs().max())
    assert nudge <= 1.001e-3, f'x0 is not test image {a["index"]} (max |diff| {nudge})'
    m = 10
    eye = torch.eye(m)
    out = {}

    def rows():
        xs = x0.repeat(m, 1, 1, 1).requires_grad_(True)
        y = net(xs)
        (g,) = torch.autograd.grad(y, xs, grad_outputs=eye)
        A = g.reshape(m, -1)
        with torch.no_grad():
            out['A'] = A
            out['b'] = y[0] - A @ x0.reshape(-1)

    t = timed(rows, a['repeats'], warmup=2)
    A = out['A'].numpy()
    b = out['b'].detach().numpy()
    # Our rows are in the model's NHWC order; with one channel NHWC and NCHW flatten alike.
    ours_a = np.fromfile(a['rows'], dtype='<f4').reshape(A.shape)
    ours_b = np.fromfile(a['bias'], dtype='<f4')
    da, db = max_diff(A, ours_a), max_diff(b, ours_b)
    log(f'interpreter: A vs ours max |diff| {da["max_abs"]:.2e} (max |A| {da["scale"]:.3f}); b vs ours max |diff| {db["max_abs"]:.2e}')
    jac = timed(lambda: torch.autograd.functional.jacobian(net, x0), max(3, a['repeats'] // 2), warmup=1)
    emit({**t, 'valid': da['max_rel'] < TOLERANCE and db['max_rel'] < TOLERANCE,
          'check': f'A (10×784) max |diff| {da["max_abs"]:.1e}, b max |diff| {db["max_abs"]:.1e} (tolerance {TOLERANCE:g} relative)',
          'extra': {'jacobianFunctionalMs': round(jac['median_ms'], 2)},
          'notes': ['torch.autograd.functional.jacobian (10 separate backward passes) takes %.1f ms' % jac['median_ms']]})


main()
