"""The scanner's dark surround: what the network leaves of it, and what ``--clear-surround`` (on by
default, ``docclean.surround``) does, on pages laid on a dark lid.

1. Pages on a dark lid (grey 0.05-0.3, a little grain): centred with a margin of a quarter of the
   page on every side, and pushed into a corner (lid on two sides). The synthetic pages of
   ``bench/binarize_synthetic.py`` (seed 3000, every stroke ink in the truth) and the first
   historical pages of real-scans/dibco-extra (validation only: counted, never tuned on). For
   ``--keep-surround`` and the default: the share of the lid left darker than 0.9 (grey) and
   than 0.5 (black) in the cleaned page, the share of the page's ink (its truth) that lies under
   the surround the default paints white, and the page's own part binarized and scored against its
   truth (``bench/experiments/scoring.py``), beside the page cleaned on its own.
2. A form on lids as they come: tilted, lit unevenly (0.1 and 0.25 brighter across), with the
   page's shadow along its edge, with 5 and 30 flecks of dust, and all at once: the share of the
   lid left grey, ``--keep-surround`` against the default.
3. How many pages as they are (no lid added) have any surround at all: the real scans, Dirty
   Documents and synthetic pages; on the synthetic ones, how much of the target's ink lies in it.
   For the real scans that have one, OCR word F1 (Tesseract, as ``bench/quality_real.py`` runs it)
   of the cleaned and binarized page, ``--keep-surround`` against the default.
4. A synthetic page with a thick printed black border run to the scan's edge: the border's mean
   grey, as given, ``--keep-surround`` and the default (it is taken for the surround).
5. A picture: bench/results/surround.png (a form on a dark lid, a corner at 100%: the scan,
   ``--keep-surround``, the default).

    python bench/surround.py [--n 56] [--dibco 86] [--out bench/results/surround.png]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.experiments.scoring import page_scores, page_sets, row, table_head  # noqa: E402
from docclean.engine import Denoiser  # noqa: E402
from docclean.io import read_gray  # noqa: E402
from docclean.levels import network_page  # noqa: E402
from docclean.postprocess import binarize  # noqa: E402
from docclean.surround import surround_areas  # noqa: E402

SHARED = ROOT.parent / "shared/data"
SUFFIXES = {".png", ".jpg", ".jpeg", ".tif", ".tiff"}
PLACES = ("centred", "in a corner")


def on_lid(page: np.ndarray, place: str, rng: np.random.Generator) -> tuple[np.ndarray, tuple[slice, slice]]:
    """``page`` on a dark lid a quarter of its size wider on each side (``centred``) or with the
    page in the top-left corner (lid to its right and below), and where the page lies."""
    h, w = page.shape
    my, mx = h // 4, w // 4
    frame = rng.uniform(0.05, 0.3) + rng.normal(0, 0.01, (h + 2 * my, w + 2 * mx))
    at = (my, mx) if place == "centred" else (0, 0)
    where = (slice(at[0], at[0] + h), slice(at[1], at[1] + w))
    frame[where] = page
    return np.clip(frame, 0, 1).astype(np.float32), where


def surround_of(page: np.ndarray) -> np.ndarray | None:
    """The surround the engine finds on ``page`` (levelled as the engine levels it)."""
    return surround_areas(network_page(page))


def on_lids(cleaners: dict[str, Denoiser], sets: dict[str, list[tuple[Path, Path]]]) -> None:
    print(table_head("placed", "setting", "lid left grey (< 0.9)", "lid left black (< 0.5)",
                     "page ink under the cleared surround"))
    for title, pairs in sets.items():
        alone = []
        rows: dict[tuple[str, str], list] = {}
        under = {place: [0, 0] for place in PLACES}  # target ink pixels the surround covers, of all
        for i, (noisy_path, clean_path) in enumerate(pairs):
            noisy, truth = read_gray(noisy_path), read_gray(clean_path) < 0.5
            alone.append(page_scores(~binarize(cleaners["default"].clean(noisy)), truth))
            for place in PLACES:
                frame, where = on_lid(noisy, place, np.random.default_rng(i))
                lid = np.ones(frame.shape, bool)
                lid[where] = False
                mask = surround_of(frame)
                under[place][0] += int((mask[where] & truth).sum()) if mask is not None else 0
                under[place][1] += int(truth.sum())
                for name, den in cleaners.items():
                    out = den.clean(frame)
                    scores = page_scores(~binarize(out)[where], truth)
                    left = ((out[lid] < 0.9).mean(), (out[lid] < 0.5).mean())
                    rows.setdefault((place, name), []).append((*scores, *left))
        print(f"| {title} | alone (no lid) | default | - | - | - | {row(alone)}")
        for (place, name), vals in rows.items():
            v = np.array(vals)
            ink = f"{under[place][0] / under[place][1]:.3%}" if name == "default" else "-"
            print(f"| {title} | {place} | {name} | {v[:, 5].mean():.1%} | {v[:, 6].mean():.1%} | {ink} | "
                  f"{row(list(v[:, :5]))}", flush=True)


def lid_scene(page: np.ndarray, angle: float = 0.0, falloff: float = 0.0, shadow: int = 0, dust: int = 0,
              lid: float = 0.12) -> tuple[np.ndarray, np.ndarray]:
    """``page`` on a lid (margin a quarter of it) that is tilted by ``angle`` degrees, brighter by
    ``falloff`` from left to right, darkened by the page's shadow ``shadow`` pixels wide along its
    edge and flecked with ``dust`` specks; and where the lid is (not the page)."""
    rng = np.random.default_rng(0)
    h, w = page.shape
    H, W = h + h // 2, w + w // 2
    frame = lid + np.linspace(0, falloff, W, dtype=np.float32)[None, :] + rng.normal(0, 0.01, (H, W)).astype(np.float32)
    canvas, inside = np.zeros((H, W), np.float32), np.zeros((H, W), np.float32)
    canvas[h // 4:h // 4 + h, w // 4:w // 4 + w] = page
    inside[h // 4:h // 4 + h, w // 4:w // 4 + w] = 1
    if shadow:
        ring = cv2.dilate(inside, np.ones((shadow, shadow), np.uint8))
        frame *= 1 - 0.5 * np.clip(cv2.GaussianBlur(ring, (0, 0), shadow / 2) - inside, 0, 1)
    if angle:
        turn = cv2.getRotationMatrix2D((W / 2, H / 2), angle, 1.0)
        canvas, inside = cv2.warpAffine(canvas, turn, (W, H)), cv2.warpAffine(inside, turn, (W, H))
    scene = frame * (1 - inside) + canvas * inside
    for _ in range(dust):
        y, x = int(rng.integers(0, H)), int(rng.integers(0, W))
        if inside[y, x] == 0:
            cv2.circle(scene, (x, y), int(rng.integers(2, 6)), float(rng.uniform(0.5, 0.9)), -1)
    lid_px = ~cv2.dilate((inside > 0.5).astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
    return np.clip(scene, 0, 1).astype(np.float32), lid_px


def lids_as_they_come(cleaners: dict[str, Denoiser]) -> None:
    form = read_gray(sorted((SHARED / "real-scans/funsd-train/images").iterdir())[3])
    scenes = {"plain": {}, "tilted 1.5 degrees": {"angle": 1.5}, "light falling off by 0.1": {"falloff": 0.1},
              "light falling off by 0.25": {"falloff": 0.25}, "the page's shadow, 12 px": {"shadow": 12},
              "5 flecks of dust": {"dust": 5}, "30 flecks of dust": {"dust": 30},
              "all (tilt 1, falloff 0.1, shadow 12, 5 flecks)": {"angle": 1.0, "falloff": 0.1, "shadow": 12, "dust": 5}}
    print("\n| a form on a lid (grey 0.12) | surround found | lid left grey, --keep-surround "
          "| lid left grey, default |")
    print("|---|---|---|---|")
    for name, kw in scenes.items():
        scene, lid = lid_scene(form, **kw)
        kept, cleared = (cleaners[k].clean(scene) for k in ("--keep-surround", "default"))
        print(f"| {name} | {'yes' if surround_of(scene) is not None else 'no'} | {(kept[lid] < 0.9).mean():.1%} | "
              f"{(cleared[lid] < 0.9).mean():.1%} |", flush=True)


def counts(folder: Path, n: int) -> list[Path]:
    """Prints how many pages of each set have a surround; returns the real scans that do."""
    from docclean.synth.pairs import pair_specs
    real: list[Path] = []
    print("\n| pages (as they are) | pages with a surround | of its pixels, target ink |\n|---|---|---|")
    for name, sub in (("real-scans/dibco-extra", "dibco-extra/noisy"), ("real-scans/funsd-train", "funsd-train/images"),
                      ("real-scans/sroie-train", "sroie-train/images")):
        files = sorted(p for p in (SHARED / "real-scans" / sub).iterdir() if p.suffix.lower() in SUFFIXES)
        with_one = [p for p in files if surround_of(read_gray(p)) is not None]
        real += with_one
        print(f"| {name} ({len(files)} pages) | {len(with_one)} | - |")
    files = sorted((SHARED / "dirty-documents/train").iterdir())
    print(f"| dirty-documents ({len(files)} pages) | {sum(surround_of(read_gray(p)) is not None for p in files)} | - |")
    found, ink, total = 0, 0, 0
    for spec in pair_specs(n, seed=3000):
        mask = surround_of(read_gray(folder / "noisy" / spec.name))
        if mask is not None:
            truth = read_gray(folder / "clean" / spec.name) < 0.5
            found, ink, total = found + 1, ink + int((truth & mask).sum()), total + int(mask.sum())
    print(f"| synthetic ({n} pages, seed 3000) | {found} | {ink / max(total, 1):.2%} |")
    return real


def ocr_with_surround(cleaners: dict[str, Denoiser], pages: list[Path]) -> None:
    """OCR word F1 of the real scans that have a surround, cleaned and binarized, per setting."""
    from bench.quality_real import ocr, to_u8, word_f1
    print("\n| real scan with a surround | cleaned, --keep-surround | cleaned, default "
          "| --binarize, --keep-surround | --binarize, default |\n|---|---|---|---|---|")
    for path in pages:
        truth = (path.parent.parent / "text" / (path.stem + ".txt")).read_text(errors="replace")
        raw = read_gray(path)
        scale = 2.0 if "funsd" in str(path) else 1.0  # as bench/quality_real.py reads the forms
        cells = {}
        for name in ("--keep-surround", "default"):
            cleaned = cleaners[name].clean(raw)
            if scale != 1:
                cleaned = cv2.resize(cleaned, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC).clip(0, 1)
            one_bit = binarize(cleaned).astype(np.uint8) * 255
            cells[name] = (word_f1(ocr(to_u8(cleaned)), truth), word_f1(ocr(one_bit), truth))
        k, d = cells["--keep-surround"], cells["default"]
        print(f"| {path.parent.parent.name}/{path.name} | {100 * k[0]:.1f} | {100 * d[0]:.1f} | {100 * k[1]:.1f} | "
              f"{100 * d[1]:.1f} |", flush=True)


def printed_border(cleaners: dict[str, Denoiser]) -> None:
    """A text page framed by a 60-px black border printed to the scan's edge."""
    from docclean.synth import render_page
    page = render_page(900, 700, dpi=200, font_pt=10).astype(np.float32)
    border = np.zeros(page.shape, bool)
    border[:60] = border[-60:] = True
    border[:, :60] = border[:, -60:] = True
    page[border] = 0.05
    means = [page[border].mean()] + [cleaners[k].clean(page)[border].mean() for k in ("--keep-surround", "default")]
    print("\n| a 60-px black border printed to the edge | as given | --keep-surround | default |\n|---|---|---|---|")
    print(f"| the border's mean grey | {means[0]:.2f} | {means[1]:.2f} | {means[2]:.2f} |")


def picture(cleaners: dict[str, Denoiser], out_path: Path) -> None:
    """A form on a dark lid, its top-left corner at 100%: the scan, --keep-surround, the default."""
    form = sorted((SHARED / "real-scans/funsd-train/images").iterdir())[3]
    frame, where = on_lid(read_gray(form), "centred", np.random.default_rng(1))
    y, x = where[0].start, where[1].start
    crop = (slice(y - 60, y + 200), slice(x - 60, x + 340))
    tiles = [frame[crop]] + [cleaners[name].clean(frame)[crop] for name in ("--keep-surround", "default")]
    gap = np.full((tiles[0].shape[0], 8), 0.5, np.float32)
    strip = np.hstack([tiles[0], gap, tiles[1], gap, tiles[2]])
    out_path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(out_path), (np.clip(strip, 0, 1) * 255 + 0.5).astype(np.uint8))
    print(f"\npicture: {out_path.relative_to(ROOT)} (the scan, --keep-surround, the default)")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=56, help="synthetic pages on a lid")
    p.add_argument("--dibco", type=int, default=86, help="historical pages on a lid (the first N)")
    p.add_argument("--out", type=Path, default=ROOT / "bench/results/surround.png")
    a = p.parse_args()
    t0 = time.perf_counter()
    cleaners = {"--keep-surround": Denoiser.load("default", clear_surround=False), "default": Denoiser.load("default")}
    with tempfile.TemporaryDirectory() as tmp:
        sets = page_sets(Path(tmp), a.n)
        dibco, synth = sets.values()
        titles = list(sets)
        print("Pages on a dark lid (0.05-0.3), margin a quarter of the page; page part binarized and scored\n")
        on_lids(cleaners, {titles[1]: synth, f"dibco-extra (first {a.dibco} pages)": dibco[:a.dibco]})
        lids_as_they_come(cleaners)
        real = counts(Path(tmp), a.n)
    ocr_with_surround(cleaners, real)
    printed_border(cleaners)
    picture(cleaners, a.out)
    print(f"\n({time.perf_counter() - t0:.0f} s)")


if __name__ == "__main__":
    main()
