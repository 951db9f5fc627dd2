"""Tests for `docclean synth`: pairs written under noisy/ and clean/, the same for a seed; bad options and
set records refused before anything is written; a signal to the parent stops its workers too."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import cv2
import pytest
from typer.testing import CliRunner

from cli.main import app
from docclean.synth import write_pairs

REPO = Path(__file__).resolve().parents[2]

runner = CliRunner()


def test_synth_writes_seeded_pairs(tmp_path):
    args = ["--n", "2", "--dpi", "150", "--size", "96", "--seed", "3"]
    result = runner.invoke(app, ["synth", str(tmp_path / "a"), *args])
    assert result.exit_code == 0, result.output
    noisy = sorted(p.name for p in (tmp_path / "a" / "noisy").iterdir())
    assert len(noisy) == 2 and noisy == sorted(p.name for p in (tmp_path / "a" / "clean").iterdir())
    assert runner.invoke(app, ["synth", str(tmp_path / "b"), *args]).exit_code == 0
    for name in noisy:
        assert (tmp_path / "a" / "noisy" / name).read_bytes() == (tmp_path / "b" / "noisy" / name).read_bytes()


def test_seeds_take_32_bits_and_the_range_is_said(tmp_path):
    args = ["--n", "1", "--dpi", "150", "--size", "96"]
    beyond = runner.invoke(app, ["synth", str(tmp_path / "a"), *args, "--seed", str(2**32)])
    assert beyond.exit_code == 2 and "0<=x<=4294967295" in beyond.output, beyond.output
    assert not (tmp_path / "a").exists()
    largest = runner.invoke(app, ["synth", str(tmp_path / "b"), *args, "--seed", "4294967295"])
    assert largest.exit_code == 0, largest.output


def test_a_file_in_the_way_or_a_folder_that_cannot_be_written_is_one_line(tmp_path, monkeypatch):
    import os

    args = ["--n", "1", "--dpi", "150", "--size", "96"]
    (tmp_path / "afile").write_text("x")
    result = runner.invoke(app, ["synth", str(tmp_path / "afile"), *args])
    assert result.exit_code == 2, result.output
    last = result.output.strip().splitlines()[-1]
    assert last == f"error: {tmp_path / 'afile'}: is not a folder (a file of that name is in the way); " \
                   "choose another OUT"
    (tmp_path / "set").mkdir()
    (tmp_path / "set" / "noisy").write_text("x")
    result = runner.invoke(app, ["synth", str(tmp_path / "set"), *args])
    assert result.exit_code == 2 and "set/noisy: is not a folder" in result.output
    assert sorted(os.listdir(tmp_path / "set")) == ["noisy"]  # no set.json left behind

    def read_only(self, *a, **k):  # type: ignore[no-untyped-def]
        raise OSError(30, "Read-only file system")

    monkeypatch.setattr(Path, "mkdir", read_only)
    result = runner.invoke(app, ["synth", str(tmp_path / "ro"), *args])
    assert result.exit_code == 1
    assert result.output.strip().splitlines()[-1] == f"error: {tmp_path / 'ro'}: cannot write the set here " \
                                                     "(Read-only file system)"


def test_extending_a_set_with_another_seed_counts_both(tmp_path):
    args = ["--n", "1", "--dpi", "150", "--size", "96"]
    assert runner.invoke(app, ["synth", str(tmp_path), *args, "--seed", "1"]).exit_code == 0
    result = runner.invoke(app, ["synth", str(tmp_path), *args, "--seed", "2"])
    assert result.output.strip().endswith(f"1 pairs in {tmp_path} (2 in the folder)")


def test_synth_rejects_bad_count(tmp_path):
    assert runner.invoke(app, ["synth", str(tmp_path), "--n", "0"]).exit_code == 2


def test_synth_uneven_changes_only_the_noisy_pages(tmp_path):
    args = ["--n", "1", "--dpi", "300", "--size", "256", "--seed", "2"]
    assert runner.invoke(app, ["synth", str(tmp_path / "plain"), *args]).exit_code == 0
    result = runner.invoke(app, ["synth", str(tmp_path / "faded"), *args, "--uneven", "1"])
    assert result.exit_code == 0, result.output
    (name,) = [p.name for p in (tmp_path / "plain" / "noisy").iterdir()]
    assert (tmp_path / "plain" / "clean" / name).read_bytes() == (tmp_path / "faded" / "clean" / name).read_bytes()
    assert (tmp_path / "plain" / "noisy" / name).read_bytes() != (tmp_path / "faded" / "noisy" / name).read_bytes()
    assert runner.invoke(app, ["synth", str(tmp_path / "x"), "--uneven", "1.5"]).exit_code == 2


def test_synth_rejects_a_negative_seed_before_creating_anything(tmp_path):
    result = runner.invoke(app, ["synth", str(tmp_path / "out"), "--n", "1", "--size", "64", "--seed", "-1"])
    assert result.exit_code == 2 and "--seed" in result.output, result.output
    assert not (tmp_path / "out").exists()


def test_synth_refuses_a_set_record_that_is_not_an_object(tmp_path):
    (tmp_path / "set.json").write_text("[1, 2]\n")
    result = runner.invoke(app, ["synth", str(tmp_path), "--n", "1", "--size", "64"])
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)  # no traceback
    (line,) = [x for x in result.output.splitlines() if x.startswith("error:")]
    assert str(tmp_path / "set.json") in line and "JSON object" in line and "list" in line
    assert not (tmp_path / "noisy").exists() and (tmp_path / "set.json").read_text() == "[1, 2]\n"


def test_synth_names_the_option_a_set_folder_was_made_with_otherwise(tmp_path):
    assert runner.invoke(app, ["synth", str(tmp_path), "--n", "1", "--size", "64", "--dpi", "100"]).exit_code == 0
    result = runner.invoke(app, ["synth", str(tmp_path), "--n", "2", "--size", "64", "--dpi", "100", "--uneven", "0.3"])
    assert result.exit_code == 1, result.output
    assert result.stderr.splitlines()[-1] == (f"error: {tmp_path}: this set folder holds pairs made with other options "
                                     "(--uneven: 0 there, 0.3 now); extending it would mix them: choose another "
                                     "folder")


def _children(pid: int) -> list[int]:
    """The pids whose parent is ``pid`` (from /proc: psutil is not a dependency)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()  # after "pid (comm)": state, ppid, ...
        except (OSError, IndexError):
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"  # a zombie has stopped; only its parent's wait is missing


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="lists processes through /proc")
@pytest.mark.parametrize(("signum", "code", "how"), [(signal.SIGTERM, 143, "terminated"),
                                                     (signal.SIGINT, 130, "interrupted")])
def test_a_signal_to_the_parent_alone_stops_the_workers(tmp_path, signum, code, how):
    out = tmp_path / "set"
    cmd = [sys.executable, "-c", "from cli.main import app; app(prog_name='docclean')", "synth", str(out),
           "--n", "500", "--size", "128", "--dpi", "100", "--workers", "2"]  # far more than it gets to render
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    workers: list[int] = []
    try:
        deadline = time.monotonic() + 60
        while not list((out / "noisy").glob("*.png")) and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.02)
        workers = _children(proc.pid)
        assert len(workers) == 2 and proc.poll() is None, "the workers never started a page"
        proc.send_signal(signum)  # to the parent only, not its process group
        _, err = proc.communicate(timeout=30)
        survivors = [pid for pid in workers if _alive(pid)]
    finally:
        proc.kill()
        for pid in workers:  # never leave an orphan behind, even when the test fails
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
    assert proc.returncode == code, err
    assert how in err and "rerun" in err and "Traceback" not in err, err
    assert not survivors, "a worker outlived its parent"
    noisy = sorted(p.name for p in (out / "noisy").iterdir())
    assert len(noisy) < 500 and not [n for n in noisy + os.listdir(out / "clean") if n.startswith(".")]
    for name in noisy:  # each pair whole: both images complete
        for side in ("noisy", "clean"):
            image = cv2.imread(str(out / side / name), cv2.IMREAD_UNCHANGED)
            assert image is not None and image.shape == (128, 128)
    # A rerun continues the set: the pairs there are kept, only the missing ones are rendered.
    stamps = {name: (out / "noisy" / name).stat().st_mtime_ns for name in noisy}
    last = max(int(name.split("-")[1]) for name in noisy)  # s0-00004-100dpi.png: workers finish out of order
    names = write_pairs(out, last + 2, dpis=(100,), size=128)
    assert set(stamps) < set(names) and all((out / "noisy" / n).stat().st_mtime_ns == t for n, t in stamps.items())


def test_synth_markers_change_the_clean_pages_and_are_range_checked(tmp_path):
    args = ["--n", "1", "--dpi", "300", "--size", "256", "--seed", "5"]
    assert runner.invoke(app, ["synth", str(tmp_path / "plain"), *args]).exit_code == 0
    result = runner.invoke(app, ["synth", str(tmp_path / "marked"), *args, "--markers", "1"])
    assert result.exit_code == 0, result.output
    (name,) = [p.name for p in (tmp_path / "plain" / "clean").iterdir()]
    assert (tmp_path / "plain" / "clean" / name).read_bytes() != (tmp_path / "marked" / "clean" / name).read_bytes()
    assert runner.invoke(app, ["synth", str(tmp_path / "x"), "--markers", "1.5"]).exit_code == 2


def test_synth_boxes_are_recorded_in_the_set_and_range_checked(tmp_path):
    import json

    args = ["--n", "1", "--dpi", "150", "--size", "256", "--seed", "2"]
    assert runner.invoke(app, ["synth", str(tmp_path / "plain"), *args]).exit_code == 0
    result = runner.invoke(app, ["synth", str(tmp_path / "boxed"), *args, "--boxes", "1"])
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "boxed" / "set.json").read_text())["kind"]["boxes"] == 1.0
    (name,) = [p.name for p in (tmp_path / "plain" / "clean").iterdir()]
    assert (tmp_path / "plain" / "clean" / name).read_bytes() != (tmp_path / "boxed" / "clean" / name).read_bytes()
    result = runner.invoke(app, ["synth", str(tmp_path / "plain"), *args, "--boxes", "0.5"])
    assert result.exit_code == 1 and "--boxes: 0 there, 0.5 now" in result.output
    assert runner.invoke(app, ["synth", str(tmp_path / "x"), "--boxes", "-0.1"]).exit_code == 2
