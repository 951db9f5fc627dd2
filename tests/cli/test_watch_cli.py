"""``docclean watch`` as a user runs it: a real process polling a folder, a scan written slowly in
chunks (cleaned once, after it is complete), a bad file sent to failed/, one line per file, and
SIGTERM ending it cleanly with exit code 143. Plus usage errors through CliRunner."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image
from typer.testing import CliRunner

from cli.main import app
from cli.watch import settings_from_options

REPO = Path(__file__).resolve().parents[2]


def png_bytes() -> bytes:
    buf = io.BytesIO()
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (64, 48), dtype=np.uint8)).save(buf, format="PNG")
    return buf.getvalue()


def wait_for(predicate, seconds: float) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def test_watch_process_cleans_once_moves_files_and_stops_on_sigterm(tmp_path: Path, tiny_model_path: Path) -> None:
    inbox, out, done, failed = (tmp_path / n for n in ("in", "out", "done", "failed"))
    inbox.mkdir()
    cmd = [sys.executable, "-m", "cli.main", "watch", str(inbox), str(out), "--done", str(done), "--failed",
           str(failed), "--poll", "0.1", "--settle", "0.6", "--model", str(tiny_model_path), "--device", "cpu",
           "--threads", "1"]
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(REPO)})
    try:
        assert wait_for(lambda: (out / ".docclean-watch.json").exists() or out.is_dir(), 60), "watcher did not start"
        data = png_bytes()
        with (inbox / "scan.png").open("wb") as fh:  # a slow scanner: a chunk every 0.2 s
            for i in range(0, len(data), max(1, len(data) // 6)):
                fh.write(data[i:i + max(1, len(data) // 6)])
                fh.flush()
                time.sleep(0.2)
                assert not (done / "scan.png").exists(), "taken while still being written"
        (inbox / "bad.png").write_bytes(b"\x89PNG\r\n\x1a\n truncated")
        (inbox / "odd\nname.png").write_bytes(b"\x89PNG\r\n\x1a\n truncated")  # a newline in its name
        assert wait_for(lambda: (done / "scan.png").exists() and (failed / "bad.png").exists()
                        and (failed / "odd\nname.png").exists(), 60)
        time.sleep(0.5)  # a few more polls: nothing may be taken twice
        proc.send_signal(signal.SIGTERM)
        stdout, stderr = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 143, stderr
    assert stdout.count("cleaned ") == 1 and "scan.png" in stdout
    assert stderr.count("failed ") == 2 and "bad.png" in stderr and "terminated" in stderr
    # One line a file: the newline in a name is shown escaped, as docclean clean shows it.
    odd = [line for line in stderr.splitlines() if "odd" in line]
    assert len(odd) == 1 and odd[0].startswith("failed ") and "odd\\nname.png" in odd[0], odd
    assert not [line for line in stderr.splitlines() if line.startswith("name.png")]
    assert "Traceback" not in stderr
    assert Image.open(out / "scan.png").size == (48, 64)
    assert "bad.png" in (failed / "bad.png.error.txt").read_text()
    assert not list(inbox.iterdir())
    assert not [p for p in out.rglob("*") if p.name.startswith(".") and p.name != ".docclean-watch.json"]


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["watch", str(tmp_path / "missing"), str(tmp_path / "out"), "--device", "cpu"])
    assert result.exit_code == 2 and "input folder does not exist" in result.output
    (tmp_path / "in").mkdir()
    result = runner.invoke(app, ["watch", str(tmp_path / "in"), str(tmp_path / "out"), "--binarize", "--keep-color"])
    assert result.exit_code == 2 and "--keep-color" in result.output
    assert "error: --keep-color and --binarize cannot be combined" in result.output  # flags, not setting names
    result = runner.invoke(app, ["watch", str(tmp_path / "in"), str(tmp_path / "out"), "--model", "nosuch",
                                 "--device", "cpu"])
    assert result.exit_code == 2 and "no such model" in result.output
    assert not (tmp_path / "out").exists()  # checked before the output folder is made


def test_done_or_failed_in_the_output_folder_exit_2(tmp_path: Path) -> None:
    """--failed OUT: a failed x.jpg moved to OUT/x.jpg was overwritten by a later x.jpg's output."""
    runner = CliRunner()
    inbox, out = tmp_path / "in", tmp_path / "out"
    inbox.mkdir()
    for extra, message in ((["--failed", str(out)], f"error: {out}: the failed folder cannot be the output folder"),
                           (["--done", str(out / "done")],
                            f"error: {out / 'done'}: the done folder cannot lie inside the output folder"),
                           (["--done", str(tmp_path)], f"error: {tmp_path}: the done folder cannot contain the "
                                                        "output folder")):
        # A missing model: were the folders accepted, it would stop there instead of watching forever.
        result = runner.invoke(app, ["watch", str(inbox), str(out), *extra, "--device", "cpu", "--model",
                                     str(tmp_path / "missing.safetensors")])
        assert result.exit_code == 2, result.output
        assert result.output.strip() == message
    result = runner.invoke(app, ["watch", str(inbox), str(tmp_path), "--device", "cpu", "--model",
                                 str(tmp_path / "missing.safetensors")])
    assert result.exit_code == 2 and result.output.strip() == (f"error: {tmp_path}: the output folder cannot "
                                                               "contain the input folder")
    assert not out.exists()


def test_watch_shares_clean_options() -> None:
    settings = settings_from_options({"model": "m.safetensors", "binarize": True, "threshold": 0.4, "fmt": None})
    assert (settings.model, settings.binarize, settings.threshold, settings.color) == ("m.safetensors", True, 0.4,
                                                                                        "gray")


FULL_DISK = """
import errno, os, sys
from docclean import io as pageio
from docclean.errors import output_error

def add(self, pixels, dpi):  # every page written to OUT finds the disk full
    raise output_error("cannot write page 1", OSError(errno.ENOSPC, os.strerror(errno.ENOSPC)), self.path)

pageio.PageWriter.add = add
from cli.main import app
sys.argv = ["docclean", *sys.argv[1:]]
app()
"""


def test_a_full_disk_waits_for_space_and_sigterm_still_stops_it(tmp_path: Path, tiny_model_path: Path) -> None:
    """A full output disk exited 1, which systemd's Restart=on-failure turned into a restart every
    10 s; now the watcher says once that it waits for space, and SIGTERM while it waits is the
    usual clean stop (exit 143), the scan left in IN."""
    inbox, out, err = tmp_path / "in", tmp_path / "out", tmp_path / "stderr.txt"
    inbox.mkdir()
    (inbox / "scan.png").write_bytes(png_bytes())
    cmd = [sys.executable, "-c", FULL_DISK, "watch", str(inbox), str(out), "--poll", "0.1", "--settle", "0.2",
           "--model", str(tiny_model_path), "--device", "cpu", "--threads", "1"]
    with err.open("w") as stderr:
        proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=stderr, text=True,
                                env={**os.environ, "PYTHONPATH": str(REPO)})
        try:
            assert wait_for(lambda: "disk is full" in err.read_text() or proc.poll() is not None, 60)
            time.sleep(0.3)
            assert proc.poll() is None, err.read_text()  # still running: waiting for space
            began = time.monotonic()
            proc.send_signal(signal.SIGTERM)
            proc.communicate(timeout=30)
            took = time.monotonic() - began
        finally:
            if proc.poll() is None:
                proc.kill()
    said = err.read_text()
    assert proc.returncode == 143, said
    assert took < 5 and said.count("disk is full") == 1 and "Traceback" not in said and "error:" not in said
    assert f"warning: {out}: the output disk is full" in said and "terminated; stopped watching" in said
    assert (inbox / "scan.png").exists() and not (out / "scan.png").exists()
