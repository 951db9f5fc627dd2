"""Experiment: which grey level of a page auto levels reads as its paper. Until 2026-12-05 it was the
median, which is the platen, not the paper, when a small page (a receipt, a slip) lies on a dark
scanner lid or table: auto levels then multiplied the page by 0.85 / 0.15 and turned a receipt's
faint print to white. Each candidate percentile is scored on the synthetic pages of
bench/binarize_synthetic.py (seed 3000, black targets), as they are, darker (grey levels times 0.7)
and paler (contrast halved), and on the same pages laid on a dark platen (the page a third of the
frame's width, centred, on grey 0.1-0.35; scored on the page), always with ``--binarize``. Besides
percentiles, the shipped rule: the median of the grey levels above Otsu's cut. Two more rows on the
platen: no auto levels at all, and the shipped rule with only the page's own area binarized.

    python bench/experiments/paper_level.py [--model default] [--n 56]
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from collections.abc import Callable

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
import docclean.levels as levels  # noqa: E402
from bench.experiments.exposure import EXPOSURES  # noqa: E402
from bench.experiments.scoring import model_and_size, page_scores, page_sets, row, table_head  # noqa: E402
from docclean.engine import Denoiser  # noqa: E402
from docclean.io import read_gray  # noqa: E402
from docclean.postprocess import binarize  # noqa: E402


def percentile_levels(pct: int) -> Callable[[np.ndarray], tuple[float, float]]:
    """``docclean.levels.page_levels`` with the paper read as the ``pct``-th percentile instead."""
    def page_levels(page: np.ndarray) -> tuple[float, float]:
        paper, dark = np.percentile(page[::levels.STEP, ::levels.STEP], [pct, 1])
        return float(paper), float(paper - dark)
    return page_levels


CANDIDATES = {"median (until 2026-12-05)": percentile_levels(50), "75th percentile": percentile_levels(75),
              "90th percentile": percentile_levels(90), "95th percentile": percentile_levels(95),
              "median of the brighter class (shipped)": levels.page_levels}


def on_platen(page: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, tuple[slice, slice]]:
    """``page`` centred on a dark platen three times its width (and a tenth taller), and where it lies."""
    h, w = page.shape
    frame = np.full((h + h // 10, 3 * w), rng.uniform(0.1, 0.35), np.float32)
    frame += rng.normal(0, 0.01, frame.shape).astype(np.float32)
    where = (slice(h // 20, h // 20 + h), slice(w, 2 * w))
    frame[where] = page
    return np.clip(frame, 0, 1), where


def main() -> None:
    model, n, den = model_and_size(__doc__)
    with tempfile.TemporaryDirectory() as tmp:
        pairs = [v for k, v in page_sets(Path(tmp), n).items() if k.startswith("synthetic")][0]
        print(f"model {model}; paper: what auto levels reads as a page's paper\n")
        print(table_head("exposure", "paper"))
        for name in (*EXPOSURES, "on a dark platen"):
            for label, page_levels in CANDIDATES.items():
                levels.page_levels = page_levels
                print(f"| synthetic ({len(pairs)} pages, seed 3000) | {name} | {label} | "
                      f"{row(scores(den, pairs, name))}", flush=True)
        levels.page_levels = CANDIDATES["median of the brighter class (shipped)"]
        den.auto_levels = False
        print(f"| synthetic ({len(pairs)} pages, seed 3000) | on a dark platen | no auto levels | "
              f"{row(scores(den, pairs, 'on a dark platen'))}")
        den.auto_levels = True
        print(f"| synthetic ({len(pairs)} pages, seed 3000) | on a dark platen | shipped, the page's own area "
              f"binarized | {row(scores(den, pairs, 'on a dark platen', page_only=True))}")


def scores(den: Denoiser, pairs: list[tuple[Path, Path]], name: str, page_only: bool = False) -> list[tuple]:
    """``--binarize`` page scores of the synthetic pages under exposure ``name``; ``page_only``: on
    a platen, binarize the cleaned page's own area instead of the whole frame."""
    rows = []
    for i, (noisy_path, clean_path) in enumerate(pairs):
        noisy, truth = read_gray(noisy_path), read_gray(clean_path) < 0.5
        if name in EXPOSURES:
            ink = ~binarize(den.clean(EXPOSURES[name](noisy).astype(np.float32)))
        else:
            frame, where = on_platen(noisy, np.random.default_rng(i))
            cleaned = den.clean(frame)
            ink = ~binarize(cleaned[where]) if page_only else ~binarize(cleaned)[where]
        rows.append(page_scores(ink, truth))
    return rows

if __name__ == "__main__":
    main()
