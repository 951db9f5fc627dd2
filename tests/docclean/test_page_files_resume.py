"""Page files (a multi-page source written ``--format png``: ``NAME-p001.png``...) resume only
from an unfinished run of the same source and settings, as a PDF's or TIFF's work folder does
(``docclean.resume``), and page files an earlier run left past the source's pages are named in a
warning, never removed (``docclean.leftover``). A tiny random DocUNet and 56x40 pages."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from docclean.batch import clean_batch
from docclean.engine import Denoiser
from docclean.progress import WARN_LEFT_OUT, CleanProgress
from docclean.report import Report
from docclean.settings import CleanSettings

H, W = 56, 40
RNG = np.random.default_rng(11)
STAMP = ".doc.png.docclean-pages/stamp.json"


def figures(pages: int) -> list[str]:
    """The work folder's record of the pages a run cleaned (their ink figures: docclean.resume)."""
    return [f".doc.png.docclean-pages/p{i:04d}.json" for i in range(1, pages + 1)]


def scan(path: Path, pages: int) -> Path:
    """A new random scan of ``pages`` pages at ``path`` (a TIFF), replacing any there."""
    path.parent.mkdir(parents=True, exist_ok=True)
    images = [Image.fromarray(RNG.integers(0, 256, (H, W), dtype=np.uint8)) for _ in range(pages)]
    images[0].save(path, save_all=pages > 1, append_images=images[1:])
    return path


def run(inputs: list, out: Path, denoiser: Denoiser | None, progress: CleanProgress | None = None,
        **settings) -> Report:
    return clean_batch([str(i) for i in inputs], out, CleanSettings(fmt="png", **settings), progress,
                       cleaner=denoiser)


def files_under(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def interrupted(source: Path, out: Path, denoiser: Denoiser, monkeypatch: pytest.MonkeyPatch, **settings) -> None:
    """Clean ``source`` into page files and stop (Ctrl-C) while its third page is cleaned."""
    cut_short(source, out, denoiser, monkeypatch, **settings)
    # The two finished page files stay, under the stamp of the run that wrote them.
    assert files_under(out) == [*figures(2), STAMP, "doc-p001.png", "doc-p002.png"]


def cut_short(source: Path, out: Path, denoiser: Denoiser, monkeypatch: pytest.MonkeyPatch, **settings) -> None:
    """Run ``source`` into ``out`` and press Ctrl-C while its third page is cleaned."""
    real, calls = denoiser.clean, []

    def stop_at_third_page(page: np.ndarray, progress=None) -> np.ndarray:  # noqa: ANN001
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real(page, progress)

    with monkeypatch.context() as patch:
        patch.setattr(denoiser, "clean", stop_at_third_page)
        with pytest.raises(KeyboardInterrupt):
            run([source], out, denoiser, **settings)


@pytest.mark.parametrize("change", ["rescan", "settings"])
def test_page_files_of_an_interrupted_run_are_cleaned_again_after_a_rescan_or_other_settings(
        tmp_path: Path, denoiser: Denoiser, monkeypatch: pytest.MonkeyPatch, change: str) -> None:
    """A 4-page scan stopped after two page files; then the scan is replaced by a rescan of the
    same name (or the settings change): the rerun kept the two page files of the old scan and
    cleaned only the rest, "1 cleaned", exit 0. Now every page is cleaned again."""
    source = scan(tmp_path / "in" / "doc.tif", 4)
    out = tmp_path / "out"
    interrupted(source, out, denoiser, monkeypatch)
    before = {name: (out / name).read_bytes() for name in ("doc-p001.png", "doc-p002.png")}
    changed = {"binarize": True} if change == "settings" else {}
    if change == "rescan":
        scan(source, 4)
    dry = run([source], out, None, dry_run=True, **changed)
    assert len(dry.files[0].pages) == 4  # would clean every page, and writes or removes nothing
    assert files_under(out) == [*figures(2), STAMP, "doc-p001.png", "doc-p002.png"]

    again = run([source], out, denoiser, **changed)
    assert again.files[0].status == "cleaned"
    assert [p.status for p in again.files[0].pages] == ["cleaned"] * 4
    assert all((out / name).read_bytes() != old for name, old in before.items())
    assert files_under(out) == [f"doc-p00{i}.png" for i in range(1, 5)]  # the stamp goes with the finished file


def test_page_files_of_an_interrupted_run_resume_with_the_same_scan_and_settings(
        tmp_path: Path, denoiser: Denoiser, monkeypatch: pytest.MonkeyPatch) -> None:
    source = scan(tmp_path / "in" / "doc.tif", 4)
    out = tmp_path / "out"
    interrupted(source, out, denoiser, monkeypatch)
    times = {name: (out / name).stat().st_mtime_ns for name in ("doc-p001.png", "doc-p002.png")}
    source.touch()  # its content is what is stamped, not its time
    again = run([source], out, denoiser)
    assert [p.status for p in again.files[0].pages] == ["skipped", "skipped", "cleaned", "cleaned"]
    assert {name: (out / name).stat().st_mtime_ns for name in times} == times  # not written again
    assert files_under(out) == [f"doc-p00{i}.png" for i in range(1, 5)]


def test_page_files_of_a_damaged_scan_stay_and_a_repaired_scan_cleans_them_again(
        tmp_path: Path, denoiser: Denoiser, monkeypatch: pytest.MonkeyPatch) -> None:
    """Page 3 of a 4-page scan does not decode: the file fails, its first two page files stay (they
    are outputs) and so does their stamp: a rerun of the same damaged scan fails on the same page
    and keeps them, while the repaired scan (other content) cleans every page again. It used to
    keep the damaged scan's two pages beside the repaired scan's others."""
    import docclean.io
    from docclean.errors import InputError

    source = scan(tmp_path / "in" / "doc.tif", 4)
    out = tmp_path / "out"
    real = docclean.io.read_pages

    def damaged(path, **kwargs):  # type: ignore[no-untyped-def]
        for page in real(path, **kwargs):
            if page.index == 2:
                raise InputError("page 3: corrupt image data (LZW)", path)
            yield page

    with monkeypatch.context() as patch:
        patch.setattr(docclean.io, "read_pages", damaged)
        first = run([source], out, denoiser)
        assert first.files[0].status == "failed" and "page 3: corrupt image data" in first.files[0].error
        assert files_under(out) == [*figures(2), STAMP, "doc-p001.png", "doc-p002.png"]
        times = {name: (out / name).stat().st_mtime_ns for name in ("doc-p001.png", "doc-p002.png")}
        same = run([source], out, denoiser)
        assert same.files[0].status == "failed" and [p.status for p in same.files[0].pages] == ["skipped"] * 2
        assert {name: (out / name).stat().st_mtime_ns for name in times} == times
    before = {name: (out / name).read_bytes() for name in times}
    scan(source, 4)  # repaired: scanned again
    repaired = run([source], out, denoiser)
    assert repaired.files[0].status == "cleaned" and [p.status for p in repaired.files[0].pages] == ["cleaned"] * 4
    assert all((out / name).read_bytes() != old for name, old in before.items())
    assert files_under(out) == [f"doc-p00{i}.png" for i in range(1, 5)]


class Warnings(CleanProgress):
    def __init__(self) -> None:
        self.said: list[tuple[str, str, str]] = []

    def on_warning(self, source: str, message: str, kind: str = "decoder") -> None:
        self.said.append((kind, Path(source).name, message))


def test_page_files_left_past_a_rescan_s_pages_are_named_in_a_warning_and_kept(tmp_path: Path,
                                                                               denoiser: Denoiser) -> None:
    """A 3-page scan, rescanned as 2 pages and cleaned with --overwrite, left doc-p003.png of the
    old scan without a word; rescanned as 1 page, doc.png was written beside all three."""
    source = scan(tmp_path / "in" / "doc.tif", 3)
    out = tmp_path / "out"
    run([source], out, denoiser)
    scan(source, 2)
    assert not run([source], out, None, Warnings(), dry_run=True, overwrite=True).files[0].warnings
    told = Warnings()
    report = run([source], out, denoiser, told, overwrite=True)
    line = (f"{out / 'doc-p003.png'} is left from an earlier run: doc.tif now has 2 pages; "
            "docclean does not remove it")
    assert told.said == [(WARN_LEFT_OUT, "doc.tif", line)] and report.files[0].warnings == [line]
    assert files_under(out) == ["doc-p001.png", "doc-p002.png", "doc-p003.png"]  # never removed

    scan(source, 1)
    told = Warnings()
    report = run([source], out, denoiser, told, overwrite=True)
    names = ", ".join(str(out / f"doc-p00{i}.png") for i in range(1, 4))
    assert told.said == [(WARN_LEFT_OUT, "doc.tif", f"{names} are left from an earlier run: doc.tif now has 1 page, "
                          f"written as {out / 'doc.png'}; docclean does not remove them")]
    assert files_under(out) == ["doc-p001.png", "doc-p002.png", "doc-p003.png", "doc.png"]

    scan(source, 2)
    told = Warnings()
    run([source], out, denoiser, told, overwrite=True)
    assert told.said == [(WARN_LEFT_OUT, "doc.tif", f"{out / 'doc.png'}, {out / 'doc-p003.png'} are left from an "
                          "earlier run: doc.tif now has 2 pages, written as page files; docclean does not remove them")]


def test_a_page_file_that_is_another_input_s_output_is_not_left_over(tmp_path: Path, denoiser: Denoiser) -> None:
    scan(tmp_path / "in" / "doc.tif", 2)
    scan(tmp_path / "in" / "doc-p003.tif", 1)  # its output is doc-p003.png
    out = tmp_path / "out"
    run([tmp_path / "in"], out, denoiser)
    told = Warnings()
    report = run([tmp_path / "in"], out, denoiser, told, overwrite=True)
    assert [f.status for f in report.files] == ["cleaned", "cleaned"] and told.said == []


def test_page_files_an_interrupted_overwrite_left_unreplaced_are_cleaned_again_on_a_plain_rerun(
        tmp_path: Path, denoiser: Denoiser, monkeypatch: pytest.MonkeyPatch) -> None:
    """A finished run's 4 page files; then --overwrite with other settings, stopped after two: its
    stamp lay beside two new page files and two of the earlier run. The plain rerun took the stamp
    for its own, found every page file whole and kept the earlier run's last two: a file of two
    settings. Now a replacing run's stamp says so, and the rerun cleans every page again."""
    source = scan(tmp_path / "in" / "doc.tif", 4)
    out = tmp_path / "out"
    run([source], out, denoiser)
    cut_short(source, out, denoiser, monkeypatch, overwrite=True, binarize=True)
    assert files_under(out) == [*figures(2), STAMP, *(f"doc-p00{i}.png" for i in range(1, 5))]
    again = run([source], out, denoiser, binarize=True)
    assert [p.status for p in again.files[0].pages] == ["cleaned"] * 4
    fresh = run([source], tmp_path / "fresh", denoiser, binarize=True)
    assert fresh.files[0].status == "cleaned"
    assert all((out / f"doc-p00{i}.png").read_bytes() == (tmp_path / "fresh" / f"doc-p00{i}.png").read_bytes()
               for i in range(1, 5))
    assert files_under(out) == [f"doc-p00{i}.png" for i in range(1, 5)]
