"""Why the first page is slower than the next: each run is a fresh process that loads the default
model and cleans two copies of a synthetic 300-dpi A4 page one after the other (sequential I/O),
printing the load time, each page's time and the part of it spent blending tiles, with numpy's
huge pages on (its default) and off. Also the network's first call on a tile batch against its
second.

    python bench/first_page.py [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def child(huge: bool, pages: list[str], out: str) -> None:
    """In the subprocess: one measurement, printed as JSON."""
    import numpy as np

    np._core.multiarray._set_madvise_hugepage(huge)
    t0 = time.perf_counter()
    import docclean.tiling as tiling
    from docclean.batch import clean_batch
    from docclean.onepage import load_cleaner
    from docclean.settings import CleanSettings

    blend = [0.0]
    add = tiling.Blender.add

    def timed_add(self: tiling.Blender, *args: object) -> None:
        t = time.perf_counter()
        add(self, *args)
        blend[0] += time.perf_counter() - t

    tiling.Blender.add = timed_add  # type: ignore[method-assign]
    settings = CleanSettings(overwrite=True)
    cleaner = load_cleaner(settings)
    rows = {"load_s": time.perf_counter() - t0, "pages": []}
    for page in pages:
        blend[0], t = 0.0, time.perf_counter()
        clean_batch([page], out, settings, cleaner=cleaner, pipeline=False)
        rows["pages"].append((time.perf_counter() - t, blend[0]))
    tiles = np.random.default_rng(0).random((cleaner.batch_size, 1024, 1024), dtype=np.float32)
    rows["network_calls"] = []
    for _ in range(2):
        t = time.perf_counter()
        cleaner.backend.run(tiles)
        rows["network_calls"].append(time.perf_counter() - t)
    print(json.dumps(rows))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--child", nargs="+")
    a = p.parse_args()
    if a.child:
        child(a.child[0] == "on", a.child[2:], a.child[1])
        return
    from bench.clean_speed import make_page

    with tempfile.TemporaryDirectory() as tmp:
        pages = [str(Path(tmp) / f"p{i}.png") for i in range(2)]
        for page in pages:
            make_page(300, Path(page))
        print("| huge pages | load s | page 1 s (blending) | page 2 s (blending) | network call 1 / 2 s |")
        print("|---|---|---|---|---|")
        for _ in range(a.runs):
            for huge in ("on", "off"):
                cmd = [sys.executable, __file__, "--child", huge, str(Path(tmp) / "out"), *pages]
                r = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.splitlines()[-1])
                (p1, b1), (p2, b2) = r["pages"]
                n1, n2 = r["network_calls"]
                print(f"| {huge} | {r['load_s']:.2f} | {p1:.2f} ({b1:.2f}) | {p2:.2f} ({b2:.2f}) | {n1:.3f} / {n2:.3f} |")


if __name__ == "__main__":
    main()
