"""Would a local ink-loss figure catch a mark erased over text without false alarms? A measurement.

The ink-loss guard (``docclean.inkloss.ink_loss``) reads 3-4% on pages whose pen stroke or stamp
over printed text the model erased (the same mark on blank paper is kept): the mark is a small
share of the page's strokes, and its pixels beside kept letters count as kept. The candidate
figure here is the worst share of stroke pixels lost over square windows of the page (a third of
an inch to an inch, scaled with the page's dpi; 300 where the file states none), counting only
windows whose stroke pixels cover at least 4% of them; a stroke pixel is lost as in ``ink_loss``
(the darkest cleaned pixel within ``near`` pixels moved 60% of the way to white), with ``near``
5 (the guard's) or 3. Nothing of it is in the engine: this bench is what decided that.

Pages, each cleaned with ``docclean clean`` (default model):

* repro: a tester's pages with marker strokes or a stamp over text (drawn again by
  ``bench/marks_over_text.py``; or give your own with ``--repro PNG ...``): should fire.
* Dirty Documents: the 144 pairs, their ground truth as the "cleaned" page, and the model's output.
* synthetic: ``docclean synth OUT --n 40 --seed 11`` (their dpi from the file name), the model's
  output; for each page over the lowest threshold, the same figure with the ground truth as the
  cleaned page (a stain or show-through the truth also clears reads as high there) and the local
  loss of the ground truth's own strokes (what the model really lost there).
* real scans (``--real``; validation, reported only, never used to choose): dibco-extra,
  funsd-train, sroie-train, how many pages each configuration fires on.

    python bench/ink_area.py [--real] [--repro PNG ...]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.marks_over_text import write_pages  # noqa: E402
from docclean import inkloss  # noqa: E402
from docclean.io import read_pages  # noqa: E402
from docclean.pixels import as_float  # noqa: E402
from docclean.surround import surround_areas  # noqa: E402

DATA = ROOT.parent / "shared/data"
DOCCLEAN = Path(sys.executable).parent / "docclean"
#: (near, window in inches) configurations; windows need stroke pixels on MIN_SHARE of their area.
CONFIGS = [(5, 1 / 3), (5, 1 / 2), (3, 1 / 2), (5, 1.0)]
MIN_SHARE = 0.04
THRESHOLDS = (0.2, 0.25, 0.3)


def area_loss(original: np.ndarray, cleaned: np.ndarray, dpi: tuple[float, float] | None
              ) -> dict[tuple[int, float], tuple[float, tuple[float, float] | None]]:
    """Per configuration: (worst window's lost share, its centre as fractions of width and height)."""
    orig, clean = as_float(original), as_float(cleaned)
    patch = inkloss.dither_patch(orig, dpi)
    scale = 1.0
    if orig.size > 4_000_000:  # as ink_loss: large pages at half resolution
        orig, clean, scale = inkloss._halved(orig, patch), inkloss._halved(clean), 0.5
    else:
        orig = inkloss._pasted(orig, patch)
    mask = inkloss.stroke_mask(orig)
    surround = surround_areas(orig)
    if surround is not None:
        mask &= ~surround
    per_inch = (min(dpi) if dpi else 300.0) * scale
    out = {}
    for near, inches in CONFIGS:
        darkest = cv2.erode(clean, np.ones((near, near), np.uint8))
        lost = mask & (darkest >= orig + inkloss.LOST_SHARE * (1.0 - orig))
        out[(near, inches)] = worst_window(mask, lost, inches * per_inch)
    return out


def worst_window(mask: np.ndarray, lost: np.ndarray, window: float) -> tuple[float, tuple[float, float] | None]:
    """The worst lost share over windows of about ``window`` pixels (3 x 3 blocks, moved a block at
    a time) whose stroke pixels cover at least :data:`MIN_SHARE` of them."""
    b = max(1, int(round(window / 3)))
    h, w = mask.shape
    rows, cols = -(-h // b), -(-w // b)

    def blocks(m: np.ndarray) -> np.ndarray:
        p = np.zeros((rows * b, cols * b), np.float32)
        p[:h, :w] = m
        return cv2.boxFilter(p.reshape(rows, b, cols, b).sum(axis=(1, 3)), -1, (3, 3), normalize=False,
                             borderType=cv2.BORDER_CONSTANT)

    total, gone = blocks(mask), blocks(lost)
    ok = total >= MIN_SHARE * (3 * b) ** 2
    if not ok.any():
        return 0.0, None
    share = np.where(ok, gone / np.maximum(total, 1), 0)
    y, x = np.unravel_index(int(np.argmax(share)), share.shape)
    return float(share[y, x]), ((x + 0.5) * b / w, (y + 0.5) * b / h)


def read(path: Path, dpi: tuple[float, float] | None = None) -> tuple[np.ndarray, tuple[float, float] | None]:
    page = next(read_pages(path))
    return page.gray, page.dpi or dpi


def clean_folder(src: Path, out: Path) -> None:
    subprocess.run([str(DOCCLEAN), "clean", str(src), "-o", str(out), "--quiet"], check=True,
                   stdout=subprocess.DEVNULL)


def summary(title: str, figures: list[dict]) -> None:
    print(f"\n{title}: {len(figures)} pages")
    print("| near, window | mean | p90 | max | " + " | ".join(f"> {t:.0%}" for t in THRESHOLDS) + " |")
    print("|---|---|---|---|" + "---|" * len(THRESHOLDS))
    for c in CONFIGS:
        v = np.array([f[c][0] for f in figures])
        print(f"| {c[0]}, {c[1]:.2f} in | {v.mean():.1%} | {np.quantile(v, 0.9):.1%} | {v.max():.1%} | "
              + " | ".join(str(int((v > t).sum())) for t in THRESHOLDS) + " |")


def named_dpi(path: Path) -> tuple[float, float]:
    v = float(path.stem.split("-")[-1].removesuffix("dpi"))
    return v, v


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--real", action="store_true", help="also count firings on the real scans (validation)")
    p.add_argument("--repro", nargs="*", type=Path, default=None,
                   help="pages to use instead of bench/marks_over_text.py's")
    a = p.parse_args()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        repro = a.repro if a.repro is not None else write_pages(tmp / "drawn")
        if repro:
            (tmp / "repro").mkdir()
            for q in repro:
                (tmp / "repro" / q.name).write_bytes(q.read_bytes())
            clean_folder(tmp / "repro", tmp / "repro_out")
            print("repro pages (should fire): page guard | local figure per (near, window)")
            for q in repro:
                orig, dpi = read(q)
                cleaned, _ = read(tmp / "repro_out" / q.name)
                f = area_loss(orig, cleaned, dpi)
                print(f"  {q.name}: {inkloss.ink_loss(orig, cleaned, dpi=dpi):.1%} | "
                      + "  ".join(f"{c[0]},{c[1]:.2f}in {f[c][0]:.1%}" for c in CONFIGS))

        dd = DATA / "dirty-documents"
        names = sorted(q.name for q in (dd / "train").iterdir())
        clean_folder(dd / "train", tmp / "dd_out")
        truth = [area_loss(read(dd / "train" / n)[0], read(dd / "train_cleaned" / n)[0], None) for n in names]
        model = [area_loss(read(dd / "train" / n)[0], read(tmp / "dd_out" / n)[0], None) for n in names]
        summary("Dirty Documents, ground truth as the cleaned page (300 dpi assumed)", truth)
        summary("Dirty Documents, the model's output", model)

        subprocess.run([str(DOCCLEAN), "synth", str(tmp / "synth"), "--n", "40", "--seed", "11"], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        clean_folder(tmp / "synth" / "noisy", tmp / "synth_out")
        noisy = sorted((tmp / "synth" / "noisy").iterdir())
        figs = []
        for q in noisy:
            orig, dpi = read(q, named_dpi(q))
            figs.append(area_loss(orig, read(tmp / "synth_out" / q.name)[0], dpi))
        summary("synthetic pages (docclean synth --n 40 --seed 11), the model's output", figs)
        c = (5, 1 / 2)
        print(f"\nsynthetic pages over {THRESHOLDS[0]:.0%} at near {c[0]}, {c[1]:.2f} in: model | ground truth as "
              "cleaned | ground truth's own strokes lost by the model (worst window)")
        for q, f in zip(noisy, figs):
            if f[c][0] > THRESHOLDS[0]:
                orig, dpi = read(q, named_dpi(q))
                gt = read(tmp / "synth" / "clean" / q.name)[0]
                out = read(tmp / "synth_out" / q.name)[0]
                where = "x %.2f, y %.2f of the page" % f[c][1]
                print(f"  {q.name}: {f[c][0]:.1%} at {where} | {area_loss(orig, gt, dpi)[c][0]:.1%} | "
                      f"{area_loss(gt, out, dpi)[c][0]:.1%}")

        if a.real:
            for name, sub in (("dibco-extra", "noisy"), ("funsd-train", "images"), ("sroie-train", "images")):
                src = DATA / "real-scans" / name / sub
                clean_folder(src, tmp / name)
                figs = []
                for q in sorted(src.iterdir()):
                    out = next((tmp / name).glob(q.stem + ".*"), None)  # a JPEG may be written as another type
                    if out is not None:
                        orig, dpi = read(q)
                        figs.append(area_loss(orig, read(out)[0], dpi))
                summary(f"real scans {name} (validation: counted, never used to choose)", figs)
    print(f"\n{time.perf_counter() - started:.0f} s wall")


if __name__ == "__main__":
    main()
