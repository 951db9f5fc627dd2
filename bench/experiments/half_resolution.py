"""Experiment (recorded in bench/results/arch_speed.md, not shipped): run the network on the page at
half resolution (a quarter of the pixels, so about a quarter of the network time) and bring the
result back to full resolution with guided-filter upsampling (He and Sun, "Fast guided filter",
2015): per low-resolution pixel a local linear map from the input's grey to the cleaned grey is
fitted over a (2r+1)-square window, and the maps, upsampled, are applied to the full-resolution
input, so edges come from the full-resolution page. Scored with ``--binarize`` on the historical
pages of real-scans/dibco-extra (validation only) and on the synthetic pages of
bench/binarize_synthetic.py (seed 3000, black targets) scanned at 300 dpi or more, beside the
network at full resolution.

    python bench/experiments/half_resolution.py [--model default] [--n 56]
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from bench.experiments.scoring import HEADER, model_and_size, page_scores, page_sets, row  # noqa: E402
from docclean.engine import Denoiser  # noqa: E402
from docclean.io import read_gray  # noqa: E402
from docclean.postprocess import binarize  # noqa: E402

#: (window radius r in low-resolution pixels, regularisation eps) of the guided filter.
SETTINGS = ((1, 1e-4), (2, 1e-4), (2, 1e-3))


def _box(x: np.ndarray, r: int) -> np.ndarray:
    return cv2.boxFilter(x, cv2.CV_32F, (2 * r + 1, 2 * r + 1), borderType=cv2.BORDER_REFLECT)


def half_resolution_clean(den: Denoiser, page: np.ndarray, r: int, eps: float) -> np.ndarray:
    """Clean ``page`` with the network at half resolution, guided-filter upsampled."""
    h, w = page.shape
    low = cv2.resize(page, (w // 2, h // 2), interpolation=cv2.INTER_AREA)
    out = den.clean(low)
    mean_i, mean_o = _box(low, r), _box(out, r)
    a = (_box(low * out, r) - mean_i * mean_o) / (_box(low * low, r) - mean_i * mean_i + np.float32(eps))
    b = mean_o - a * mean_i
    big_a = cv2.resize(_box(a, r), (w, h), interpolation=cv2.INTER_LINEAR)
    big_b = cv2.resize(_box(b, r), (w, h), interpolation=cv2.INTER_LINEAR)
    return np.clip(big_a * page + big_b, 0.0, 1.0)


def main() -> None:
    model, n, den = model_and_size(__doc__)
    with tempfile.TemporaryDirectory() as tmp:
        sets = page_sets(Path(tmp), n, min_dpi=300)
        print(f"model {model}, `--binarize` of each cleaned page\n")
        print("| pages | network at " + HEADER[0])
        print("|---|---" + HEADER[1])
        for title, pairs in sets.items():
            rows: dict[str, list[tuple]] = {}
            for noisy, clean in pairs:
                gt = read_gray(clean) < 0.5
                page = read_gray(noisy)
                outs = {"full resolution": den.clean(page)}
                outs.update({f"half resolution, guided r = {r}, eps = {eps:g}": half_resolution_clean(den, page, r, eps)
                             for r, eps in SETTINGS})
                for rule, out in outs.items():
                    rows.setdefault(rule, []).append(page_scores(~binarize(out), gt))
            for rule, vals in rows.items():
                print(f"| {title} | {rule} | {row(vals)}", flush=True)


if __name__ == "__main__":
    main()
