"""PyTorch peer of the forward benchmark: cnn-seed1 on the first `batch` test images (NCHW)."""
import numpy as np
import torch

from common import args_json, emit, load_model, log, max_diff, read_images, timed

TOLERANCE = 1e-4  # relative: |a - b| / max(1, |b|)


def main():
    a = args_json()
    net = load_model(a['model'])
    x, _ = read_images(a['images'], a['batch'])
    with torch.inference_mode():
        logits = net(x).numpy()
    ours = np.fromfile(a['check'], dtype='<f4').reshape(logits.shape)
    d = max_diff(logits, ours)
    log(f'forward: logits vs ours on {len(x)} images: max |diff| {d["max_abs"]:.2e} (max |logit| {d["scale"]:.1f}), max relative {d["max_rel"]:.2e}')

    def run():
        with torch.inference_mode():
            net(x)

    t = timed(run, a['repeats'], warmup=3)
    emit({**t, 'valid': d['max_rel'] < TOLERANCE, 'check': f'logits on {len(x)} test images: max |diff| {d["max_abs"]:.1e}, max rel {d["max_rel"]:.1e} (tolerance {TOLERANCE:g})',
          'extra': {'imagesPerSecond': round(a['batch'] * 1000 / t['median_ms'])}})


main()
