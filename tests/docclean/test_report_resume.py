"""``--report`` across resumes and kills (docclean.reportcarry): a resumed batch's skipped files
carry the earlier run's pages (ink loss and all), chains of resumes keep the first cleaning's
record, a report of another output or another program is not used, and the report is written
while the batch runs. Tiny random pages and the tiny model of tests/docclean/conftest.py."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
from PIL import Image

from docclean import reportcarry
from docclean.batch import clean_batch
from docclean.engine import Denoiser
from docclean.errors import Cancelled
from docclean.progress import CleanProgress
from docclean.report import FileResult, PageResult, Report
from docclean.settings import CleanSettings

NAMES = ["a.png", "b.png", "c.png", "d.png", "e.png"]
RNG = np.random.default_rng(11)


@pytest.fixture
def scans(tmp_path: Path) -> Path:
    """Five one-page scans."""
    folder = tmp_path / "in"
    folder.mkdir()
    for name in NAMES:
        Image.fromarray(RNG.integers(0, 256, (40, 32), dtype=np.uint8)).save(folder / name)
    return folder


class CancelAfterPages(CleanProgress):
    """Cancels once ``pages`` pages are cleaned (or ``files`` files are done), so a run stops before the next."""

    def __init__(self, pages: int | None = None, files: int | None = None) -> None:
        self.pages, self.files, self.cleaned, self.done = pages, files, 0, 0

    def on_page_done(self, job: Any, page: PageResult) -> None:
        self.cleaned += 1

    def on_file_done(self, result: FileResult) -> None:
        self.done += 1

    def cancelled(self) -> bool:
        return (self.pages is not None and self.cleaned >= self.pages) or \
            (self.files is not None and self.done >= self.files)


def batch(scans: Path, out: Path, denoiser: Denoiser, report_path: Path, progress: CleanProgress | None = None,
          **settings: Any) -> Report:
    return clean_batch([str(scans)], out, CleanSettings(**settings), progress, cleaner=denoiser,
                       report_path=report_path, pipeline=False)


def read(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def by_name(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {Path(entry["source"]).name: entry for entry in data["files"]}


def test_a_resume_carries_the_earlier_pages_and_a_chain_keeps_the_first_record(
        scans: Path, tmp_path: Path, denoiser: Denoiser) -> None:
    out, path = tmp_path / "out", tmp_path / "r.json"
    with pytest.raises(Cancelled):
        batch(scans, out, denoiser, path, CancelAfterPages(pages=3))
    first = read(path)
    assert [(Path(f["source"]).name, f["status"]) for f in first["files"]][:3] == \
        [("a.png", "cleaned"), ("b.png", "cleaned"), ("c.png", "cleaned")]
    assert first["in_progress"] is False and first["earlier_files"] == []

    report = batch(scans, out, denoiser, path)
    second = read(path)
    files = by_name(second)
    assert [files[n]["status"] for n in NAMES] == ["skipped"] * 3 + ["cleaned"] * 2
    for name in NAMES[:3]:  # the first run's record of each, as it was: pages, ink loss, warnings
        was = by_name(first)[name]
        assert files[name]["pages"] == []
        assert files[name]["earlier"] == {"started": first["started"], "pages": was["pages"],
                                          "warnings": was["warnings"]}
        assert files[name]["earlier"]["pages"][0]["ink_loss"] is not None
    assert all("earlier" not in files[name] for name in NAMES[3:])
    # The carried pages are not this run's: its counts and rate are its own.
    assert second["summary"]["pages_cleaned"] == report.pages_cleaned == 2
    assert second["summary"]["skipped"] == 3 and second["summary"]["cleaned"] == 2
    assert second["summary"]["pages_per_second"] == round(2 / report.seconds, 3)
    assert second["in_progress"] is False and second["earlier_files"] == []

    batch(scans, out, denoiser, path)  # all skipped: every record still there, from the run that cleaned it
    third = by_name(read(path))
    assert all(third[n]["status"] == "skipped" for n in NAMES)
    assert [third[n]["earlier"]["started"] for n in NAMES] == [first["started"]] * 3 + [second["started"]] * 2
    assert [third[n]["earlier"]["pages"] for n in NAMES] == \
        [by_name(first)[n]["pages"] for n in NAMES[:3]] + [files[n]["pages"] for n in NAMES[3:]]


def test_a_resume_stopped_before_its_skipped_files_keeps_their_records(
        scans: Path, tmp_path: Path, denoiser: Denoiser) -> None:
    out, path = tmp_path / "out", tmp_path / "r.json"
    batch(scans, out, denoiser, path)
    first = read(path)
    with pytest.raises(Cancelled):  # stopped after two of the five skipped files
        batch(scans, out, denoiser, path, CancelAfterPages(files=2))
    second = read(path)
    assert [Path(f["source"]).name for f in second["files"]] == NAMES[:2]
    assert [Path(f).name for f in second["not_reached"]] == NAMES[2:]
    kept = {Path(f["source"]).name: f for f in second["earlier_files"]}
    assert sorted(kept) == NAMES[2:]
    assert kept["c.png"]["targets"] == [str(out / "c.png")]
    assert kept["c.png"]["earlier"]["pages"] == by_name(first)["c.png"]["pages"]

    batch(scans, out, denoiser, path)
    third = read(path)
    assert [f["earlier"]["started"] for f in third["files"]] == [first["started"]] * 5
    assert third["earlier_files"] == []


def test_a_file_cleaned_again_has_no_earlier_record(scans: Path, tmp_path: Path, denoiser: Denoiser) -> None:
    out, path = tmp_path / "out", tmp_path / "r.json"
    batch(scans, out, denoiser, path)
    (out / "b.png").unlink()  # cleaned again: its new pages are the record
    batch(scans, out, denoiser, path)
    files = by_name(read(path))
    assert files["b.png"]["status"] == "cleaned" and "earlier" not in files["b.png"]
    assert read(path)["earlier_files"] == []
    batch(scans, out, denoiser, path, overwrite=True)  # all cleaned again: nothing carried
    assert all("earlier" not in f for f in read(path)["files"]) and read(path)["earlier_files"] == []


def test_the_output_may_be_named_another_way(scans: Path, tmp_path: Path, denoiser: Denoiser,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "r.json"
    batch(scans, Path("out"), denoiser, path)
    batch(scans, tmp_path / "out", denoiser, path)
    data = read(path)
    assert data["output"] == str(tmp_path / "out")
    assert all(f["status"] == "skipped" and f["earlier"]["pages"] for f in data["files"])


@pytest.mark.parametrize("earlier", ["another output", "garbage", "cut short", "other json"])
def test_a_report_that_is_not_this_outputs_is_ignored_and_overwritten(
        scans: Path, tmp_path: Path, denoiser: Denoiser, earlier: str) -> None:
    out, path = tmp_path / "out", tmp_path / "r.json"
    batch(scans, out, denoiser, tmp_path / "first.json")  # out is cleaned: the run below skips every file
    if earlier == "another output":
        batch(scans, tmp_path / "elsewhere", denoiser, path)
    elif earlier == "garbage":
        path.write_bytes(b"\x00\xffnot a report at all")
    elif earlier == "cut short":
        path.write_text((tmp_path / "first.json").read_text()[:-200])
    else:
        path.write_text(json.dumps({"started": "x", "output": str(out), "files": [1, {"source": 2}]}))
    report = batch(scans, out, denoiser, path)
    data = read(path)
    assert report.exit_code == 0 and data["output"] == str(out)
    assert [f["status"] for f in data["files"]] == ["skipped"] * 5
    assert all("earlier" not in f for f in data["files"]) and data["earlier_files"] == []


def test_a_dry_run_writes_only_at_the_end_and_keeps_the_earlier_records(
        scans: Path, tmp_path: Path, denoiser: Denoiser, monkeypatch: pytest.MonkeyPatch) -> None:
    # A dry run with the same --report replaced the report: the records of the run that cleaned
    # the files were gone for the next resume.
    out, path = tmp_path / "out", tmp_path / "r.json"
    batch(scans, out, denoiser, path)
    cleaned = {f["source"]: f["pages"] for f in read(path)["files"]}
    monkeypatch.setattr(reportcarry, "WRITE_EVERY", 0)
    monkeypatch.setattr(reportcarry, "WRITE_SHARE", 0)
    writes: list[bool] = []
    real = Report.write_json
    monkeypatch.setattr(Report, "write_json", lambda self, where: (writes.append(self.in_progress), real(self, where)))
    batch(scans, out, denoiser, path, dry_run=True)
    assert writes == [False]
    assert {f["source"]: f["earlier"]["pages"] for f in read(path)["files"]} == cleaned
    monkeypatch.undo()
    batch(scans, out, denoiser, path)  # and the resume after it still has them
    assert {f["source"]: f["earlier"]["pages"] for f in read(path)["files"]} == cleaned


class Snapshots(CleanProgress):
    """Reads the report on disk each time a file is done (before the batch writes its own)."""

    def __init__(self, path: Path) -> None:
        self.path, self.seen = path, []

    def on_file_done(self, result: FileResult) -> None:
        self.seen.append(read(self.path) if self.path.exists() else None)


def test_the_report_is_written_while_the_batch_runs(scans: Path, tmp_path: Path, denoiser: Denoiser,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reportcarry, "WRITE_EVERY", 0)
    monkeypatch.setattr(reportcarry, "WRITE_SHARE", 0)
    out, path = tmp_path / "out", tmp_path / "r.json"
    progress = Snapshots(path)
    batch(scans, out, denoiser, path, progress)
    assert progress.seen[0] is None  # nothing settled yet when the first file is done
    third = progress.seen[2]  # written after the second file settled
    assert third["in_progress"] is True
    assert [Path(f["source"]).name for f in third["files"]] == NAMES[:2]
    assert [Path(f).name for f in third["not_reached"]] == NAMES[2:]
    assert third["summary"]["files"] == third["summary"]["cleaned"] == third["summary"]["pages_cleaned"] == 2
    assert third["files"][0]["pages"][0]["ink_loss"] is not None
    final = read(path)
    assert final["in_progress"] is False and final["summary"]["cleaned"] == 5 and final["not_reached"] == []


def test_a_killed_resume_leaves_a_report_the_next_resume_carries_on_from(
        scans: Path, tmp_path: Path, denoiser: Denoiser, monkeypatch: pytest.MonkeyPatch) -> None:
    out, path = tmp_path / "out", tmp_path / "r.json"
    batch(scans, out, denoiser, path)
    first = read(path)
    monkeypatch.setattr(reportcarry, "WRITE_EVERY", 0)
    monkeypatch.setattr(reportcarry, "WRITE_SHARE", 0)

    class KeepThird(CleanProgress):
        done = 0

        def on_file_done(self, result: FileResult) -> None:
            self.done += 1
            if self.done == 3:  # the report as a run killed outright here leaves it
                shutil.copy(path, tmp_path / "killed.json")

    batch(scans, out, denoiser, path, KeepThird())
    shutil.copy(tmp_path / "killed.json", path)
    killed = read(path)
    assert killed["in_progress"] is True and len(killed["files"]) == 2 and len(killed["earlier_files"]) == 3
    batch(scans, out, denoiser, path)
    assert [f["earlier"]["started"] for f in read(path)["files"]] == [first["started"]] * 5


def test_writes_come_every_30_s_and_at_least_20_times_as_long_as_the_last_took(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    clock = [0.0]
    monkeypatch.setattr(reportcarry, "time", SimpleNamespace(perf_counter=lambda: clock[0]))
    written: list[float] = []

    def write(self: Report, where: Path) -> None:
        assert self.in_progress and where == tmp_path / "r.json"
        written.append(clock[0])
        clock[0] += 2.0  # a large report: each write takes 2 s, so the next waits 40 s, not 30

    monkeypatch.setattr(Report, "write_json", write)
    report = Report()
    keeper = reportcarry.ReportKeeper(report, tmp_path / "r.json")
    keeper.begin([], 0.0)
    for now in range(0, 121, 5):
        clock[0] = max(clock[0], float(now))
        report.files.append(FileResult(Path(f"{now}.png"), status="skipped"))
        keeper.settled(report.files[-1])
    assert written == [30.0, 75.0, 120.0]  # 30 s after the start, then 40 s after each 2 s write ended
    keeper.settled(FileResult(Path("last.png"), status="skipped"), more=False)  # the batch is ending
    assert len(written) == 3


def test_a_report_half_written_by_a_killed_run_is_removed_by_the_next(
        scans: Path, tmp_path: Path, denoiser: Denoiser) -> None:
    import os
    import time

    from docclean.atomic import atomic_path

    path = tmp_path / "r.json"
    with pytest.raises(KeyboardInterrupt):
        with atomic_path(path) as tmp:  # a write the run never finished (killed outright: left behind)
            left = tmp
            tmp.write_text("{")
            os.link(tmp, tmp.with_name("kept"))
            raise KeyboardInterrupt
    os.rename(left.with_name("kept"), left)
    fresh = left.with_name(left.name.replace(left.name[-12:-4], "abcdefgh"))
    fresh.write_text("{")  # another run writing its report right now: left alone
    hour_ago = time.time() - 3600
    os.utime(left, (hour_ago, hour_ago))
    batch(scans, tmp_path / "out", denoiser, path)
    assert not left.exists() and fresh.exists() and read(path)["summary"]["cleaned"] == 5
