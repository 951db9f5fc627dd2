"""What the engine's step for writing between rules (``docclean.ruled``) costs a page: the search for
rules (every page), the search for faint writing the network cleared (pages with two rules near each
other) and the second clean of those parts, against the whole ``Denoiser.clean``.

Pages: the speed bench's synthetic 300-dpi A4 page (``bench/clean_speed.py``), the 300-dpi form of
``bench/form_boxes.py`` with pencil in its boxes, and the first ``--forms`` real forms of
funsd-train (about 100 dpi; validation only: looked at for cost, not tuned on). Each page is cleaned
``--repeats`` times with the step and without it, alternately, and the medians printed.

    python bench/experiments/ruled_cost.py [--repeats 3] [--forms 20]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import docclean.engine as engine  # noqa: E402
import docclean.ruled as ruled  # noqa: E402
from bench.clean_speed import make_page  # noqa: E402
from bench.form_boxes import form, without_ruled_step  # noqa: E402
from docclean import Denoiser  # noqa: E402
from docclean.io import read_gray  # noqa: E402

FORMS = ROOT.parent / "shared/data/real-scans/funsd-train/images"


def timed_step() -> tuple[list[float], list[int]]:
    """Wraps the step to record its own time (the second clean of parts left out) and its parts."""
    own, parts, step = [], [], ruled.refill_between_rules

    def wrapper(page, cleaned, paper, clean, scan=None):
        spent = [0.0]

        def counted(part):
            t = time.perf_counter()
            out = clean(part)
            spent[0] += time.perf_counter() - t
            return out

        t = time.perf_counter()
        n = step(page, cleaned, paper, counted, scan)
        own.append(time.perf_counter() - t - spent[0])
        parts.append(n)
        return n

    engine.refill_between_rules = wrapper
    return own, parts


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--forms", type=int, default=20)
    a = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        make_page(300, Path(tmp) / "a4.png")
        pages = {"synthetic A4 page, 300 dpi (no rules)": read_gray(Path(tmp) / "a4.png")}
    pages["form of bench/form_boxes.py, 300 dpi, pencil 0.70"] = form(300, 0.70, 1)[0]
    forms = sorted(FORMS.iterdir())[:a.forms] if FORMS.is_dir() else []
    den = Denoiser.load("default")
    step = engine.refill_between_rules
    own, parts = timed_step()
    print("| page | MP | clean without the step s | with it s | the step's own search ms | parts cleaned again |")
    print("|---|---|---|---|---|---|")

    def row(name: str, group: list) -> None:
        off, on, mine, count = [], [], [], []
        for _ in range(a.repeats):
            for page in group:
                with without_ruled_step(den):
                    t = time.perf_counter()
                    den.clean(page)
                    off.append(time.perf_counter() - t)
                t = time.perf_counter()
                den.clean(page)
                on.append(time.perf_counter() - t)
                mine.append(own[-1])
                count.append(parts[-1])
        mp = sum(g.size for g in group) / len(group) / 1e6
        per = len(group)
        print(f"| {name} | {mp:.1f} | {statistics.median(off):.2f} | {statistics.median(on):.2f} "
              f"| {statistics.median(mine) * 1000:.0f} | {sum(count) / a.repeats / per:.2f} per page |")

    for name, page in pages.items():
        row(name, [page])
    if forms:
        row(f"funsd-train forms, the first {len(forms)} (median page)", [read_gray(f) for f in forms])
    engine.refill_between_rules = step


if __name__ == "__main__":
    main()
