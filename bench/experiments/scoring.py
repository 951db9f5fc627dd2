"""What the binarization experiments share: the page sets they are scored on and one table row.

The sets are the historical pages of real-scans/dibco-extra (validation only) and the synthetic
pages of bench/binarize_synthetic.py (seed 3000, black targets: every stroke is ink in the truth).
A row gives, over a set, the mean F-measure and PSNR, the median share of ground-truth ink kept,
the pages keeping less than 80% of it, and the strokes lost (``docclean.metrics.strokes_lost``), all
pages together and on the worst page.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from docclean.engine import Denoiser  # noqa: E402
from docclean.io import read_gray  # noqa: E402
from docclean.levels import network_page  # noqa: E402
from docclean.metrics import binary_scores, strokes_lost, strokes_lost_share  # noqa: E402
from docclean.synth.pairs import PairKind, pair_specs, write_pairs  # noqa: E402

DIBCO = Path(__file__).resolve().parents[3] / "shared/data/real-scans/dibco-extra"
HEADER = ("| F-measure | PSNR dB | ink kept median | pages < 80% | strokes lost | worst page |",
          "|---|---|---|---|---|---|")


def page_sets(folder: Path, n: int, min_dpi: int = 0) -> dict[str, list[tuple[Path, Path]]]:
    """Title -> (noisy, clean) pairs: the dibco pages, and ``n`` synthetic pages rendered into
    ``folder`` (only those scanned at ``min_dpi`` or more are scored)."""
    dibco = sorted(q.name for q in (DIBCO / "noisy").iterdir())
    kind = PairKind(graded=False)
    write_pairs(folder, n, seed=3000, kind=kind, workers=2)
    synth = [s.name for s in pair_specs(n, seed=3000, kind=kind) if s.dpi >= min_dpi]
    above = f", >= {min_dpi} dpi" if min_dpi else ""
    return {f"dibco-extra ({len(dibco)} pages)": [(DIBCO / "noisy" / m, DIBCO / "clean" / m) for m in dibco],
            f"synthetic ({len(synth)} pages, seed 3000{above})": [(folder / "noisy" / m, folder / "clean" / m)
                                                                   for m in synth]}


#: Image files the page counts read.
SUFFIXES = {".png", ".jpg", ".jpeg", ".tif", ".tiff"}


def every_page_set(folder: Path) -> dict[str, list[Path]]:
    """Title -> the page files of every set a rule is counted on (noisy pages only): the shared
    real scans (validation only), the Dirty Documents training pages, 56 synthetic pages (seed
    3000, rendered into ``folder``) and the sample scans."""
    shared = DIBCO.parent.parent
    root = Path(__file__).resolve().parents[2]
    synthetic = [noisy for noisy, _ in [v for k, v in page_sets(folder, 56).items() if k.startswith("synthetic")][0]]
    sets = {"dibco-extra": (DIBCO / "noisy").iterdir(),
            "funsd-train": (shared / "real-scans/funsd-train").rglob("*"),
            "sroie-train": (shared / "real-scans/sroie-train").rglob("*"),
            "dirty-documents train": (shared / "dirty-documents/train").iterdir(),
            "synthetic (seed 3000)": synthetic,
            "samples/scans": (root / "samples/scans").rglob("*")}
    return {title: sorted(f for f in files if f.suffix.lower() in SUFFIXES) for title, files in sets.items()}


def found_on_sets(what: str, search: Callable[[np.ndarray, float], Any], describe: Callable[[Any], str]) -> None:
    """Prints, for every set of :func:`every_page_set`, the mean time a page of ``search(page,
    paper)`` takes (on the page the network is given) and the pages where it finds something
    (``describe`` says what, after the file's name); ``what`` heads that column."""
    from docclean.solids import page_paper

    with tempfile.TemporaryDirectory() as tmp:
        print(f"| pages | count | search ms/page (mean) | {what} |")
        print("|---|---|---|---|")
        for title, files in every_page_set(Path(tmp)).items():
            found, seconds = [], 0.0
            for f in files:
                page = network_page(read_gray(f))
                paper = page_paper(page)
                start = time.perf_counter()
                result = search(page, paper)
                seconds += time.perf_counter() - start
                if result is not None:
                    found.append(f"{f.name} ({describe(result)})")
            print(f"| {title} | {len(files)} | {1000 * seconds / len(files):.1f} "
                  f"| {len(found)}{': ' + ', '.join(found) if found else ''} |", flush=True)


def page_scores(ink: np.ndarray, truth: np.ndarray) -> tuple[float, ...]:
    """One page: (F-measure, PSNR, ink kept, strokes lost, strokes) of an ink mask."""
    f, psnr, _, recall = binary_scores(ink, truth)
    return (f, psnr, recall, *strokes_lost(ink, truth))


def row(pages: list[tuple[float, ...]]) -> str:
    """The :data:`HEADER` columns over the :func:`page_scores` of a set's pages."""
    r = np.array(pages)
    lost, worst = strokes_lost_share(r[:, 3:5])
    return (f"{r[:, 0].mean():.2f} | {r[:, 1].mean():.2f} | {np.median(r[:, 2]):.3f} | {int((r[:, 2] < 0.8).sum())} | "
            f"{lost:.2%} | {worst:.1%} |")


def experiment_parser(doc: str) -> argparse.ArgumentParser:
    """The command line every experiment takes: ``--model`` and ``--n`` synthetic pages."""
    p = argparse.ArgumentParser(description=doc.splitlines()[0])
    p.add_argument("--model", default="default")
    p.add_argument("--n", type=int, default=56)
    return p


def model_and_size(doc: str) -> tuple[str, int, Denoiser]:
    """:func:`experiment_parser`'s arguments: the model's name, ``n`` and the loaded model."""
    a = experiment_parser(doc).parse_args()
    return a.model, a.n, Denoiser.load(a.model)


def table_head(*columns: str) -> str:
    """The two header lines of a table: the pages, ``columns``, then :data:`HEADER`'s."""
    names = "".join(f" {c} |" for c in columns)
    return f"| pages |{names}" + HEADER[0][1:] + "\n|---|" + "---|" * len(columns) + HEADER[1][1:]
