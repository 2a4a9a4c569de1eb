"""PyTorch peer of the weight-matching benchmark: Git Re-Basin's weight_matching (Ainsworth et al.,
ICLR 2023; the PyTorch port's algorithm) for an MLP, B = mlp-seed1 permuted onto A = mlp-seed2.

Per step, for permutation p: C = Σ over the (weight, axis) pairs carrying p of
W_A(axis as rows) · W_B(other axes already permuted)ᵀ, then scipy's linear_sum_assignment
(maximize). Sweeps until one changes nothing, at most maxSweeps. The sweep order is ours (passed in),
so both sides do the same steps and must land on the same permutations; sweeps beyond ours use a
seeded random order.
"""
import json

import numpy as np
import torch
from scipy.optimize import linear_sum_assignment

from common import args_json, emit, log, read_tfjs, timed


def mlp_spec(model):
    """perm name -> [(weight key, axis)], one permutation per hidden Dense layer (TF.js [in, out] kernels)."""
    dense = [l['config']['name'] for l in model['modelTopology']['config']['layers'] if l['class_name'] == 'Dense']
    spec = {}
    for i, name in enumerate(dense[:-1]):
        spec[name] = [(f'{name}/kernel', 1), (f'{name}/bias', 0), (f'{dense[i + 1]}/kernel', 0)]
    axes = {}  # weight key -> {axis: perm}
    for p, carriers in spec.items():
        for k, ax in carriers:
            axes.setdefault(k, {})[ax] = p
    return spec, axes


def permuted(w, key, axes, perm, except_axis=None):
    for ax, p in axes.get(key, {}).items():
        if ax != except_axis:
            w = torch.index_select(w, ax, perm[p])
    return w


def weight_matching(spec, axes, pa, pb, order, max_sweeps, rng):
    perm = {p: torch.arange(pa[c[0][0]].shape[c[0][1]]) for p, c in spec.items()}
    names = list(spec)
    sweeps = 0
    for it in range(max_sweeps):
        sweeps = it + 1
        progress = False
        for p in (order[it] if it < len(order) else [names[i] for i in rng.permutation(len(names))]):
            n = perm[p].shape[0]
            C = torch.zeros((n, n))
            for key, ax in spec[p]:
                wa = torch.movedim(pa[key], ax, 0).reshape(n, -1)
                wb = torch.movedim(permuted(pb[key], key, axes, perm, except_axis=ax), ax, 0).reshape(n, -1)
                C += wa @ wb.T
            _, ci = linear_sum_assignment(C.numpy(), maximize=True)
            old = C[torch.arange(n), perm[p]].sum().item()
            new = C[torch.arange(n), torch.from_numpy(ci)].sum().item()
            progress = progress or new > old + 1e-12
            perm[p] = torch.from_numpy(ci)
        if not progress:
            break
    aligned = {k: permuted(w, k, axes, perm) for k, w in pb.items()}
    return perm, sweeps, aligned


def main():
    a = args_json()
    model_a, wa = read_tfjs(a['a'])
    _, wb = read_tfjs(a['b'])
    spec, axes = mlp_spec(model_a)
    pa = {k: torch.from_numpy(v) for k, v in wa.items()}
    pb = {k: torch.from_numpy(v) for k, v in wb.items()}
    unknown = {p for sweep in a['order'] for p in sweep} - set(spec)
    assert not unknown, f'our permutation names {unknown} are not hidden Dense layers {list(spec)}'
    out = {}

    def run():
        out['r'] = weight_matching(spec, axes, pa, pb, a['order'], a['maxSweeps'], np.random.default_rng(0))

    t = timed(run, a['repeats'], warmup=1)
    perm, sweeps, aligned = out['r']
    objective = sum(float(np.dot(wa[k].astype(np.float64).ravel(), aligned[k].numpy().astype(np.float64).ravel())) for k in wa)
    ours = json.load(open(a['check']))
    same = all(np.array_equal(perm[p].numpy(), np.array(ours['perms'][p])) for p in spec)
    rel = abs(objective - ours['objective']) / abs(ours['objective'])
    log(f'weight matching: {sweeps} sweeps (ours {len(a["order"])}); permutations equal to ours: {same}; objective {objective:.3f} vs ours {ours["objective"]:.3f}')
    emit({**t, 'valid': bool(same and rel < 1e-6),
          'check': f'same sweep order: permutations {"identical" if same else "DIFFERENT"} to ours, objective {objective:.3f} (ours {ours["objective"]:.3f}), {sweeps} sweeps (ours {len(a["order"])})',
          'extra': {'sweeps': sweeps, 'msPerSweep': round(t['median_ms'] / sweeps, 2)}})


main()
