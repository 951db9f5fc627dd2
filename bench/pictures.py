"""Pictures (``docclean.pictures``): does the engine keep a photograph printed on a page as the scan
has it, instead of turning it into a line drawing, and leave the rest of the page alone?

1. Synthetic 300-dpi pages (``photo_page``, seeds 0..N-1): text with three photographs (Olivetti
   faces, enlarged, with film grain) on lightly degraded paper (shading, a coffee stain, texture,
   blur, noise). Cleaned with ``--no-keep-pictures`` and by default: the share of the photographs
   kept as scanned, how far the cleaned photographs are from the printed ones (mean absolute
   difference, the scan's paper taken as white), the share of the rest of the page kept as scanned
   (a stain kept with a photograph would show here), and the text kept (its pixels darker than 0.5).
2. Halftone tints behind text (bench/shading.py's form, its boxes printed as dots): not pictures.
3. Photographs with a light part (a landscape's sky, a portrait's backdrop, lighter than
   ``TONED``), on clean and on lightly degraded paper: found by the second, lighter pass?
4. The pages of each set on which ``picture_areas`` finds anything (real scans counted for
   validation, never tuned on).
5. A picture: bench/results/pictures.png (a photograph and the text beside it, at half size: the
   page, ``--no-keep-pictures``, the default).

    python bench/pictures.py [--pages 4]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
import docclean.pictures as pictures_module  # noqa: E402
from bench.experiments.scoring import found_on_sets  # noqa: E402
from bench.shading import BOXES  # noqa: E402
from docclean.engine import Denoiser  # noqa: E402
from docclean.levels import network_page  # noqa: E402
from docclean.pictures import CONTINUOUS, SMOOTH, picture_areas  # noqa: E402
from docclean.postprocess import binarize  # noqa: E402
from docclean.shading import without_writing  # noqa: E402
from docclean.solids import page_paper, shrunk  # noqa: E402
from docclean.synth import render_page  # noqa: E402
from docclean.synth.damage import light_degrade  # noqa: E402
from training.suite.faces_data import load_faces  # noqa: E402

SHARED = ROOT.parent / "shared/data"
#: (top, left, side) of the photographs on an 1800 x 1400 page.
PHOTOS = ((150, 150, 420), (700, 700, 300), (1150, 200, 520))


def photo_page(seed: int, faces: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A lightly degraded 300-dpi page of text with three photographs: the noisy page, the clean
    one and where the photographs lie."""
    rng = np.random.default_rng(seed)
    h, w = 1800, 1400
    page = render_page(w, h, dpi=300, font_pt=10)
    where = np.zeros((h, w), bool)
    for top, left, side in PHOTOS:
        face = faces[int(rng.integers(0, len(faces)))].astype(np.float32) / 255
        photo = cv2.resize(face, (side, side), interpolation=cv2.INTER_CUBIC)
        grain = cv2.resize(rng.normal(0, 1, (side // 3, side // 3)).astype(np.float32), (side, side),
                           interpolation=cv2.INTER_CUBIC)
        page[top:top + side, left:left + side] = np.clip(photo * 0.9 + 0.03 * grain, 0, 1)
        where[top:top + side, left:left + side] = True
    return light_degrade(page, rng), page, where


def halftone_form(seed: int) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """bench/shading.py's form with each box printed as a halftone screen (dots 3 px apart at 45
    degrees, covering 1 - its grey), lightly degraded: the noisy page, the clean one, the masks."""
    rng = np.random.default_rng(seed)
    h, w = 1800, 1400
    text = render_page(w, h, dpi=300, font_pt=10)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    u, v = (xx + yy) / 3 / np.sqrt(2), (yy - xx) / 3 / np.sqrt(2)
    distance = np.hypot(u - np.round(u), v - np.round(v))
    page, masks = text.copy(), {"text": text < 0.5}
    for top, left, bh, bw, grey in BOXES:
        box = np.zeros((h, w), bool)
        box[top:top + bh, left:left + bw] = True
        ink = np.clip((np.sqrt((1 - grey) / np.pi) - distance) * 3 + 0.5, 0, 1)  # printed dots
        page[box] = np.minimum(page[box], 1 - ink[box])
        masks[f"box {grey}"] = box
    return light_degrade(page, rng), page, masks


def light_photo(kind: str, h: int, w: int, rng: np.random.Generator) -> np.ndarray:
    """A photograph with a light part: a landscape (a sky of 0.82-0.9 over dark green hills) or a
    portrait (a darker oval face, its eyes and mouth, on a backdrop of 0.84-0.9), with grain."""
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    if kind == "landscape":
        horizon = 0.55 * h + 20 * np.sin(xx / 90)
        photo = np.where(yy < horizon, 0.9 - 0.08 * yy / h, 0.35 + 0.1 * np.sin(xx / 40))
    else:
        photo = 0.84 + 0.06 * yy / h
        face = ((xx - w / 2) / (w * 0.28)) ** 2 + ((yy - h * 0.55) / (h * 0.38)) ** 2 < 1
        photo = np.where(face, 0.55 + 0.1 * np.cos(xx / 30), photo)
        for ex in (w * 0.4, w * 0.6):
            photo = np.where((xx - ex) ** 2 + (yy - h * 0.45) ** 2 < (w * 0.03) ** 2, 0.15, photo)
        photo = np.where((abs(xx - w / 2) < w * 0.08) & (abs(yy - h * 0.72) < h * 0.015), 0.25, photo)
    return np.clip(photo + rng.normal(0, 0.025, (h, w)), 0, 1).astype(np.float32)


def light_photos(pages: int) -> None:
    """Part 3: photographs with a light part, on clean and on lightly degraded paper."""
    print(f"\nphotographs with a light part (lighter than TONED = {pictures_module.TONED} of the paper), "
          f"one a page, seeds 0..{pages - 1}, 300 dpi; photograph found / rest of the page kept (mean)\n")
    print("| photograph | clean paper | lightly degraded paper | found on (clean, degraded) |")
    print("|---|---|---|---|")
    for kind, (h, w) in (("landscape", (500, 900)), ("portrait", (800, 600))):
        cells, counts = [], []
        for degrade in (False, True):
            found_share, rest, count = [], [], 0
            for seed in range(pages):
                rng = np.random.default_rng(seed)
                page = render_page(1400, 1800, dpi=300, font_pt=10)
                where = np.zeros(page.shape, bool)
                page[300:300 + h, 250:250 + w] = light_photo(kind, h, w, rng)
                where[300:300 + h, 250:250 + w] = True
                noisy = light_degrade(page, rng) if degrade else page
                grey = network_page(noisy)
                found = picture_areas(grey, page_paper(grey))
                found = np.zeros(page.shape, bool) if found is None else found
                found_share.append(float(found[where].mean()))
                rest.append(float(found[~where].mean()))
                count += found_share[-1] > 0.9
            cells.append(f"{np.mean(found_share):.3f} / {np.mean(rest):.4f}")
            counts.append(f"{count}/{pages}")
        print(f"| {kind} | {cells[0]} | {cells[1]} | {', '.join(counts)} |")


def spread(small: np.ndarray, mask: np.ndarray, paper: float, smooth: float) -> float:
    """What the continuous-tone test measures over ``mask`` of the shrunk page ``small``."""
    levels = (cv2.GaussianBlur(small, (0, 0), smooth) if smooth else small)[mask]
    tones = without_writing(levels, float(np.median(levels)), paper)
    return float(np.percentile(tones, 90) - np.percentile(tones, 10)) / paper


def halftones(cleaners: dict[str, Denoiser], pages: int) -> None:
    """Part 2: halftone tints behind text are not pictures."""
    rows: dict[str, dict[str, list[float]]] = {}
    for seed in range(pages):
        noisy, clean, masks = halftone_form(seed)
        page = network_page(noisy)
        paper = page_paper(page)
        small = shrunk(page)
        found = picture_areas(page, paper)
        scanned = ~binarize(np.clip(page / paper, 0, 1))  # a tint kept as scanned, binarized
        outs = {name: ~binarize(den.clean(noisy)) for name, den in cleaners.items()}
        near_text = cv2.dilate(masks["text"].astype(np.uint8), np.ones((7, 7), np.uint8)).astype(bool)
        for key in (k for k in masks if k.startswith("box")):
            tint = masks[key] & ~near_text
            inner = cv2.resize(masks[key].astype(np.uint8), small.shape[::-1], interpolation=cv2.INTER_NEAREST)
            inner = cv2.erode(inner, np.ones((5, 5), np.uint8)).astype(bool)
            figures = {"found as a picture": 0.0 if found is None else float(found[masks[key]].mean()),
                       "tint black with --binarize, the scan itself": float(scanned[tint].mean()),
                       "tint black with --binarize, --no-keep-pictures": float(outs["--no-keep-pictures"][tint].mean()),
                       "tint black with --binarize, default": float(outs["default"][tint].mean()),
                       "spread, not smoothed": spread(small, inner, paper, 0),
                       f"spread, smoothed ({SMOOTH} px)": spread(small, inner, paper, SMOOTH)}
            for label, value in figures.items():
                rows.setdefault(label, {}).setdefault(key, []).append(value)
    keys = list(next(iter(rows.values())))
    print(f"\nhalftone tints behind text, {pages} forms (bench/shading.py's, dots 3 px apart); mean over the forms; "
          f"spread: the continuous-tone test's 10th-90th percentile, share of the paper's grey (limit {CONTINUOUS})\n")
    print("| figure | " + " | ".join(keys) + " |")
    print("|---|" + "---|" * len(keys))
    for label, values in rows.items():
        print(f"| {label} | " + " | ".join(f"{np.mean(values[k]):.3f}" for k in keys) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=4)
    args = parser.parse_args()
    faces = load_faces(SHARED / "olivetti").images
    cleaners = {"--no-keep-pictures": Denoiser.load("default", keep_pictures=False),
                "default": Denoiser.load("default")}
    rows: dict[str, dict[str, list[float]]] = {}
    picture: list[np.ndarray] = []
    spreads: list[float] = []
    for seed in range(args.pages):
        noisy, clean, where = photo_page(seed, faces)
        text = (clean < 0.5) & ~cv2.dilate(where.astype(np.uint8), np.ones((9, 9), np.uint8)).astype(bool)
        page = network_page(noisy)
        paper = page_paper(page)
        found = picture_areas(page, paper)
        found = np.zeros(page.shape, bool) if found is None else found
        any_shape = _without_rectangle_test(page, paper)
        small = shrunk(page)
        inner = cv2.erode(cv2.resize(where.astype(np.uint8), small.shape[::-1], interpolation=cv2.INTER_NEAREST),
                          np.ones((5, 5), np.uint8)).astype(bool)
        for top, left, side in PHOTOS:  # each photograph's continuous-tone spread
            one = np.zeros_like(inner)
            one[top // 2:(top + side) // 2, left // 2:(left + side) // 2] = True
            spreads.append(spread(small, one & inner, paper, SMOOTH))
        for name, den in cleaners.items():
            out = den.clean(noisy)
            kept = found if name == "default" else np.zeros_like(found)
            loose = any_shape if name == "default" else np.zeros_like(found)
            figures = {"photographs kept as scanned (found)": float(kept[where].mean()),
                       "rest of the page kept as scanned (a stain kept with them)": float(kept[~where].mean()),
                       "the same without the rectangle test": float(loose[~where].mean()),
                       "photographs: mean difference from the printed ones": float(np.abs(out - clean)[where].mean()),
                       "text kept": float((out[text] < 0.5).mean())}
            for label, value in figures.items():
                rows.setdefault(label, {}).setdefault(name, []).append(value)
            if seed == 0:
                picture.append(out[100:620, 100:1000])
        if seed == 0:
            picture.insert(0, noisy[100:620, 100:1000])
    print(f"model default; {args.pages} synthetic pages (seeds 0..{args.pages - 1}), 300 dpi, three photographs "
          "each; mean over the pages\n")
    print("| figure | --no-keep-pictures | default |")
    print("|---|---|---|")
    for label, values in rows.items():
        print(f"| {label} | {np.mean(values['--no-keep-pictures']):.3f} | {np.mean(values['default']):.3f} |")
    print(f"\nthe photographs' continuous-tone spread (smoothed {SMOOTH} px): {min(spreads):.2f}-{max(spreads):.2f} "
          f"(limit {CONTINUOUS})")
    halftones(cleaners, args.pages)
    light_photos(args.pages)
    strip = np.hstack([np.pad(p, ((0, 0), (0, 8)), constant_values=1) for p in picture])
    strip = cv2.resize(strip, (strip.shape[1] // 2, strip.shape[0] // 2), interpolation=cv2.INTER_AREA)
    out_path = ROOT / "bench/results/pictures.png"
    cv2.imwrite(str(out_path), (strip * 255).round().astype(np.uint8), [cv2.IMWRITE_PNG_COMPRESSION, 9])
    print(f"\npicture: {out_path.relative_to(ROOT)} (the page, --no-keep-pictures, the default)\n")
    found_on_sets("pages with a picture (share of the page)", picture_areas, lambda mask: f"{mask.mean():.1%}")


def _without_rectangle_test(page: np.ndarray, paper: float) -> np.ndarray:
    """The pictures found with no rectangle test (what that test keeps out)."""
    saved, pictures_module.RECTANGLE = pictures_module.RECTANGLE, 0.0
    try:
        found = picture_areas(page, paper)
    finally:
        pictures_module.RECTANGLE = saved
    return np.zeros(page.shape, bool) if found is None else found


if __name__ == "__main__":
    main()
