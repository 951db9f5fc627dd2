"""Peak memory of ``docclean clean`` against page size: synthetic grey pages of lines of random
ink (A4 at 300 dpi, A4 at 600 dpi, A3 at 600 dpi), each cleaned in a fresh process whose peak
resident memory is read from ``/usr/bin/time -v``-style rusage of the child.

    python bench/memory.py [--sizes p9 p36 p72]

The README's memory table (docs/promises.md, "Memory") comes from this script.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image

SIZES = {"p9": (3508, 2480), "p36": (7016, 4960), "p72": (9922, 7016)}


def page(path: Path, h: int, w: int) -> None:
    a = np.full((h, w), 220, np.uint8)
    rng = np.random.default_rng(0)
    for y in range(100, h - 100, 60):
        a[y:y + 20, 100:w - 100] = np.where(rng.random((20, w - 200)) < 0.3, 30, 220)
    Image.fromarray(a).save(path)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", nargs="+", default=list(SIZES), choices=list(SIZES))
    args = p.parse_args()
    docclean = Path(sys.executable).with_name("docclean")
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.sizes:
            h, w = SIZES[name]
            src = Path(tmp) / f"{name}.png"
            page(src, h, w)
            before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
            subprocess.run([str(docclean), "clean", str(src), "-o", str(Path(tmp) / f"out-{name}.png"), "-q"],
                           check=True)
            peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
            note = "" if peak > before else " (not above an earlier page's peak: run this size alone)"
            print(f"{name}: {h * w / 1e6:.1f} MP, peak {peak / 1024 / 1024:.2f} GB{note}")


if __name__ == "__main__":
    main()
