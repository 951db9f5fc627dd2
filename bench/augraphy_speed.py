"""Seconds per 768x768 page: Augraphy's ``default_augraphy_pipeline()`` (degradation only, on the
clean page of a ``docclean synth`` pair, rendered at 300 dpi) against ``docclean.synth.make_pair``
(render + ink + degradation) on the same page specs (all at 300 dpi), in one process, one after the other
(docs/synthetic.md, "Augraphy or our own effects").

Augraphy is no dependency of docclean (MIT, PyPI ``augraphy``); install it outside the project's
environment, e.g. ``pip install --target /tmp/augraphy-site augraphy`` and run with
``PYTHONPATH=/tmp/augraphy-site``. The pipeline runs in a temporary working folder: Augraphy
writes an ``augraphy_cache/`` of pages there (part of its cost, kept), and its Scribbles effect
looks for handwriting fonts in ``fonts/`` there, downloading one from fontsquirrel.com when there
is none (and, offline, failing on a missing import: Augraphy 8.2.6). So ``fonts/`` is given
matplotlib's DejaVu Sans up front: no download is timed, and the run works offline.

    PYTHONPATH=/tmp/augraphy-site python bench/augraphy_speed.py [--pages 30] [--seed 11] [--colour]
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from docclean.synth.pairs import make_pair, pair_specs


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--pages", type=int, default=30)
    p.add_argument("--seed", type=int, default=11)
    p.add_argument("--size", type=int, default=768)
    p.add_argument("--colour", action="store_true", help="give Augraphy 3-channel BGR pages (default: grey)")
    a = p.parse_args()
    import augraphy
    import matplotlib
    from augraphy import default_augraphy_pipeline

    specs = list(pair_specs(a.pages, a.seed, dpis=(300,), size=a.size))
    ours, cleans = [], []
    for spec in specs:
        began = time.perf_counter()
        _, clean = make_pair(np.random.default_rng([spec.seed, spec.index]), spec.dpi, spec.height, spec.width)
        ours.append(time.perf_counter() - began)
        cleans.append(clean)
    scratch = tempfile.TemporaryDirectory(prefix="augraphy_speed-")
    os.chdir(scratch.name)
    os.mkdir("fonts")
    shutil.copy(Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf", "fonts")
    random.seed(a.seed)
    np.random.seed(a.seed)
    theirs, shapes = [], []
    for clean in cleans:
        page = (np.clip(clean, 0, 1) * 255).round().astype(np.uint8)
        if a.colour:
            page = np.repeat(page[:, :, None], 3, axis=2)
        pipeline = default_augraphy_pipeline()
        began = time.perf_counter()
        out = pipeline(page)
        theirs.append(time.perf_counter() - began)
        assert out is not None and out.ndim in (2, 3), type(out)
        shapes.append(out.shape)
    print(f"{a.pages} pages of {a.size}x{a.size} px (docclean synth, seed {a.seed}, dpi {specs[0].dpi}); "
          f"Augraphy {augraphy.__version__ if hasattr(augraphy, '__version__') else '?'} given "
          f"{'BGR' if a.colour else 'grey'} uint8 pages; {os.cpu_count()} CPUs")
    print()
    print("| generator | seconds per page, mean | median (min-max) |")
    print("|---|---|---|")
    for name, times, places in (("Augraphy `default_augraphy_pipeline()` (degradation only)", theirs, 2),
                                ("`docclean.synth.make_pair` (render + ink + degradation)", ours, 3)):
        print(f"| {name} | {statistics.mean(times):.{places}f} | {statistics.median(times):.{places}f} "
              f"({min(times):.{places}f}-{max(times):.{places}f}) |")
    each = " ".join(f"{t:.2f}" for t in theirs), " ".join(f"{t:.3f}" for t in ours)
    print(f"per page, Augraphy: {each[0]}; make_pair: {each[1]}")
    print(f"Augraphy's output shapes (its geometric effects can change the page size): {sorted(set(shapes))}")
    print(f"ratio of means: {statistics.mean(theirs) / statistics.mean(ours):.0f}x, "
          f"of medians: {statistics.median(theirs) / statistics.median(ours):.0f}x")


if __name__ == "__main__":
    main()
