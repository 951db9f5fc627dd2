"""Binarization rules judged on synthetic pages, never on real scans: the adaptive ``--binarize``
(Sauvola and a global cut on the cleaned page), that ink grown into the cores of connected marks
(tried as a default, see the README), plain growth into connected grey pixels (up to the paper
level 0.92, lower levels for comparison) and ``--keep-faint`` (grown into connected marks up to
0.92, trimmed to the body of each mark), scored against every stroke of the page: pixels, and
whole strokes lost (``docclean.metrics.strokes_lost``); and ``--remove-show-through``
(``--show-through 1`` renders every page with the other side showing through: its home ground).

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
from docclean.postprocess import (FAINT_SHARE, PAPER_LEVEL, adaptive_ink, binarize, drop_light_layer, grow_ink,  # noqa: E402
                                  mark_body, marks)
from docclean.metrics import binary_scores, strokes_lost, strokes_lost_share  # noqa: E402
from docclean.synth.fonts import missing_fonts_note  # noqa: E402
from docclean.synth.pairs import PairKind, write_pairs  # noqa: E402

GROW_LEVELS = (0.75, 0.85, PAPER_LEVEL)


def rules() -> dict[str, object]:
    """Name -> function(cleaned, seeds) -> ink mask, where ``seeds`` is the page's adaptive ink
    (:func:`docclean.postprocess.adaptive_ink`), computed once per page."""
    out: dict[str, object] = {"--binarize (adaptive)": lambda c, seeds: ~binarize(c),
                              "adaptive grown into the cores of marks (40%, 1 px; tried as a default)":
                              lambda c, seeds: seeds | (grow_ink(seeds, marks(c)) & mark_body(c, 0.4, 3))}
    for level in GROW_LEVELS:
        name = f"adaptive grown into pixels < {level}" + (", untrimmed" if level == PAPER_LEVEL else "")
        out[name] = lambda c, seeds, level=level: grow_ink(seeds, c < level)
    out[f"--keep-faint (grown into marks < {PAPER_LEVEL}, trimmed at {FAINT_SHARE})"] = \
        lambda c, seeds: ~binarize(c, keep_faint=True)
    out["--remove-show-through (the lighter of two ink layers dropped)"] = lambda c, seeds: drop_light_layer(c, seeds)
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", default="default")
    p.add_argument("--n", type=int, default=56)
    p.add_argument("--seed", type=int, default=3000)
    p.add_argument("--pages-dir", type=Path, default=None)
    p.add_argument("--show-through", type=float, default=None,
                   help="the chance that a page shows its other side through (default: the training sets' own)")
    a = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = a.pages_dir or Path(tmp)
        kind = PairKind(graded=False) if a.show_through is None else PairKind(graded=False, show_through=a.show_through)
        names = write_pairs(folder, a.n, seed=a.seed, kind=kind, workers=2)
        den = Denoiser.load(a.model)
        rule_fns = rules()
        found = {name: [] for name in rule_fns}
        for name in names:
            cleaned = den.clean(read_gray(folder / "noisy" / name))
            truth = read_gray(folder / "clean" / name) < 0.5
            seeds = adaptive_ink(cleaned)
            for rule, fn in rule_fns.items():
                ink = fn(cleaned, seeds)
                found[rule].append((*binary_scores(ink, truth), *strokes_lost(ink, truth)))
    st = "" if a.show_through is None else f", show-through chance {a.show_through}"
    print(f"{len(names)} synthetic pages (seed {a.seed}, black targets{st}), model {a.model}")
    note = missing_fonts_note()
    if note:
        print(f"warning: {note}")
    print("| rule | F-measure | PSNR dB | precision | recall median | recall min | pages < 80% | strokes lost "
          "| strokes lost, worst page |")
    print("|---|---|---|---|---|---|---|---|---|")
    for rule, rows in found.items():
        r = np.array(rows)
        lost, worst = strokes_lost_share(r[:, 4:6])
        print(f"| {rule} | {r[:, 0].mean():.2f} | {r[:, 1].mean():.2f} | {r[:, 2].mean():.3f} | "
              f"{np.median(r[:, 3]):.3f} | {r[:, 3].min():.3f} | {int((r[:, 3] < 0.8).sum())} | "
              f"{lost:.2%} | {worst:.1%} |")


if __name__ == "__main__":
    main()
