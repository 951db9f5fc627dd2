"""Bands hanging off the scanner's surround, put back as solid areas (``docclean.solids.inner_parts``,
2026-12-05).

A microfilm frame's black band, its number in white, joined to the surround by a dark line, was
neither surround (it does not run along the page's edge) nor a solid area (its region touches the
edge), so the network made it a grey blotch. Now such a band is put back as scanned, with its
letters.

Prints, for every page set as it is and for the synthetic and historical pages laid on a dark lid
(``bench/surround.py``'s placements), on how many pages a solid area is part of an edge-touching
dark area, and which; then writes a picture of the first real scan that has one: the scan, cleaned
with ``--no-keep-solids`` (the band as the network draws it) and as shipped
(bench/results/hanging_bands.png). The real scans are validation only: nothing here was chosen on
them.

    python bench/experiments/hanging_bands.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from bench.experiments.lid_writing import run  # noqa: E402
from docclean.engine import Denoiser  # noqa: E402
from docclean.io import read_gray  # noqa: E402
from docclean.levels import network_page  # noqa: E402
from docclean.solids import dark_areas, solid_areas  # noqa: E402


def hanging(page: np.ndarray) -> np.ndarray | None:
    """The part of ``page``'s solid areas that belongs to an edge-touching dark area (full size), or
    None when there is none."""
    levelled = network_page(page)
    solid = solid_areas(levelled)
    areas = dark_areas(levelled)
    if solid is None or areas is None:
        return None
    edge = np.zeros(areas.dark.shape, np.uint8)
    for label in areas.seeded:
        if areas.touches_edge(label):
            edge[areas.labels == label] = 1
    edge = cv2.resize(edge, page.shape[::-1], interpolation=cv2.INTER_NEAREST).astype(bool)
    part = solid & edge
    return part if part.any() else None


def report(title: str, pages: list[tuple[str, np.ndarray]]) -> list[str]:
    """One table row for ``pages`` (name, grey page); returns the names that have such a band."""
    names, share = [], []
    for name, page in pages:
        part = hanging(page)
        if part is not None:
            names.append(name)
            share.append(float(part.mean()))
    where = ", ".join(f"{n} ({s:.2%})" for n, s in zip(names, share)) or "-"
    print(f"| {title} ({len(pages)} pages) | {len(names)} | {where} |", flush=True)
    return names


def picture(path: Path, out: Path) -> None:
    """The scan, ``--no-keep-solids`` and the default, around the band."""
    page = read_gray(path)
    kept = Denoiser.load("default").clean(page)
    network = Denoiser.load("default", keep_solids=False).clean(page)
    ys, xs = np.nonzero(hanging(page))
    h, w = page.shape
    cy = int(ys.mean())
    y0, x0 = max(0, min(h - 120, cy - 60)), max(0, min(w - 400, int(xs.min()) - 60))  # its left end
    gap = np.full((6, 400), 0.5, np.float32)
    rows = [p[y0:y0 + 120, x0:x0 + 400] for p in (page, network, kept)]
    stack = np.vstack([rows[0], gap, rows[1], gap, rows[2]])
    cv2.imwrite(str(out), np.clip(stack * 255, 0, 255).astype(np.uint8))
    print(f"\npicture: {out.relative_to(ROOT)} ({path.name}, 400 x 120 px at 100% from ({x0}, {y0}))")


def main() -> None:
    run("| pages | with a band hanging off the surround | pages (share of the page) |\n|---|---|---|",
        report, picture, ROOT / "bench/results/hanging_bands.png")


if __name__ == "__main__":
    main()
