"""Experiment (recorded in bench/results/descreen_halftone.md, not shipped): smooth halftone tints
behind text before the network.

A tint is found as an area of strong fine texture (a high-pass RMS over 15 px above 0.06 of the
page's contrast) whose smoothed tone is even (its 15-px deviation under 0.05 of the contrast),
opened by 9 px and closed by 41 px; inside it the page is replaced by its Gaussian blur (sigma 2),
except the marks darker than the smoothed page by a quarter of the contrast in marks of 20 pixels
or more (the writing) and a pixel around them. Scored on bench/pictures.py's halftone forms
(300 dpi, dots 3 px apart): per box, the share found, the tint's black and the writing's black
with ``--binarize``.

    python bench/experiments/descreen_halftone.py [--forms 2]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from bench.pictures import halftone_form  # noqa: E402
from docclean.engine import Denoiser  # noqa: E402
from docclean.levels import network_page, page_levels  # noqa: E402
from docclean.postprocess import binarize  # noqa: E402


def tint_mask(page: np.ndarray, contrast: float) -> np.ndarray:
    """Where the page is a fine texture on an even tone (see the module's docstring)."""
    smooth = cv2.GaussianBlur(page, (0, 0), 1.5)
    fine = page - smooth
    texture = np.sqrt(cv2.boxFilter(fine * fine, -1, (15, 15)))
    mean = cv2.boxFilter(smooth, -1, (15, 15))
    spread = np.sqrt(np.maximum(cv2.boxFilter(smooth * smooth, -1, (15, 15)) - mean * mean, 0))
    raw = ((texture > 0.06 * contrast) & (spread < 0.05 * contrast)).astype(np.uint8)
    raw = cv2.morphologyEx(raw, cv2.MORPH_OPEN, np.ones((9, 9), np.uint8))
    return cv2.morphologyEx(raw, cv2.MORPH_CLOSE, np.ones((41, 41), np.uint8)).astype(bool)


def descreen(page: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The page with its tints smoothed, writing kept; and where the tints were found."""
    _, contrast = page_levels(page)
    mask = tint_mask(page, contrast)
    if not mask.any():
        return page, mask
    dark = (page < cv2.GaussianBlur(page, (0, 0), 3.0) - 0.25 * contrast).astype(np.uint8)
    _, labels, stats, _ = cv2.connectedComponentsWithStats(dark, connectivity=8)
    big = stats[:, cv2.CC_STAT_AREA] >= 20
    big[0] = False
    writing = cv2.dilate(big[labels].astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
    out = page.copy()
    smooth = mask & ~writing
    out[smooth] = cv2.GaussianBlur(page, (0, 0), 2.0)[smooth]
    return out, mask


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--forms", type=int, default=2)
    args = p.parse_args()
    den = Denoiser.load(None)
    print("| form | box | found | tint black with --binarize: as now / descreened "
          "| writing black: as now / descreened |\n|---|---|---|---|---|")
    for seed in range(args.forms):
        noisy, _, masks = halftone_form(seed)
        page = network_page(noisy)
        smoothed, found = descreen(page)
        now, after = ~binarize(den.clean(page)), ~binarize(den.clean(smoothed))
        near_text = cv2.dilate(masks["text"].astype(np.uint8), np.ones((7, 7), np.uint8)).astype(bool)
        for key in (k for k in masks if k.startswith("box")):
            tint, writing = masks[key] & ~near_text, masks[key] & masks["text"]
            print(f"| {seed} | {key} | {found[masks[key]].mean():.2f} "
                  f"| {now[tint].mean():.3f} / {after[tint].mean():.3f} "
                  f"| {now[writing].mean():.3f} / {after[writing].mean():.3f} |", flush=True)


if __name__ == "__main__":
    main()
