"""Quality on real scans (validation only: never trained or tuned on): binarization of historical
pages, OCR word F1 on forms and receipts, and held-out Dirty Documents RMSE, for a docclean model
beside raw-page baselines measured in the same run.

* dibco-extra (86 pages, ground truth ink 0 / paper 255): F-measure and PSNR of the binarized page
  (docclean ``binarize(clean(page))``, raw-page Sauvola and Otsu); ink kept, the share of
  ground-truth ink pixels that stay dark (< 0.5) on the cleaned grey page and on the binarized page:
  median, minimum, pages under 50% and under 80%. Strokes lost: of the ground truth's strokes
  (8-connected ink regions of at least 10 pixels), the share of which less than half lies within
  one pixel of the output's ink (``docclean.metrics.strokes_lost``): a whole letter or line gone,
  not one drawn thinner. Over all pages, and on the worst page. ``--remove-show-through`` is scored
  at its layer gap and at 0.2 and 0.4 beside it.
* OCR (Tesseract 5, ``--psm 3 -l eng``): word F1 over the multiset of words (lower-cased,
  punctuation stripped at both ends) against the ground-truth text, for the raw page, the cleaned
  page, the binarized cleaned page and, as the 1-bit baselines, the raw page binarized by Otsu and
  by Sauvola; funsd-train (about 100 dpi: every variant is upscaled 2x
  before OCR, the binarized one is binarized after the upscale) and sroie-train (receipts).
* Dirty Documents: pooled RMSE on the model's recorded held-out texts (``val_pages``).

"Cleaned" is the page as ``docclean clean`` writes it in grey, by the same call
(``docclean.onepage.clean_page`` with the default settings): the model, a negative cleaned as its
positive, and on a colour scan its coloured marks kept (``docclean.colormarks``; since 2026-12-07,
when it changed the set means by less than 0.01 F-measure and 0.05 OCR F1:
``bench/experiments/color_marks.py``).

    python bench/quality_real.py [--model PATH] [--limit N] [--procs 2] [--no-ocr]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from multiprocessing import Pool
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from docclean.engine import Denoiser  # noqa: E402
from docclean.io import read_gray, read_pages  # noqa: E402
from docclean.metrics import (  # noqa: E402
    binary_scores,
    pooled_rmse,
    strokes_lost,
    strokes_lost_share,
)
from docclean.onepage import clean_page  # noqa: E402
from docclean.postprocess import (  # noqa: E402
    LAYER_GAP,
    adaptive_ink,
    binarize,
    drop_light_layer,
    sauvola_threshold,
)
from docclean.settings import CleanSettings  # noqa: E402

REAL = ROOT.parent / "shared/data/real-scans"
DIRTY = ROOT.parent / "shared/data/dirty-documents"
PUNCT = "\"'`.,;:!?()[]{}<>*#|-_/\\~^"


def words(text: str) -> Counter:
    """Multiset of lower-cased words with punctuation stripped at both ends."""
    out = (w.strip(PUNCT).lower() for w in text.split())
    return Counter(w for w in out if w)


def word_f1(pred: str, truth: str) -> float:
    p, t = words(pred), words(truth)
    hit = sum((p & t).values())
    if not p or not t:
        return 0.0 if (p or t) else 1.0
    prec, rec = hit / sum(p.values()), hit / sum(t.values())
    return 0.0 if hit == 0 else 2 * prec * rec / (prec + rec)


def ocr(img_u8: np.ndarray) -> str:
    """Tesseract 5 on a grey uint8 page (one process, one thread)."""
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "page.png")
        cv2.imwrite(path, img_u8)
        res = subprocess.run(["tesseract", path, "stdout", "--psm", "3", "-l", "eng"], capture_output=True,
                             text=True, env={**os.environ, "OMP_THREAD_LIMIT": "1"})
    return res.stdout


def _ocr_job(job: tuple[str, str, np.ndarray, str]) -> tuple[str, str, float]:
    dataset, method, img, truth = job
    return dataset, method, word_f1(ocr(img), truth)


def to_u8(page: np.ndarray) -> np.ndarray:
    return (np.clip(page, 0, 1) * 255 + 0.5).astype(np.uint8)


def otsu_ink(page: np.ndarray) -> np.ndarray:
    _, th = cv2.threshold(to_u8(page), 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    return th == 0


#: ``--remove-show-through`` at its layer gap and, to show how much the figure hangs on it, at two others.
GAPS = (LAYER_GAP, 0.2, 0.4)


def _drop_name(gap: float) -> str:
    return "docclean --binarize --remove-show-through" + ("" if gap == LAYER_GAP else f" (layer gap {gap})")


def read_and_clean(den: Denoiser, path: Path) -> tuple[np.ndarray, np.ndarray]:
    """(the scan's grey page, the page cleaned as ``docclean clean`` cleans it in grey)."""
    page = next(iter(read_pages(path)))
    return page.gray, clean_page(page, CleanSettings(), den).cleaned


def dibco(den: Denoiser, limit: int | None) -> tuple[dict[str, list], list[str]]:
    """Per-page (F-measure, PSNR, ink kept, strokes lost, strokes) per method on dibco-extra."""
    names = sorted(p.name for p in (REAL / "dibco-extra/noisy").iterdir())[:limit]
    rows: dict[str, list] = {"raw Sauvola": [], "raw Otsu": [], "docclean cleaned": [], "docclean --binarize": [],
                             "docclean --binarize --keep-faint": [], **{_drop_name(g): [] for g in GAPS}}
    for name in names:
        noisy, cleaned = read_and_clean(den, REAL / "dibco-extra/noisy" / name)
        gt = read_gray(REAL / "dibco-extra/clean" / name) < 0.5
        preds = {"raw Sauvola": noisy < sauvola_threshold(noisy), "raw Otsu": otsu_ink(noisy),
                 "docclean cleaned": cleaned < 0.5, "docclean --binarize": ~binarize(cleaned),
                 "docclean --binarize --keep-faint": ~binarize(cleaned, keep_faint=True)}
        seeds = adaptive_ink(cleaned)
        preds.update({_drop_name(g): drop_light_layer(cleaned, seeds, g) for g in GAPS})
        for method, ink in preds.items():
            f, psnr, _, recall = binary_scores(ink, gt)  # recall: the share of ground-truth ink kept
            rows[method].append((f, psnr, recall, *strokes_lost(ink, gt)))
    return rows, names


def ocr_jobs(den: Denoiser, dataset: str, limit: int | None, upscale: float) -> list:
    folder = REAL / dataset
    jobs = []
    for img in sorted((folder / "images").iterdir())[:limit]:
        truth = (folder / "text" / (img.stem + ".txt")).read_text(errors="replace")
        raw, cleaned = read_and_clean(den, img)
        if upscale != 1:
            size = (round(raw.shape[1] * upscale), round(raw.shape[0] * upscale))
            raw = cv2.resize(raw, size, interpolation=cv2.INTER_CUBIC).clip(0, 1)
            cleaned = cv2.resize(cleaned, size, interpolation=cv2.INTER_CUBIC).clip(0, 1)
        jobs += [(dataset, "raw page", to_u8(raw), truth), (dataset, "docclean cleaned", to_u8(cleaned), truth),
                 (dataset, "docclean --binarize", binarize(cleaned).astype(np.uint8) * 255, truth),
                 (dataset, "raw page, Otsu 1-bit", np.where(otsu_ink(raw), 0, 255).astype(np.uint8), truth),
                 (dataset, "raw page, Sauvola 1-bit", np.where(raw < sauvola_threshold(raw), 0, 255).astype(np.uint8),
                  truth)]
    return jobs


def dirty_rmse(den: Denoiser) -> tuple[float, float, int]:
    names = den.metadata.get("val_pages") or []
    pairs = [(read_gray(DIRTY / "train" / n), read_gray(DIRTY / "train_cleaned" / n)) for n in names]
    if not pairs:
        return float("nan"), float("nan"), 0
    return pooled_rmse([(den.clean(n), c) for n, c in pairs]), pooled_rmse(pairs), len(pairs)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", default=None, help="checkpoint path or built-in name (default: the shipped model)")
    p.add_argument("--limit", type=int, default=None, help="first N pages of each set (quick runs)")
    p.add_argument("--procs", type=int, default=2, help="Tesseract processes")
    p.add_argument("--no-ocr", action="store_true")
    p.add_argument("--no-dibco", action="store_true")
    p.add_argument("--out", type=Path, default=ROOT / "bench/results/quality_real.md")
    a = p.parse_args()
    t0 = time.perf_counter()
    den = Denoiser.load(a.model)
    lines = [f"model: {a.model or 'default (shipped)'}" + (f"; first {a.limit} pages per set" if a.limit else ""), ""]
    rows, names = dibco(den, a.limit) if not a.no_dibco else ({}, [])
    lines += [] if a.no_dibco else [f"dibco-extra, {len(names)} pages (ink kept: share of ground-truth ink darker "
                                    "than 0.5 / black)", "",
              "| method | F-measure | PSNR dB | ink kept median | ink kept min | pages < 50% | pages < 80% "
              "| strokes lost | strokes lost, worst page |",
              "|---|---|---|---|---|---|---|---|---|"]
    for method, vals in rows.items():
        v = np.array(vals)
        kept = v[:, 2]
        lost, worst = strokes_lost_share(v[:, 3:5])
        lines.append(f"| {method} | {v[:, 0].mean():.2f} | {v[:, 1].mean():.2f} | {np.median(kept):.3f} | "
                     f"{kept.min():.3f} | {(kept < 0.5).sum()} | {(kept < 0.8).sum()} | "
                     f"{lost:.2%} | {worst:.1%} |")
    if not a.no_ocr:
        jobs = ocr_jobs(den, "funsd-train", a.limit, 2.0) + ocr_jobs(den, "sroie-train", a.limit, 1.0)
        with Pool(a.procs) as pool:
            results = pool.map(_ocr_job, jobs, chunksize=2)
        scores: dict[tuple[str, str], list[float]] = {}
        for dataset, method, f1 in results:
            scores.setdefault((dataset, method), []).append(f1)
        lines += ["", "OCR word F1 (Tesseract 5, --psm 3 -l eng; funsd upscaled 2x)", "",
                  "| method | funsd-train | sroie-train |", "|---|---|---|"]
        for method in ("raw page", "docclean cleaned", "docclean --binarize", "raw page, Otsu 1-bit",
                       "raw page, Sauvola 1-bit"):
            f = [100 * np.mean(scores.get((d, method), [np.nan])) for d in ("funsd-train", "sroie-train")]
            n = [len(scores.get((d, method), [])) for d in ("funsd-train", "sroie-train")]
            lines.append(f"| {method} | {f[0]:.2f} ({n[0]} pages) | {f[1]:.2f} ({n[1]} pages) |")
    rmse, raw_rmse, n = dirty_rmse(den)
    lines += ["", f"Dirty Documents held-out texts ({n} pages): docclean RMSE {rmse:.4f} (noisy page {raw_rmse:.4f})",
              "", f"({time.perf_counter() - t0:.0f} s)"]
    text = "\n".join(lines)
    print(text)
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
