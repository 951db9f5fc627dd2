"""``docclean clean`` in a real subprocess, stopped the hard ways: SIGTERM (exit 143, report
marked, no temp file) and kill -9 (a rerun removes the stale temp file and finishes: exactly one
valid output per input). A second run on the same output is refused while the first holds it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

REPO = Path(__file__).resolve().parents[2]

# Runs the CLI with a cleaner that marks each page it starts and then sleeps, so a test can stop it
# while a page is in hand.
SLOW_CLI = """
import sys, time
from docclean.engine import Denoiser
real = Denoiser.clean
def slow(self, page, progress=None):
    with open(sys.argv[1], "a") as fh:
        fh.write("x")
    time.sleep(float(sys.argv[2]))
    return real(self, page, progress)
Denoiser.clean = slow
from cli.main import app
app(sys.argv[3:], prog_name="docclean")
"""


def pages(folder: Path, names: list[str], frames: int = 1) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(1)
    for name in names:
        ims = [Image.fromarray(rng.integers(0, 256, (48, 40), dtype=np.uint8)) for _ in range(frames)]
        ims[0].save(folder / name, save_all=frames > 1, append_images=ims[1:])


def start(tmp_path: Path, model: Path, delay: float, *args: str) -> tuple[subprocess.Popen, Path]:
    marker = tmp_path / f"marker-{time.monotonic_ns()}"
    cmd = [sys.executable, "-c", SLOW_CLI, str(marker), str(delay), "clean", *args, "--model", str(model),
           "--device", "cpu"]
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return proc, marker


def wait_for(marker: Path, count: int = 1, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if marker.exists() and len(marker.read_text()) >= count:
            return
        time.sleep(0.05)
    raise AssertionError("the subprocess never started a page")


def visible(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def test_sigterm_is_handled_like_ctrl_c(tmp_path: Path, tiny_model_path: Path) -> None:
    pages(tmp_path / "in", ["a.png", "b.png", "c.png"])
    proc, marker = start(tmp_path, tiny_model_path, 2.0, str(tmp_path / "in"), "-o", str(tmp_path / "out"),
                         "--report", str(tmp_path / "report.json"))
    wait_for(marker, 2)  # a.png done or nearly; b.png in hand
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 143, err
    assert "terminated" in err and "rerun" in err
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["interrupted"] is True and report["stopped"] == "terminated"
    assert not [p for p in visible(tmp_path / "out") if p.endswith(".part") or "docclean.lock" in p]
    # The page in hand (b.png's) is dropped: the report marks b.png interrupted and it has no
    # output, while a.png, finished before the signal, is kept; c.png never started.
    statuses = {Path(f["source"]).name: f["status"] for f in report["files"]}
    assert statuses == {"a.png": "cleaned", "b.png": "interrupted"}, statuses
    assert visible(tmp_path / "out") == ["a.png"]


def test_kill_9_then_rerun_leaves_one_valid_output_per_input(tmp_path: Path, tiny_model_path: Path) -> None:
    pages(tmp_path / "in", ["a.png", "b.png"])
    pages(tmp_path / "in", ["c.tif"], frames=3)
    out = tmp_path / "out"
    proc, marker = start(tmp_path, tiny_model_path, 30.0, str(tmp_path / "in"), "-o", str(out))
    wait_for(marker, 1)
    proc.kill()
    proc.communicate(timeout=30)
    assert any(p.endswith(".part") for p in visible(out))  # what kill -9 leaves behind
    rerun = subprocess.run([sys.executable, "-m", "cli.main", "clean", str(tmp_path / "in"), "-o", str(out),
                            "--model", str(tiny_model_path), "--device", "cpu"],
                           cwd=REPO, capture_output=True, text=True, timeout=120)
    assert rerun.returncode == 0, rerun.stderr
    assert visible(out) == ["a.png", "b.png", "c.tif"]
    for name in ("a.png", "b.png"):
        with Image.open(out / name) as im:
            im.load()
    with Image.open(out / "c.tif") as im:
        assert im.n_frames == 3


def test_a_second_run_on_the_same_output_is_refused(tmp_path: Path, tiny_model_path: Path) -> None:
    pages(tmp_path / "in", ["a.png", "b.png"])
    first, marker = start(tmp_path, tiny_model_path, 3.0, str(tmp_path / "in"), "-o", str(tmp_path / "out"))
    try:
        wait_for(marker, 1)
        second = subprocess.run([sys.executable, "-m", "cli.main", "clean", str(tmp_path / "in"), "-o",
                                 str(tmp_path / "out"), "--model", str(tiny_model_path), "--device", "cpu"],
                                cwd=REPO, capture_output=True, text=True, timeout=120)
        assert second.returncode == 1
        assert f"pid {first.pid}" in second.stderr and "another docclean run" in second.stderr
    finally:
        first.send_signal(signal.SIGTERM)
        first.communicate(timeout=60)


@pytest.mark.skipif(not hasattr(os, "sched_getaffinity"), reason="needs CPU affinity")
def test_threads_default_to_the_cores_this_process_may_use() -> None:
    from docclean.settings import CleanSettings, available_cores

    assert available_cores() == len(os.sched_getaffinity(0))
    assert CleanSettings().effective_threads == available_cores()
    assert CleanSettings(threads=1).effective_threads == 1
