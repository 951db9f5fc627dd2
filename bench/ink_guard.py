"""Does the ink-loss guard see the strokes a clean actually lost? Per page, the true share of
strokes the ``--binarize`` page lost (``docclean.metrics.strokes_lost`` against the ground truth)
beside the guard's figure (``docclean.inkloss.ink_loss`` of the written 1-bit page) for the
shipped stroke test and looser ones.

Synthetic pages (``docclean.synth``, black targets, seed 3000) judge the stroke tests; the historical
pages of ``real-scans/dibco-extra`` are only reported (validation, never tuned on). Prints, per
stroke test: the rank correlation of guard and true loss over pages, the guard's median on pages that
lost more than 5% of their strokes, and its 90th percentile and maximum on the others (false
alarms); then the pages that lost most, with the guard's figure for each test.

    python bench/ink_guard.py [--model default] [--n 56] [--limit N]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from docclean.engine import Denoiser  # noqa: E402
from docclean.inkloss import ink_loss  # noqa: E402
from docclean.io import read_gray  # noqa: E402
from docclean.metrics import strokes_lost  # noqa: E402
from docclean.postprocess import binarize  # noqa: E402
from docclean.strokes import STROKE_CONTRAST, STROKE_RATIO  # noqa: E402
from docclean.synth.pairs import PairKind, write_pairs  # noqa: E402

DIBCO = ROOT.parent / "shared/data/real-scans/dibco-extra"
#: (ratio, contrast) stroke tests: the shipped one first, then looser ones.
TESTS = [(STROKE_RATIO, STROKE_CONTRAST), (0.85, 0.07), (0.9, 0.05), (0.93, 0.03)]
BAD = 0.05


def page_row(den: Denoiser, noisy: np.ndarray, truth: np.ndarray) -> tuple[float, list[float]]:
    """(true share of strokes lost by the --binarize page, guard figure per stroke test)."""
    written = binarize(den.clean(noisy)).astype(np.float32)
    lost, strokes = strokes_lost(written < 0.5, truth)
    return lost / max(strokes, 1), [ink_loss(noisy, written, r, c) for r, c in TESTS]


def ranks(x: np.ndarray) -> np.ndarray:
    return np.argsort(np.argsort(x, kind="stable"), kind="stable").astype(float)


def report(title: str, names: list[str], rows: list[tuple[float, list[float]]]) -> None:
    true = np.array([t for t, _ in rows])
    guard = np.array([g for _, g in rows])
    bad = true > BAD
    print(f"\n{title}: {len(rows)} pages, {int(bad.sum())} lost more than {BAD:.0%} of their strokes "
          f"(true loss mean {true.mean():.2%}, max {true.max():.1%})")
    print("| stroke test (ratio, contrast) | rank correlation | guard median, pages that lost strokes "
          "| guard p90 / max, the other pages |")
    print("|---|---|---|---|")
    for i, (r, c) in enumerate(TESTS):
        g = guard[:, i]
        corr = np.corrcoef(ranks(g), ranks(true))[0, 1] if true.std() > 0 else float("nan")
        lost = f"{np.median(g[bad]):.1%}" if bad.any() else "-"
        print(f"| {r}, {c}{' (shipped)' if i == 0 else ''} | {corr:.2f} | {lost} | "
              f"{np.quantile(g[~bad], 0.9):.1%} / {g[~bad].max():.1%} |")
    print("\npages that lost most: true loss | guard per stroke test")
    for k in np.argsort(-true)[:5]:
        print(f"  {names[k]}: {true[k]:.1%} | " + " ".join(f"{v:.1%}" for v in guard[k]))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", default="default")
    p.add_argument("--n", type=int, default=56, help="synthetic pages")
    p.add_argument("--seed", type=int, default=3000)
    p.add_argument("--limit", type=int, default=None, help="historical pages (default all)")
    a = p.parse_args()
    den = Denoiser.load(a.model)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        names = write_pairs(folder, a.n, seed=a.seed, kind=PairKind(graded=False), workers=2)
        rows = [page_row(den, read_gray(folder / "noisy" / n), read_gray(folder / "clean" / n) < 0.5) for n in names]
    print(f"model {a.model}; the written page is the --binarize page")
    report(f"synthetic pages (seed {a.seed}, black targets)", names, rows)
    if DIBCO.is_dir():
        names = sorted(q.name for q in (DIBCO / "noisy").iterdir())[:a.limit]
        rows = [page_row(den, read_gray(DIBCO / "noisy" / n), read_gray(DIBCO / "clean" / n) < 0.5) for n in names]
        report("dibco-extra (validation only)", names, rows)


if __name__ == "__main__":
    main()
