"""Where the coloured-marks step (``docclean.colormarks``, on by default) finds marks on the shared real
scans (validation only) and what it changes there: on each colour page of dibco-extra and
sroie-train, the pixels it finds and the time it takes; on the pages where it finds any, the
page's figures cleaned without and with it (dibco: ``--binarize`` F-measure, PSNR, ink kept and
strokes lost; receipts: OCR word F1 of the cleaned and the ``--binarize`` page), and each set's
mean both ways. Grey pages (funsd-train, Dirty Documents, the samples) have no colour to look at.
Last, the step's time on a 300-dpi A4 colour page of lines of text, without and with a red ring.

    python bench/experiments/color_marks.py
"""

from __future__ import annotations

import sys
import time
from multiprocessing import Pool
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from bench.quality_real import REAL, ocr, to_u8, word_f1  # noqa: E402
from docclean.colormarks import colored_marks, keep_colored_marks  # noqa: E402
from docclean.engine import Denoiser  # noqa: E402
from docclean.io import read_pages  # noqa: E402
from docclean.metrics import binary_scores, strokes_lost, strokes_lost_share  # noqa: E402
from docclean.postprocess import binarize  # noqa: E402
from docclean.solids import page_paper  # noqa: E402


def _f1(job: tuple[np.ndarray, str]) -> float:
    return word_f1(ocr(job[0]), job[1])


def a4_times() -> None:
    """The step's time (best of 3) on a 300-dpi A4 colour page of text on yellowish paper, without
    and with a red ring stamp."""
    rng = np.random.default_rng(0)
    h, w = 3508, 2480
    gray = np.full((h, w), 0.9, np.float32)
    for y in range(200, h - 200, 50):
        gray[y:y + 25, 200:w - 200] = np.where(rng.random((25, w - 400)) < 0.3, 0.05, 0.9)
    plain = np.repeat((gray[..., None] * 255).astype(np.uint8), 3, axis=2)
    plain[..., 2] = np.clip(plain[..., 2].astype(np.int16) - 20, 0, 255)  # a yellowish cast
    ring = np.zeros((h, w), np.uint8)
    cv2.circle(ring, (1200, 1500), 300, 1, 14)
    stamped, stamped_gray = plain.copy(), gray.copy()
    stamped[ring > 0], stamped_gray[ring > 0] = (200, 40, 50), 0.4
    for label, rgb, g in (("without marks", plain, gray), ("with a red ring", stamped, stamped_gray)):
        times = []
        for _ in range(3):
            start = time.perf_counter()
            keep_colored_marks(g, g, rgb)
            times.append(time.perf_counter() - start)
        print(f"300-dpi A4 colour page {label}: {1000 * min(times):.0f} ms")


def main() -> None:
    den = Denoiser.load()
    for dataset, folder in (("dibco-extra", REAL / "dibco-extra/noisy"), ("sroie-train", REAL / "sroie-train/images")):
        pages, found, seconds, changed = 0, [], [], []
        for path in sorted(folder.iterdir()):
            page = next(iter(read_pages(path)))
            if page.color is None:
                continue
            pages += 1
            start = time.perf_counter()
            marks = colored_marks(page.color, page.gray, page_paper(page.gray))
            seconds.append(time.perf_counter() - start)
            if marks is not None:
                found.append(f"{path.name} ({int(marks.sum())} px)")
                cleaned = den.clean(page.gray)
                changed.append((path, cleaned, keep_colored_marks(page.gray, cleaned, page.color)))
        print(f"\n{dataset}: {pages} colour pages; marks on {len(found)}: {', '.join(found) or 'none'}; "
              f"{1000 * np.mean(seconds):.0f} ms a page (mean)")
        if dataset == "dibco-extra":
            print("\n| page | F without / with | PSNR without / with | ink kept without / with | strokes lost |")
            print("|---|---|---|---|---|")
            moved = [0.0, 0.0]
            for path, before, after in changed:
                truth = next(iter(read_pages(REAL / "dibco-extra/clean" / path.name))).gray < 0.5
                a, b = (binary_scores(~binarize(x), truth) for x in (before, after))
                lost = [strokes_lost_share([strokes_lost(~binarize(x), truth)])[0] for x in (before, after)]
                print(f"| {path.name} | {a[0]:.2f} / {b[0]:.2f} | {a[1]:.2f} / {b[1]:.2f} | {a[3]:.3f} / {b[3]:.3f} "
                      f"| {lost[0]:.2%} / {lost[1]:.2%} |")
                moved = [moved[0] + b[0] - a[0], moved[1] + b[1] - a[1]]
            n = len(list(folder.iterdir()))
            print(f"set mean: F moves by {moved[0] / n:+.3f}, PSNR by {moved[1] / n:+.3f} dB over {n} pages")
        else:
            jobs = []
            for path, before, after in changed:
                truth = (REAL / "sroie-train/text" / (path.stem + ".txt")).read_text(errors="replace")
                jobs += [(to_u8(x), truth) for x in (before, after)]
                jobs += [(binarize(x).astype(np.uint8) * 255, truth) for x in (before, after)]
            with Pool(2) as pool:
                f1 = pool.map(_f1, jobs)
            print("\n| receipt | cleaned without / with | --binarize without / with |")
            print("|---|---|---|")
            for i, (path, _, _) in enumerate(changed):
                c0, c1, b0, b1 = f1[4 * i:4 * i + 4]
                print(f"| {path.name} | {100 * c0:.2f} / {100 * c1:.2f} | {100 * b0:.2f} / {100 * b1:.2f} |")
            n = len(list(folder.iterdir()))  # the set's mean moves by the changed pages' sum over them
            for label, k in (("cleaned", 0), ("--binarize", 2)):
                delta = sum(f1[4 * i + k + 1] - f1[4 * i + k] for i in range(len(changed))) * 100 / n
                print(f"set mean {label}: moves by {delta:+.2f} F1 points over {n} receipts")
    print()
    a4_times()


if __name__ == "__main__":
    main()
