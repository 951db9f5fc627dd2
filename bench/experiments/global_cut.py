"""Experiment: what the adaptive binarization's global Otsu cut is taken over. A page laid on a dark
scanner lid comes out of the model with a thick black rim around it, and on the synthetic platen
pages of bench/experiments/paper_level.py those dark pixels dragged the whole frame's cut to its
floor (0.6), so the faint strokes the model leaves grey went white. Each rule is scored with
``--binarize`` on the same 56 synthetic pages (seed 3000, black targets), as they are and on a dark
platen: every pixel (until 2026-12-05), every pixel outside the wide dark areas (those a k x k
square fits in; shipped with k = 15), only pixels near marks (within r px of a pixel below 0.92),
and only pixels below 0.98 or 0.995.

    python bench/experiments/global_cut.py
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
import docclean.postprocess as pp  # noqa: E402
from bench.experiments.paper_level import on_platen  # noqa: E402
from bench.experiments.scoring import page_scores, page_sets, row, table_head  # noqa: E402
from docclean.engine import Denoiser  # noqa: E402
from docclean.io import read_gray  # noqa: E402
from docclean.pixels import as_float  # noqa: E402


def _otsu(values: np.ndarray) -> float:
    if values.size < 100:
        return pp.GLOBAL_CUT[0]
    return pp.otsu_cut(np.clip(values * 255.0 + 0.5, 0, 255).astype(np.uint8))


def every_pixel(page: np.ndarray) -> float:
    return _otsu(as_float(page).ravel())


def without_thick(k: int):
    def cut(page: np.ndarray) -> float:
        page = as_float(page)
        thick = cv2.morphologyEx((page < 0.5).astype(np.uint8), cv2.MORPH_OPEN, np.ones((k, k), np.uint8))
        return _otsu(page[thick == 0])
    return cut


def near_marks(reach: int):
    def cut(page: np.ndarray) -> float:
        page = as_float(page)
        marks = (page < pp.PAPER_LEVEL).astype(np.uint8)
        near = cv2.dilate(marks, np.ones((2 * reach + 1, 2 * reach + 1), np.uint8)).astype(bool)
        return _otsu(page[near])
    return cut


def below(level: float):
    def cut(page: np.ndarray) -> float:
        page = as_float(page)
        return _otsu(page[page < level])
    return cut


RULES = {"every pixel (until 2026-12-05)": every_pixel, "without wide dark areas, k 9": without_thick(9),
         "without wide dark areas, k 15 (shipped)": without_thick(15),
         "without wide dark areas, k 25": without_thick(25),
         "near marks, r 5": near_marks(5), "near marks, r 15": near_marks(15), "below 0.98": below(0.98),
         "below 0.995": below(0.995)}


def main() -> None:
    den = Denoiser.load("default")
    with tempfile.TemporaryDirectory() as tmp:
        pairs = [v for k, v in page_sets(Path(tmp), 56).items() if k.startswith("synthetic")][0]
        pages = []
        for i, (noisy_path, clean_path) in enumerate(pairs):
            noisy, truth = read_gray(noisy_path), read_gray(clean_path) < 0.5
            frame, where = on_platen(noisy, np.random.default_rng(i))
            pages.append((den.clean(noisy), den.clean(frame), where, truth))
    print(table_head("exposure", "global cut over"))
    shipped = pp.global_cut
    try:
        for name, rule in RULES.items():
            pp.global_cut = rule
            as_is = [page_scores(~pp.binarize(page), truth) for page, _, _, truth in pages]
            platen = [page_scores(~pp.binarize(frame)[where], truth) for _, frame, where, truth in pages]
            print(f"| synthetic (56 pages, seed 3000) | as is | {name} | {row(as_is)}")
            print(f"| synthetic (56 pages, seed 3000) | on a dark platen | {name} | {row(platen)}", flush=True)
    finally:
        pp.global_cut = shipped


if __name__ == "__main__":
    main()
