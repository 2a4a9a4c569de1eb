"""PyTorch peer of the LMC benchmark: loss and accuracy along (1-α)θ_A + αθ_B on the test images."""
import json

import numpy as np
import torch
import torch.nn.functional as F

from common import args_json, emit, load_model, log, read_images, timed


def main():
    a = args_json()
    net_a, net_b = load_model(a['a']), load_model(a['b'])
    ours = json.load(open(a['check']))
    alphas = [p['alpha'] for p in ours]
    x, y = read_images(a['images'])
    batch = a['batch']
    net = load_model(a['a'])
    pa = [p.detach().clone() for p in net_a.parameters()]
    pb = [p.detach().clone() for p in net_b.parameters()]
    params = list(net.parameters())
    points = []

    def curve():
        points.clear()
        with torch.inference_mode():
            for alpha in alphas:
                for p, u, v in zip(params, pa, pb):
                    p.copy_((1 - alpha) * u + alpha * v)
                loss = 0.0
                correct = 0
                for i in range(0, len(x), batch):
                    z = net(x[i:i + batch])
                    t = y[i:i + batch]
                    loss += F.cross_entropy(z, t, reduction='sum').item()
                    correct += (z.argmax(1) == t).sum().item()
                points.append({'alpha': alpha, 'loss': loss / len(x), 'accuracy': correct / len(x)})

    t = timed(curve, a['repeats'], warmup=1)
    dl = max(abs(p['loss'] - q['loss']) / max(1.0, abs(q['loss'])) for p, q in zip(points, ours))
    da = max(abs(p['accuracy'] - q['accuracy']) for p, q in zip(points, ours))
    # Float32 sums in another order can flip an argmax tie; one sample in 2,000 is allowed.
    valid = dl < 1e-4 and da <= 1.0 / len(x) + 1e-12
    log(f'lmc: {len(alphas)} points on {len(x)} samples; vs ours: max relative loss diff {dl:.2e}, max accuracy diff {da:.4f}')
    barrier = max(p['loss'] for p in points) - 0.5 * (points[0]['loss'] + points[-1]['loss'])
    emit({**t, 'valid': valid, 'check': f'curve vs ours at all {len(alphas)} α: max rel loss diff {dl:.1e}, max accuracy diff {da:.4f}',
          'extra': {'lossBarrier': round(barrier, 4)}})


main()
