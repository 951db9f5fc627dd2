"""Page files (a multi-page source written ``--format png``: ``NAME-p001.png``...) on the cluster path
(``docclean.cluster.unit``) as on the local one (tests/docclean/test_page_files_resume.py): they resume
only from an unfinished run of the same source and settings, whatever the plan (the driver's, a big
job's left to the workers, a URL source's, a URL output's), and page files an earlier run left past
the source's pages are named in a warning by their own place, never a staging folder's. In process,
each task through ``unit.clean_file`` as a worker runs it; ``file://`` URLs stand for object storage."""

from __future__ import annotations

from pathlib import Path

import pytest
from cluster_helpers import hidden, tree, write_image
from test_storage import _download_tree, s3  # noqa: F401 - s3: the moto server fixture

from docclean.batch import clean_batch, load_cleaner
from docclean.cluster import driver, storage
from docclean.cluster.unit import clean_file
from docclean.errors import Cancelled
from docclean.progress import WARN_LEFT_OUT, CleanProgress
from docclean.report import CLEANED, INTERRUPTED, FileResult

KINDS = ["eager", "lazy", "url source", "url output"]
STAMP = ".doc.png.docclean-pages"


class Told(CleanProgress):
    """Counts finished pages (cancels once ``limit`` are done) and keeps the warnings."""

    def __init__(self, limit: int | None = None) -> None:
        self.pages, self.limit, self.said = 0, limit, []

    def on_page_done(self, job, page) -> None:  # noqa: ANN001
        self.pages += 1

    def cancelled(self) -> bool:
        return self.limit is not None and self.pages >= self.limit

    def on_warning(self, source: str, message: str, kind: str = "decoder") -> None:
        self.said.append((kind, Path(str(source)).name, message))


def cluster(kind: str, src: Path, out: Path, settings, monkeypatch, progress=None) -> list[FileResult]:  # noqa: ANN001
    """One run of ``src`` into ``out`` as the cluster runs it, planned as ``kind`` says."""
    monkeypatch.setattr(driver, "LAZY_FILES", 0 if kind == "lazy" else 10_000)
    inputs = [src.as_uri() if kind == "url source" else str(src)]
    plan = driver.plan_files(inputs, out.as_uri() if kind == "url output" else str(out), settings)
    cleaner = load_cleaner(settings)
    return [s if isinstance(s, FileResult) else clean_file(s, settings, cleaner, progress or CleanProgress(),
                                                           staging=out.parent / "staging") for s in plan.slots]


def where(kind: str, path: Path) -> str:
    """``path`` as the cluster run of ``kind`` names its outputs."""
    return path.as_uri() if kind == "url output" else str(path)


@pytest.mark.parametrize("kind", KINDS)
def test_page_files_of_an_interrupted_run_are_cleaned_again_after_a_rescan(tmp_path, settings, monkeypatch,
                                                                           kind) -> None:
    """A 4-page scan stopped after two page files, then rescanned under its name and stopped again
    after one: the old scan's second page was kept beside the rescan's first, under the rescan's
    stamp (a big job's worker removed it in its staging folder only; a URL output kept no stamp),
    and the finishing run took it as done."""
    png = settings.replace(fmt="png")
    src, out = tmp_path / "scans", tmp_path / "out"
    write_image(src / "doc.tif", 1, pages=4)
    first = cluster(kind, src, out, png, monkeypatch, Told(limit=2))
    assert [r.status for r in first] == [INTERRUPTED]
    assert sorted(tree(out)) == ["doc-p001.png", "doc-p002.png"]
    old = tree(out)

    write_image(src / "doc.tif", 50, pages=4)  # rescanned
    second = cluster(kind, src, out, png, monkeypatch, Told(limit=1))
    assert [r.status for r in second] == [INTERRUPTED]
    assert sorted(tree(out)) == ["doc-p001.png"]  # the old scan's page 2 went, as the local planner removes it
    assert tree(out)["doc-p001.png"] != old["doc-p001.png"]

    last = cluster(kind, src, out, png, monkeypatch)
    assert [r.status for r in last] == [CLEANED] and [p.status for p in last[0].pages][1:] == [CLEANED] * 3
    clean_batch([str(src)], tmp_path / "local", png)
    assert tree(out) == tree(tmp_path / "local")
    assert hidden(out) == []


@pytest.mark.parametrize("kind", ["eager", "lazy", "url output"])
def test_page_files_of_an_interrupted_run_resume_with_the_same_scan(tmp_path, settings, monkeypatch, kind) -> None:
    png = settings.replace(fmt="png")
    src, out = tmp_path / "scans", tmp_path / "out"
    write_image(src / "doc.tif", 1, pages=4)
    cluster(kind, src, out, png, monkeypatch, Told(limit=2))
    again = cluster(kind, src, out, png, monkeypatch)
    assert [p.status for p in again[0].pages] == ["skipped", "skipped", CLEANED, CLEANED]
    clean_batch([str(src)], tmp_path / "local", png)
    assert tree(out) == tree(tmp_path / "local")
    assert hidden(out) == []


@pytest.mark.parametrize("kind", KINDS)
def test_page_files_left_past_a_rescan_s_pages_are_named_by_their_place_and_kept(tmp_path, settings, monkeypatch,
                                                                                kind) -> None:
    """As the local run says it (tests/docclean/test_page_files_resume.py): with --overwrite the
    cluster said nothing, and without it named the page file's copy in a staging folder."""
    png = settings.replace(fmt="png")
    src, out = tmp_path / "scans", tmp_path / "out"
    write_image(src / "doc.tif", 1, pages=3)
    clean_batch([str(src)], out, png)
    write_image(src / "doc.tif", 2, pages=2)
    (out / "doc-p002.png").unlink()  # a page to do without --overwrite
    line = f"{where(kind, out / 'doc-p003.png')} is left from an earlier run: doc.tif now has 2 pages; " \
           "docclean does not remove it"
    for overwrite in (False, True):
        told = Told()
        results = cluster(kind, src, out, png.replace(overwrite=overwrite), monkeypatch, told)
        assert [r.status for r in results] == [CLEANED]
        assert told.said == [(WARN_LEFT_OUT, "doc.tif", line)] and results[0].warnings == [line]
        assert sorted(tree(out)) == ["doc-p001.png", "doc-p002.png", "doc-p003.png"]  # never removed

    write_image(src / "doc.tif", 3, pages=1)
    told = Told()
    results = cluster(kind, src, out, png.replace(overwrite=True), monkeypatch, told)
    names = ", ".join(where(kind, out / f"doc-p00{i}.png") for i in range(1, 4))
    assert told.said == [(WARN_LEFT_OUT, "doc.tif", f"{names} are left from an earlier run: doc.tif now has 1 page, "
                          f"written as {where(kind, out / 'doc.png')}; docclean does not remove them")]

    write_image(src / "doc.tif", 4, pages=2)
    told = Told()
    cluster(kind, src, out, png.replace(overwrite=True), monkeypatch, told)
    assert told.said == [(WARN_LEFT_OUT, "doc.tif", f"{where(kind, out / 'doc.png')}, "
                          f"{where(kind, out / 'doc-p003.png')} are left from an earlier run: doc.tif now has "
                          "2 pages, written as page files; docclean does not remove them")]
    assert sorted(tree(out)) == ["doc-p001.png", "doc-p002.png", "doc-p003.png", "doc.png"]
    assert hidden(out) == []


@pytest.mark.parametrize("kind", KINDS)
def test_an_overwrite_leaves_no_stamp_of_the_page_files_it_finished(tmp_path, settings, monkeypatch, kind) -> None:
    """An interrupted local run left its stamp; a finished --overwrite run of the same scan and
    settings kept it beside the page files it wrote (the worker left the work folder in place)."""
    png = settings.replace(fmt="png")
    src, out = tmp_path / "scans", tmp_path / "out"
    write_image(src / "doc.tif", 1, pages=3)
    with pytest.raises(Cancelled):
        clean_batch([str(src)], out, png, Told(limit=1))
    assert (out / STAMP / "stamp.json").is_file()
    results = cluster(kind, src, out, png.replace(overwrite=True), monkeypatch)
    assert [r.status for r in results] == [CLEANED] and len(results[0].pages) == 3
    assert hidden(out) == []


def test_page_files_in_s3_carry_their_stamp_and_a_rescan_cleans_them_again(tmp_path, settings, monkeypatch,
                                                                           s3) -> None:  # noqa: F811
    """The same in S3 (a moto server): the stamp is a key beside the page files while they are
    unfinished, and a prefix, not a folder, that goes with its last key."""
    png = settings.replace(fmt="png")
    src, out = tmp_path / "scans", "s3://scans/pages"
    write_image(src / "doc.tif", 1, pages=4)
    cleaner = load_cleaner(png)

    def run(limit: int | None = None) -> list[FileResult]:
        plan = driver.plan_files([str(src)], out, png, s3)
        return [s if isinstance(s, FileResult) else clean_file(s, png, cleaner, Told(limit), s3,
                                                               staging=tmp_path / "staging") for s in plan.slots]

    assert [r.status for r in run(limit=2)] == [INTERRUPTED]
    assert sorted(_download_tree(out, tmp_path, s3)) == [f"{STAMP}/stamp.json", "doc-p001.png", "doc-p002.png"]
    write_image(src / "doc.tif", 50, pages=4)  # rescanned
    assert [r.status for r in run(limit=1)] == [INTERRUPTED]
    assert sorted(_download_tree(out, tmp_path, s3)) == [f"{STAMP}/stamp.json", "doc-p001.png"]
    assert [r.status for r in run()] == [CLEANED]
    clean_batch([str(src)], tmp_path / "local", png)
    assert _download_tree(out, tmp_path, s3) == tree(tmp_path / "local")  # no stamp left
    fs, root = storage.filesystem(out, s3)
    assert not fs.exists(f"{root}/{STAMP}")


@pytest.mark.parametrize("kind", KINDS)
def test_page_files_an_interrupted_overwrite_left_unreplaced_are_cleaned_again(tmp_path, settings, monkeypatch,
                                                                               kind) -> None:
    """As on the local path: a finished run's page files, then --overwrite with other settings cut
    short after two; the plain rerun must not keep the earlier run's last two beside the new ones."""
    png = settings.replace(fmt="png")
    src, out = tmp_path / "scans", tmp_path / "out"
    write_image(src / "doc.tif", 1, pages=4)
    cluster(kind, src, out, png, monkeypatch)
    other = png.replace(binarize=True)
    cut = cluster(kind, src, out, other.replace(overwrite=True), monkeypatch, Told(limit=2))
    assert [r.status for r in cut] == [INTERRUPTED]
    cluster(kind, src, out, other, monkeypatch)
    clean_batch([str(src)], tmp_path / "local", other)
    assert tree(out) == tree(tmp_path / "local")
    assert hidden(out) == []
