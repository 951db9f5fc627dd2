"""How the Ray engine scales on this machine, against the local engine.

Two measurements, each engine on the same files with the same settings:

1. **Throughput**: A4 pages at ``--dpi`` (synthetic scans: strokes on a shaded, noisy page),
   cleaned by the local engine (one process, ``--threads`` threads), then by Ray with 1 worker of
   ``--threads`` threads and with 2 workers of ``--threads / 2`` threads. Pages/s is given over
   the whole run (wall clock, Ray start-up and model loads included) and after start-up (from
   the first page planned to the last page written: ``on_start`` to ``on_finish``).
2. **Overhead per file**: ``--small`` tiny pages (64 x 64 PNG, almost no compute), local engine
   against Ray with 2 workers; the difference in seconds per file is what Ray's scheduling,
   the driver round trips and the staging move cost each file.

Ray runs on this machine (``ray.init(num_cpus=cores)``, loopback, no dashboard); its own start-up
is timed separately. Every output of the Ray runs is compared byte for byte with the local run's.

    .venv/bin/python bench/scale.py                    # prints a markdown table
    .venv/bin/python bench/scale.py --out bench/results/scale.md
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from docclean.progress import CleanProgress  # noqa: E402
from docclean.settings import CleanSettings, available_cores  # noqa: E402

A4_INCHES = (8.27, 11.69)


def synthetic_page(h: int, w: int, seed: int) -> np.ndarray:
    """A grey uint8 scan: a shaded, noisy page with lines of dark strokes."""
    rng = np.random.default_rng(seed)
    yy = np.linspace(0, 1, h, dtype=np.float32)[:, None]
    xx = np.linspace(0, 1, w, dtype=np.float32)[None]
    page = 215 - 45 * xx * yy + rng.normal(0, 10, (h, w)).astype(np.float32)
    step = max(8, h // 40)
    for y in range(step, h - step, step):
        for x in range(step, w - step, max(4, step // 3)):
            if rng.random() < 0.7:
                page[y:y + step // 2, x:x + max(1, step // 8)] = 40
    return np.clip(page, 0, 255).astype(np.uint8)


def write_pages(folder: Path, count: int, h: int, w: int, dpi: int) -> Path:
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        Image.fromarray(synthetic_page(h, w, i)).save(folder / f"page{i:04d}.png", dpi=(dpi, dpi))
    return folder


class Clock(CleanProgress):
    """Times a run from ``on_start`` (model loaded, actors up) to ``on_finish``."""

    def __init__(self) -> None:
        self.start = self.finish = 0.0

    def on_start(self, files: int, pages: int) -> None:
        self.start = time.perf_counter()

    def on_finish(self, report) -> None:  # noqa: ANN001
        self.finish = time.perf_counter()


def run(engine: str, src: Path, out: Path, settings: CleanSettings, workers: int | None = None) -> dict:
    from docclean.batch import clean_batch
    from docclean.cluster.ray_engine import clean_batch_ray

    clock = Clock()
    t0 = time.perf_counter()
    if engine == "local":
        report = clean_batch([str(src)], out, settings, clock)
    else:
        report = clean_batch_ray([src], out, settings, clock, workers=workers)
    wall = time.perf_counter() - t0
    assert report.exit_code == 0, [f.error for f in report.failed]
    pages = report.pages_cleaned
    return {"engine": engine, "workers": workers, "threads": settings.threads, "pages": pages, "wall": wall,
            "startup": clock.start - t0, "steady": clock.finish - clock.start,
            "pps_wall": pages / wall, "pps_steady": pages / (clock.finish - clock.start)}


def same_bytes(a: Path, b: Path) -> bool:
    files = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    return files == sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file()) and all(
        (a / f).read_bytes() == (b / f).read_bytes() for f in files)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pages", type=int, default=8, help="A4 pages for the throughput runs")
    ap.add_argument("--dpi", type=int, default=150)
    ap.add_argument("--small", type=int, default=500, help="tiny pages for the per-file overhead")
    ap.add_argument("--threads", type=int, default=available_cores(), help="threads of the local engine")
    ap.add_argument("--model", default="default")
    ap.add_argument("--out", type=Path, help="also write the markdown table here")
    args = ap.parse_args()

    import ray

    base = CleanSettings(model=args.model)
    with tempfile.TemporaryDirectory(prefix="docclean-scale-") as tmp:
        root = Path(tmp)
        h, w = round(A4_INCHES[1] * args.dpi), round(A4_INCHES[0] * args.dpi)
        big = write_pages(root / "a4", args.pages, h, w, args.dpi)
        small = write_pages(root / "small", args.small, 64, 64, 150)

        t0 = time.perf_counter()
        ray.init(address="local", num_cpus=available_cores(), include_dashboard=False, _node_ip_address="127.0.0.1",
                 log_to_driver=False, configure_logging=False)
        ray_init = time.perf_counter() - t0
        rows = []
        half = max(1, args.threads // 2)
        for name, engine, workers, threads in (("local", "local", None, args.threads),
                                               ("ray, 1 worker", "ray", 1, args.threads),
                                               ("ray, 2 workers", "ray", 2, half)):
            out = root / f"out-{engine}-{workers}"
            row = run(engine, big, out, base.replace(threads=threads), workers)
            row["name"], row["identical"] = name, same_bytes(out, root / "out-local-None")
            rows.append(row)
            print(f"{name}: {row}", flush=True)
        local_small = run("local", small, root / "small-local", base.replace(threads=args.threads))
        ray_small = run("ray", small, root / "small-ray", base.replace(threads=half), 2)
        small_identical = same_bytes(root / "small-local", root / "small-ray")
        ray.shutdown()

    lines = ["# Ray engine against the local engine on this machine",
             "",
             f"Measured with `python bench/scale.py --pages {args.pages} --dpi {args.dpi} --small {args.small}` on "
             f"{available_cores()} cores ({platform.processor() or platform.machine()}), "
             f"load average at the end {os.getloadavg()[0]:.1f}; model `{args.model}`, backend auto. "
             f"`ray.init` on this machine: {ray_init:.1f} s (not included below).",
             "",
             f"## Throughput: {args.pages} synthetic A4 pages at {args.dpi} dpi ({h} x {w})",
             "",
             "| engine | threads per worker | start-up s | pages/s after start-up | pages/s wall | vs local "
             "(after start-up) | bytes equal to local |",
             "|---|---|---|---|---|---|---|"]
    local = rows[0]
    for r in rows:
        lines.append(f"| {r['name']} | {r['threads']} | {r['startup']:.1f} | {r['pps_steady']:.3f} | "
                     f"{r['pps_wall']:.3f} | {r['pps_steady'] / local['pps_steady']:.2f}x | "
                     f"{'yes' if r['identical'] else 'NO'} |")
    per_local = local_small["steady"] / local_small["pages"]
    per_ray = ray_small["steady"] / ray_small["pages"]
    lines += ["",
              f"## Overhead per file: {args.small} pages of 64 x 64",
              "",
              "| engine | start-up s | s per file after start-up | files/s | wall s |",
              "|---|---|---|---|---|",
              f"| local | {local_small['startup']:.1f} | {per_local * 1000:.1f} ms | {1 / per_local:.1f} | "
              f"{local_small['wall']:.1f} |",
              f"| ray, 2 workers | {ray_small['startup']:.1f} | {per_ray * 1000:.1f} ms | {1 / per_ray:.1f} | "
              f"{ray_small['wall']:.1f} |",
              "",
              f"Ray costs {(per_ray - per_local) * 1000:+.1f} ms per file against the local engine "
              f"(ratio {per_ray / per_local:.2f}x per file); outputs byte-identical: "
              f"{'yes' if small_identical else 'NO'}."]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text)


if __name__ == "__main__":
    main()
