"""Pictures (``docclean.pictures``): does the engine keep a photograph printed on a page as the scan
has it, instead of turning it into a line drawing, and leave the rest of the page alone?

1. Synthetic 300-dpi pages (``photo_page``, seeds 0..N-1): text with three photographs (Olivetti
   faces, enlarged, with film grain) on lightly degraded paper (shading, a coffee stain, texture,
   blur, noise). Cleaned with ``--no-keep-pictures`` and by default: the share of the photographs
   kept as scanned, how far the cleaned photographs are from the printed ones (mean absolute
   difference, the scan's paper taken as white), the share of the rest of the page kept as scanned
   (a stain kept with a photograph would show here), and the text kept (its pixels darker than 0.5).
2. The pages of each set on which ``picture_areas`` finds anything (real scans counted for
   validation, never tuned on).
3. A picture: bench/results/pictures.png (a photograph and the text beside it, at half size: the
   page, ``--no-keep-pictures``, the default).

    python bench/pictures.py [--pages 4]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.experiments.scoring import every_page_set  # noqa: E402
from docclean.engine import Denoiser  # noqa: E402
from docclean.io import read_gray  # noqa: E402
from docclean.levels import network_page  # noqa: E402
from docclean.pictures import picture_areas  # noqa: E402
from docclean.solids import page_paper  # noqa: E402
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=4)
    args = parser.parse_args()
    faces = load_faces(SHARED / "olivetti").images
    cleaners = {"--no-keep-pictures": Denoiser.load("default", keep_pictures=False),
                "default": Denoiser.load("default")}
    rows: dict[str, dict[str, list[float]]] = {}
    picture: list[np.ndarray] = []
    for seed in range(args.pages):
        noisy, clean, where = photo_page(seed, faces)
        text = (clean < 0.5) & ~cv2.dilate(where.astype(np.uint8), np.ones((9, 9), np.uint8)).astype(bool)
        page = network_page(noisy)
        found = picture_areas(page, page_paper(page))
        found = np.zeros(page.shape, bool) if found is None else found
        for name, den in cleaners.items():
            out = den.clean(noisy)
            kept = found if name == "default" else np.zeros_like(found)
            figures = {"photographs kept as scanned (found)": float(kept[where].mean()),
                       "rest of the page kept as scanned (a stain kept with them)": float(kept[~where].mean()),
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
    strip = np.hstack([np.pad(p, ((0, 0), (0, 8)), constant_values=1) for p in picture])
    strip = cv2.resize(strip, (strip.shape[1] // 2, strip.shape[0] // 2), interpolation=cv2.INTER_AREA)
    out_path = ROOT / "bench/results/pictures.png"
    cv2.imwrite(str(out_path), (strip * 255).round().astype(np.uint8), [cv2.IMWRITE_PNG_COMPRESSION, 9])
    print(f"\npicture: {out_path.relative_to(ROOT)} (the page, --no-keep-pictures, the default)\n")
    with tempfile.TemporaryDirectory() as tmp:
        print("| pages | count | pages with a picture (share of the page) |")
        print("|---|---|---|")
        for title, files in every_page_set(Path(tmp)).items():
            found = []
            for f in files:
                page = network_page(read_gray(f))
                mask = picture_areas(page, page_paper(page))
                if mask is not None:
                    found.append(f"{f.name} ({mask.mean():.1%})")
            print(f"| {title} | {len(files)} | {len(found)}{': ' + ', '.join(found) if found else ''} |", flush=True)


if __name__ == "__main__":
    main()
