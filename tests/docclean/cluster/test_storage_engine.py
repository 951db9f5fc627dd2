"""The local engine on URLs (``storage_engine.clean_batch_remote``) against ``clean_batch``: the
output's lock is held before the work is planned, SIGTERM stops it as it stops the local engine,
and a multi-page output of a URL source resumes from its finished pages. ``file://`` URLs stand
for object storage (the same code path as ``s3://``, without a server)."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest
import torch
from cluster_helpers import CancelAfterPages, hidden, second_run_during, tree, write_image

from docclean.batch import clean_batch
from docclean.cluster import clean_with_engine
from docclean.errors import EXIT_TERMINATED, Cancelled, Terminated
from docclean.outputs import OutputBusy
from docclean.progress import CleanProgress
from docclean.report import CLEANED, INTERRUPTED, SKIPPED, Report


def run(inputs: list[str], output: str, settings, progress=None, **kw) -> Report:  # noqa: ANN001, ANN003
    return clean_with_engine("local", inputs, output, settings, progress or CleanProgress(), **kw)


def test_a_second_run_cannot_plan_the_work_of_the_first(tmp_path, settings, monkeypatch) -> None:
    """The lock is taken before deciding what is pending, as clean_batch takes it: a run that starts
    while this one plans is refused, instead of both cleaning the same files."""
    import docclean.plan

    src = tmp_path / "scans"
    write_image(src / "a.png", 1)
    write_image(src / "b.png", 2)
    out = tmp_path / "out"
    planning, other = second_run_during(docclean.plan.output_complete, src, out, settings)
    monkeypatch.setattr(docclean.plan, "output_complete", planning)
    report = run([src.as_uri()], str(out), settings)
    assert isinstance(other[1], OutputBusy), "the other run was let in while this one planned"
    assert [f.status for f in report.files] == [CLEANED, CLEANED]
    assert hidden(out) == []


class TermAt(CleanProgress):
    """Sends this process SIGTERM when the first page of ``name`` is done (the handler raises
    ``Terminated`` right there, as it would anywhere in the batch)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def on_page_done(self, job, page) -> None:  # noqa: ANN001
        if job.source.name == self.name:
            os.kill(os.getpid(), signal.SIGTERM)


def test_sigterm_stops_a_url_run_as_it_stops_the_local_engine(tmp_path, settings) -> None:
    from docclean.signals import terminate_as_interrupt

    src = tmp_path / "scans"
    for n, name in enumerate(["a.png", "b.png", "c.png"]):
        write_image(src / name, n)
    local, remote = Report(), Report()
    with terminate_as_interrupt(), pytest.raises(Terminated):
        clean_batch([str(src)], tmp_path / "local", settings, TermAt("b.png"), report=local)
    with terminate_as_interrupt(), pytest.raises(Terminated):
        run([src.as_uri()], str(tmp_path / "out"), settings, TermAt("b.png"), report=remote)
    assert local.stopped == remote.stopped == "terminated"
    assert local.interrupted and remote.interrupted
    assert local.exit_code == remote.exit_code == EXIT_TERMINATED
    assert [f.status for f in remote.files] == [f.status for f in local.files] == [CLEANED, INTERRUPTED]
    assert remote.files[1].error == (src / "b.png").as_uri() + ": interrupted"
    names = [[Path(str(s)).name for s in r.not_reached] for r in (local, remote)]
    assert names == [["c.png"], ["c.png"]]
    assert tree(tmp_path / "out") == tree(tmp_path / "local")
    assert hidden(tmp_path / "out") == []


def test_sigterm_during_a_download_stops_the_cli_with_exit_code_143(tmp_path, settings, monkeypatch) -> None:
    """Outside the page work (here while a source downloads) SIGTERM is no file's failure: it stops
    the run, the file in hand interrupted, and the CLI says so and exits 143, as for a local run."""
    import json

    import fsspec.implementations.local as local_fs
    from typer.testing import CliRunner

    from cli.main import app

    src = tmp_path / "scans"
    for n, name in enumerate(["a.png", "b.png", "c.png"]):
        write_image(src / name, n)
    real_get = local_fs.LocalFileSystem.get_file

    def get_file(self, path, local, **kw):  # noqa: ANN001, ANN003
        if path.endswith("b.png"):
            os.kill(os.getpid(), signal.SIGTERM)
        return real_get(self, path, local, **kw)

    monkeypatch.setattr(local_fs.LocalFileSystem, "get_file", get_file)
    args = ["clean", src.as_uri(), "-o", str(tmp_path / "out"), "--model", settings.model, "--backend", "torch",
            "--device", "cpu", "--precision", "fp32", "--threads", "1", "--report", str(tmp_path / "report.json")]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == EXIT_TERMINATED, result.output
    assert "terminated after 1 cleaned file" in result.output
    saved = json.loads((tmp_path / "report.json").read_text())
    assert saved["stopped"] == "terminated" and saved["interrupted"] is True
    assert [(Path(f["source"]).name, f["status"]) for f in saved["files"]] == [("a.png", CLEANED),
                                                                              ("b.png", INTERRUPTED)]
    assert sorted(tree(tmp_path / "out")) == ["a.png"]
    assert hidden(tmp_path / "out") == []


def test_a_multi_page_output_of_a_url_source_resumes_and_a_changed_source_starts_over(tmp_path, settings) -> None:
    """Resume's stamp is the source's content: a URL's download, in a new temporary folder on every
    run, is the same source to it (a stamp of its path threw the finished pages away), and a new
    version of the object another one (a same-size replacement must not mix its pages in)."""
    src, out = tmp_path / "scans", tmp_path / "out"
    write_image(src / "stack.tif", 5, pages=6)
    clean_batch([str(src)], tmp_path / "local", settings)
    work = out / ".stack.tif.docclean-pages"

    with pytest.raises(Cancelled):
        run([src.as_uri()], str(out), settings, CancelAfterPages(2))
    kept = sorted(work.glob("p*.png"))
    assert 2 <= len(kept) < 6 and not (out / "stack.tif").exists()
    again = run([src.as_uri()], str(out), settings)
    assert [p.status for p in again.files[0].pages] == [SKIPPED] * len(kept) + [CLEANED] * (6 - len(kept))
    assert tree(out) == tree(tmp_path / "local")
    assert hidden(out) == []

    # Stopped again, then the source is replaced by another of the same size (uncompressed TIFF
    # pages): none of the pages kept may be mixed into its output.
    (out / "stack.tif").unlink()
    with pytest.raises(Cancelled):
        run([src.as_uri()], str(out), settings, CancelAfterPages(2))
    assert work.is_dir()
    size = (src / "stack.tif").stat().st_size
    write_image(src / "stack.tif", 50, pages=6)
    assert (src / "stack.tif").stat().st_size == size
    os.utime(src / "stack.tif", ns=(10**18, 10**18))  # a later modification time, whatever the clock's resolution
    fresh = run([src.as_uri()], str(out), settings)
    assert [p.status for p in fresh.files[0].pages] == [CLEANED] * 6
    clean_batch([str(src)], tmp_path / "local2", settings)
    assert tree(out) == tree(tmp_path / "local2")
    assert hidden(out) == []


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without a CUDA GPU")
def test_a_backend_that_cannot_load_leaves_no_output_folder(tmp_path, settings) -> None:
    """As with the local engine: the lock made the folder, the run wrote nothing, the folder goes."""
    from docclean.errors import DocCleanError

    write_image(tmp_path / "scans" / "a.png", 1)
    for engine, clean in (("url", lambda out, s: run([(tmp_path / "scans").as_uri()], str(out), s)),
                          ("local", lambda out, s: clean_batch([str(tmp_path / "scans")], out, s))):
        out = tmp_path / f"out-{engine}"
        with pytest.raises(DocCleanError, match="no CUDA GPU"):  # a usage error, not a ModelError
            clean(out, settings.replace(device="cuda"))
        assert not out.exists(), engine


def test_binarized_pages_into_jpeg_are_warned_once_on_urls_too(tmp_path, settings) -> None:
    from dataclasses import replace

    from docclean.progress import BINARIZED_JPEG, WARN_SETTINGS

    class Warnings(CleanProgress):
        def __init__(self) -> None:
            self.seen: list[tuple[str, str, str]] = []

        def on_warning(self, source: str, message: str, kind: str = "decoder") -> None:
            self.seen.append((kind, source, message))

    src = tmp_path / "scans"
    write_image(src / "a.jpg", 1)
    write_image(src / "b.jpg", 2)
    for dry_run in (True, False):
        seen = Warnings()
        report = run([src.as_uri()], str(tmp_path / "out"), replace(settings, binarize=True, dry_run=dry_run), seen)
        assert report.warnings == [BINARIZED_JPEG], dry_run
        assert [w for w in seen.seen if w[0] == WARN_SETTINGS] == [(WARN_SETTINGS, "", BINARIZED_JPEG)], dry_run
    png = run([src.as_uri()], str(tmp_path / "png"), replace(settings, binarize=True, fmt="png"), Warnings())
    assert png.warnings == []
