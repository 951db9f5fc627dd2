"""What a batch holds per input file: the Python objects (traced with ``tracemalloc``) still held at
the end of a ``clean_batch`` of N tiny PNG pages, for two sizes of batch in one run, so that the
growth per file is the difference. (Peak resident memory is not reported: tracing inflates it.)

    python bench/batch_memory.py [--sizes 500 2000]

The model is loaded and warmed on a first small batch before anything is traced.
"""

from __future__ import annotations

import argparse
import gc
import sys
import tempfile
import tracemalloc
from collections import Counter
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from docclean.batch import clean_batch  # noqa: E402
from docclean.onepage import load_cleaner  # noqa: E402
from docclean.settings import CleanSettings  # noqa: E402


def pages(folder: Path, n: int) -> Path:
    """``n`` 16 x 16 grey PNG pages of noise in ``folder``."""
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for i in range(n):
        Image.fromarray((rng.random((16, 16)) * 255).astype(np.uint8)).save(folder / f"scan_{i:06d}.png")
    return folder


def held(tmp: Path, n: int, cleaner) -> tuple[int, Counter]:  # type: ignore[no-untyped-def]
    """Bytes of Python objects held after a batch of ``n`` files, and by which docclean line."""
    source = pages(tmp / f"in{n}", n)
    gc.collect()
    tracemalloc.start(25)
    report = clean_batch([str(source)], tmp / f"out{n}", CleanSettings(), cleaner=cleaner)
    gc.collect()
    snapshot = tracemalloc.take_snapshot()
    tracemalloc.stop()
    assert report.counts()["cleaned"] == n
    by_line: Counter = Counter()
    for stat in snapshot.statistics("traceback"):
        frame = next((f for f in stat.traceback if "/docclean/" in f.filename), None)
        where = "elsewhere" if frame is None else f"{frame.filename.split('/docclean/')[-1]}:{frame.lineno}"
        by_line[where] += stat.size
    del report
    return sum(by_line.values()), by_line


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs=2, default=[500, 2000])
    small, large = parser.parse_args().sizes
    cleaner = load_cleaner(CleanSettings())
    with tempfile.TemporaryDirectory() as tmp:
        clean_batch([str(pages(Path(tmp) / "warm", 20))], Path(tmp) / "warm-out", CleanSettings(), cleaner=cleaner)
        rows = []
        for n in (small, large):
            total, by_line = held(Path(tmp), n, cleaner)
            rows.append((n, total, by_line))
    print("| files | Python objects held at the end |")
    print("|---|---|")
    for n, total, _ in rows:
        print(f"| {n} | {total / 1024:.0f} KB |")
    (n0, t0, _), (n1, t1, by_line) = rows
    print(f"\nper file: {(t1 - t0) / (n1 - n0):.0f} B of Python objects")
    print(f"\nlargest holders in the batch of {n1} (the docclean line that allocated them):")
    for where, size in by_line.most_common(5):
        print(f"  {size / 1024:.0f} KB  {where}")


if __name__ == "__main__":
    main()
