"""OCR word F1 of a few real scans cleaned by an earlier revision of docclean and by this checkout,
each page as ``bench/quality_real.py`` reads it (Tesseract 5, ``--psm 3 -l eng``; funsd pages
upscaled 2x; the cleaned grey page and ``--binarize``). For one change's effect on the pages it
touches (2026-12-05: the surround's light writing on funsd 71366499, the band put back on
0001239897; the real scans are validation only).

    python bench/experiments/ocr_between.py REV funsd-train/71366499 funsd-train/0001239897

REV is any git revision (the earlier code runs from a temporary worktree of it).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import cv2

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from bench.quality_real import REAL, ocr, word_f1  # noqa: E402

#: Run inside a revision's tree: clean each page (default settings), upscale funsd 2x, and write
#: the cleaned page and its --binarize as 8-bit PNGs.
CHILD = """
import json, sys
import cv2, numpy as np
from docclean.engine import Denoiser
from docclean.io import read_gray
from docclean.postprocess import binarize
from bench.quality_real import to_u8
den = Denoiser.load()
for src, scale, grey, binary in json.loads(sys.argv[1]):
    page = read_gray(src)
    out = den.clean(page)
    if scale != 1:
        out = cv2.resize(out, (page.shape[1] * scale, page.shape[0] * scale), interpolation=cv2.INTER_CUBIC).clip(0, 1)
    cv2.imwrite(grey, to_u8(out))
    cv2.imwrite(binary, binarize(out).astype(np.uint8) * 255)
"""


def page_path(name: str) -> tuple[Path, Path, int]:
    """``dataset/stem`` -> the image, its ground-truth text and the upscale quality_real uses."""
    dataset, stem = name.split("/")
    image = next((REAL / dataset / "images").glob(stem + ".*"))
    return image, REAL / dataset / "text" / (stem + ".txt"), 2 if dataset.startswith("funsd") else 1


def scores(tree: Path, pages: list[str], tmp: Path, tag: str) -> dict[str, tuple[float, float]]:
    """Word F1 (cleaned, --binarize) per page, cleaned by the docclean in ``tree``."""
    jobs, truths = [], {}
    for name in pages:
        image, text, scale = page_path(name)
        stem = f"{tag}-{name.replace('/', '-')}"
        jobs.append((str(image), scale, str(tmp / f"{stem}-grey.png"), str(tmp / f"{stem}-bin.png")))
        truths[name] = text.read_text(errors="replace")
    env = {**os.environ, "PYTHONPATH": str(tree)}
    subprocess.run([sys.executable, "-c", CHILD, json.dumps(jobs)], cwd=tree, env=env, check=True)
    return {name: tuple(100 * word_f1(ocr(cv2.imread(path, cv2.IMREAD_GRAYSCALE)), truths[name])
                        for path in job[2:])
            for name, job in zip(pages, jobs)}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("rev", help="the earlier revision")
    p.add_argument("pages", nargs="+", help="dataset/stem, e.g. funsd-train/71366499")
    a = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        old = Path(tmp) / "tree"
        subprocess.run(["git", "worktree", "add", "-q", "--detach", str(old), a.rev], cwd=ROOT, check=True)
        try:
            before = scores(old, a.pages, Path(tmp), "before")
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(old)], cwd=ROOT, check=True)
        after = scores(ROOT, a.pages, Path(tmp), "after")
    print(f"| page | cleaned at {a.rev} | cleaned now | --binarize at {a.rev} | --binarize now |")
    print("|---|---|---|---|---|")
    for name in a.pages:
        (c0, b0), (c1, b1) = before[name], after[name]
        print(f"| {name} | {c0:.2f} | {c1:.2f} | {b0:.2f} | {b1:.2f} |")


if __name__ == "__main__":
    main()
