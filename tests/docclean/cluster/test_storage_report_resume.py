"""``--report`` across resumes for the local engine on URLs (``storage_engine``), through the code
``clean_batch`` uses (``docclean.reportcarry``, by way of ``cluster.runreport``): a resume's skipped
files carry the record of the run that cleaned them, through a chain of resumes; records of files a
run did not reach stay in ``earlier_files``; the report is written while the run goes; an output URL
named another way is the same output. ``file://`` URLs stand for object storage (the same code
path as ``s3://``) and fsspec's ``memory://`` for a store that is no local folder."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from cluster_helpers import StopAfterFiles, by_name, read_report, record, write_image

from docclean import reportcarry
from docclean.cluster import clean_with_engine, driver, storage
from docclean.errors import Cancelled
from docclean.outputs import OutputBusy, output_lock
from docclean.progress import CleanProgress
from docclean.report import FileResult, Report
from docclean.settings import CleanSettings

NAMES = ["a.png", "b.png", "c.png"]


def scans(folder: Path) -> Path:
    for n, name in enumerate(NAMES):
        write_image(folder / name, n + 1, h=48, w=64)
    return folder



def run(inputs: list[str], output: str, settings: CleanSettings, report_path: Path,
        progress: CleanProgress | None = None, **kw: Any) -> Report:
    return clean_with_engine("local", inputs, output, settings, progress or CleanProgress(),
                             report_path=report_path, **kw)



def test_a_url_run_resumed_with_the_same_report_carries_the_earlier_records_through_a_chain(
        tmp_path, settings) -> None:
    src, out, path = scans(tmp_path / "scans"), (tmp_path / "out").as_uri(), tmp_path / "r.json"
    with pytest.raises(Cancelled):  # a was cleaned; b and c never reached
        run([src.as_uri()], out, settings, path, StopAfterFiles(1))
    first = read_report(path)
    assert [(Path(f["source"]).name, f["status"]) for f in first["files"]] == [("a.png", "cleaned")]
    assert [Path(f).name for f in first["not_reached"]] == ["b.png", "c.png"]

    run([src.as_uri()], out, settings, path)
    second = read_report(path)
    files = by_name(second)
    assert [files[n]["status"] for n in NAMES] == ["skipped", "cleaned", "cleaned"]
    assert files["a.png"]["earlier"] == record(first, "a.png")
    assert files["a.png"]["earlier"]["pages"][0]["ink_loss"] is not None
    assert "earlier" not in files["b.png"] and second["earlier_files"] == []
    assert second["summary"]["pages_cleaned"] == 2  # the carried page is not this run's

    run([src.as_uri()], out, settings, path)  # all skipped: each keeps the record of the run that cleaned it
    third = by_name(read_report(path))
    assert [third[n]["status"] for n in NAMES] == ["skipped"] * 3
    assert [third[n]["earlier"] for n in NAMES] == [record(first, "a.png"), record(second, "b.png"),
                                                    record(second, "c.png")]


def test_records_of_files_a_stopped_resume_did_not_reach_stay_for_the_next(tmp_path, settings) -> None:
    src, out, path = scans(tmp_path / "scans"), tmp_path / "out", tmp_path / "r.json"
    run([src.as_uri()], out.as_uri(), settings, path)
    first = read_report(path)
    (out / "b.png").unlink()
    with pytest.raises(Cancelled):  # a skipped, then stopped before b (to clean again) and c
        run([src.as_uri()], out.as_uri(), settings, path, StopAfterFiles(1))
    second = read_report(path)
    assert [Path(f["source"]).name for f in second["files"]] == ["a.png"]
    assert second["files"][0]["earlier"] == record(first, "a.png")
    kept = {Path(f["source"]).name: f for f in second["earlier_files"]}
    assert sorted(kept) == ["b.png", "c.png"]
    assert kept["c.png"]["targets"] == [f"{out.as_uri()}/c.png"] and kept["c.png"]["earlier"] == record(first, "c.png")
    run([src.as_uri()], out.as_uri(), settings, path)
    third = read_report(path)
    files = by_name(third)
    assert files["b.png"]["status"] == "cleaned" and "earlier" not in files["b.png"]  # its new pages are the record
    assert [files[n]["earlier"] for n in ("a.png", "c.png")] == [record(first, "a.png"), record(first, "c.png")]
    assert third["earlier_files"] == []


def test_a_dry_run_and_a_run_the_lock_refuses_keep_the_earlier_records(tmp_path, settings) -> None:
    src, out, path = scans(tmp_path / "scans"), tmp_path / "out", tmp_path / "r.json"
    run([src.as_uri()], out.as_uri(), settings, path)
    first = read_report(path)
    run([src.as_uri()], out.as_uri(), settings.replace(dry_run=True), path)
    assert [f["earlier"] for f in read_report(path)["files"]] == [record(first, n) for n in NAMES]
    with output_lock(out), pytest.raises(OutputBusy):  # refused: its report holds no file, the records stay
        run([src.as_uri()], out.as_uri(), settings, path)
    assert read_report(path)["files"] == [] and len(read_report(path)["earlier_files"]) == 3
    run([src.as_uri()], out.as_uri(), settings, path)
    assert [f["earlier"] for f in read_report(path)["files"]] == [record(first, n) for n in NAMES]


def test_an_output_url_named_another_way_is_the_same_output(tmp_path, settings, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    src, out, path = scans(tmp_path / "scans"), tmp_path / "out", tmp_path / "r.json"
    run([str(src)], out.as_uri(), settings, path)
    first = read_report(path)
    run([str(src)], f"file://localhost{out}/", settings, path)  # the same folder, spelled otherwise
    assert [f["earlier"] for f in read_report(path)["files"]] == [record(first, n) for n in NAMES]
    assert not (tmp_path / "localhost").exists()  # fsspec took the host for a folder of the working one
    run([str(src)], str(out), settings, path)  # as a plain path: clean_batch itself reads the URL run's report
    data = read_report(path)
    assert data["output"] == str(out)
    assert [f["earlier"] for f in data["files"]] == [record(first, n) for n in NAMES]


def test_an_object_store_output_resumes_with_its_records_and_another_prefix_does_not(tmp_path, settings) -> None:
    src, path = scans(tmp_path / "scans"), tmp_path / "r.json"
    bucket = f"memory://docclean-{uuid.uuid4().hex[:8]}"
    fs, root = storage.filesystem(bucket)
    try:
        run([str(src)], f"{bucket}/out", settings, path)
        first = read_report(path)
        assert [f["targets"] for f in first["files"]] == [[f"{bucket}/out/{n}"] for n in NAMES]
        run([str(src)], f"{bucket}/out/", settings, path)  # a trailing slash: the same prefix
        assert [f["earlier"] for f in read_report(path)["files"]] == [record(first, n) for n in NAMES]
        run([str(src)], f"{bucket}/other", settings, path)  # another prefix: that report is not used
        data = read_report(path)
        assert [f["status"] for f in data["files"]] == ["cleaned"] * 3
        assert all("earlier" not in f for f in data["files"]) and data["earlier_files"] == []
    finally:
        fs.rm(root, recursive=True)


def test_load_earlier_compares_urls_as_urls() -> None:
    same = reportcarry._same_place
    assert same("s3://b/out", "s3://b/out/") and same("S3://b/out", "s3://b/out")
    assert not same("s3://b/out", "s3://b/other") and not same("s3://b/out", "gs://b/out")
    assert same("file:///srv/out", "/srv/out") and same("file://localhost/srv/out/", "/srv/out")
    assert not same("s3://b/out", "s3:/b/out")  # a local folder named s3: is no bucket


def test_the_report_is_written_while_a_url_run_goes(tmp_path, settings, monkeypatch) -> None:
    monkeypatch.setattr(reportcarry, "WRITE_EVERY", 0)
    monkeypatch.setattr(reportcarry, "WRITE_SHARE", 0)
    src, out, path = scans(tmp_path / "scans"), (tmp_path / "out").as_uri(), tmp_path / "r.json"

    class Snapshots(CleanProgress):
        def __init__(self) -> None:
            self.seen: list[Any] = []

        def on_file_done(self, result: FileResult) -> None:  # before this file settles
            self.seen.append(read_report(path) if path.exists() else None)

    progress = Snapshots()
    run([src.as_uri()], out, settings, path, progress)
    assert progress.seen[0] is None  # nothing settled yet
    third = progress.seen[2]  # written after the second file settled
    assert third["in_progress"] is True
    assert [(Path(f["source"]).name, f["status"]) for f in third["files"]] == [("a.png", "cleaned"),
                                                                              ("b.png", "cleaned")]
    assert [Path(f).name for f in third["not_reached"]] == ["c.png"]
    assert third["summary"]["pages_cleaned"] == 2
    final = read_report(path)
    assert final["in_progress"] is False and final["summary"]["cleaned"] == 3 and final["not_reached"] == []


def test_the_ray_engine_s_keeper_writes_its_results_in_input_order(tmp_path, monkeypatch) -> None:
    """Ray's results come in any order: the report written meanwhile holds them in input order, and
    names as not reached every input without a result yet (without Ray: the keeper alone)."""
    from docclean.cluster import runreport
    from docclean.cluster.unit import FileTask

    monkeypatch.setattr(reportcarry, "WRITE_EVERY", 0)
    monkeypatch.setattr(reportcarry, "WRITE_SHARE", 0)
    skipped = FileResult(Path("in/a.png"), [Path("out/a.png")], "skipped")
    plan = driver.FilePlan([skipped, *(FileTask(n, f"in/{x}.png", f"out/{x}.png") for n, x in ((1, "b"), (2, "c"),
                                                                                                  (3, "d")))])
    report, path = Report(output="out"), tmp_path / "r.json"
    keeper = runreport.RankedKeeper(report, path, plan)
    keeper.begin(plan.slots, 0.0)
    runreport.emit_done(plan, CleanProgress(), report, keeper)
    assert [Path(f).name for f in read_report(path)["not_reached"]] == ["b.png", "c.png", "d.png"]
    for n in (3, 1):  # d, then b: as a batch records them (RayBatch._record)
        result = FileResult(Path(plan.slots[n].source), status="cleaned")
        keeper.rank[id(result)] = n
        report.files.append(result)
        keeper.settled(result)
    data = read_report(path)
    assert data["in_progress"] is True
    assert [Path(f["source"]).name for f in data["files"]] == ["a.png", "b.png", "d.png"]
    assert [Path(f).name for f in data["not_reached"]] == ["c.png"]


def test_a_url_resume_that_skips_every_file_stops_when_asked(tmp_path, settings) -> None:
    """A cancel is asked before every file, skipped ones too, as ``clean_batch`` asks: a resume of a
    large finished run skips for minutes and must stop on Ctrl-C."""
    src, out, path = scans(tmp_path / "scans"), (tmp_path / "out").as_uri(), tmp_path / "r.json"
    run([src.as_uri()], out, settings, path)
    with pytest.raises(Cancelled):
        run([src.as_uri()], out, settings, path, StopAfterFiles(1))
    stopped = read_report(path)
    assert [(Path(f["source"]).name, f["status"]) for f in stopped["files"]] == [("a.png", "skipped")]
    assert stopped["interrupted"] is True and [Path(f).name for f in stopped["not_reached"]] == ["b.png", "c.png"]
