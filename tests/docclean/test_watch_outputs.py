"""What the hot folder leaves in OUT: a re-arrived scan replaces every page of the one before it, two
scans never share one output, an output whose input was deleted stays that input's, and a scan that
fails or is dropped leaves no page of its own while an earlier scan's outputs stay as they were."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from docclean.settings import CleanSettings
from docclean.watch import LEDGER_NAME, Ledger, Watcher
from tests.docclean.watchkit import (
    Clock,
    bad_page_tiff,
    make,
    moved_aside,
    out_files,
    png_bytes,
    settle,
    settled,
    tiff_bytes,
)


@pytest.mark.parametrize("moved", [False, True])
def test_a_rearrived_scan_with_fewer_pages_leaves_no_stale_page(folders, tiny_model_path, moved):  # type: ignore[no-untyped-def]
    inbox, out = folders

    def tiff(pages: int) -> None:
        frames = [Image.fromarray(np.random.default_rng(i).integers(0, 256, (40, 32), dtype=np.uint8))
                  for i in range(pages)]
        frames[0].save(inbox / "scan.tif", save_all=True, append_images=frames[1:])

    clock = Clock()
    settings = CleanSettings(model=str(tiny_model_path), device="cpu", threads=1, fmt="png")
    # Moved to done/, the earlier scan leaves no record: its pages in OUT stayed beside the new ones.
    watcher = Watcher(inbox, out, settings, settle=2.0, clock=clock, **moved_aside(inbox, moved))
    tiff(3)
    assert settle(watcher, clock) == ["cleaned"]
    assert sorted(p.name for p in out.glob("scan*.png")) == ["scan-p001.png", "scan-p002.png", "scan-p003.png"]
    time.sleep(0.01)
    tiff(2)  # a new scan of the same name, one page shorter
    assert settle(watcher, clock) == ["cleaned"]
    assert sorted(p.name for p in out.glob("scan*.png")) == ["scan-p001.png", "scan-p002.png"]
    time.sleep(0.01)
    tiff(1)  # one page: written as scan.png, not as page files
    assert settle(watcher, clock) == ["cleaned"]
    assert sorted(p.name for p in out.glob("scan*.png")) == ["scan.png"]


@pytest.mark.parametrize("moved", [False, True])
def test_two_scans_that_map_to_one_output_never_overwrite_each_other(folders, tiny_model_path, moved):  # type: ignore[no-untyped-def]
    inbox, out = folders
    clock = Clock()
    watcher = make(inbox, out, tiny_model_path, clock, fmt="pdf", **moved_aside(inbox, moved))
    (inbox / "scan.png").write_bytes(png_bytes(1))
    assert settle(watcher, clock) == ["cleaned"]
    first = (out / "scan.pdf").read_bytes()
    Image.fromarray(np.zeros((40, 32), np.uint8)).save(inbox / "scan.tif")  # same name, another type
    [second] = settled(watcher, clock)
    assert second.status == "failed" and "scan.png" in second.error and "rename" in second.error
    assert (out / "scan.pdf").read_bytes() == first  # the first scan's cleaned pages are kept
    if moved:
        failed = inbox.parent / "failed"
        assert (failed / "scan.tif").exists() and "scan.png" in (failed / "scan.tif.error.txt").read_text()
    else:
        clock.now += 3
        assert watcher.poll_once() == []  # recorded: not retried until it changes
    (inbox / "scan.png").write_bytes(png_bytes(2, (40, 40)))  # a new scan of the first name still replaces its own
    assert settle(watcher, clock) == ["cleaned"]
    assert (out / "scan.pdf").read_bytes() != first


def test_an_output_whose_input_was_deleted_is_not_replaced_by_a_namesake(folders, tiny_model_path):  # type: ignore[no-untyped-def]
    inbox, out = folders
    settings = CleanSettings(model=str(tiny_model_path), device="cpu", threads=1, fmt="pdf")
    clock = Clock()
    watcher = Watcher(inbox, out, settings, settle=2.0, clock=clock)
    (inbox / "scan.png").write_bytes(png_bytes(1))
    assert settle(watcher, clock) == ["cleaned"]
    first = (out / "scan.pdf").read_bytes()
    (inbox / "scan.png").unlink()  # the scan is gone; its cleaned pages may be the only copy now
    watcher.poll_once()
    Image.fromarray(np.zeros((40, 32), np.uint8)).save(inbox / "scan.tif")
    [later] = settled(watcher, clock)
    assert later.status == "failed" and (out / "scan.pdf").read_bytes() == first
    (out / "scan.pdf").unlink()  # once its output is gone too, the record forgets the old scan
    watcher.poll_once()
    assert "scan.png" not in Ledger(out / LEDGER_NAME).entries


def test_a_scan_replaced_while_it_is_cleaned_leaves_no_page_of_the_dropped_attempt(folders, tiny_model_path,
                                                                                   monkeypatch):  # type: ignore[no-untyped-def]
    import docclean.batch

    inbox, out = folders
    real = docclean.batch.clean_batch
    calls: list[int] = []

    def replaced_midway(*args, **kwargs):  # type: ignore[no-untyped-def]
        report = real(*args, **kwargs)
        if not calls:  # the scanner writes a new, shorter scan over it while it is being cleaned
            (inbox / "rep.tif").write_bytes(tiff_bytes(3, seed=50))
        calls.append(1)
        return report

    monkeypatch.setattr(docclean.batch, "clean_batch", replaced_midway)
    settings = CleanSettings(model=str(tiny_model_path), device="cpu", threads=1, fmt="png")
    clock = Clock()
    watcher = Watcher(inbox, out, settings, settle=2.0, clock=clock)
    (inbox / "other.png").write_bytes(png_bytes(1))
    assert settle(watcher, clock) == ["cleaned"]
    calls.append(1)  # other.png's clean did not replace anything
    calls.clear()
    (inbox / "rep.tif").write_bytes(tiff_bytes(7))
    watcher.poll_once()
    clock.now += 3
    assert watcher.poll_once() == []  # it changed while being cleaned: dropped
    assert sorted(p.name for p in out.glob("rep*")) == []  # and what the dropped attempt wrote is gone
    assert (out / "other.png").exists()
    assert watcher.poll_once() == []  # seen afresh: taken again once it has settled
    clock.now += 3
    assert [o.status for o in watcher.poll_once()] == ["cleaned"]
    pages = ["rep-p001.png", "rep-p002.png", "rep-p003.png"]
    assert sorted(p.name for p in out.glob("rep*")) == pages
    entry = Ledger(out / LEDGER_NAME).entries["rep.tif"]
    assert sorted(Path(t).name for t in entry["targets"]) == pages


def test_outputs_of_a_scan_are_removed_only_where_no_other_input_owns_them(folders, tiny_model_path):  # type: ignore[no-untyped-def]
    inbox, out = folders
    settings = CleanSettings(model=str(tiny_model_path), device="cpu", threads=1, fmt="png")
    clock = Clock()
    watcher = Watcher(inbox, out, settings, settle=2.0, clock=clock)
    (inbox / "scan.tif").write_bytes(tiff_bytes(3))
    assert settle(watcher, clock) == ["cleaned"]
    (inbox / "scan.tif").unlink()  # its pages stay its own while they are there
    (out / "scan-p003.png").unlink()  # but page 3 was taken away: the name is free
    (inbox / "scan-p003.png").write_bytes(png_bytes(3))
    assert settle(watcher, clock) == ["cleaned"]
    mine = (out / "scan-p003.png").read_bytes()
    (inbox / "scan.tif").write_bytes(tiff_bytes(2, seed=20))  # scan.tif again: its old pages go, not scan-p003.png's
    [again] = settled(watcher, clock)
    assert again.status == "failed" and "scan-p003.png" in again.error
    assert (out / "scan-p003.png").read_bytes() == mine


@pytest.mark.parametrize("moved", [False, True])
def test_a_scan_named_like_a_page_output_never_replaces_that_page(folders, tiny_model_path, moved):  # type: ignore[no-untyped-def]
    inbox, out = folders
    clock = Clock()
    watcher = make(inbox, out, tiny_model_path, clock, fmt="png", **moved_aside(inbox, moved))
    (inbox / "scan.tif").write_bytes(tiff_bytes(3))
    assert settle(watcher, clock) == ["cleaned"]
    page2 = (out / "scan-p002.png").read_bytes()
    (inbox / "scan-p002.png").write_bytes(png_bytes(9))  # its output would be page 2 of scan.tif
    [later] = settled(watcher, clock)
    assert later.status == "failed" and "scan.tif" in later.error and "rename" in later.error
    assert (out / "scan-p002.png").read_bytes() == page2
    # The other way round: a single page first, then a multi-page scan whose pages would replace it.
    (inbox / "memo-p001.png").write_bytes(png_bytes(10))
    assert settle(watcher, clock) == ["cleaned"]
    page = (out / "memo-p001.png").read_bytes()
    (inbox / "memo.tif").write_bytes(tiff_bytes(2))
    [later] = settled(watcher, clock)
    assert later.status == "failed" and "memo-p001.png" in later.error
    assert (out / "memo-p001.png").read_bytes() == page
    # A one-page scan never writes page files: another input's note-p001.png is no reason to refuse note.png.
    (inbox / "note-p001.png").write_bytes(png_bytes(11))
    assert settle(watcher, clock) == ["cleaned"]
    kept = (out / "note-p001.png").read_bytes()
    (inbox / "note.png").write_bytes(png_bytes(12))
    assert settle(watcher, clock) == ["cleaned"]
    assert (out / "note.png").exists() and (out / "note-p001.png").read_bytes() == kept


def test_a_scan_waiting_for_another_run_leaves_that_runs_pages_alone(folders, tiny_model_path, monkeypatch):  # type: ignore[no-untyped-def]
    """What a scan cut short wrote goes (above), but a scan that waits for another run holding
    OUT wrote nothing: the work folder of that name is the other run's."""
    import docclean.batch
    from docclean.outputs import OutputBusy

    inbox, out = folders
    pages = out / ".long.pdf.docclean-pages"

    def another_run_holds_out(*args, **kwargs):  # type: ignore[no-untyped-def]
        pages.mkdir(parents=True, exist_ok=True)  # `docclean clean -o OUT` is half-way through long.tif
        (pages / "p0001.png").write_bytes(png_bytes(1))
        raise OutputBusy("another docclean run is writing to this output folder", out)

    monkeypatch.setattr(docclean.batch, "clean_batch", another_run_holds_out)
    clock = Clock()
    watcher = make(inbox, out, tiny_model_path, clock, fmt="pdf")
    (inbox / "long.tif").write_bytes(tiff_bytes(3))
    assert settle(watcher, clock) == []
    assert (pages / "p0001.png").exists()


@pytest.mark.parametrize("moved", [False, True])
@pytest.mark.parametrize("fmt", ["png", "pdf"])
def test_a_multi_page_scan_that_fails_on_a_bad_page_leaves_no_page_of_its_own(folders, tiny_model_path,  # type: ignore[no-untyped-def]
                                                                               fmt, moved):
    """A corrupt page 3 of 5: pages 1-2 were left in OUT as page files (``--format png``, those of
    an earlier scan of that name overwritten) or in the work folder of ``scan.pdf``, recorded
    nowhere (moved to failed/) or as the failed scan's, while an earlier scan's ``scan.pdf`` was
    deleted. The failed scan goes to failed/ to be fixed and dropped again: it leaves nothing of
    its own, and the earlier scan's outputs stay as they were, still that scan's."""
    inbox, out = folders
    clock = Clock()
    watcher = make(inbox, out, tiny_model_path, clock, fmt=fmt, **moved_aside(inbox, moved))
    (inbox / "fresh.tif").write_bytes(bad_page_tiff(5, 2))
    [failed] = settled(watcher, clock)
    assert failed.status == "failed" and "page 3" in failed.error and failed.targets == []
    assert out_files(out) == {} and "stays" not in failed.summary()

    (inbox / "scan.tif").write_bytes(tiff_bytes(2, seed=60))
    assert settle(watcher, clock) == ["cleaned"]
    told = out_files(out)
    assert sorted(told) == (["scan-p001.png", "scan-p002.png"] if fmt == "png" else ["scan.pdf"])
    time.sleep(0.01)
    (inbox / "scan.tif").write_bytes(bad_page_tiff(5, 2, seed=70))  # a new scan of that name, page 3 corrupt
    [failed] = settled(watcher, clock)
    assert failed.status == "failed" and "page 3" in failed.error
    assert out_files(out) == told  # no page of the failed scan, the earlier one's untouched
    assert failed.kept == [out / name for name in told]
    assert failed.summary().endswith(f"the earlier scan's output stays: {', '.join(str(out / n) for n in told)}")
    if not moved:
        entry = Ledger(out / LEDGER_NAME).entries["scan.tif"]
        assert entry["targets"] == [] and entry["kept"] == [str(out / name) for name in told]
        if fmt == "pdf":  # still that scan's: a namesake of another type does not replace it
            (inbox / "scan.png").write_bytes(png_bytes(1))
            [other] = settled(watcher, clock)
            assert other.status == "failed" and "scan.tif" in other.error and out_files(out) == told
            (inbox / "scan.png").unlink()
    time.sleep(0.01)
    (inbox / "scan.tif").write_bytes(tiff_bytes(3, seed=80))  # fixed and dropped again
    [again] = settled(watcher, clock)
    assert again.status == "cleaned" and again.pages == 3
    assert sorted(out_files(out)) == (["scan-p001.png", "scan-p002.png", "scan-p003.png"] if fmt == "png"
                                      else ["scan.pdf"])
