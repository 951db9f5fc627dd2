"""How far apart two models' OCR figures are beyond Tesseract's own noise: the cleaned page of every
form of real-scans/funsd-train (validation only), OCR as in bench/quality_real.py (upscaled 2x,
Tesseract 5 --psm 3), per form, for both models; then the mean of the per-form differences, its
standard error and a bootstrap 95% interval, the median, the forms that move by more than 2 points
either way, and the forms that move most.

    python bench/experiments/ocr_paired.py MODEL_A MODEL_B [--dataset funsd-train] [--upscale 2]

A model is a built-in name or a checkpoint path. Written on 2026-12-07 for the second long run's
marks candidate, which missed its bar on this figure (bench/results/long_run.md).
"""

from __future__ import annotations

import argparse
import sys
from multiprocessing import Pool
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from bench.quality_real import REAL, ocr, read_and_clean, to_u8, word_f1  # noqa: E402
from docclean.engine import Denoiser  # noqa: E402


def _f1(job: tuple[np.ndarray, str]) -> float:
    return 100 * word_f1(ocr(job[0]), job[1])


def form_scores(model: str, dataset: str, upscale: float) -> tuple[list[str], np.ndarray]:
    """(form names, OCR word F1 of each form's cleaned page) for one model."""
    den = Denoiser.load(model)
    folder = REAL / dataset
    images = sorted((folder / "images").iterdir())
    jobs = []
    for image in images:
        truth = (folder / "text" / (image.stem + ".txt")).read_text(errors="replace")
        raw, cleaned = read_and_clean(den, image)
        if upscale != 1:
            size = (round(raw.shape[1] * upscale), round(raw.shape[0] * upscale))
            cleaned = cv2.resize(cleaned, size, interpolation=cv2.INTER_CUBIC).clip(0, 1)
        jobs.append((to_u8(cleaned), truth))
    with Pool(2) as pool:
        return [i.name for i in images], np.array(pool.map(_f1, jobs))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("a")
    p.add_argument("b")
    p.add_argument("--dataset", default="funsd-train")
    p.add_argument("--upscale", type=float, default=2.0)
    args = p.parse_args()
    names, a = form_scores(args.a, args.dataset, args.upscale)
    _, b = form_scores(args.b, args.dataset, args.upscale)
    d = b - a
    rng = np.random.default_rng(0)
    boot = np.percentile([rng.choice(d, d.size).mean() for _ in range(10000)], [2.5, 97.5])
    print(f"{args.dataset}, {d.size} pages, cleaned page: {args.a} {a.mean():.2f}, {args.b} {b.mean():.2f}")
    print(f"per-page difference (B - A): mean {d.mean():+.2f}, standard error {d.std(ddof=1) / np.sqrt(d.size):.2f}, "
          f"bootstrap 95% {boot[0]:+.2f} .. {boot[1]:+.2f}, median {np.median(d):+.2f}; "
          f"worse by > 2: {(d < -2).sum()}, better by > 2: {(d > 2).sum()}")
    order = np.argsort(d)
    print(f"without the page that moves most: mean {np.delete(d, np.argmax(np.abs(d))).mean():+.2f}")
    for i in [*order[:6], *order[-3:]]:
        print(f"  {names[i]}: {a[i]:.2f} -> {b[i]:.2f} ({d[i]:+.2f})")


if __name__ == "__main__":
    main()
