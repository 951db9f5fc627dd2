"""A ``file://`` output is the local folder it names: a run given the URL and one given the plain
path (or two given the URL) cannot write to it at once, in both engines; an interrupted multi-page
output there keeps its finished pages for the rerun, as the stop line says; and a Ray run the lock
refuses writes its report and names the folder as given, as ``clean_batch``; so does the local
engine's URL run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cluster_helpers import CancelAfterPages, import_or_skip, write_image

from cli.clean_view import stopped_line
from docclean.batch import clean_batch
from docclean.cluster import clean_with_engine, driver
from docclean.errors import Cancelled
from docclean.outputs import OutputBusy, output_lock
from docclean.progress import CleanProgress
from docclean.report import CLEANED, SKIPPED, Report


def scans(folder: Path) -> Path:
    write_image(folder / "a.png", 1)
    write_image(folder / "b.png", 2)
    return folder


def test_a_file_url_output_is_refused_while_a_run_writes_to_its_folder(tmp_path, settings) -> None:
    src, out = scans(tmp_path / "scans"), tmp_path / "out"
    with output_lock(out):  # a run with -o out
        with pytest.raises(OutputBusy, match="is writing to this output folder"):
            clean_with_engine("local", [str(src)], out.as_uri(), settings, CleanProgress())
        with pytest.raises(OutputBusy, match="is writing to this output folder"):
            clean_with_engine("local", [src.as_uri()], out.as_uri(), settings, CleanProgress())
    assert not any(out.glob("*.png")), "the refused runs cleaned nothing"


def test_a_run_to_a_file_url_holds_the_lock_of_its_folder(tmp_path, settings) -> None:
    src, out = scans(tmp_path / "scans"), tmp_path / "out"
    for spelled in (out.as_uri(), f"file://localhost{out}"):
        found = driver.find_files([str(src)], spelled, settings)
        assert found.folder == out
        assert driver.staging_folder(found) is None  # written as to object storage: no staging folder
        with driver.output_guard(found, settings):  # a run with -o file:///.../out
            with pytest.raises(OutputBusy, match="is writing to this output folder"):
                clean_batch([str(src)], out, settings)
            with pytest.raises(OutputBusy, match="is writing to this output folder"):
                clean_with_engine("local", [str(src)], spelled, settings, CleanProgress())


def test_a_run_to_object_storage_has_no_folder_to_lock(tmp_path, settings) -> None:
    import_or_skip("s3fs", "s3fs is not installed: pip install -e '.[s3]'")
    found = driver.find_files([str(scans(tmp_path / "scans"))], "s3://bucket/out", settings)
    assert found.folder is None  # object storage has no lock


def test_a_ray_run_refused_by_the_lock_writes_its_report_and_names_the_folder_as_given(
        tmp_path, settings, monkeypatch) -> None:
    import_or_skip("ray", "Ray is not installed: pip install -e '.[ray]'")
    from docclean.cluster import ray_engine
    from docclean.cluster.ray_engine import clean_batch_ray

    def never(*args, **kw):  # noqa: ANN002, ANN003, ANN202
        raise AssertionError("a run the lock refuses reached Ray")

    monkeypatch.setattr(ray_engine, "_run", never)
    monkeypatch.chdir(tmp_path)
    scans(tmp_path / "scans")
    with output_lock(tmp_path / "out"):
        with pytest.raises(OutputBusy) as local:
            clean_batch(["scans"], "out", settings, report_path="local.json")
        with pytest.raises(OutputBusy) as ray:  # refused before Ray is started
            clean_batch_ray(["scans"], "out", settings, report_path="ray.json")
        with pytest.raises(OutputBusy):
            clean_batch_ray(["scans"], (tmp_path / "out").as_uri(), settings)
    assert str(ray.value) == str(local.value)
    assert str(ray.value).startswith("out: another docclean run")
    assert json.loads(Path("ray.json").read_text())["output"] == "out"


def test_a_url_run_of_the_local_engine_refused_by_the_lock_writes_its_report(tmp_path, settings) -> None:
    src, out = scans(tmp_path / "scans"), tmp_path / "out"
    with output_lock(out):
        with pytest.raises(OutputBusy):
            clean_with_engine("local", [str(src)], out.as_uri(), settings, CleanProgress(),
                              report_path=tmp_path / "report.json")
    written = json.loads((tmp_path / "report.json").read_text())
    assert written["output"] == out.as_uri() and written["files"] == []


def test_a_stopped_multi_page_output_to_a_file_url_keeps_its_pages_as_the_stop_line_says(tmp_path, settings) -> None:
    from cluster_helpers import hidden, tree

    src, out = tmp_path / "scans", tmp_path / "out"
    write_image(src / "stack.tif", 5, pages=6)
    clean_batch([str(src)], tmp_path / "local", settings)
    stopped = Report()
    with pytest.raises(Cancelled):
        clean_with_engine("local", [str(src)], out.as_uri(), settings, CancelAfterPages(2), report=stopped)
    kept = sorted((out / ".stack.tif.docclean-pages").glob("p*.png"))
    assert 2 <= len(kept) < 6 and not (out / "stack.tif").exists()
    assert f"{len(kept)} finished pages of " in stopped_line(stopped)
    again = clean_with_engine("local", [str(src)], out.as_uri(), settings, CleanProgress())
    assert [p.status for p in again.files[0].pages] == [SKIPPED] * len(kept) + [CLEANED] * (6 - len(kept))
    assert tree(out) == tree(tmp_path / "local")
    assert hidden(out) == []
