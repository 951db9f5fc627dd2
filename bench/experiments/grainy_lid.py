"""A grainy scanner lid along the page's top edge is neither cleared nor kept: a failing synthetic
reproduction (no fix shipped; bench/results/strip_beside_label.md says why).

A tester saw it on real-scans/dibco-extra/noisy/Bickely2010_H01.png (looked at, never tuned on):
the lid along the top edge, 28-45 pixels deep (a wedge: the page lies askew), came out as a
blotchy grey band with a dark line where the paper starts. Two steps decline it, each for its
own reason:

* ``docclean.edgebands`` takes bands only up to a seed square (:data:`docclean.solids.SEED`, 33
  pixels) deep: where the lid is deeper, or the paper just below it is dark too (a stain), the
  column counts as full depth and the band's runs along the edge fall short of
  :data:`docclean.surround.EDGE`.
* ``docclean.surround.find_surround`` takes the deeper part as a dark area, but the lid's grain
  (about 0.02 of the paper's grey on the half-size page, a pixel or two across) rises above the
  area's opening by more than :data:`docclean.areawriting.WRITING` (0.05) in letter-sized,
  grouped specks: ``near_writing`` calls the whole lid light writing, the area is "mostly page"
  (:data:`docclean.surround.MOSTLY_PAGE`) and all of it is left to the network. (Grainier still,
  0.03, the specks merge into marks longer than letters and the lid is cleared again.)
* On the real page the area also takes in the stained paper down both sides, with writing in it;
  with the grain smoothed away, that part alone is 0.30 of the area near writing or lighter
  patches, over MOSTLY_PAGE (0.25), so smoothing alone would not clear that page's lid.

This script lays a plain lid band, 40 pixels deep, along the top of a synthetic text page at
grain levels from 0 to 0.03 (Gaussian noise smoothed over a pixel, as a scan's grain is), and a
wedge from 24 to 48 pixels deep; it prints the share of the band the surround covers, how many
pixels ``near_writing`` takes for light letters on the lid, and how many it takes once the shrunk
page is smoothed by a Gaussian of 1 and 1.5 pixels first (the direction a fix could take; not
measured on any page set). It exits 1 while the reproduction fails (a band not covered).

    python bench/experiments/grainy_lid.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from docclean.areawriting import near_writing  # noqa: E402
from docclean.solids import dark_areas, page_paper  # noqa: E402
from docclean.surround import LID, surround_areas  # noqa: E402
from tests.docclean.pages import letter_rows  # noqa: E402


def lid_page(depth: int | np.ndarray, grain: float, level: float = 0.15) -> tuple[np.ndarray, np.ndarray]:
    """A text page with a lid band along its top edge, ``depth`` pixels deep (per column for a
    wedge), of grey ``level`` with grain of standard deviation ``grain``; the page and the band."""
    page = letter_rows((400, 500), 0.9, range(82, 376, 24), range(12, 488, 10))
    h, w = page.shape
    noise = cv2.GaussianBlur(np.random.default_rng(0).normal(0, 1, (h, w)).astype(np.float32), (0, 0), 1.0)
    noise *= grain / max(float(noise.std()), 1e-6)
    band = np.arange(h)[:, None] < np.broadcast_to(np.asarray(depth), (w,))[None, :]
    page[band] = level + noise[band]
    return page, band


def light_letters(page: np.ndarray, smooth: float) -> int:
    """Pixels of the shrunk page that ``near_writing`` takes for light letters on the lid (the
    page smoothed by a Gaussian of ``smooth`` pixels first, when > 0)."""
    paper = page_paper(page)
    areas = dark_areas(page, paper, LID)
    if areas is None:
        return 0
    found = 0
    for label in areas.seeded:
        region, (x, y) = areas.region(label)
        box = areas.small[y:y + region.shape[0], x:x + region.shape[1]]
        level = float(np.median(box[region.astype(bool)]))
        seen = cv2.GaussianBlur(box, (0, 0), smooth) if smooth > 0 else box
        found += int(near_writing(seen, region, level, paper, (x, y), areas.dark.shape).letters.sum())
    return found


def main() -> int:
    print("| lid | grain | surround covers | light letters found | smoothed 1 px | smoothed 1.5 px |")
    print("|---|---|---|---|---|---|")
    failing = 0
    cases = [("40 px band", 40)] + [("wedge 24-48 px", np.linspace(24, 48, 500).astype(int))]
    for name, depth in cases:
        for grain in (0.0, 0.01, 0.015, 0.02, 0.03):
            page, band = lid_page(depth, grain)
            mask = surround_areas(page)
            covered = 0.0 if mask is None else float(mask[band].mean())
            failing += covered < 0.99
            print(f"| {name} | {grain:.3f} | {covered:.0%} | {light_letters(page, 0)} | {light_letters(page, 1.0)} "
                  f"| {light_letters(page, 1.5)} |")
    print(f"\n{failing} case(s) with the lid not cleared")
    return 1 if failing else 0


if __name__ == "__main__":
    sys.exit(main())
