"""Experiment (recorded in bench/results/quality_real_uneven.md, not shipped): render a synthetic
training set whose show-through blur is read in millimetres, so it scales with the resolution,
instead of pixels. Same seeds and draws as ``docclean.synth`` otherwise (graded targets, uneven 0.25,
512-px windows: the set of the uneven-ink fine-tune). Then train on it with ``--synth-dir OUT``:

    python bench/experiments/blurred_show_through.py runs/synth7 [--mm 0.15]
    python -m training.denoiser --out runs/st15 --synth-dir runs/synth7 --synth-uneven 0.25 \\
        --init-from docclean/weights/default.safetensors --epochs 10 --batches-per-epoch 60 --lr 1e-4 \\
        --patience 10 --workers 2 --ink-halo 2 --crop 128 --batch-size 16 --threads 2 --no-eval-x2 \\
        --select-texts 4 --synth-n 800 --synth-val-n 16 --ink-weight 4 --scales 1 1 1.5 2 3
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from docclean.synth import damage, pairs  # noqa: E402


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("out", type=Path)
    p.add_argument("--mm", type=float, default=0.15, help="millimetres of blur per unit of the usual 0.8-2.5 draw")
    a = p.parse_args()
    page_dpi = {"dpi": 300}
    make_pair = pairs.make_pair

    def tracking_make_pair(rng: np.random.Generator, dpi: int = 300, *args: object, **kw: object):
        page_dpi["dpi"] = dpi
        return make_pair(rng, dpi, *args, **kw)

    def bleed_through(page: np.ndarray, back: np.ndarray, rng: np.random.Generator, strength: float | None = None):
        strength = float(rng.uniform(0.05, 0.3)) if strength is None else strength
        sigma = rng.uniform(0.8, 2.5) * a.mm * page_dpi["dpi"] / 25.4  # the same draw, in millimetres
        mirrored = cv2.GaussianBlur(back[:, ::-1].copy(), (0, 0), sigma)
        return page * (1.0 - strength * mirrored)

    # Patched before the worker processes fork, so they render with it too.
    pairs.make_pair, damage.bleed_through = tracking_make_pair, bleed_through
    kind = pairs.PairKind(uneven=0.25)
    for sub, n, seed in (("train", 800, 0), ("val", 16, 1000)):
        names = pairs.write_pairs(a.out / sub, n, seed=seed, size=512, workers=2, kind=kind)
        print(sub, len(names))


if __name__ == "__main__":
    main()
