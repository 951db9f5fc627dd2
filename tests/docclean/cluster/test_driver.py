"""The driver's planning, without Ray: the same decisions as the local engine, and for big jobs
a plan that leaves page counting to the workers."""

from __future__ import annotations

import shutil

import pytest
from cluster_helpers import hidden, tree, write_image, write_pdf

from docclean.batch import clean_batch, load_cleaner
from docclean.cluster import driver, runreport
from docclean.cluster.unit import FileTask, clean_file
from docclean.progress import CleanProgress
from docclean.report import CLEANED, SKIPPED, FileResult


def scans(folder):  # noqa: ANN001, ANN201
    write_image(folder / "a.png", 1)
    write_image(folder / "stack.tif", 5, pages=3)
    write_pdf(folder / "sub" / "book.pdf", 3, pages=2)
    return folder


def test_big_jobs_leave_page_counting_to_the_workers(tmp_path, settings, monkeypatch) -> None:
    src = scans(tmp_path / "scans")
    png = settings.replace(fmt="png")
    clean_batch([str(src)], tmp_path / "local", png)
    out = tmp_path / "out"
    out.mkdir()
    shutil.copy(tmp_path / "local" / "a.png", out / "a.png")  # an earlier run finished a.png
    shutil.copy(tmp_path / "local" / "stack-p001.png", out / "stack-p001.png")  # and one page of stack.tif

    eager = driver.plan_files([str(src)], str(out), png)
    assert eager.pages == 4  # stack.tif's two pages left and book.pdf's two
    monkeypatch.setattr(driver, "LAZY_FILES", 0)
    lazy = driver.plan_files([str(src)], str(out), png)
    assert [type(s) for s in lazy.slots] == [FileResult, FileTask, FileTask]
    assert lazy.slots[0].status == SKIPPED and [t.pages for t in lazy.tasks] == [1, 1]  # estimates

    cleaner = load_cleaner(png)
    staging = out / ".docclean-staging"
    results = {t.target.rsplit("/", 1)[1]: clean_file(t, png, cleaner, CleanProgress(), staging=staging)
               for t in lazy.tasks}
    assert [p.status for p in results["stack.png"].pages] == [SKIPPED, CLEANED, CLEANED]
    assert results["book.png"].status == CLEANED and len(results["book.png"].pages) == 2
    shutil.rmtree(out / ".docclean-staging")
    assert tree(out) == tree(tmp_path / "local")
    assert hidden(out) == []


def test_a_shipped_model_is_one_file_per_node_whatever_the_actors(tmp_path, monkeypatch) -> None:
    import tempfile

    from docclean.cluster.actors import _local_copy

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    first, again = _local_copy(b"the weights"), _local_copy(b"the weights")
    assert first == again and first.read_bytes() == b"the weights"
    assert _local_copy(b"other weights") != first
    assert sorted(p.name.startswith("docclean-model-") for p in tmp_path.iterdir()) == [True, True]


def test_a_big_job_s_workers_make_the_checks_its_plan_leaves_out(tmp_path, settings, monkeypatch) -> None:
    """Without page counting the plan cannot see a file that is no output at a target, nor a page
    output that is another input's: the worker refuses both, as the local planner does."""
    src = tmp_path / "scans"
    write_image(src / "notes.png", 1)
    write_image(src / "a.tif", 2, pages=2)
    write_image(src / "a-p002.png", 3)
    write_image(src / "sub" / "b.tif", 4, pages=2)
    write_image(src / "sub" / "c.tif", 5, pages=3)
    out = tmp_path / "out"
    scan = write_image(out / "sub" / "b-p002.png", 6)  # a scan of its own, in the output tree
    (out / "notes.png").write_text("my notes")
    (out / "sub" / "c-p002.png").write_text("more notes")  # where c.tif's page 2 would go
    before = scan.read_bytes()
    png = settings.replace(fmt="png", overwrite=True)
    monkeypatch.setattr(driver, "LAZY_FILES", 0)
    lazy = driver.plan_files([str(src), str(scan)], str(out), png)
    assert {t.target.split(str(out))[1]: t.taken for t in lazy.tasks} == {
        "/a-p002.png": {}, "/a.png": {"a-p002.png": "this page output is already the output of another input"},
        "/sub/b.png": {"b-p002.png": "refusing to write over an input file; choose another "
                                     "output folder"}, "/sub/c.png": {}, "/b-p002.png": {}}
    # The output folder holds an input (the scan), so a file at an output's place may be an original:
    # --overwrite does not replace it, and the plan says so without opening anything (docclean.originals).
    refused = [r for r in lazy.slots if isinstance(r, FileResult) and r.error]
    assert [r.source.name for r in refused] == ["notes.png"] and "may be an original" in refused[0].error
    cleaner = load_cleaner(png)
    results = {t.target.split(str(out))[1]: clean_file(t, png, cleaner, CleanProgress(), staging=out / ".staging")
               for t in lazy.tasks}
    assert "already the output of another input" in results["/a.png"].error
    assert "refusing to write over an input file" in results["/sub/b.png"].error
    # Found only once its pages are cleaned: then none of them is published (the planner refuses it whole).
    assert "something that is no png file" in results["/sub/c.png"].error and results["/sub/c.png"].targets == []
    assert results["/a-p002.png"].status == results["/b-p002.png"].status == CLEANED
    assert (out / "notes.png").read_text() == "my notes" and (out / "sub" / "c-p002.png").read_text() == "more notes"
    assert scan.read_bytes() == before
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file() and ".staging" not in p.parts
                  ) == ["a-p002.png", "b-p002.png", "notes.png", "sub/b-p002.png", "sub/c-p002.png"]


def test_a_cluster_run_warns_of_an_input_folder_s_files_of_other_types(tmp_path, settings) -> None:
    from docclean.progress import WARN_LEFT_OUT
    from docclean.report import Report

    src = tmp_path / "scans"
    write_image(src / "a.png", 1)
    (src / "b.jp2").write_bytes(b"not read")
    found = driver.find_files([str(src)], str(tmp_path / "out"), settings)
    assert found.left_out == {str(src): [src / "b.jp2"]}
    said: list[tuple[str, str, str]] = []

    class Progress(CleanProgress):
        def on_warning(self, source: str, message: str, kind: str = "decoder") -> None:
            said.append((source, message, kind))

    report = Report()
    runreport.start_report(report, found, [str(src)], str(tmp_path / "out"), settings, Progress())
    line = "1 file of another type (.jp2) left out: docclean does not read them"
    assert said == [(str(src), line, WARN_LEFT_OUT)] and report.warnings == [f"{src}: {line}"]


def test_a_cluster_run_warns_of_an_output_folder_in_the_input_that_holds_other_scans(tmp_path, settings) -> None:
    from docclean.progress import WARN_LEFT_OUT
    from docclean.report import Report

    src = tmp_path / "scans"
    write_image(src / "a.png", 1)
    write_image(src / "old" / "only-here.png", 2)
    found = driver.find_files([str(src)], str(src / "old"), settings)
    said: list[tuple[str, str, str]] = []

    class Progress(CleanProgress):
        def on_warning(self, source: str, message: str, kind: str = "decoder") -> None:
            said.append((source, message, kind))

    report = Report()
    runreport.start_report(report, found, [str(src)], str(src / "old"), settings, Progress())
    line = (f"the output folder {src / 'old'} inside it is left out, and it holds 1 scan that no output of this run "
            "explains (only-here.png): not cleaned, and a file there with an output's name is taken as done, and "
            "not replaced with --overwrite; if these are originals, choose another output folder")
    assert said == [(str(src), line, WARN_LEFT_OUT)] and report.warnings == [f"{src}: {line}"]


def test_the_driver_refuses_a_page_output_that_is_another_output_but_for_case_as_the_local_planner(
        tmp_path, settings, monkeypatch) -> None:
    from docclean import places

    # The output volume folds case (macOS, an exFAT share): Scan-p001.png is scan-p001.png's output there.
    monkeypatch.setattr(places, "folding", lambda folder: places.Folding(case=True, normalization=True))
    src = tmp_path / "scans"
    write_image(src / "Scan.tif", 1, pages=2)
    write_image(src / "scan-p001.png", 2)
    out = tmp_path / "out"
    plan = driver.plan_files([str(src)], str(out), settings.replace(fmt="png"))
    refused = [r for r in plan.slots if isinstance(r, FileResult)]
    assert [r.source.name for r in refused] == ["Scan.tif"] and refused[0].error == (
        f"{src / 'Scan.tif'}: {out / 'Scan-p001.png'}: this page output is already the output of another input")
    assert [t.target.rsplit("/", 1)[1] for t in plan.tasks] == ["scan-p001.png"]


def _volume(monkeypatch, case: bool) -> list:  # noqa: ANN001
    """The output volume compares names so (this machine's keeps them apart); returns where it was
    asked (as tests/docclean/test_batch.py fakes it)."""
    from docclean import places

    asked: list = []
    monkeypatch.setattr(places, "folding", lambda folder: asked.append(folder) or places.Folding(case, case))
    return asked


def _lazy_clean(tmp_path, inputs, settings, monkeypatch):  # noqa: ANN001, ANN202
    """A big job's plan (pages left to the workers), each task cleaned in input order."""
    out = tmp_path / "out"
    png = settings.replace(fmt="png")
    monkeypatch.setattr(driver, "LAZY_FILES", 0)
    plan = driver.plan_files([str(i) for i in inputs], str(out), png)
    cleaner = load_cleaner(png)
    results = [s if isinstance(s, FileResult) else clean_file(s, png, cleaner, CleanProgress(),
                                                              staging=out / ".staging") for s in plan.slots]
    return out, {r.source.name: (r.status, r.error) for r in results}


def test_a_big_job_s_worker_refuses_a_page_output_that_is_another_output_but_for_case_where_the_volume_folds_case(
        tmp_path, settings, monkeypatch) -> None:
    # Scan-p001.png, Scan.tif's first page, is scan-p001.png's output on macOS, Windows or an exFAT share.
    asked = _volume(monkeypatch, case=True)
    src = tmp_path / "scans"
    write_image(src / "Scan.tif", 1, pages=2)
    write_image(src / "scan-p001.png", 2)
    out, results = _lazy_clean(tmp_path, [src], settings, monkeypatch)
    assert results["Scan.tif"] == ("failed", f"{src / 'Scan.tif'}: {out / 'Scan-p001.png'}: "
                                             "this page output is already the output of another input")
    assert results["scan-p001.png"] == (CLEANED, None)
    assert tree(out).keys() == {"scan-p001.png"}  # Scan.tif wrote nothing over it
    assert asked == [out]  # asked once, by the driver, where the pages would go


def test_a_big_job_s_worker_refuses_a_page_output_that_is_an_input_but_for_case_where_the_volume_folds_case(
        tmp_path, settings, monkeypatch) -> None:
    _volume(monkeypatch, case=True)
    write_image(tmp_path / "scans" / "Scan.tif", 1, pages=2)
    original = write_image(tmp_path / "out" / "scan-p001.png", 2).read_bytes()  # an input, in the output folder
    out, results = _lazy_clean(tmp_path, [tmp_path / "scans" / "Scan.tif", tmp_path / "out" / "scan-p001.png"],
                               settings, monkeypatch)
    assert results["Scan.tif"] == ("failed", f"{tmp_path / 'scans' / 'Scan.tif'}: {out / 'Scan-p001.png'}: "
                                             "refusing to write over an input file; choose another output folder")
    assert tree(out) == {"scan-p001.png": original}


def test_a_big_job_writes_page_outputs_apart_from_other_outputs_but_for_case_where_the_volume_keeps_case(
        tmp_path, settings, monkeypatch) -> None:
    asked = _volume(monkeypatch, case=False)
    src = tmp_path / "scans"
    write_image(src / "Scan.tif", 1, pages=2)
    write_image(src / "scan-p001.png", 2)
    out, results = _lazy_clean(tmp_path, [src], settings, monkeypatch)
    assert results == {"Scan.tif": (CLEANED, None), "scan-p001.png": (CLEANED, None)}
    assert sorted(tree(out)) == ["Scan-p001.png", "Scan-p002.png", "scan-p001.png"] and asked == [out]
    asked.clear()
    write_image(tmp_path / "other" / "doc.tif", 3, pages=2)
    write_image(tmp_path / "other" / "doc-p003.png", 4)
    _lazy_clean(tmp_path / "second", [tmp_path / "other"], settings, monkeypatch)
    assert asked == []  # no page file differs from a target's only in case: nothing to ask


def test_object_storage_compares_page_outputs_exactly(monkeypatch) -> None:
    from docclean import places
    from docclean.cluster.taken import mark_taken_pages

    monkeypatch.setattr(places, "folding", lambda folder: pytest.fail(f"{folder} asked: object stores keep case"))
    tasks = [FileTask(0, "s3://b/in/Scan.tif", "s3://b/out/Scan.png"),
             FileTask(1, "s3://b/in/scan-p001.png", "s3://b/out/scan-p001.png"),
             FileTask(2, "s3://b/in/doc.tif", "s3://b/out/doc.png"),
             FileTask(3, "s3://b/in/doc-p002.png", "s3://b/out/doc-p002.png")]
    mark_taken_pages(tasks)
    assert [t.taken for t in tasks] == [{}, {}, {"doc-p002.png": "this page output is already the output of "
                                                                 "another input"}, {}]
