"""Solid dark areas (black boxes, bars, a band with white writing): what the network does to them,
and what ``--keep-solids`` (on by default, ``docclean.solids``) puts back.

1. Black boxes of 8 to 200 pixels and a black disc on a synthetic 300-dpi text page, and a black
   band with white writing: the mean grey of each box's inside, and the band's fill and letters, cleaned with
   ``--no-keep-solids`` and with the default; the band also binarized.
2. Grey shading (0.7 to 0.2) with black writing on it: the writing must stay darker than the
   shading, and black when binarized.
   And white writing on grey bands (0.15 to 0.6), which ``docclean.shading`` puts back from
   the scan (0.3 and lighter; 0.15 is a solid area).
3. How many pages of each set have any solid area at all, and on the synthetic pages, where the
   clean target is known, how much of it is paper in the target (an area put back that should
   have been cleaned away). The real scans are counted, never tuned on.
4. A picture: bench/results/solids.png (the page as given, ``--no-keep-solids``, the default).

    python bench/solids.py [--synthetic 400] [--out bench/results/solids.png]
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
from docclean.engine import Denoiser  # noqa: E402
from docclean.io import read_gray  # noqa: E402
from docclean.levels import network_page  # noqa: E402
from docclean.postprocess import binarize  # noqa: E402
from docclean.solids import solid_areas  # noqa: E402
from docclean.synth import degrade, render_page  # noqa: E402
from docclean.synth.pairs import PairKind, make_pair  # noqa: E402

SHARED = ROOT.parent / "shared/data"
SUFFIXES = {".png", ".jpg", ".jpeg", ".tif", ".tiff"}
SIZES = (8, 16, 32, 48, 64, 96, 128, 200)


def test_page() -> tuple[np.ndarray, list[tuple[int, slice, slice]], slice, np.ndarray]:
    """A degraded 300-dpi text page with a row of black boxes and a black band with white writing
    below the text: the page, the boxes (size, rows, columns), the band's rows and its letters."""
    text = render_page(1300, 1000, dpi=300, font_pt=10)
    text[560:] = 1.0  # room below the text for the boxes and the band
    page = degrade(text, np.random.default_rng(4), jpeg=False)
    boxes, x = [], 60
    for s in SIZES:
        rows, cols = slice(600, 600 + s), slice(x, x + s)
        page[rows, cols] = 0.1
        boxes.append((s, rows, cols))
        x += s + 40
    band = np.full((90, 1000), 0.1, np.float32)
    letters = np.zeros(band.shape, np.uint8)
    cv2.putText(letters, "TOTAL AMOUNT DUE  4711.00", (20, 62), cv2.FONT_HERSHEY_SIMPLEX, 1.6, 1, 3, cv2.LINE_AA)
    band[letters > 0] = 0.9
    page[850:940, 100:1100] = band
    cv2.circle(page, (1180, 700), 60, 0.1, -1)  # a round black seal or logo
    mask = np.zeros(page.shape, bool)
    mask[850:940, 100:1100] = letters > 0
    return page, boxes, slice(850, 940), mask


def banded_page(shade: float, ink: float, text: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A band of grey ``shade`` across paper with ``text`` written on it in grey ``ink``, a little
    noise: the page, the writing, and the band without the writing (and a 2-px margin round it)."""
    page = np.full((800, 1100), 0.92, np.float32)
    page[330:430, 50:1050] = shade
    writing = np.zeros(page.shape, np.uint8)
    cv2.putText(writing, text, (70, 395), cv2.FONT_HERSHEY_SIMPLEX, 1.3, 1, 2, cv2.LINE_AA)
    writing = writing > 0
    page[writing] = ink
    page = np.clip(page + np.random.default_rng(0).normal(0, 0.02, page.shape), 0, 1).astype(np.float32)
    band = np.zeros(page.shape, bool)
    band[330:430, 50:1050] = True
    band &= ~cv2.dilate(writing.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
    return page, writing, band


def shading_rows(cleaners: dict[bool, Denoiser]) -> None:
    """Grey shading with black writing on it (a form's shaded cells): how far the writing stays
    darker than the shading, and how much of each the binarized page keeps as the scan has it."""
    print("\n| shading with black writing | --no-keep-solids: shading - writing | default: shading - writing "
          "| default --binarize: writing black / shading white |")
    print("|---|---|---|---|")
    for shade in (0.7, 0.5, 0.35, 0.2):
        page, writing, shading = banded_page(shade, 0.05, f"Amount due {shade}  4711.00 EUR")
        outs = {keep: den.clean(page) for keep, den in cleaners.items()}
        bw = binarize(outs[True])
        gaps = [outs[keep][shading].mean() - outs[keep][writing].mean() for keep in (False, True)]
        print(f"| grey {shade} | {gaps[0]:.2f} | {gaps[1]:.2f} | "
              f"{(~bw[writing]).mean():.1%} / {bw[shading].mean():.1%} |")


def white_on_grey_rows(den: Denoiser) -> None:
    """White writing on grey bands (``docclean.shading`` puts such a band back from the scan): how
    far the letters stay lighter than the band around them (on the page as given, and cleaned by
    default), and how much of the band's empty end comes out as paper (lighter than 0.9)."""
    keep = Denoiser.load("default", clear_shading=False)
    print("\n| band with white writing | as given: letters - band around them | --keep-shading / default: letters "
          "- band around them | --keep-shading / default: band's empty end turned to paper |")
    print("|---|---|---|---|")
    for shade in (0.15, 0.3, 0.45, 0.6):
        page, writing, band = banded_page(shade, 0.95, f"Amount due {shade}  4711.00")
        around = band.copy()
        around[:, 620:] = False
        outs = [keep.clean(page), den.clean(page)]
        gaps = " / ".join(f"{out[writing].mean() - out[around].mean():.2f}" for out in outs)
        paper = " / ".join(f"{(out[350:410, 750:1030] > 0.9).mean():.1%}" for out in outs)
        print(f"| grey {shade} | {page[writing].mean() - page[around].mean():.2f} | {gaps} | {paper} |")


def synthetic_check(n: int) -> None:
    """Part 2 on ``n`` synthetic pairs (seed 1000, 30% showing their other side through)."""
    dpis = (100, 150, 200, 300, 400, 600)
    hits, wrong = 0, []
    for i in range(n):
        noisy, clean = make_pair(np.random.default_rng(1000 + i), dpi=dpis[i % 6], kind=PairKind(show_through=0.3))
        areas = solid_areas(network_page(noisy))
        if areas is not None:
            hits += 1
            wrong.append(float((clean[areas] > 0.5).mean()))
    share = f"; of their areas, paper in the target: {', '.join(f'{w:.1%}' for w in wrong)}" if wrong else ""
    print(f"| synthetic pairs (seed 1000) | {n} | {hits}{share} |")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--synthetic", type=int, default=400)
    p.add_argument("--out", type=Path, default=ROOT / "bench/results/solids.png")
    a = p.parse_args()
    page, boxes, band_rows, letters = test_page()
    cleaners = {keep: Denoiser.load("default", keep_solids=keep) for keep in (False, True)}
    outs = {keep: den.clean(page) for keep, den in cleaners.items()}
    fill = np.zeros(page.shape, bool)
    fill[band_rows, 100:1100] = True
    fill &= ~cv2.dilate(letters.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
    print("| area | as given | --no-keep-solids | default (--keep-solids) |")
    print("|---|---|---|---|")
    for s, rows, cols in boxes:
        print(f"| {s}-px black box, mean grey inside | {page[rows, cols].mean():.2f} | "
              f"{outs[False][rows, cols].mean():.2f} | {outs[True][rows, cols].mean():.2f} |")
    disc = np.zeros(page.shape, np.uint8)
    cv2.circle(disc, (1180, 700), 50, 1, -1)
    disc = disc.astype(bool)
    print(f"| 120-px black disc (a seal, a logo), mean grey inside | {page[disc].mean():.2f} | "
          f"{outs[False][disc].mean():.2f} | {outs[True][disc].mean():.2f} |")
    for name, where in (("band's fill", fill), ("band's white letters", letters)):
        print(f"| {name}, mean grey | {page[where].mean():.2f} | {outs[False][where].mean():.2f} | "
              f"{outs[True][where].mean():.2f} |")
    for name, where in (("band's fill", fill), ("band's white letters", letters)):
        print(f"| {name}, share black with --binarize | {(binarize(page)[where] == 0).mean():.1%} | "
              f"{(binarize(outs[False])[where] == 0).mean():.1%} | {(binarize(outs[True])[where] == 0).mean():.1%} |")

    shading_rows(cleaners)
    white_on_grey_rows(cleaners[True])

    print("\n| pages | count | pages with a solid area |")
    print("|---|---|---|")
    sets = {"dibco-extra": SHARED / "real-scans/dibco-extra/noisy", "funsd-train": SHARED / "real-scans/funsd-train",
            "sroie-train": SHARED / "real-scans/sroie-train", "dirty-documents train": SHARED / "dirty-documents/train",
            "samples/scans": ROOT / "samples/scans"}
    for title, folder in sets.items():
        files = sorted(f for f in folder.rglob("*") if f.suffix.lower() in SUFFIXES)
        found = [f.name for f in files
                 if solid_areas(network_page(read_gray(f))) is not None]
        print(f"| {title} | {len(files)} | {len(found)}{': ' + ', '.join(found) if found else ''} |")
    synthetic_check(a.synthetic)

    crop = (slice(540, 960), slice(40, 1260))
    gap = np.ones((10, crop[1].stop - crop[1].start), np.float32)
    picture = np.concatenate([page[crop], gap, outs[False][crop], gap, outs[True][crop]], axis=0)
    Image.fromarray((np.clip(picture, 0, 1) * 255).round().astype(np.uint8)).save(a.out)
    print(f"\nwrote {a.out}")


if __name__ == "__main__":
    main()
