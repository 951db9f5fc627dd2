"""Experiment behind the stroke-width estimate leaving out the scanner's dark surround and solid
black areas (``docclean.strokes``, 2026-12-05). A page on a dark lid, or a faint page with a black
logo, measured strokes tens of pixels wide (the dark area's edge read as a band of ink, and its
darkness pulled Otsu's cut below faint text), so the engine cleaned it a second time, shrunk, and
drew its letters bold and blurred.

Prints, for the 56 synthetic pages (seed 3000, black targets) as they are, laid on a dark platen
(bench/experiments/paper_level.py's ``on_platen``) and with a black box (a logo) on them, their
contrast halved: how many pages take the second pass and their ``--binarize`` scores (outside the
box), with the estimate as it was (the whole frame), with the surround left out, and as shipped
(the surround and solid areas left out). Then, on every page set of ``scoring.every_page_set``
(the real scans too: validation only, nothing is chosen on them), the pages whose estimate changes.

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
from docclean.solids import solid_areas  # noqa: E402
from docclean.strokes import stroke_width  # noqa: E402
from docclean.surround import surround_areas  # noqa: E402


def whole_frame(page: np.ndarray, ignore: np.ndarray | None = None) -> float:
    """The estimate as it was before 2026-12-05: every pixel counted."""
    return stroke_width(page)


def surround_only(page: np.ndarray, ignore: np.ndarray | None = None) -> float:
    """The surround left out, solid areas counted (the first fix of 2026-12-05)."""
    return stroke_width(page, surround_areas(page))


ESTIMATES = (("whole frame (until 2026-12-05)", whole_frame), ("surround left out", surround_only),
             ("surround and solid areas left out (shipped)", stroke_width))


def placed(noisy: np.ndarray, how: str, i: int) -> tuple[np.ndarray, tuple[slice, slice], np.ndarray]:
    """(the frame to clean, where the page lies in it, what of the page is scored)."""
    everything = (slice(None), slice(None))
    scored = np.ones(noisy.shape, bool)
    if how == "on a dark platen":
        frame, where = on_platen(noisy, np.random.default_rng(i))
        return frame, where, scored
    if how == "faint, with a black logo":
        h, w = noisy.shape
        frame = 1 - (1 - noisy) * 0.5
        logo = (slice(h // 10, h // 10 + h // 4), slice(w // 2, w // 2 + w // 3))
        frame[logo] = 0.1
        scored[logo] = False
        return frame, everything, scored
    return noisy, everything, scored


def main() -> None:
    den = Denoiser.load("default")
    with tempfile.TemporaryDirectory() as tmp:
        pairs = [v for k, v in page_sets(Path(tmp), 56).items() if k.startswith("synthetic")][0]
        print(table_head("placed", "stroke width", "second pass"))
        for how in ("as they are", "on a dark platen", "faint, with a black logo"):
            for label, estimate in ESTIMATES:
                engine.stroke_width = estimate
                twice, rows = 0, []
                for i, (noisy_path, clean_path) in enumerate(pairs):
                    noisy, truth = read_gray(noisy_path), read_gray(clean_path) < 0.5
                    frame, where, scored = placed(noisy, how, i)
                    page = network_page(frame)
                    ignore = surround_areas(page)
                    solids = solid_areas(page)
                    ignore = solids if ignore is None else ignore if solids is None else ignore | solids
                    twice += estimate(page, ignore) > den.max_stroke
                    ink = ~binarize(den.clean(frame))[where]
                    rows.append(page_scores(ink & scored, truth & scored))
                print(f"| synthetic ({len(pairs)} pages) | {how} | {label} | {twice} | {row(rows)}", flush=True)
        engine.stroke_width = stroke_width
        print("\n| pages | count | pages whose estimate changes (whole frame -> shipped, px) |")
        print("|---|---|---|")
        for title, files in every_page_set(Path(tmp)).items():
            changed = []
            for f in files:
                page = network_page(read_gray(f))
                masks = [m for m in (surround_areas(page), solid_areas(page)) if m is not None]
                if masks:
                    a, b = stroke_width(page), stroke_width(page, np.logical_or.reduce(masks))
                    if a != b:
                        changed.append(f"{f.name} ({a:.0f} -> {b:.0f})")
            print(f"| {title} | {len(files)} | {len(changed)}{': ' + ', '.join(changed) if changed else ''} |",
                  flush=True)


if __name__ == "__main__":
    main()
