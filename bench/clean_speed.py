"""End-to-end cleaning speed and peak memory on A4 pages, against a baseline timed in the same run.

Each measurement runs in a fresh subprocess (so its peak resident memory is its own): it cleans
``--pages`` copies of a synthetic degraded A4 page through the same pipeline as ``docclean clean``
(read PNG -> clean -> atomic PNG write) and reports seconds per page after the model is loaded,
plus the subprocess's peak RSS. The baseline is median-filter background division, read and
written through the same io.

    python bench/clean_speed.py [--model default] [--pages 3] [--dpis 150 300 600]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
A4_INCHES = (8.27, 11.69)


def make_page(dpi: int, path: Path) -> None:
    from docclean.io import write_page
    from docclean.synth import degrade, render_page

    w, h = round(A4_INCHES[0] * dpi), round(A4_INCHES[1] * dpi)
    page = degrade(render_page(w, h, dpi=dpi), np.random.default_rng(dpi), jpeg=False)
    write_page(path, page, dpi=(dpi, dpi))


def worker(method: str, model: str, src_dir: Path, out_dir: Path) -> None:
    """Runs in the subprocess: clean every page in ``src_dir`` and print timings as JSON."""
    import torch

    from bench.baselines import median_background_division
    from docclean import Denoiser
    from docclean.batch import clean_batch
    from docclean.settings import CleanSettings

    t0 = time.perf_counter()
    if method == "docclean":
        cleaner = Denoiser.load(model)
        info = f"{cleaner.precision}, {torch.get_num_threads()} threads"
    else:
        dpi = int(src_dir.name.split("-")[1])

        class Baseline:
            metadata: dict = {}
            model_path = None
            device = precision = "cpu"
            backend = type("B", (), {"name": "numpy"})

            def clean(self, page: np.ndarray, progress: object = None) -> np.ndarray:
                return median_background_division(page, 21 * dpi // 100)

        cleaner, info = Baseline(), f"median {21 * dpi // 100}px"
    load_s = time.perf_counter() - t0
    t1 = time.perf_counter()
    report = clean_batch([str(src_dir)], out_dir, CleanSettings(model=model, overwrite=True), cleaner=cleaner)
    total = time.perf_counter() - t1
    jobs = report.files
    failed = [r.error for r in report.files if r.error]
    if failed:
        raise SystemExit(f"cleaning failed: {failed[0]}")
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"load_s": load_s, "per_page_s": total / len(jobs), "peak_mb": peak_mb, "info": info}))


def measure(method: str, model: str, src_dir: Path, out_dir: Path) -> dict:
    cmd = [sys.executable, __file__, "--worker", method, "--model", model, "--src", str(src_dir), "--dst", str(out_dir)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1]
    return json.loads(out)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", default="default")
    p.add_argument("--pages", type=int, default=3)
    p.add_argument("--dpis", type=int, nargs="+", default=[150, 300, 600])
    p.add_argument("--worker", help=argparse.SUPPRESS)
    p.add_argument("--src", type=Path, help=argparse.SUPPRESS)
    p.add_argument("--dst", type=Path, help=argparse.SUPPRESS)
    p.add_argument("--make", type=int, help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.worker:
        worker(a.worker, a.model, a.src, a.dst)
        return
    if a.make:
        make_page(a.make, a.dst)
        return
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for dpi in a.dpis:
            src = Path(tmp) / f"src-{dpi}"
            src.mkdir()
            # In a child process: Linux carries a parent's peak RSS over into the children it
            # starts, so the parent must stay small for the workers' peaks to be their own.
            subprocess.run([sys.executable, __file__, "--make", str(dpi), "--dst", str(src / "page-1.png")], check=True)
            for i in range(2, a.pages + 1):
                (src / f"page-{i}.png").write_bytes((src / "page-1.png").read_bytes())
            mp = round(A4_INCHES[0] * dpi) * round(A4_INCHES[1] * dpi) / 1e6
            base = measure("baseline", a.model, src, Path(tmp) / f"base-{dpi}")
            ours = measure("docclean", a.model, src, Path(tmp) / f"ours-{dpi}")
            rows.append((dpi, mp, base, ours))
    print(f"A4 pages, {a.pages} per size, end to end (PNG read, clean, PNG write); model load excluded "
          f"(docclean load {rows[0][3]['load_s']:.2f} s, {rows[0][3]['info']})")
    print("| dpi | megapixels | baseline s/page | docclean s/page | ratio | docclean s/MP | docclean peak MB | baseline peak MB |")
    print("|---|---|---|---|---|---|---|---|")
    for dpi, mp, base, ours in rows:
        print(f"| {dpi} | {mp:.1f} | {base['per_page_s']:.2f} | {ours['per_page_s']:.2f} | "
              f"{ours['per_page_s'] / base['per_page_s']:.1f}x | {ours['per_page_s'] / mp:.3f} | "
              f"{ours['peak_mb']:.0f} | {base['peak_mb']:.0f} |")
    if len(rows) > 1:
        per_mp = [ours["per_page_s"] / mp for _, mp, _, ours in rows]
        print(f"time per megapixel, largest vs smallest page: {per_mp[-1] / per_mp[0]:.2f}x (1.00 = linear)")


if __name__ == "__main__":
    main()
