"""Pages with pen marks and a stamp lying over printed text, beside the same marks on blank paper:
the case a tester found the network erases (docs/quality.md, "What it still gets wrong"), drawn
again here so that benchmarks and a future training run can reproduce it.

* ``marker_split.png``: a paragraph on the left half of a 300-dpi strip, blank paper on the right;
  four wavy marker strokes (dark and grey, 10 and 7 px wide) run across both halves.
* ``stamp_two.png``: a red "APPROVED" ring stamp, once over a paragraph and once on blank paper.
* ``signature_two.png``: a signature in a blue felt-tip pen (6 px), once over a paragraph and once on
  blank paper.

Each is written as a light scan (tinted paper, noise, a little blur), and its clean page beside it
under ``clean/`` (the marks at full strength on white). Deterministic; needs the DejaVu fonts
(``apt-get install fonts-dejavu-core``).

    python bench/marks_over_text.py OUT
    python bench/marks_over_text.py OUT --measure [--model M] [--no-keep-color-marks]

``--measure`` also cleans the pages with ``docclean clean`` (the default model, or ``--model``) and
prints, for each mark, the share of its pixels kept over the text and on blank paper: a pixel of the
mark (where the page without the marks is paper) is kept when the cleaned page is at least half as
dark there as the clean page. It also cleans ``damage_lines.png`` (written then: a paragraph crossed
by a fold, with a scanner's border band along the top, damage a model must not keep as marks) and
prints the darkness left on the fold's core and on the band, away from the text.
"""

from __future__ import annotations

import argparse
import math
import random
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

FONTS = Path("/usr/share/fonts/truetype/dejavu")
WORDS = ("the quick brown fox jumps over a lazy dog invoice total amount received payment account number "
         "date signature approved committee witness").split()


def _font(name: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONTS / name), size)


def paragraph(draw: ImageDraw.ImageDraw, x: int, y: int, width: int, size: int, lines: int) -> None:
    """Lines of serif text, each as long as fits in ``width``."""
    font, words = _font("DejaVuSerif.ttf", size), random.Random(size * 7 + y)
    for i in range(lines):
        line = " ".join(words.choice(WORDS) for _ in range(40))
        while draw.textlength(line, font=font) > width:
            line = line.rsplit(" ", 1)[0]
        draw.text((x, y + i * int(size * 1.45)), line, font=font, fill=0)


def wavy_stroke(draw: ImageDraw.ImageDraw, x: int, y: int, width: int, amp: float, color: tuple[int, int, int],
                pen: int, seed: int, waves: int = 6) -> None:
    """A marker line that waves like handwriting."""
    rng = np.random.default_rng(seed)
    points = []
    for i in range(waves * 20):
        t = i / (waves * 20)
        points.append((x + t * width, y + amp * 0.6 * math.sin(t * waves * 2 * math.pi)
                       + amp * 0.4 * math.sin(t * waves * 5.3) + rng.normal(0, 0.5)))
    draw.line(points, fill=color, width=pen, joint="curve")


def scanned(page: np.ndarray, seed: int) -> Image.Image:
    """A light scan of an RGB page (float 0..1): tinted paper, sensor noise, a little blur."""
    rng = np.random.default_rng(seed)
    tinted = page * (np.array((236, 232, 222), np.float32) / 255)
    tinted = tinted + rng.normal(0, 0.02, page.shape[:2])[..., None]
    image = Image.fromarray((np.clip(tinted, 0, 1) * 255).astype(np.uint8))
    return image.filter(ImageFilter.GaussianBlur(0.7))


MARKERS = [((60,) * 3, 10), ((140,) * 3, 10), ((60,) * 3, 7), ((140,) * 3, 7)]


def pen_over_text(w: int, h: int, width: int, lines: int, strokes: list[tuple]) -> np.ndarray:
    """An RGB page (0..1) of a paragraph ``width`` wide and ``lines`` long at (60, 60), with
    :func:`wavy_stroke` marks (each its arguments after ``draw``) multiplied over it, as ink is."""
    text = Image.new("RGB", (w, h), "white")
    paragraph(ImageDraw.Draw(text), 60, 60, width, 34, lines)
    marks = Image.new("RGB", (w, h), "white")
    draw = ImageDraw.Draw(marks)
    for stroke in strokes:
        wavy_stroke(draw, *stroke)
    return np.asarray(text, np.float32) * np.asarray(marks, np.float32) / 255 ** 2


def marker_split(marks_on: bool = True) -> np.ndarray:
    strokes = [(x, 150 + k * 190, 1050, 35, color, pen, 60 + k)
               for k, (color, pen) in enumerate(MARKERS if marks_on else []) for x in (100, 1300)]
    return pen_over_text(2480, 900, 1150, 16, strokes)


def stamp_two(marks_on: bool = True) -> np.ndarray:
    w, h = 2000, 700
    text = Image.new("RGB", (w, h), "white")
    paragraph(ImageDraw.Draw(text), 60, 60, 1300, 34, 11)
    ring = Image.new("L", (520, 520), 0)
    draw = ImageDraw.Draw(ring)
    draw.ellipse((10, 10, 510, 510), outline=255, width=14)
    draw.ellipse((60, 60, 460, 460), outline=255, width=5)
    draw.text((110, 210), "APPROVED", font=_font("DejaVuSans-Bold.ttf", 64), fill=255)
    draw.text((150, 300), "07 JUN 2024", font=_font("DejaVuSans.ttf", 40), fill=255)
    ring = ring.rotate(-12, resample=Image.BICUBIC)
    page, red = np.asarray(text, np.float32) / 255, np.array([0.85, 0.15, 0.2], np.float32)
    for x0 in (450, 1420) if marks_on else ():  # over the paragraph, and on blank paper
        cover = np.zeros((h, w), np.float32)
        cover[90:610, x0:x0 + 520] = np.asarray(ring, np.float32) / 255 * 0.8
        page = page * (1 - cover[..., None]) + np.minimum(page, red) * cover[..., None]
    return page


def signature_two(marks_on: bool = True) -> np.ndarray:
    # Over the paragraph, and on blank paper.
    strokes = [(x, 250, 480, 70, (90, 120, 215), 6, 11, 5) for x in ((200, 1450) if marks_on else ())]
    return pen_over_text(2000, 500, 1300, 8, strokes)


PAGES = {"marker_split.png": (marker_split, 6), "stamp_two.png": (stamp_two, 3),
         "signature_two.png": (signature_two, 12)}
#: Where each page's marks are over the text (x below the split) and on blank paper (x above it).
SPLIT = {"marker_split.png": 1240, "stamp_two.png": 1300, "signature_two.png": 1370}


def grey(page: np.ndarray) -> np.ndarray:
    """An RGB page (0..1) in grey, with Pillow's weights (as the scans are read)."""
    return page @ np.array([0.299, 0.587, 0.114], np.float32)


def mark_rows(name: str, h: int) -> list[tuple[str, slice]]:
    """The page's marks, each by name and the rows it lies in."""
    if name == "marker_split.png":
        return [(f"grey {c[0]}, {pen} px", slice(150 + k * 190 - 95, 150 + k * 190 + 95))
                for k, (c, pen) in enumerate(MARKERS)]
    if name == "signature_two.png":
        return [("blue felt-tip signature, 6 px", slice(0, h))]
    return [("red ring stamp", slice(0, h))]


def kept_shares(name: str, cleaned: np.ndarray) -> list[tuple[str, float, float]]:
    """For each mark of page ``name``: (mark, share kept over the text, share kept on blank paper)."""
    draw = PAGES[name][0]
    full, bare = grey(draw()), grey(draw(marks_on=False))
    mark = (bare > 0.9) & (full < bare - 0.15)  # the mark's own pixels, not those it shares with text
    kept = (1 - cleaned) >= 0.5 * (1 - full)
    left = np.arange(full.shape[1])[None, :] < SPLIT[name]
    rows = []
    for label, ys in mark_rows(name, full.shape[0]):
        m, k = mark[ys], kept[ys]
        over, blank = m & left, m & ~left
        rows.append((label, float(k[over].mean()), float(k[blank].mean())))
    return rows


def measure(out: Path, model: str | None, options: tuple[str, ...] = ()) -> None:
    """Clean the pages in ``out`` and a page of damage lines with ``docclean clean``; print the marks'
    kept shares and the damage left."""
    page, text, fold, band = damage_lines()
    scanned(page, 9).save(out / "damage_lines.png", dpi=(300, 300))
    cleaned = out / "cleaned"  # --overwrite: an earlier --measure may have left another model's pages there
    inputs = [str(out / n) for n in (*PAGES, "damage_lines.png")]
    subprocess.run([str(Path(sys.executable).parent / "docclean"), "clean", *inputs, "-o", str(cleaned), "--quiet",
                    "--overwrite", *options] + (["--model", model] if model else []), check=True)
    print(f"model: {model or 'default'}{''.join(' ' + o for o in options)}")
    print("| page | mark | kept over text | kept on blank paper |")
    print("|---|---|---|---|")
    for name in PAGES:
        page = np.asarray(Image.open(cleaned / name).convert("L"), np.float32) / 255
        for label, over, blank in kept_shares(name, page):
            print(f"| {name} | {label} | {over:.1%} | {blank:.1%} |")
    scan = np.asarray(Image.open(out / "damage_lines.png").convert("L"), np.float32) / 255
    page = np.asarray(Image.open(cleaned / "damage_lines.png").convert("L"), np.float32) / 255
    print("\n| damage_lines.png: darkness left away from text (0 white, 1 black) | scan | cleaned |")
    print("|---|---|---|")
    away = cv2.dilate((text < 0.9).astype(np.uint8), np.ones((7, 7), np.uint8)) == 0  # away from the text
    fold, band = fold & away, band & away
    for label, before, after in zip(("fold across the text", "scanner's border band"),
                                    damage_left(scan, fold, band), damage_left(page, fold, band)):
        print(f"| {label} | {before:.3f} | {after:.3f} |")


def damage_lines() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Broad dark lines that are damage, which cleaning should clear: a paragraph crossed by a fold (a
    thin dark line with a soft shoulder, as ``docclean.synth`` draws one) and a scanner's border band
    along the top. Returns the RGB page (0..1), the text alone, the fold's core and the band, as masks."""
    w, h = 2000, 900
    text = Image.new("RGB", (w, h), "white")
    paragraph(ImageDraw.Draw(text), 60, 120, 1880, 34, 14)
    bare = np.asarray(text, np.float32) / 255
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    d = np.abs(0.25 * xx + yy - 650) / math.hypot(0.25, 1)  # from (0, 650) up to (2000, 150)
    fold = 1 - (0.35 * np.exp(-d / 3) + 0.1 * np.exp(-d / 60))
    band = np.zeros((h, w), np.float32)
    band[:40] = (np.linspace(1, 0, 40, dtype=np.float32) ** 0.3)[:, None]
    page = bare * fold[..., None] * (1 - band[..., None]) + 0.1 * band[..., None]
    return page, grey(bare), d < 4, band > 0.5


def damage_left(cleaned: np.ndarray, fold: np.ndarray, band: np.ndarray) -> tuple[float, float]:
    """Mean darkness (0 white .. 1 black) a page keeps on the pixels of the fold and of the band."""
    dark = 1 - cleaned
    return float(dark[fold].mean()), float(dark[band].mean())


def write_pages(out: Path) -> list[Path]:
    """Write the pages (and their clean pages under ``out/clean``); returns the scans' paths."""
    (out / "clean").mkdir(parents=True, exist_ok=True)
    written = []
    for name, (draw, seed) in PAGES.items():
        page = draw()
        Image.fromarray((np.clip(page, 0, 1) * 255).astype(np.uint8)).save(out / "clean" / name, dpi=(300, 300))
        scanned(page, seed).save(out / name, dpi=(300, 300))
        written.append(out / name)
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, help="folder to write the pages into")
    parser.add_argument("--measure", action="store_true", help="clean the pages and print the marks' kept shares")
    parser.add_argument("--model", help="the model to measure (docclean clean --model); default: the shipped one")
    parser.add_argument("--no-keep-color-marks", action="store_true",
                        help="clean with --no-keep-color-marks (the network alone on the coloured marks)")
    args = parser.parse_args()
    for path in write_pages(args.out):
        print(path)
    if args.measure:
        measure(args.out, args.model, ("--no-keep-color-marks",) if args.no_keep_color_marks else ())


if __name__ == "__main__":
    main()
