"""Label bars (black bars with white writing, a line of text high: ``docclean.bars``): what the
network draws of them, and what the default (``--keep-solids``) puts back.

1. Synthetic form pages at 100 dpi (text rendered at 100 dpi, a column of five label bars 12 to 30
   pixels high with white labels in them), crisp (as rendered: a born-digital page, a clean
   bilevel scan), faxed (``docclean.synth.damage.fax``, no blur) and scanned
   (``docclean.synth.damage.light_degrade``: grey paper, a stain, blur and noise), 4 seeds each:
   of the bars, the share found,
   the mean grey of each bar's fill away from its letters, and how much lighter its letters are
   than its fill (the scan's contrast, 0.8, is what a reader needs), with ``--no-keep-solids``
   and with the default.
2. How many pages of each set have a label bar (``bench.experiments.scoring.found_on_sets``):
   the real scans are counted, never tuned on.
3. A picture: bench/results/bars.png (a crisp page with 20-pixel bars as given,
   ``--no-keep-solids``, the default).

    python bench/bars.py [--seeds 4] [--out bench/results/bars.png]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.experiments.scoring import found_on_sets  # noqa: E402
from docclean.bars import label_bars  # noqa: E402
from docclean.engine import Denoiser  # noqa: E402
from docclean.synth import render_page  # noqa: E402
from docclean.synth.damage import fax, light_degrade  # noqa: E402

HEIGHTS = (12, 16, 20, 24, 30)
LABELS = ("Current Budget", "Adjustment", "Offer Description", "Total", "Project No")


def form_page(height: int, seed: int) -> tuple[np.ndarray, list[tuple[np.ndarray, np.ndarray]]]:
    """A clean 100-dpi form: text above and below a column of label bars ``height`` pixels high,
    each with a white label; the page and, per bar, its area and its letters (boolean masks)."""
    rng = np.random.default_rng(seed)
    page = render_page(760, 1000, dpi=100, font_pt=10)
    page[300:800] = 1.0
    bars = []
    for i, label in enumerate(LABELS):
        y, x = 320 + i * 95, int(rng.integers(40, 120))
        scale = height / 34
        thick = max(1, int(round(height / 14)))
        (tw, _), _ = cv2.getTextSize(label, cv2.FONT_HERSHEY_SIMPLEX, scale, thick)
        width = tw + 2 * height
        area = np.zeros(page.shape, bool)
        area[y:y + height, x:x + width] = True
        letters = np.zeros(page.shape, np.uint8)
        cv2.putText(letters, label, (x + height, y + int(height * 0.75)), cv2.FONT_HERSHEY_SIMPLEX, scale, 1, thick,
                    cv2.LINE_AA)
        letters = (letters > 0) & area
        page[area] = 0.0
        page[letters] = 1.0
        bars.append((area, letters))
    return page.astype(np.float32), bars


#: How each page is made from the clean form.
PAGES = {"crisp": lambda clean, rng: clean, "faxed": fax, "scanned": light_degrade}


def measure(out: np.ndarray, found: np.ndarray | None, bars: list[tuple[np.ndarray, np.ndarray]]
            ) -> list[tuple[float, ...]]:
    """Per bar: (found on the page, fill grey, letters minus fill) of a cleaned page ``out``;
    ``found``: the page's label bars."""
    rows = []
    for area, letters in bars:
        fill = area & ~cv2.dilate(letters.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
        fill &= cv2.erode(area.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
        core = cv2.erode(letters.astype(np.uint8), np.ones((2, 2), np.uint8)).astype(bool)
        core = core if core.any() else letters
        hit = found is not None and found[area].mean() > 0.9
        rows.append((float(hit), float(out[fill].mean()), float(out[core].mean() - out[fill].mean())))
    return rows


def synthetic(seeds: int, picture: Path) -> None:
    off, on = Denoiser.load(None, keep_solids=False), Denoiser.load(None)
    print("| page | bar height px | bars found | fill grey: --no-keep-solids / default "
          "| letters - fill: as given / --no-keep-solids / default |")
    print("|---|---|---|---|---|")
    for kind, make in PAGES.items():
        for height in HEIGHTS:
            given, rows_off, rows_on = [], [], []
            for seed in range(seeds):
                clean, bars = form_page(height, seed)
                page = make(clean, np.random.default_rng(seed + 100)).astype(np.float32)
                a, b = off.clean(page), on.clean(page)
                found = label_bars(page)
                given += measure(page, found, bars)
                rows_off += measure(a, found, bars)
                rows_on += measure(b, found, bars)
                if kind == "crisp" and height == 20 and seed == 0:
                    crop = (slice(300, 800), slice(0, 420))
                    Image.fromarray((np.hstack([page[crop], a[crop], b[crop]]) * 255).round().astype(np.uint8)
                                    ).save(picture)
            g, f, n = (np.array(r) for r in (given, rows_off, rows_on))
            print(f"| {kind} | {height} | {n[:, 0].mean():.0%} "
                  f"| {f[:, 1].mean():.2f} / {n[:, 1].mean():.2f} "
                  f"| {g[:, 2].mean():.2f} / {f[:, 2].mean():.2f} / {n[:, 2].mean():.2f} |", flush=True)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seeds", type=int, default=4)
    p.add_argument("--out", type=Path, default=ROOT / "bench/results/bars.png")
    args = p.parse_args()
    synthetic(args.seeds, args.out)
    print()

    def search(page: np.ndarray, paper: float) -> np.ndarray | None:
        return label_bars(page, paper)

    found_on_sets("label bars", search,
                  lambda m: f"{cv2.connectedComponents(m.astype(np.uint8))[0] - 1} bars, {m.mean():.2%} of the page")


if __name__ == "__main__":
    main()
