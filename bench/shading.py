"""Shaded boxes and bands (``docclean.shading``): does the engine clean a form's grey cells without
drawing a frame around them, keep the writing on them, and leave stains and shadows to the network?

1. A synthetic 300-dpi form (``shaded_form``): boxes shaded 0.45 to 0.85 of the paper's grey
   with black writing, a grey band with white writing, a soft stain and a shadow along the edge,
   on lightly degraded paper (texture, blur, noise; seeds 0..N-1). Cleaned with
   ``--keep-shading`` and by default; per box: the frame (mean darkness of the cleaned page within
   10 px of the box's edge, inside or outside, away from writing: a clean page is white there),
   the share of it black with ``--binarize``, the writing kept (share of its pixels darker than 0.5)
   and, for the band, how much lighter its letters are than the band around them.
   The same forms scaled to 150 and 600 dpi: each box's frame.
2. The pages of each set on which ``shaded_areas`` finds anything (real scans counted for
   validation, never tuned on).
3. A picture: bench/results/shading.png (three boxes and the band, at half size: the page,
   ``--keep-shading``, the default).
4. Printed fills (``fills_page``): grey discs, a triangle and the bars of a bar chart (0.35-0.65
   of the paper's grey) on a lightly degraded 300-dpi page of text. Per shape: the share of its
   inside (away from its edge) that the cleaned page keeps within 0.1 of its grey, and that
   ``--binarize`` draws black; per page, the ink-loss guard's figure for both.

    python bench/shading.py [--pages 4]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.experiments.scoring import found_on_sets  # noqa: E402
from docclean.engine import Denoiser  # noqa: E402
from docclean.inkloss import ink_loss  # noqa: E402
from docclean.postprocess import binarize  # noqa: E402
from docclean.shading import Shading, shaded_areas  # noqa: E402
from docclean.synth import render_page  # noqa: E402
from docclean.synth.damage import light_degrade  # noqa: E402

#: (top, left, height, width, grey) of the shaded boxes with black writing, on a 1800 x 1400 page.
BOXES = ((200, 120, 160, 880, 0.85), (560, 120, 160, 880, 0.7), (920, 120, 160, 880, 0.55),
         (1280, 120, 160, 540, 0.45))
#: (top, left, height, width, grey) of the band with white writing.
BAND = (1280, 700, 160, 460, 0.5)


def shaded_form(seed: int) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """A lightly degraded 300-dpi form with shaded boxes (its noisy page, its clean page with the
    shading, and masks: each box, the band, its letters, the black writing everywhere)."""
    rng = np.random.default_rng(seed)
    h, w = 1800, 1400
    text = render_page(w, h, dpi=300, font_pt=10)
    page = text.copy()
    masks: dict[str, np.ndarray] = {}
    for top, left, bh, bw, grey in BOXES:
        box = np.zeros((h, w), bool)
        box[top:top + bh, left:left + bw] = True
        page[box] *= grey
        masks[f"box {grey}"] = box
    top, left, bh, bw, grey = BAND
    band = np.zeros((h, w), bool)
    band[top:top + bh, left:left + bw] = True
    letters = np.zeros((h, w), np.uint8)
    cv2.putText(letters, "TOTAL 47.11", (left + 20, top + 110), cv2.FONT_HERSHEY_SIMPLEX, 2.2, 1, 7)
    letters = letters.astype(bool) & band
    page[band] = grey
    page[letters] = 1.0
    masks["band"], masks["band letters"] = band, letters
    masks["text"] = text < 0.5
    return light_degrade(page, rng), page, masks


#: The printed fills of ``fills_page``: name -> (grey, shape, points). Discs: centre and radius;
#: the triangle and the bars: corner points, (x, y), on an 1800 x 1400 page.
FILLS = {"disc 0.4": (0.4, "disc", (330, 1000, 170)), "disc 0.65": (0.65, "disc", (330, 1420, 110)),
         "triangle 0.55": (0.55, "poly", ((560, 1560), (760, 1180), (960, 1560))),
         **{f"bar {g}": (g, "poly", ((1020 + 110 * i, 1560), (1020 + 110 * i, 1560 - h),
                                     (1100 + 110 * i, 1560 - h), (1100 + 110 * i, 1560)))
            for i, (g, h) in enumerate(((0.35, 420), (0.5, 300), (0.65, 200)))}}


def fills_page(seed: int) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """A lightly degraded 300-dpi page of text with printed fills below it (:data:`FILLS`): the
    noisy page and each fill's mask."""
    rng = np.random.default_rng(seed)
    page = render_page(1400, 1800, dpi=300, font_pt=10)
    page[780:] = 1.0
    masks = {}
    for name, (grey, shape, points) in FILLS.items():
        mask = np.zeros(page.shape, np.uint8)
        if shape == "disc":
            x, y, r = points
            cv2.circle(mask, (x, y), r, 1, -1)
        else:
            cv2.fillPoly(mask, [np.array(points, np.int32)], 1)
        masks[name] = mask.astype(bool)
        page[masks[name]] = grey
    return light_degrade(page, rng), masks


def fills_table(cleaners: dict[str, Denoiser], pages: int) -> None:
    """Part 4: what the cleaned and binarized pages keep of each printed fill, and the guard."""
    figures: dict[str, dict[str, list[float]]] = {}
    for seed in range(pages):
        noisy, masks = fills_page(seed)
        picture = [noisy]
        for name, den in cleaners.items():
            out = den.clean(noisy)
            black = ~binarize(out)
            picture += [out, (~black).astype(np.float32)] if name == "default" else [out]
            for key, mask in masks.items():
                inside = cv2.erode(mask.astype(np.uint8), np.ones((19, 19), np.uint8)).astype(bool)
                grey = FILLS[key][0]
                figures.setdefault(f"{key}: kept grey", {}).setdefault(name, []).append(
                    float((np.abs(out[inside] - grey) < 0.1).mean()))
                figures.setdefault(f"{key}: black with --binarize", {}).setdefault(name, []).append(
                    float(black[inside].mean()))
            figures.setdefault("page: ink loss (guard)", {}).setdefault(name, []).append(ink_loss(noisy, out))
            figures.setdefault("page: ink loss with --binarize", {}).setdefault(name, []).append(
                ink_loss(noisy, (~black).astype(np.float32)))
        if seed == 0:
            save_strip([p[800:1620, 120:1400] for p in picture], "shading_fills.png", 3)
    print(f"\nprinted fills, {pages} pages (seeds 0..{pages - 1}), 300 dpi; mean over the pages\n")
    print("| figure | --keep-shading | default |")
    print("|---|---|---|")
    for label, values in figures.items():
        print(f"| {label} | {np.mean(values['--keep-shading']):.3f} | {np.mean(values['default']):.3f} |")


def save_strip(pages: list[np.ndarray], name: str, shrink: int) -> Path:
    """``pages`` side by side, shrunk ``shrink`` times, in 32 greys (a small file that still shows
    the frames), as bench/results/``name``; returns its path."""
    out_path = ROOT / "bench/results" / name
    strip = np.hstack([np.pad(p, ((0, 0), (0, 8)), constant_values=1) for p in pages])
    strip = cv2.resize(strip, (strip.shape[1] // shrink, strip.shape[0] // shrink), interpolation=cv2.INTER_AREA)
    levels = np.round(strip * 31) * (255 / 31)
    cv2.imwrite(str(out_path), levels.round().astype(np.uint8), [cv2.IMWRITE_PNG_COMPRESSION, 9])
    return out_path


def ring(box: np.ndarray, reach: int = 10) -> np.ndarray:
    """The pixels within ``reach`` of a box mask's edge, inside or outside it."""
    kernel = np.ones((2 * reach + 1,) * 2, np.uint8)
    return cv2.dilate(box.astype(np.uint8), kernel).astype(bool) & ~cv2.erode(box.astype(np.uint8), kernel).astype(bool)


def other_resolutions(cleaners: dict[str, Denoiser], pages: int) -> None:
    """The forms scaled to 150 and 600 dpi: each box's frame (as in part 1, the ring scaled too)."""
    print("\n| form scanned at | box | --keep-shading: frame | default: frame |")
    print("|---|---|---|---|")
    for dpi in (150, 600):
        scale = dpi / 300
        frames: dict[str, dict[str, list[float]]] = {}
        for seed in range(pages):
            noisy, _, masks = shaded_form(seed)
            size = (round(noisy.shape[1] * scale), round(noisy.shape[0] * scale))
            page = cv2.resize(noisy, size, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC).clip(0, 1)
            grown = {key: cv2.resize(m.astype(np.uint8), size, interpolation=cv2.INTER_NEAREST)
                     for key, m in masks.items()}
            near_text = cv2.dilate(grown["text"], np.ones((7, 7), np.uint8)).astype(bool)
            for name, den in cleaners.items():
                out = den.clean(page)
                for key in (k for k in masks if k.startswith("box")):
                    around = ring(grown[key].astype(bool), round(10 * scale)) & ~near_text
                    frames.setdefault(key, {}).setdefault(name, []).append(1 - float(out[around].mean()))
        for key, values in frames.items():
            print(f"| {dpi} dpi | {key} | {np.mean(values['--keep-shading']):.3f} | {np.mean(values['default']):.3f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=4)
    args = parser.parse_args()
    cleaners = {"--keep-shading": Denoiser.load("default", clear_shading=False), "default": Denoiser.load("default")}
    rows: dict[str, dict[str, list[float]]] = {}
    picture = []
    for seed in range(args.pages):
        noisy, clean, masks = shaded_form(seed)
        outs = {name: den.clean(noisy) for name, den in cleaners.items()}
        for name, out in outs.items():
            black = ~binarize(out)
            for key, box in masks.items():
                if key.startswith("box"):
                    writing = box & (clean < 0.3)
                    near_text = cv2.dilate(masks["text"].astype(np.uint8), np.ones((7, 7), np.uint8)).astype(bool)
                    around = ring(box) & ~near_text
                    figures = {"frame": 1 - float(out[around].mean()), "frame black": float(black[around].mean()),
                               "writing kept": float((out[writing] < 0.5).mean())}
                elif key == "band":
                    letters = masks["band letters"].astype(np.uint8)
                    body = box & ~cv2.dilate(letters, np.ones((9, 9), np.uint8)).astype(bool)
                    core = cv2.erode(letters, np.ones((3, 3), np.uint8)).astype(bool)
                    figures = {"letters lighter": float(out[core].mean() - out[body].mean()),
                               "band white": float((out[body] > 0.9).mean())}
                else:
                    continue
                for figure, value in figures.items():
                    rows.setdefault(f"{key}: {figure}", {}).setdefault(name, []).append(value)
        if seed == 0:
            crop = (slice(480, 1480), slice(40, 1320))
            picture = [noisy[crop], outs["--keep-shading"][crop], outs["default"][crop]]
    print(f"model default; {args.pages} synthetic forms (seeds 0..{args.pages - 1}), 300 dpi; mean over the forms\n")
    print("| figure | ideal | --keep-shading | default |")
    print("|---|---|---|---|")
    expected = {"frame": 0.0, "frame black": 0.0, "writing kept": 1.0, "letters lighter": 0.5, "band white": 0.0}
    for label, values in rows.items():
        print(f"| {label} | {expected[label.split(': ')[1]]:.2f} | {np.mean(values['--keep-shading']):.3f} "
              f"| {np.mean(values['default']):.3f} |")
    other_resolutions(cleaners, args.pages)
    out_path = save_strip(picture, "shading.png", 2)
    print(f"\npicture: {out_path.relative_to(ROOT)} (the page, --keep-shading, the default)")
    fills_table(cleaners, args.pages)
    print("picture: bench/results/shading_fills.png (the page, --keep-shading, the default, the default's"
          " --binarize)")
    print()
    found_on_sets("pages with a shaded area (flattened / put back as scanned, share of the page)", shaded_areas,
                  _shares)


def _shares(shading: Shading) -> str:
    """The shares of the page a page's shading flattens and puts back."""
    flat = 0.0 if shading.gain is None else float((shading.gain != 1).mean())
    light = 0.0 if shading.scanned is None else float(shading.scanned.mean())
    return f"{flat:.1%} / {light:.1%}"


if __name__ == "__main__":
    main()
