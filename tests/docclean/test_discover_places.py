"""Plain reasons for odd paths (docclean.places through discover and plan): a name that starts
with ``~``, an output name too long for its file system, a FIFO, a symbolic link loop."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PIL import Image

from docclean.batch import clean_batch
from docclean.discover import discover
from docclean.report import FAILED, WOULD_CLEAN, Report, check_report_path
from docclean.settings import CleanSettings


def _page(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("L", (8, 8), 200).save(path)
    return path


def _dry(inputs: list, out: Path | str, **settings) -> Report:
    return clean_batch([str(i) for i in inputs], out, CleanSettings(dry_run=True, **settings))


def test_a_name_that_starts_with_a_tilde_is_taken_as_it_is(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    _page(tmp_path / "~$budget.png")  # an office program's lock file name; ~$budget is no user
    jobs = discover(["~$budget.png"], Path("~out"))
    assert [(str(j.source), str(j.target), j.error) for j in jobs] == [("~$budget.png", "~out/~$budget.png", None)]
    check_report_path("~report.json")  # no "Could not determine home directory"
    assert [f.status for f in _dry(["~$budget.png"], Path("o")).files] == [WOULD_CLEAN]


def test_a_tilde_that_names_a_home_is_still_expanded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    _page(tmp_path / "home" / "scans" / "a.png")
    jobs = discover(["~/scans"], Path("~/clean"))
    assert [(j.source, j.target) for j in jobs] == [(tmp_path / "home" / "scans" / "a.png",
                                                     tmp_path / "home" / "clean" / "a.png")]


def test_an_output_name_too_long_for_the_file_system_is_a_plain_reason(tmp_path: Path) -> None:
    source = _page(tmp_path / "in" / ("x" * 251 + ".png"))  # 255 bytes: the most ext4 and most others take
    report = _dry([source], tmp_path / "out", fmt="webp")
    target = tmp_path / "out" / ("x" * 251 + ".webp")
    assert [(f.status, f.error) for f in report.files] == [
        (FAILED, f"{source}: the output name would be 256 bytes, more than this file system's 255 ({target})")]


def test_an_output_path_longer_than_the_system_takes_is_a_plain_reason(tmp_path: Path) -> None:
    # The check for the name alone raised ENAMETOOLONG itself: "unexpected error" for every file.
    from docclean.errors import UsageError

    deep = tmp_path.joinpath("in", *["d" * 200] * 12)  # about 2,500 bytes of input folders
    source = _page(deep / "a.png")
    out = tmp_path.joinpath(*["o" * 200] * 9)  # 1,800 more: the output path passes Linux's 4096
    report = _dry([tmp_path / "in"], out)
    assert [f.status for f in report.files] == [FAILED]
    assert report.files[0].error.startswith(f"{source}: the output path would be ")
    assert report.files[0].error.endswith(" bytes, more than the system takes (4095); choose an output folder higher"
                                          " up")
    with pytest.raises(UsageError, match=r"the path is \d+ bytes, more than the system takes \(4095\)"):
        _dry([source], tmp_path.joinpath(*["o" * 200] * 21))  # -o itself too long


def test_a_fifo_with_a_scan_name_fails_with_its_reason_in_a_folder_and_named_alone(tmp_path: Path) -> None:
    _page(tmp_path / "bad" / "x.png")
    os.mkfifo(tmp_path / "bad" / "y.png")
    report = _dry([tmp_path / "bad"], tmp_path / "o")
    assert {f.source.name: (f.status, f.error) for f in report.files} == {
        "x.png": (WOULD_CLEAN, None), "y.png": (FAILED, f"{tmp_path / 'bad' / 'y.png'}: not a regular file (a FIFO)")}
    report = _dry([tmp_path / "bad" / "y.png", tmp_path / "bad" / "x.png"], tmp_path / "o2")
    assert report.files[0].error == f"{tmp_path / 'bad' / 'y.png'}: not a regular file (a FIFO)"
    assert report.exit_code == 1


def test_a_symbolic_link_loop_says_so(tmp_path: Path) -> None:
    _page(tmp_path / "in" / "a.png")
    (tmp_path / "in" / "loop.png").symlink_to("loop.png")
    report = _dry([tmp_path / "in"], tmp_path / "o")
    assert {f.source.name: f.error for f in report.files} == {
        "a.png": None, "loop.png": f"{tmp_path / 'in' / 'loop.png'}: symbolic link loop"}
    assert _dry([tmp_path / "in" / "loop.png", tmp_path / "in" / "a.png"], tmp_path / "o2").files[0].error == \
        f"{tmp_path / 'in' / 'loop.png'}: symbolic link loop"
