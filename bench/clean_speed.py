"""End-to-end cleaning speed, peak memory and compute efficiency per backend, against a baseline
timed in the same run.

Each measurement runs in a fresh subprocess (so its peak resident memory is its own): it cleans
``--pages`` copies of a synthetic degraded A4 page through the same pipeline as ``docclean clean``
(``clean_batch``: read PNG -> clean -> atomic PNG write) and reports seconds per page after the
model is loaded, the part of it spent in the network (``backend.run``), and the subprocess's peak
RSS. The baseline is median-filter background division through the same reading and writing.

Per backend it also prints the model's convolution FLOPs per pixel, the convolution throughput this
machine reaches with that backend (a microbenchmark of the model's most common convolution, 64 to
64 channels 3x3 on a quarter-resolution 1024-pixel tile, timed as its marginal rate inside a chain
of such layers: ``bench/compute_floor.py``) and the efficiency: the compute floor
(FLOPs of the tiles actually run / that throughput) over the measured network time. ``--startup``
(on by default) times ``docclean --help``, ``docclean clean --help`` and a first 300-dpi page from
process start against ``python -c "import numpy, PIL.Image"`` and the steady state.

    python bench/clean_speed.py [--backends torch onnx openvino] [--pages 2] [--dpis 150 300 600]
    python bench/clean_speed.py --device cuda --dpis 300 --pages 20     # pages/s on a GPU
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from bench.compute_floor import conv_throughput, export_conv, flops_per_pixel  # noqa: E402

A4_INCHES = (8.27, 11.69)


def make_page(dpi: int, path: Path) -> None:
    from docclean.io import write_page
    from docclean.synth import degrade, render_page

    w, h = round(A4_INCHES[0] * dpi), round(A4_INCHES[1] * dpi)
    page = degrade(render_page(w, h, dpi=dpi), np.random.default_rng(dpi), jpeg=False)
    write_page(path, page, dpi=(dpi, dpi))


class _Timed:
    """Wraps a backend: sums the time and the padded pixels of its ``run`` calls."""

    def __init__(self, backend: object) -> None:
        self.inner, self.seconds, self.pixels = backend, 0.0, 0

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)

    def run(self, tiles: np.ndarray) -> np.ndarray:
        m = self.inner.multiple  # type: ignore[attr-defined]
        n, h, w = tiles.shape
        self.pixels += n * (-(-h // m) * m) * (-(-w // m) * m)
        t = time.perf_counter()
        out = self.inner.run(tiles)  # type: ignore[attr-defined]
        self.seconds += time.perf_counter() - t
        return out


def worker(method: str, model: str, device: str, src_dir: Path, out_dir: Path, pipeline: bool = True,
           conv_onnx: Path | None = None, max_stroke: int | None = None, batch_size: int | None = None) -> None:
    """Runs in the subprocess: clean every page in ``src_dir`` and print timings as JSON."""
    from docclean.batch import clean_batch
    from docclean.settings import CleanSettings

    extra = {} if max_stroke is None else {"max_stroke": max_stroke}
    if batch_size is not None:
        extra["batch_size"] = batch_size
    settings = CleanSettings(model=model, overwrite=True, device=device, **extra,
                             backend="torch" if method == "torch" else method if method != "baseline" else "auto")
    t0 = time.perf_counter()
    timed = None
    if method != "baseline":
        from docclean.engine import Denoiser

        cleaner = Denoiser.from_settings(settings)
        timed = _Timed(cleaner.backend)
        cleaner.backend = timed  # type: ignore[assignment]
        info = f"{cleaner.backend.name} {cleaner.device} {cleaner.precision}, batch {cleaner.batch_size}" + \
            ("" if pipeline else ", sequential I/O")
    else:
        from bench.baselines import median_background_division

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
    report = clean_batch([str(src_dir)], out_dir, settings, cleaner=cleaner, pipeline=pipeline)  # type: ignore[arg-type]
    total = time.perf_counter() - t1
    failed = [r.error for r in report.files if r.error]
    if failed:
        raise SystemExit(f"cleaning failed: {failed[0]}")
    n = len(report.files)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    # The machine's speed drifts (shared cores): measure the convolution throughput in this same
    # process, right after the pages, so the efficiency compares like with like.
    gflops = conv_throughput(method, device, settings.effective_threads, conv_onnx) if timed and conv_onnx else 0.0
    print(json.dumps({"load_s": load_s, "per_page_s": total / n, "peak_mb": peak_mb, "info": info,
                      "net_s": timed.seconds / n if timed else 0.0, "net_px": timed.pixels / n if timed else 0,
                      "gflops": gflops}))


def measure(args: list[str]) -> dict:
    cmd = [sys.executable, __file__, *args]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode:
        raise SystemExit(f"{' '.join(args[:2])} failed:\n{proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def startup(exe: Path, page: Path, out: Path, repeats: int = 3) -> dict[str, float]:
    """Median wall seconds of the commands a user runs first, each in a fresh process."""
    def wall(cmd: list[str], repeats: int = repeats) -> float:
        times = []
        for _ in range(repeats):
            t = time.perf_counter()
            subprocess.run(cmd, check=True, capture_output=True, cwd=REPO)
            times.append(time.perf_counter() - t)
        return statistics.median(times)

    return {"python -c 'import numpy, PIL.Image'": wall([sys.executable, "-c", "import numpy, PIL.Image"]),
            "docclean --help": wall([str(exe), "--help"]),
            "docclean clean --help": wall([str(exe), "clean", "--help"]),
            "docclean clean (one 300-dpi page)": wall([str(exe), "clean", str(page), "-o", str(out), "--overwrite",
                                                       "--quiet"], repeats=2)}


def main() -> None:
    from docclean.backends import installed_backends

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", default="default")
    p.add_argument("--pages", type=int, default=2)
    p.add_argument("--dpis", type=int, nargs="+", default=[150, 300, 600])
    p.add_argument("--backends", nargs="+", default=None, help="default: every installed one (torch on a GPU)")
    p.add_argument("--device", default="cpu", choices=["cpu", "cuda", "mps"])
    p.add_argument("--no-startup", action="store_true", help="skip the start-up timings")
    p.add_argument("--max-stroke", type=int, default=None,
                   help="the engine's max_stroke (default: the shipped setting; 0: no second pass for wide strokes)")
    p.add_argument("--batch-sizes", type=int, nargs="+", default=None,
                   help="tiles per network call to compare, a row each (default: the engine's default)")
    p.add_argument("--batch-size", type=int, default=None, help=argparse.SUPPRESS)
    p.add_argument("--sequential", action="store_true",
                   help="also time the first backend with sequential I/O (clean_batch(pipeline=False))")
    p.add_argument("--pipeline", type=int, default=1, help=argparse.SUPPRESS)
    p.add_argument("--conv", type=Path, help=argparse.SUPPRESS)
    p.add_argument("--worker", help=argparse.SUPPRESS)
    p.add_argument("--src", type=Path, help=argparse.SUPPRESS)
    p.add_argument("--dst", type=Path, help=argparse.SUPPRESS)
    p.add_argument("--make", type=int, help=argparse.SUPPRESS)
    p.add_argument("--probe", help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.worker:
        worker(a.worker, a.model, a.device, a.src, a.dst, bool(a.pipeline), a.conv, a.max_stroke, a.batch_size)
        return
    if a.make:
        make_page(a.make, a.dst)
        return
    threads = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    if a.probe:
        export_conv(a.dst)
        print(json.dumps({"flops_px": flops_per_pixel(a.model)}))
        return
    backends = a.backends or (installed_backends() if a.device == "cpu" else ["torch"])
    # One row per backend and batch size; ``runs`` names each (the backend, or "backend bN").
    runs = [(b, None, b) for b in backends] if not a.batch_sizes else \
        [(b, n, f"{b} b{n}") for b in backends for n in a.batch_sizes]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        conv_onnx = Path(tmp) / "conv.onnx"
        flops_px = measure(["--probe", "conv", "--model", a.model, "--dst", str(conv_onnx)])["flops_px"]
        for dpi in a.dpis:
            src = Path(tmp) / f"src-{dpi}"
            src.mkdir()
            # In a child process: Linux carries a parent's peak RSS over into the children it
            # starts, so the parent must stay small for the workers' peaks to be their own.
            subprocess.run([sys.executable, __file__, "--make", str(dpi), "--dst", str(src / "page-1.png")], check=True)
            for i in range(2, a.pages + 1):
                (src / f"page-{i}.png").write_bytes((src / "page-1.png").read_bytes())
            mp = round(A4_INCHES[0] * dpi) * round(A4_INCHES[1] * dpi) / 1e6
            common = ["--model", a.model, "--device", a.device, "--src", str(src), "--conv", str(conv_onnx),
                      *(["--max-stroke", str(a.max_stroke)] if a.max_stroke is not None else [])]
            base = measure(["--worker", "baseline", *common, "--dst", str(Path(tmp) / f"base-{dpi}")])
            for b, n, key in runs:
                batch = [] if n is None else ["--batch-size", str(n)]
                ours = measure(["--worker", b, *common, *batch, "--dst", str(Path(tmp) / f"{key}-{dpi}")])
                rows.append((dpi, mp, key, base, ours))
                print(f"measured: {dpi} dpi {key}: {json.dumps(ours)}; baseline {base['per_page_s']:.2f} s",
                      file=sys.stderr, flush=True)
            if a.sequential:
                b = backends[0]
                ours = measure(["--worker", b, *common, "--dst", str(Path(tmp) / f"{b}-seq-{dpi}"), "--pipeline", "0"])
                rows.append((dpi, mp, b + " sequential", base, ours))
        first = None
        if not a.no_startup and 300 in a.dpis:
            exe = Path(sys.executable).with_name("docclean")
            first = startup(exe, Path(tmp) / "src-300" / "page-1.png", Path(tmp) / "first")
    shown = "default settings" if a.max_stroke is None else f"default settings but max_stroke {a.max_stroke}"
    print(f"A4 pages, {a.pages} per size, end to end (PNG read, clean, PNG write), {shown}; "
          f"model load excluded; {threads} threads; {os.uname().machine}")
    print("| dpi | MP | backend | baseline s/page | docclean s/page | ratio | network s/page | s/MP | "
          "peak MB | baseline peak MB | conv GFLOP/s | efficiency |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for dpi, mp, b, base, ours in rows:
        floor = ours["net_px"] * flops_px / (ours["gflops"] * 1e9) if ours["gflops"] else float("nan")
        eff = floor / ours["net_s"] if ours["net_s"] else float("nan")
        print(f"| {dpi} | {mp:.1f} | {ours['info']} | {base['per_page_s']:.2f} | {ours['per_page_s']:.2f} | "
              f"{ours['per_page_s'] / base['per_page_s']:.1f}x | {ours['net_s']:.2f} | {ours['per_page_s'] / mp:.3f} | "
              f"{ours['peak_mb']:.0f} | {base['peak_mb']:.0f} | {ours['gflops']:.0f} | {eff:.0%} |")
    print(f"model: {flops_px / 1e3:.1f} kFLOP per pixel (convolutions); load s: " +
          ", ".join(f"{b} {ours['load_s']:.2f}" for dpi, _, b, _, ours in rows if dpi == rows[0][0]))
    print("conv throughput (64->64 3x3 on 2x64x256x256, marginal rate in a chain of 8 -> 16 layers, "
          "measured in each worker right after its pages), "
          "GFLOP/s: " + "; ".join(f"{b} " + ", ".join(f"{ours['gflops']:.0f}" for _, _, bb, _, ours in rows if bb == b)
                                  for _, _, b in runs))
    for _, _, b in runs:
        mine = [(mp, ours) for _, mp, bb, _, ours in rows if bb == b]
        if len(mine) > 1:
            per_mp = [ours["per_page_s"] / mp for mp, ours in mine]
            print(f"{b}: time per MP, largest vs smallest page {per_mp[-1] / per_mp[0]:.2f}x (1.00 = linear)")
        if a.device != "cpu":
            for mp, ours in mine:
                print(f"{b} {a.device}: {1 / ours['per_page_s']:.1f} pages/s end to end at {mp:.1f} MP "
                      f"(network alone {1 / ours['net_s']:.1f} pages/s)")
    if first:
        base_s = first["python -c 'import numpy, PIL.Image'"]
        print("start-up (median wall s, fresh processes):")
        for name, secs in first.items():
            print(f"  {name}: {secs:.2f} s ({secs / base_s:.1f}x the numpy+Pillow import)")
        steady = [ours["per_page_s"] for dpi, _, b, _, ours in rows if dpi == 300 and b == runs[0][2]]
        if steady:
            ratio = first["docclean clean (one 300-dpi page)"] / steady[0]
            print(f"  first 300-dpi page from process start / steady-state s per page ({runs[0][2]}): {ratio:.2f}x")


if __name__ == "__main__":
    main()
