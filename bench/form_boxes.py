"""Faint handwriting inside a form's boxes, beside the same words on open paper: the case a tester
found the network clears (docs/quality.md, "What it still gets wrong"), drawn again here.

Each page is a form scanned at 150 or 300 dpi: printed labels, boxes of four heights (0.33 to 0.8
inch) and, in each box and again on open paper to its right, a handwritten entry (the DKG and
Dancing Script hands) in pencil (0.70 or 0.78 of the paper's grey) or blue-black ink, multiplied
over the page as ink is, then a light scan (tinted paper, sensor noise, a little blur). Its clean
page and a mask of each entry are kept beside it. Deterministic; needs the fonts of ``docclean
synth`` (``docclean.synth.fonts``) and DejaVu.

    python bench/form_boxes.py OUT
    python bench/form_boxes.py OUT --measure [--model M] [--binarize]
    python bench/form_boxes.py OUT --picture bench/results/form_boxes.png

``--measure`` cleans the pages with ``docclean clean`` (the default model, or ``--model``) and
prints, for each ink and box height, the share of the entry's pixels that come out darker than
half the paper (kept) and their mean grey, in the box and on open paper. ``--picture`` writes one
page's first three boxes as scanned, cleaned without the engine's step for writing between rules
(``docclean.ruled``) and cleaned as shipped, one above the other.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

HANDS = ("/usr/share/fonts/truetype/fifthhorseman/dkg.ttf",
         "/usr/share/fonts/opentype/dancingscript/DancingScript-Regular.otf")
LABEL = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
ENTRIES = ("Jonathan Smith", "14 Elm Road", "Leeds LS2 9JT", "approved, March 3", "0113 496 0718", "Mrs A. Patel")
#: Box heights (inches) and inks (name, grey as a share of the paper; pencil is greyer than ink).
HEIGHTS = (0.33, 0.45, 0.6, 0.8)
INKS = (("pencil 0.78", 0.78), ("pencil 0.70", 0.70), ("blue-black ink", 0.25))
OPEN_X = 0.55  # the open-paper copies start at this share of the width


def form(dpi: int, ink: float, seed: int) -> tuple[np.ndarray, np.ndarray, list[tuple[float, np.ndarray, bool]]]:
    """(the scan, grey 0..1; its clean page; each entry's (box height, mask, in a box))."""
    s = dpi / 150
    w, h = int(1240 * s), int(150 * s + len(HEIGHTS) * 2 * 160 * s)
    rng = np.random.default_rng(seed)
    printed = Image.new("L", (w, h), 255)
    draw = ImageDraw.Draw(printed)
    label = ImageFont.truetype(LABEL, int(15 * s))
    written = np.ones((h, w), np.float32)
    entries = []
    y = int(40 * s)
    for row, height in enumerate(HEIGHTS * 2):
        bh = int(height * dpi)
        hand = ImageFont.truetype(HANDS[row % 2], int((26 if row % 2 == 0 else 30) * s))
        draw.text((int(30 * s), y + bh // 2 - int(9 * s)), f"Field {row + 1}:", font=label, fill=0)
        draw.rectangle((int(150 * s), y, int(600 * s), y + bh), outline=0, width=max(1, round(2 * s)))
        text = ENTRIES[row % len(ENTRIES)]
        for x, boxed in ((int(165 * s), True), (int(OPEN_X * w + 20 * s), False)):
            mask = Image.new("L", (w, h), 0)
            top = y + (bh - hand.getbbox(text)[3]) // 2 + int(rng.integers(-3, 4) * s)
            ImageDraw.Draw(mask).text((x, top), text, font=hand, fill=255)
            cover = np.asarray(mask.filter(ImageFilter.GaussianBlur(0.5 * s)), np.float32) / 255
            written *= 1 - cover * (1 - ink)
            entries.append((height, np.asarray(mask) > 128, boxed))
        y += bh + int(45 * s)
    clean = np.asarray(printed, np.float32) / 255 * written
    scan = clean * (232 / 255) + rng.normal(0, 0.02, clean.shape).astype(np.float32)
    scan = np.asarray(Image.fromarray((scan.clip(0, 1) * 255).astype(np.uint8)).filter(ImageFilter.GaussianBlur(0.7)))
    return scan.astype(np.float32) / 255, clean, entries


def pages():
    """(file name, dpi, ink name, ink grey) of every page."""
    for dpi in (150, 300):
        for k, (name, grey) in enumerate(INKS):
            yield f"form_{dpi}dpi_{name.split()[0]}{k}.png", dpi, name, grey


def write(out: Path) -> None:
    (out / "clean").mkdir(parents=True, exist_ok=True)
    for k, (file, dpi, _, grey) in enumerate(pages()):
        scan, clean, _ = form(dpi, grey, k)
        Image.fromarray((scan * 255).round().astype(np.uint8)).save(out / file, dpi=(dpi, dpi))
        Image.fromarray((clean * 255).round().astype(np.uint8)).save(out / "clean" / file, dpi=(dpi, dpi))
        print(out / file)


def measure(out: Path, model: str | None, binarize: bool = False) -> None:
    cleaned = out / "cleaned"
    files = [str(out / file) for file, *_ in pages()]
    cmd = [str(Path(sys.executable).parent / "docclean"), "clean", *files, "-o", str(cleaned), "--overwrite", "-q"]
    subprocess.run(cmd + (["--model", model] if model else []) + (["--binarize"] if binarize else []), check=True)
    print(f"model: {model or 'default'}" + (", --binarize" if binarize else ""))
    print("| dpi | ink | box height | kept in the box | kept on open paper | grey in the box | grey on open paper |")
    print("|---|---|---|---|---|---|---|")
    for k, (file, dpi, name, grey) in enumerate(pages()):
        _, _, entries = form(dpi, grey, k)
        result = np.asarray(Image.open(cleaned / file).convert("L"), np.float32) / 255
        for height in HEIGHTS:
            found = {boxed: [result[m] for hh, m, b in entries if hh == height and b == boxed]
                     for boxed in (True, False)}
            kept = {b: float(np.mean(np.concatenate(v) < 0.5)) for b, v in found.items()}
            mean = {b: float(np.mean(np.concatenate(v))) for b, v in found.items()}
            print(f"| {dpi} | {name} | {height} in ({int(height * dpi)} px) | {kept[True]:.1%} | {kept[False]:.1%} "
                  f"| {mean[True]:.2f} | {mean[False]:.2f} |")


@contextmanager
def without_ruled_step(den) -> Iterator[None]:
    """``den`` without its step for writing between rules (``docclean.ruled``,
    ``keep_box_writing``), for a before/after in one process with one loaded model."""
    was, den.keep_box_writing = den.keep_box_writing, False
    try:
        yield
    finally:
        den.keep_box_writing = was


def picture(out: Path, path: Path) -> None:
    from docclean import Denoiser

    file = next(f for f, dpi, name, _ in pages() if dpi == 150 and name == "pencil 0.70")
    scan = np.asarray(Image.open(out / file).convert("L"), np.float32) / 255
    den = Denoiser.load("default")
    now = den.clean(scan)
    with without_ruled_step(den):
        before = den.clean(scan)
    part = (slice(0, int(scan.shape[0] * 0.27)), slice(0, int(scan.shape[1] * 0.75)))  # fields 1-3
    gap = np.ones((12, part[1].stop), np.float32)
    both = np.concatenate([scan[part], gap, before[part], gap, now[part]])
    Image.fromarray((both * 255).round().astype(np.uint8)).save(path, optimize=True)
    print(path)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("out", type=Path)
    p.add_argument("--measure", action="store_true", help="clean the pages and score them")
    p.add_argument("--model", default=None)
    p.add_argument("--binarize", action="store_true", help="score the 1-bit pages of docclean clean --binarize")
    p.add_argument("--picture", type=Path, default=None, help="write a before/after picture here")
    a = p.parse_args()
    write(a.out)
    if a.measure:
        measure(a.out, a.model, a.binarize)
    if a.picture:
        picture(a.out, a.picture)


if __name__ == "__main__":
    main()
