"""Experiment (recorded in bench/results/classic_binarizers.md): twelve classic binarization
methods (DoxaPy, default parameters) applied to the cleaned page, in place of ``--binarize``'s
adaptive rule, and to the raw page, as stronger baselines than plain Sauvola. Scored on the
historical pages of real-scans/dibco-extra (validation only) and on the synthetic pages of
bench/binarize_synthetic.py (seed 3000, black targets): F-measure, PSNR, median ink kept, pages
under 80% ink kept, strokes lost (``docclean.metrics.strokes_lost``).

    pip install doxapy   # not a docclean dependency
    python bench/experiments/classic_binarizers.py [--model default] [--n 56]
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from bench.experiments.scoring import HEADER, model_and_size, page_scores, page_sets, row  # noqa: E402
from docclean.engine import Denoiser  # noqa: E402
from docclean.io import read_gray  # noqa: E402
from docclean.postprocess import binarize  # noqa: E402

METHODS = ("OTSU", "SAUVOLA", "WOLF", "NICK", "SU", "ISAUVOLA", "WAN", "GATOS", "BATAINEH", "TRSINGH", "NIBLACK",
           "BERNSEN")


def doxa_ink(method: str, u8: np.ndarray) -> np.ndarray:
    """Ink mask (True = ink) of a uint8 grey page by one DoxaPy algorithm, default parameters."""
    import doxapy

    algo = doxapy.Binarization(getattr(doxapy.Binarization.Algorithms, method))
    algo.initialize(np.ascontiguousarray(u8))
    out = np.empty_like(u8)
    algo.to_binary(out, {})
    return out == 0


def to_u8(page: np.ndarray) -> np.ndarray:
    return np.clip(page * 255.0 + 0.5, 0, 255).astype(np.uint8)


def score(pairs: list[tuple[Path, Path]], den: Denoiser) -> dict[tuple[str, str], list[tuple]]:
    """Per (page source, method): per-page (F, PSNR, ink kept, strokes lost, strokes)."""
    rows: dict[tuple[str, str], list[tuple]] = {}
    for noisy_path, clean_path in pairs:
        gt = read_gray(clean_path) < 0.5
        noisy = read_gray(noisy_path)
        cleaned = to_u8(den.clean(noisy))
        preds = {("cleaned", "docclean --binarize"): ~binarize(cleaned)}
        for method in METHODS:
            preds[("cleaned", method)] = doxa_ink(method, cleaned)
            preds[("raw", method)] = doxa_ink(method, to_u8(noisy))
        for key, ink in preds.items():
            rows.setdefault(key, []).append(page_scores(ink, gt))
    return rows


def main() -> None:
    model, n, den = model_and_size(__doc__)
    with tempfile.TemporaryDirectory() as tmp:
        for title, pairs in page_sets(Path(tmp), n).items():
            print(f"\n{title}, model {model}\n")
            print("| page | method " + HEADER[0])
            print("|---|---" + HEADER[1])
            for (source, method), rows in sorted(score(pairs, den).items(), key=lambda kv: kv[0][0]):
                print(f"| {source} | {method} | {row(rows)}", flush=True)


if __name__ == "__main__":
    main()
