"""What a large batch costs before its first page: N small PNG files in F folders (made in a temp
folder, so the walk reads a warm page cache), timed through the two steps ``docclean clean`` runs
before it reads a page: finding them (``docclean.discover.discover``, called as
``docclean.batch.clean_batch`` calls it) and checking them (``docclean.batch.plan_jobs``, the
batch's own planning: ``docclean.plan.plan_job`` on every job). The input is one folder holding
the F folders; the output folder does not exist yet (a first run). Then, as a cross-check, the whole
``clean_batch`` in a dry run (no model, no lock), which does both.

    python bench/listing_scale.py [--files 20000] [--folders 20] [--size 64] [--repeat 1]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from docclean.batch import clean_batch, plan_jobs
from docclean.discover import discover
from docclean.settings import CleanSettings


def make_files(root: Path, files: int, folders: int, size: int) -> None:
    """``files`` small grey PNG pages spread evenly over ``folders`` folders under ``root``."""
    rng = np.random.default_rng(0)
    page = Image.fromarray(rng.integers(0, 256, (size, size), dtype=np.uint8))
    page.save(root / "template.png")
    data = (root / "template.png").read_bytes()
    (root / "template.png").unlink()
    for f in range(folders):
        folder = root / "in" / f"folder-{f:02d}"
        folder.mkdir(parents=True)
        for i in range(f, files, folders):
            (folder / f"scan-{i:06d}.png").write_bytes(data)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--files", type=int, default=20_000)
    p.add_argument("--folders", type=int, default=20)
    p.add_argument("--size", type=int, default=64, help="side of each PNG page in pixels")
    p.add_argument("--repeat", type=int, default=1, help="times to time each step (same files)")
    a = p.parse_args()
    settings = CleanSettings()
    with tempfile.TemporaryDirectory(prefix="listing_scale-") as tmp:
        root = Path(tmp)
        began = time.perf_counter()
        make_files(root, a.files, a.folders, a.size)
        print(f"{a.files:,} PNG files of {a.size}x{a.size} px in {a.folders} folders under one input folder "
              f"(made in {time.perf_counter() - began:.1f} s, not counted)")
        print()
        print("| run | discover s | plan_jobs (all files) s | both s | clean_batch dry run s |")
        print("|---|---|---|---|---|")
        for r in range(1, a.repeat + 1):
            out = root / f"out-{r}"
            began = time.perf_counter()
            left_out: dict[str, list[Path]] = {}
            jobs = discover([str(root / "in")], out, settings.fmt, single_file=False,
                            left_out=left_out.__setitem__, warn=lambda item, message: None)
            found = time.perf_counter() - began
            began = time.perf_counter()
            plans = plan_jobs(jobs, settings)
            planned = time.perf_counter() - began
            bad = sum(job.error is not None for job in jobs) + sum(plan.error is not None for plan in plans)
            assert len(jobs) == a.files and not bad, (len(jobs), bad)
            assert sum(len(plan.pending) for plan in plans) == a.files
            began = time.perf_counter()
            report = clean_batch([str(root / "in")], root / f"dry-{r}", settings.replace(dry_run=True))
            dry = time.perf_counter() - began
            assert len(report.files) == a.files, len(report.files)
            print(f"| {r} | {found:.2f} | {planned:.2f} | {found + planned:.2f} | {dry:.2f} |")


if __name__ == "__main__":
    main()
