"""Ad hoc experiment (2026-12-05): faint pages with something large and dark on them. Auto levels
reads a page's contrast as its paper minus its darkest 1%, so a large dark thing that is not
writing can hide how faint the writing is, and the page is not stretched. Solid black areas are
left out since 2026-12-05 (docclean/levels.py); this sweep looks for what else does it.

24 synthetic pages (seed 3000, black targets) at half contrast, alone and with: a black band across
the top, a dark photograph (grey 0.35-0.6, grainy), a black border printed down one side, a grey
box (0.5) laid over text. ``--binarize`` scores outside the added thing.

    python bench/experiments/dark_area_sweep.py
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from bench.experiments.scoring import HEADER, page_scores, page_sets, row  # noqa: E402
from docclean.engine import Denoiser  # noqa: E402
from docclean.io import read_gray  # noqa: E402
from docclean.levels import page_levels  # noqa: E402
from docclean.postprocess import binarize  # noqa: E402


def variants(noisy: np.ndarray, i: int) -> dict[str, tuple[np.ndarray, tuple[slice, slice] | None]]:
    """Name -> (the page to clean, the part of it the added thing covers)."""
    h, w = noisy.shape
    faint = 1 - (1 - noisy) * 0.5
    out: dict[str, tuple[np.ndarray, tuple[slice, slice] | None]] = {"faint alone": (faint, None)}
    band = faint.copy()
    band[: h // 12, :] = 0.1
    out["a black band across the top"] = (band, (slice(0, h // 12), slice(None)))
    photo, where = faint.copy(), (slice(h // 3, h // 3 + h // 4), slice(w // 10, w // 10 + w // 3))
    photo[where] = 0.35 + 0.25 * np.random.default_rng(i).random((h // 4, w // 3)).astype(np.float32)
    out["a dark photograph"] = (photo, where)
    border = faint.copy()
    border[:, : w // 15] = 0.05
    out["a black border down one side"] = (border, (slice(None), slice(0, w // 15)))
    grey, box = faint.copy(), (slice(h // 2, h // 2 + h // 5), slice(w // 4, 3 * w // 4))
    grey[box] = np.minimum(grey[box], 0.5)
    out["a grey box over text"] = (grey, box)
    return out


def main() -> None:
    den = Denoiser.load("default")
    with tempfile.TemporaryDirectory() as tmp:
        pairs = [v for k, v in page_sets(Path(tmp), 24).items() if k.startswith("synthetic")][0]
        found: dict[str, list] = {}
        contrast: dict[str, list] = {}
        for i, (noisy_path, clean_path) in enumerate(pairs):
            noisy, truth = read_gray(noisy_path), read_gray(clean_path) < 0.5
            for name, (frame, cover) in variants(noisy, i).items():
                scored = np.ones(truth.shape, bool)
                if cover is not None:
                    scored[cover] = False
                ink = ~binarize(den.clean(frame))
                found.setdefault(name, []).append(page_scores(ink & scored, truth & scored))
                contrast.setdefault(name, []).append(page_levels(frame)[1])
    print(f"| {len(pairs)} synthetic pages, half contrast | contrast read (median) {HEADER[0]}")
    print(f"|---|---{HEADER[1]}")
    for name, rows in found.items():
        print(f"| {name} | {np.median(contrast[name]):.2f} | {row(rows)}")


if __name__ == "__main__":
    main()
