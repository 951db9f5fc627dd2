"""Negatives (light writing on dark paper: microfilm, photostats): does ``docclean.levels.is_negative``
find them, and never call a positive page one? Every page of the shared real scans (validation
only), of the Dirty Documents training pages, of 56 synthetic pages (seed 3000) and the sample
scans is tested as it is, laid on a dark platen (bench/experiments/paper_level.py: a receipt on a
scanner lid) and inverted; for the positive pages it prints how close they come to each of the
three limits (``docclean.levels.light_marks``) while inside the other two, and, for those mostly
dark, how close they come to the thin-marks test (``docclean.levels.thin_marks``). Then the inverted dibco
pages are cleaned with ``--binarize`` and scored against their ground truth beside the positive
pages (F-measure, strokes lost), through ``docclean.polarity.clean_positive`` as the batch cleans
them. Last, the second look (``docclean.polarity``): of the mostly dark pages ``is_negative`` does
not call negative (inverted pages it misses, and positive pages as they are and on a dark platen;
the first :data:`SECOND_LOOK_PAGES` of each set, every dibco and synthetic page), how many are
cleaned twice and how many come out turned. A positive page must never be turned.

    python bench/negatives.py
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.experiments.paper_level import on_platen  # noqa: E402
from bench.experiments.scoring import DIBCO, every_page_set, page_scores, row, table_head  # noqa: E402
from docclean.engine import Denoiser  # noqa: E402
from docclean.io import read_gray  # noqa: E402
from docclean.levels import (NEGATIVE_LARGEST, NEGATIVE_LIGHT, NEGATIVE_MARKS, NEGATIVE_RATIO,  # noqa: E402
                             NEGATIVE_THICK, is_negative, light_marks, thin_marks)
from docclean.polarity import clean_positive, mostly_dark  # noqa: E402
from docclean.postprocess import binarize  # noqa: E402

#: Pages of each set the second look is counted on (dibco and synthetic: all of them).
SECOND_LOOK_PAGES = 30


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        tables(every_page_set(Path(tmp)))


def tables(sets: dict[str, list[Path]]) -> None:
    """Every table, on ``sets`` (:func:`every_page_set`, whose synthetic pages must stay on disk)."""
    print("| pages | count | as they are: called negative | on a dark platen: called negative "
          "| inverted: found negative |")
    print("|---|---|---|---|---|")
    positives = []  # light_marks of every positive page, as it is and on a platen
    thin = []  # thin_marks of the mostly dark ones
    for title, files in sets.items():
        pages = [read_gray(f) for f in files]
        as_is = sum(is_negative(p) for p in pages)
        inverted = sum(is_negative(1 - p) for p in pages)
        on_platens = [on_platen(p, np.random.default_rng(i))[0] for i, p in enumerate(pages)]
        platen = sum(is_negative(p) for p in on_platens)
        positives += [light_marks(p) for p in pages + on_platens]
        thin += [thin_marks(p) for p in pages + on_platens
                 if (m := light_marks(p)) is not None and m[0] < NEGATIVE_LIGHT]
        print(f"| {title} | {len(pages)} | {as_is} | {platen} | {inverted} |", flush=True)
    limits = np.array([NEGATIVE_LIGHT, NEGATIVE_LARGEST, NEGATIVE_THICK])
    marks = np.array([m for m in positives if m is not None])
    print(f"\npositive pages, as they are and on a platen ({len(positives)}; limits {limits.tolist()}):")
    for k, name in enumerate(("light share", "largest light region", "light part surviving the erosion")):
        others = np.delete(np.arange(3), k)
        inside = (marks[:, others] < limits[others]).all(axis=1)
        closest = marks[inside, k].min() if inside.any() else None
        print(f"  {name}: {inside.sum()} pages inside the other two limits; least {closest}")
    counts = np.array(thin).reshape(-1, 2)
    many = counts[counts[:, 1] >= NEGATIVE_MARKS]
    ratio = ((many[:, 1] + 1) / (many[:, 0] + 1)).max() if len(many) else None
    print(f"  thin marks, of the {len(counts)} mostly dark ones: most thin light marks "
          f"{counts[:, 1].max() if len(counts) else None} (limit {NEGATIVE_MARKS}); {len(many)} pages at or above "
          f"it, their highest light-to-dark ratio {ratio} (limit {NEGATIVE_RATIO})")
    den = Denoiser.load("default")
    rows: dict[str, list[tuple]] = {"as they are": [], "inverted": [], "inverted, found negative": [],
                                    "inverted, found on the second look": [], "inverted, missed by both": []}
    for noisy_path in sorted((DIBCO / "noisy").iterdir()):
        noisy, truth = read_gray(noisy_path), read_gray(DIBCO / "clean" / noisy_path.name) < 0.5
        rows["as they are"].append(page_scores(~binarize(clean_positive(noisy, den)[1]), truth))
        inverted = 1 - noisy
        positive, cleaned = clean_positive(inverted, den)
        scores = page_scores(~binarize(cleaned), truth)
        rows["inverted"].append(scores)
        if is_negative(inverted):
            rows["inverted, found negative"].append(scores)
        else:
            rows["inverted, missed by both" if positive is inverted else "inverted, found on the second look"
                 ].append(scores)
    print("\ndibco-extra, docclean --binarize\n")
    print(table_head("pages given"))
    for name, vals in rows.items():
        if vals:
            print(f"| dibco-extra ({len(vals)} pages) | {name} | {row(vals)}")
    second_look(sets, den)


def second_look(sets: dict[str, list[Path]], den: Denoiser) -> None:
    """Prints, per set and kind of page, the mostly dark pages ``is_negative`` does not call
    negative, how many of them the second look cleans twice and how many it turns."""
    print("\nthe second look (docclean.polarity), on mostly dark pages not found negative\n")
    print("| pages | given | mostly dark, not found negative | cleaned twice | turned |")
    print("|---|---|---|---|---|")
    for title, files in sets.items():
        keep = len(files) if title.startswith(("dibco", "synthetic")) else SECOND_LOOK_PAGES
        counts = {"as they are": [0, 0, 0], "on a dark platen": [0, 0, 0], "inverted": [0, 0, 0]}
        turned_names = []
        for i, f in enumerate(files[:keep]):
            page = read_gray(f)
            given = {"as they are": page, "on a dark platen": on_platen(page, np.random.default_rng(i))[0],
                     "inverted": 1 - page}
            for kind, p in given.items():
                if is_negative(p) or not mostly_dark(p):
                    continue
                calls = _Counting(den)
                positive, _ = clean_positive(p, calls)
                c = counts[kind]
                c[0] += 1
                c[1] += calls.calls > 1
                c[2] += positive is not p
                if positive is not p and kind != "inverted":
                    turned_names.append(f"{f.name} ({kind})")
        for kind, (n, twice, turned) in counts.items():
            print(f"| {title} ({min(keep, len(files))}) | {kind} | {n} | {twice} | {turned} |", flush=True)
        if turned_names:
            print(f"  positive pages turned: {', '.join(turned_names)}")


class _Counting:
    """The model, counting the pages it cleans."""

    def __init__(self, den: Denoiser) -> None:
        self.den, self.calls = den, 0

    def clean(self, page: np.ndarray, progress: object = None) -> np.ndarray:
        self.calls += 1
        return self.den.clean(page, progress)


if __name__ == "__main__":
    main()
