"""Experiment behind the stroke-width estimate leaving out the scanner's dark surround
(``docclean.strokes``, 2026-12-05). A page on a dark lid measured strokes tens of pixels wide (the
lid beside the page's edge read as a band of ink, and its darkness pulled Otsu's cut below faint
text), so the engine cleaned it a second time, shrunk, and drew its letters bold and blurred.

Prints, for the 56 synthetic pages (seed 3000, black targets) as they are and laid on a dark
platen (bench/experiments/paper_level.py's ``on_platen``): how many pages take the second pass and
their ``--binarize`` scores, with the estimate as it was (the whole frame) and as shipped (the
surround left out). Then, on every page set of ``scoring.every_page_set`` (the real scans too:
validation only, nothing is chosen on them), the pages whose estimate changes.

    python bench/experiments/surround_strokes.py
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
import docclean.engine as engine  # noqa: E402
from bench.experiments.paper_level import on_platen  # noqa: E402
from bench.experiments.scoring import every_page_set, page_scores, page_sets, row, table_head  # noqa: E402
from docclean.engine import Denoiser  # noqa: E402
from docclean.io import read_gray  # noqa: E402
from docclean.levels import network_page  # noqa: E402
from docclean.postprocess import binarize  # noqa: E402
from docclean.strokes import stroke_width  # noqa: E402
from docclean.surround import surround_areas  # noqa: E402


def whole_frame(page: np.ndarray, ignore: np.ndarray | None = None) -> float:
    """The estimate as it was before 2026-12-05: the surround counted."""
    return stroke_width(page)


def main() -> None:
    den = Denoiser.load("default")
    with tempfile.TemporaryDirectory() as tmp:
        pairs = [v for k, v in page_sets(Path(tmp), 56).items() if k.startswith("synthetic")][0]
        print(table_head("placed", "stroke width", "second pass"))
        for placed in ("as they are", "on a dark platen"):
            estimates = (("whole frame (until 2026-12-05)", whole_frame), ("surround left out", stroke_width))
            for label, estimate in estimates:
                engine.stroke_width = estimate
                twice, rows = 0, []
                for i, (noisy_path, clean_path) in enumerate(pairs):
                    noisy, truth = read_gray(noisy_path), read_gray(clean_path) < 0.5
                    frame, where = on_platen(noisy, np.random.default_rng(i)) if placed != "as they are" else \
                        (noisy, (slice(None), slice(None)))
                    page = network_page(frame)
                    twice += estimate(page, surround_areas(page)) > den.max_stroke
                    rows.append(page_scores(~binarize(den.clean(frame))[where], truth))
                print(f"| synthetic ({len(pairs)} pages) | {placed} | {label} | {twice} | {row(rows)}", flush=True)
        engine.stroke_width = stroke_width
        print("\n| pages | count | pages whose estimate changes (whole frame -> surround left out, px) |")
        print("|---|---|---|")
        for title, files in every_page_set(Path(tmp)).items():
            changed = []
            for f in files:
                page = network_page(read_gray(f))
                mask = surround_areas(page)
                if mask is not None:
                    a, b = stroke_width(page), stroke_width(page, mask)
                    if a != b:
                        changed.append(f"{f.name} ({a:.0f} -> {b:.0f})")
            print(f"| {title} | {len(files)} | {len(changed)}{': ' + ', '.join(changed) if changed else ''} |",
                  flush=True)


if __name__ == "__main__":
    main()
