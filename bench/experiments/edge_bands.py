"""Thin dark bands along the scan's edge (``docclean.edgebands``): what clearing them changes.

For every page of the real scans (validation only: counted and scored, never tuned on) and of
Dirty Documents, whether the band search finds a band; then, on the real pages where
it does, the default engine with the band step against the same engine without it (the search
patched to find none), as ``bench/quality_real.py`` scores them: dibco-extra ``--binarize``
F-measure, PSNR and strokes lost against the ground truth; funsd-train (upscaled 2x) and
sroie-train OCR word F1 of the cleaned and the ``--binarize`` page (Tesseract 5). Also: synthetic
pages with a thin band added along one side (``docclean.synth.damage.scanner_border`` made
thinner than a seed square), the share of the band left darker than 0.9 with and without.

    python bench/experiments/edge_bands.py [--out bench/results/edge_bands.md]
"""

from __future__ import annotations

import argparse
import sys
import time
from multiprocessing import Pool
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
import docclean.surround as surround  # noqa: E402
from bench.quality_real import DIRTY, REAL, _ocr_job, to_u8  # noqa: E402
from docclean.edgebands import edge_bands  # noqa: E402
from docclean.engine import Denoiser  # noqa: E402
from docclean.io import read_gray  # noqa: E402
from docclean.metrics import binary_scores, strokes_lost, strokes_lost_share  # noqa: E402
from docclean.postprocess import binarize  # noqa: E402
from docclean.solids import page_paper, shrunk  # noqa: E402


def has_band(page: np.ndarray) -> bool:
    """Whether the band search finds a band on ``page``, as ``find_surround`` runs it."""
    paper = page_paper(page)
    return edge_bands(shrunk(page), paper, surround.LID, surround.EDGE,
                      lambda v: surround._even(v, float(np.median(v)), paper)) is not None


def cleaned_both(den: Denoiser, page: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``page`` cleaned with the band step and without it."""
    with_bands = den.clean(page)
    real = surround.edge_bands
    surround.edge_bands = lambda *a, **k: None
    try:
        without = den.clean(page)
    finally:
        surround.edge_bands = real
    return with_bands, without


def census() -> tuple[list[str], dict[str, list[Path]]]:
    sets = {"dibco-extra": sorted((REAL / "dibco-extra/noisy").iterdir()),
            "funsd-train": sorted((REAL / "funsd-train/images").iterdir()),
            "sroie-train": sorted((REAL / "sroie-train/images").iterdir()),
            "dirty-documents": sorted((DIRTY / "train").iterdir())}
    lines, hits = ["| pages | count | with a band |", "|---|---|---|"], {}
    for name, files in sets.items():
        hits[name] = [f for f in files if has_band(read_gray(f))]
        lines.append(f"| {name} | {len(files)} | {len(hits[name])} |")
    return lines, hits


def dibco_rows(den: Denoiser, files: list[Path]) -> list[str]:
    rows: dict[str, list] = {"with the band step": [], "without": []}
    for f in files:
        gt = read_gray(REAL / "dibco-extra/clean" / f.name) < 0.5
        for key, cleaned in zip(rows, cleaned_both(den, read_gray(f))):
            ink = ~binarize(cleaned)
            fm, psnr, _, recall = binary_scores(ink, gt)
            rows[key].append((fm, psnr, recall, *strokes_lost(ink, gt)))
    lines = [f"dibco-extra, the {len(files)} pages with a band, `--binarize`", "",
             "| engine | F-measure | PSNR dB | ink kept min | strokes lost | worst page |", "|---|---|---|---|---|---|"]
    for key, vals in rows.items():
        v = np.array(vals)
        lost, worst = strokes_lost_share(v[:, 3:5])
        lines.append(f"| {key} | {v[:, 0].mean():.2f} | {v[:, 1].mean():.2f} | {v[:, 2].min():.3f} "
                     f"| {lost:.2%} | {worst:.1%} |")
    return lines


def ocr_rows(den: Denoiser, dataset: str, files: list[Path], upscale: float, procs: int) -> list[str]:
    import cv2

    jobs = []
    for f in files:
        truth = (REAL / dataset / "text" / (f.stem + ".txt")).read_text(errors="replace")
        raw = read_gray(f)
        for key, cleaned in zip(("with the band step", "without"), cleaned_both(den, raw)):
            if upscale != 1:
                size = (round(raw.shape[1] * upscale), round(raw.shape[0] * upscale))
                cleaned = cv2.resize(cleaned, size, interpolation=cv2.INTER_CUBIC).clip(0, 1)
            jobs += [(dataset, f"{key}, cleaned", to_u8(cleaned), truth),
                     (dataset, f"{key}, --binarize", binarize(cleaned).astype(np.uint8) * 255, truth)]
    with Pool(procs) as pool:
        results = pool.map(_ocr_job, jobs, chunksize=2)
    scores: dict[str, list[float]] = {}
    for _, method, f1 in results:
        scores.setdefault(method, []).append(f1)
    return [f"| {dataset} ({len(files)} pages) | {m} | {np.mean(v) * 100:.2f} |" for m, v in scores.items()]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--procs", type=int, default=2)
    p.add_argument("--out", type=Path, default=ROOT / "bench/results/edge_bands.md")
    a = p.parse_args()
    t0 = time.perf_counter()
    den = Denoiser.load(None)
    lines, hits = census()
    lines += ["", *dibco_rows(den, hits["dibco-extra"]), "",
              "OCR word F1 (Tesseract 5, --psm 3 -l eng; funsd upscaled 2x), the pages with a band", "",
              "| pages | engine, page | word F1 |", "|---|---|---|",
              *ocr_rows(den, "funsd-train", hits["funsd-train"], 2.0, a.procs),
              *ocr_rows(den, "sroie-train", hits["sroie-train"], 1.0, a.procs),
              "", f"({time.perf_counter() - t0:.0f} s)"]
    text = "\n".join(lines) + "\n"
    print(text)
    a.out.write_text(f"`python bench/experiments/edge_bands.py`, {time.strftime('%Y-%m-%d')}:\n\n" + text)


if __name__ == "__main__":
    main()
