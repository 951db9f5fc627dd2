"""Binarization rules judged on synthetic pages, never on real scans: the adaptive ``--binarize``
against ink grown into connected grey marks (up to the paper level 0.92, lower levels shown for
comparison) and ``--keep-faint`` (grown up to 0.92, then trimmed to the body of each mark),
scored against every stroke of the page.

The pages are ``docclean.synth`` pairs with black targets (every stroke, faint or not, is ink in the
truth), seed 3000, rendered once into ``--pages-dir`` (default: a temporary folder); the model cleans
each noisy page once and every rule binarizes the same cleaned page. Prints F-measure, PSNR,
precision and per-page recall (median, minimum, pages under 80%).

    python bench/binarize_synthetic.py [--model default] [--n 56] [--pages-dir runs/synth_bin]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from docclean.engine import Denoiser  # noqa: E402
from docclean.io import read_gray  # noqa: E402
from docclean.postprocess import FAINT_SHARE, PAPER_LEVEL, binarize, grow_ink  # noqa: E402
from docclean.synth.pairs import write_pairs  # noqa: E402

GROW_LEVELS = (0.75, 0.85, PAPER_LEVEL)


def rules() -> dict[str, object]:
    """Name -> function(cleaned) -> ink mask."""
    out: dict[str, object] = {"--binarize (adaptive)": lambda c: ~binarize(c)}
    for level in GROW_LEVELS:
        name = f"grown into marks < {level}" + (" (--keep-faint before trimming)" if level == PAPER_LEVEL else "")
        out[name] = lambda c, level=level: grow_ink(~binarize(c), c < level)
    out[f"--keep-faint (grown < {PAPER_LEVEL}, trimmed at {FAINT_SHARE})"] = lambda c: ~binarize(c, keep_faint=True)
    return out


def score(ink: np.ndarray, truth: np.ndarray) -> tuple[float, float, float, float]:
    """(F-measure %, PSNR dB, precision, recall) of an ink mask."""
    tp = float((ink & truth).sum())
    precision, recall = tp / max(float(ink.sum()), 1.0), tp / max(float(truth.sum()), 1.0)
    f = 0.0 if tp == 0 else 2 * precision * recall / (precision + recall)
    mse = max(float((ink != truth).mean()), 1e-10)
    return 100 * f, 10 * np.log10(1 / mse), precision, recall


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", default="default")
    p.add_argument("--n", type=int, default=56)
    p.add_argument("--seed", type=int, default=3000)
    p.add_argument("--pages-dir", type=Path, default=None)
    a = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = a.pages_dir or Path(tmp)
        names = write_pairs(folder, a.n, seed=a.seed, graded=False, workers=2)
        den = Denoiser.load(a.model)
        found = {name: [] for name in rules()}
        for name in names:
            cleaned = den.clean(read_gray(folder / "noisy" / name))
            truth = read_gray(folder / "clean" / name) < 0.5
            for rule, fn in rules().items():
                found[rule].append(score(fn(cleaned), truth))
    print(f"{len(names)} synthetic pages (seed {a.seed}, black targets), model {a.model}")
    print("| rule | F-measure | PSNR dB | precision | recall median | recall min | pages < 80% |")
    print("|---|---|---|---|---|---|---|")
    for rule, rows in found.items():
        r = np.array(rows)
        print(f"| {rule} | {r[:, 0].mean():.2f} | {r[:, 1].mean():.2f} | {r[:, 2].mean():.3f} | "
              f"{np.median(r[:, 3]):.3f} | {r[:, 3].min():.3f} | {int((r[:, 3] < 0.8).sum())} |")


if __name__ == "__main__":
    main()
