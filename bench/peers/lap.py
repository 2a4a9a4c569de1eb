"""Peer of the `lap` benchmark: scipy's linear_sum_assignment (maximize) on the same seeded
1024x1024 cost matrix Linear Lens solved (float64, row-major, written by bench/rows.ts); the
optimal totals must agree."""
import numpy as np
from scipy.optimize import linear_sum_assignment

from common import args_json, emit, timed

a = args_json()
n = a['n']
cost = np.fromfile(a['cost'], dtype=np.float64).reshape(n, n)
out = {}


def solve():
    rows, cols = linear_sum_assignment(cost, maximize=True)
    out['total'] = float(cost[rows, cols].sum())


t = timed(solve, a['repeats'])
ok = abs(out['total'] - a['total']) <= 1e-9 * max(1.0, abs(a['total']))
emit({**t, 'valid': ok, 'check': f"optimal totals: scipy {out['total']:.9f}, ours {a['total']:.9f}" + (' ✓' if ok else ' ✗ (they differ)')})
