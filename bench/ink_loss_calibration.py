"""Calibration of the ink-loss measure (``docclean.inkloss.ink_loss``) on Dirty Documents:
the ground truth as a "perfect clean" of its noisy page should score near 0, and erasing the left
half of the ground truth's text about 0.5.

The same again for each noisy page as a 1-bit scan prints it, dithered three ways (error diffusion,
an ordered 4 x 4 dither, a 45-degree halftone screen with dots 4 px apart): its stained paper is
then a field of dots, which the ground truth clears as it clears the stains, so near 0 is wanted
(the guard's false alarms on dithered pages), while the erased half must still score about 0.5.

    python bench/ink_loss_calibration.py [--pages N] [--no-dither]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from docclean.inkloss import ink_loss  # noqa: E402
from docclean.io import read_gray  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "dirty-documents"
#: The resolution the pages are judged at. The Dirty Documents files carry none; the guard searches
#: a page for dithers only at a known resolution of 150 dpi or more (``docclean.inkloss.DITHER_MIN_DPI``),
#: as a scanner's 1-bit TIFF has. Grey pages are never searched, so their figures do not depend on it.
DPI = (300.0, 300.0)
BAYER = np.array([[0, 8, 2, 10], [12, 4, 14, 6], [3, 11, 1, 9], [15, 7, 13, 5]], np.float32)


def error_diffusion(grey: np.ndarray) -> np.ndarray:
    """Floyd-Steinberg, as Pillow converts grey to 1-bit."""
    return np.asarray(Image.fromarray((np.clip(grey, 0, 1) * 255 + 0.5).astype(np.uint8)).convert("1"), np.float32)


def ordered(grey: np.ndarray) -> np.ndarray:
    """An ordered (Bayer) 4 x 4 dither."""
    h, w = grey.shape
    return (grey > (np.tile(BAYER, (h // 4 + 1, w // 4 + 1))[:h, :w] + 0.5) / 16).astype(np.float32)


def halftone(grey: np.ndarray) -> np.ndarray:
    """A 45-degree screen, dots 4 px apart, each covering 1 - the grey of its cell."""
    h, w = grey.shape
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    u, v = (x + y) / 4 / np.sqrt(2), (y - x) / 4 / np.sqrt(2)
    return (np.hypot(u - np.round(u), v - np.round(v)) >= np.sqrt((1 - np.clip(grey, 0, 1)) / np.pi)).astype(np.float32)


DITHERS = {"error diffusion": error_diffusion, "ordered 4x4": ordered, "halftone screen": halftone}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--pages", type=int, default=0, help="the first N training pages only (default: all 144)")
    p.add_argument("--no-dither", action="store_true", help="the pages as they are only")
    a = p.parse_args()
    paths = sorted((DATA / "train").glob("*.png"))
    paths = paths[: a.pages] if a.pages else paths
    kinds = {"": None} if a.no_dither else {"": None, **DITHERS}
    perfect: dict[str, list[float]] = {k: [] for k in kinds}
    half: dict[str, list[float]] = {k: [] for k in kinds}
    for noisy_path in paths:
        noisy, clean = read_gray(noisy_path), read_gray(DATA / "train_cleaned" / noisy_path.name)
        erased = clean.copy()
        erased[:, : erased.shape[1] // 2] = 1.0
        for kind, dither in kinds.items():
            page = noisy if dither is None else dither(noisy)
            perfect[kind].append(ink_loss(page, clean, dpi=DPI))
            half[kind].append(ink_loss(page, erased, dpi=DPI))
    for kind in kinds:
        label = f"{len(paths)} pages" + (f", as 1-bit scans ({kind})" if kind else "")
        print(f"{label}: ground truth mean {np.mean(perfect[kind]):.3f} (max {np.max(perfect[kind]):.3f}); "
              f"left half erased mean {np.mean(half[kind]):.3f}")


if __name__ == "__main__":
    main()
