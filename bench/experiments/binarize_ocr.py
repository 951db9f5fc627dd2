"""Experiment (not shipped): can the choice of cut bring ``--binarize`` up to the grey page for OCR?
Tesseract reads funsd-train and sroie-train (validation only) as 1-bit pages made from the cleaned
page with the shipped adaptive rule and with variants of it: Sauvola's ``k`` in the rule lowered
from 0.2 to 0.1, 0.05 and 0 (a lower k cuts less of each stroke's grey edge away, so strokes come
out bolder), and the global cut alone (no local test). The historical pages of real-scans/dibco-extra
are scored with the same variants, so what a variant gains in OCR can be weighed against what it
costs in the binarization scores. OCR as in bench/quality_real.py (funsd upscaled 2x first).

A second test, run alongside, fills the small light holes the model leaves inside thick strokes of
faded thermal print (light 4-connected regions of at most ``a`` pixels, shut in by ink, filled from
their darkest neighbour), on the grey cleaned page and on the 1-bit one: ``--holes``.

    python bench/experiments/binarize_ocr.py [--holes]
"""

from __future__ import annotations

import argparse
import sys
from multiprocessing import Pool
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from bench.quality_real import REAL, ocr, to_u8, word_f1  # noqa: E402
from docclean import postprocess as pp  # noqa: E402
from docclean.engine import Denoiser  # noqa: E402
from docclean.io import read_gray  # noqa: E402
from docclean.metrics import binary_scores, strokes_lost, strokes_lost_share  # noqa: E402

#: Largest hole filled, in pixels of the page as scanned (``--holes``; 0: none).
AREAS = (0, 2, 4, 8)


def inks(c: np.ndarray) -> dict[str, np.ndarray]:
    """The ink masks of the cut variants on a cleaned page ``c``."""
    g = np.float32(pp.global_cut(c))
    dark = c < np.float32(pp.INK_LEVEL)
    darkest = cv2.erode(c, np.ones((pp.SAUVOLA_WINDOW,) * 2, np.uint8), borderType=cv2.BORDER_REPLICATE)
    extra = dark & (c <= darkest + np.float32(pp.DARKER_NEARBY))
    out = {}
    for k in (0.2, 0.1, 0.05, 0.0):
        out[f"sauvola k {k}" + (" (shipped)" if k == pp.SAUVOLA_K else "")] = (
            c < np.minimum(pp.sauvola_threshold(c, k=k), g)) | extra
    out["global cut only"] = c < g
    return out


def holes(light: np.ndarray, area: int) -> np.ndarray:
    """Light 4-connected regions of at most ``area`` pixels that do not touch the page's edge."""
    _, lab, st, _ = cv2.connectedComponentsWithStats(light.astype(np.uint8), connectivity=4)
    x, y, w, h = st[:, 0], st[:, 1], st[:, 2], st[:, 3]
    edge = (x == 0) | (y == 0) | (x + w == light.shape[1]) | (y + h == light.shape[0])
    small = (st[:, cv2.CC_STAT_AREA] <= area) & ~edge
    small[0] = False
    return small[lab]


def hole_variants(c: np.ndarray, scale: int) -> dict[str, np.ndarray]:
    """Grey and 1-bit pages (uint8) of a cleaned page with holes of each :data:`AREAS` filled."""
    b = pp.binarize(c)
    lo = cv2.erode(c, np.ones((5, 5), np.uint8))
    out = {}
    for a in AREAS:
        grey = c.copy()
        if a:
            m = holes(c > 0.5, a * scale)
            grey[m] = lo[m]
        out[f"grey, holes <= {a} px"] = to_u8(grey)
        out[f"1-bit, holes <= {a} px"] = (b & ~holes(b, a * scale) if a else b).astype(np.uint8) * 255
    return out


def _job(job: tuple) -> tuple:
    key, img, truth = job
    return key, word_f1(ocr(img), truth)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--holes", action="store_true", help="the hole-filling test instead of the cut variants")
    a = p.parse_args()
    den = Denoiser.load()
    rows: dict[str, list] = {}
    for page in sorted((REAL / "dibco-extra/noisy").iterdir()):
        gt = read_gray(REAL / "dibco-extra/clean" / page.name) < 0.5
        c = den.clean(read_gray(page))
        if a.holes:
            b = pp.binarize(c)
            masks = {f"1-bit, holes <= {n} px": ~(b & ~holes(b, n)) if n else ~b for n in AREAS}
        else:
            masks = inks(c)
        for k, ink in masks.items():
            f, psnr, _, rec = binary_scores(ink, gt)
            rows.setdefault(k, []).append((f, psnr, rec, *strokes_lost(ink, gt)))
    print("dibco-extra (86 pages)\n\n| variant | F-measure | PSNR dB | ink kept median | pages < 80% | strokes lost |"
          "\n|---|---|---|---|---|---|")
    for k, v in rows.items():
        r = np.array(v)
        lost, _ = strokes_lost_share(r[:, 3:5])
        print(f"| {k} | {r[:, 0].mean():.2f} | {r[:, 1].mean():.2f} | {np.median(r[:, 2]):.3f} | "
              f"{int((r[:, 2] < 0.8).sum())} | {lost:.2%} |", flush=True)
    jobs = []
    for ds, up in (("funsd-train", 2), ("sroie-train", 1)):
        for page in sorted((REAL / ds / "images").iterdir()):
            truth = (REAL / ds / "text" / (page.stem + ".txt")).read_text(errors="replace")
            c = den.clean(read_gray(page))
            if up != 1:
                c = cv2.resize(c, None, fx=up, fy=up, interpolation=cv2.INTER_CUBIC).clip(0, 1)
            pages = (hole_variants(c, up * up) if a.holes
                     else {k: np.where(ink, 0, 255).astype(np.uint8) for k, ink in inks(c).items()})
            jobs += [((ds, k), img, truth) for k, img in pages.items()]
    with Pool(2) as pool:
        res = pool.map(_job, jobs, chunksize=4)
    f1: dict[str, dict[str, list]] = {}
    for (ds, k), f in res:
        f1.setdefault(k, {}).setdefault(ds, []).append(f)
    print("\nOCR word F1 (Tesseract 5, --psm 3 -l eng; funsd upscaled 2x)\n\n| variant | funsd-train | sroie-train |"
          "\n|---|---|---|")
    for k, by in f1.items():
        print(f"| {k} | {100 * np.mean(by['funsd-train']):.2f} | {100 * np.mean(by['sroie-train']):.2f} |")


if __name__ == "__main__":
    main()
