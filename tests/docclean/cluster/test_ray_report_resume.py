"""``--report`` across resumes on the Ray engine, through the code ``clean_batch`` uses
(``docclean.reportcarry``, by way of ``cluster.runreport``): a resume's skipped files carry the
record of the run that cleaned them, through a chain of resumes, and the report is written while
the batch runs, its files in input order whatever order the actors finish them in."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from cluster_helpers import StopAfterFiles, by_name, import_or_skip, read_report, record, write_image

from docclean import reportcarry
from docclean.batch import clean_batch
from docclean.errors import Cancelled
from docclean.progress import CleanProgress
from docclean.report import FileResult

import_or_skip("ray", "Ray is not installed: pip install -e '.[ray]' to run the Ray engine tests")

from docclean.cluster.ray_engine import clean_batch_ray  # noqa: E402

NAMES = ["a.png", "b.png", "c.png", "d.png"]


def scans(folder: Path) -> Path:
    for n, name in enumerate(NAMES):
        write_image(folder / name, n + 1, h=48, w=64)
    return folder




def test_a_stopped_ray_run_resumed_with_the_same_report_keeps_each_cleaning_s_record(
        tmp_path, settings, ray_session) -> None:
    src, out, path = scans(tmp_path / "scans"), tmp_path / "out", tmp_path / "r.json"
    with pytest.raises(Cancelled):
        clean_batch_ray([src], out, settings, StopAfterFiles(1), workers=1, report_path=path)
    first = read_report(path)
    cleaned = [n for n, f in by_name(first).items() if f["status"] == "cleaned"]
    assert cleaned and len(cleaned) < len(NAMES) and first["interrupted"] is True
    assert sorted(cleaned) == sorted(p.name for p in out.glob("*.png"))

    clean_batch_ray([src], out, settings, workers=1, report_path=path)
    second = read_report(path)
    files = by_name(second)
    assert [n for n in NAMES if files[n]["status"] == "skipped"] == cleaned
    for name in NAMES:
        if name in cleaned:  # the first run's record, ink loss and all
            assert files[name]["earlier"] == record(first, name)
            assert files[name]["earlier"]["pages"][0]["ink_loss"] is not None
        else:
            assert files[name]["status"] == "cleaned" and "earlier" not in files[name]
    assert second["summary"]["pages_cleaned"] == len(NAMES) - len(cleaned)
    assert second["earlier_files"] == [] and second["in_progress"] is False

    (out / "d.png").unlink()  # cleaned again by the next resume: its new pages are its record
    clean_batch_ray([src], out, settings, workers=1, report_path=path)
    third = by_name(read_report(path))
    for name in NAMES[:3]:
        assert third[name]["earlier"] == record(first if name in cleaned else second, name)
    assert third["d.png"]["status"] == "cleaned" and "earlier" not in third["d.png"]


def test_the_report_is_written_while_a_ray_batch_runs(tmp_path, settings, ray_session, monkeypatch) -> None:
    monkeypatch.setattr(reportcarry, "WRITE_EVERY", 0)
    monkeypatch.setattr(reportcarry, "WRITE_SHARE", 0)
    src, out, path = scans(tmp_path / "scans"), tmp_path / "out", tmp_path / "r.json"
    clean_batch([str(src / "a.png")], out, settings)  # a is skipped below, and carries nothing
    seen: list[Any] = []

    class Snapshots(CleanProgress):
        def on_file_done(self, result: FileResult) -> None:  # before this file settles
            seen.append(read_report(path) if path.exists() else None)

    clean_batch_ray([src], out, settings, Snapshots(), workers=2, report_path=path)
    assert seen[0] is None and len(seen) == len(NAMES)
    for n, written in enumerate(seen[1:], 1):  # written after each file settled, the one in hand not yet
        assert written["in_progress"] is True and written["summary"]["files"] == n
        names = [Path(f["source"]).name for f in written["files"]]
        assert names == sorted(names) and names[0] == "a.png"  # in input order
        assert sorted(names + [Path(f).name for f in written["not_reached"]]) == NAMES
    final = read_report(path)
    assert final["in_progress"] is False and final["not_reached"] == []
    assert [f["status"] for f in final["files"]] == ["skipped"] + ["cleaned"] * 3


def test_a_ray_resume_that_skips_every_file_stops_when_asked(tmp_path, settings, ray_session) -> None:
    """As with the local engine: a cancel is asked before each skipped file, and the files not
    reported yet are named as not reached."""
    src, out, path = scans(tmp_path / "scans"), tmp_path / "out", tmp_path / "r.json"
    clean_batch_ray([src], out, settings, workers=1, report_path=path)
    with pytest.raises(Cancelled):
        clean_batch_ray([src], out, settings, StopAfterFiles(1), workers=1, report_path=path)
    stopped = read_report(path)
    assert [(Path(f["source"]).name, f["status"]) for f in stopped["files"]] == [("a.png", "skipped")]
    assert stopped["interrupted"] is True
    assert [Path(f).name for f in stopped["not_reached"]] == ["b.png", "c.png", "d.png"]
