"""Where exports go: the list and the export agree on the files, an export into a folder of other
files is confirmed first (checked off the UI thread), and an export's failure does not outlive the
next export."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np
import pytest

from docclean.io import write_page
from gui import menus


def _page(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    page = np.full((40, 50), 0.8, np.float32)
    page[rng.integers(2, 30):, rng.integers(2, 40):][:6, :3] = 0.1
    return page


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """Two scans in a folder of their own."""
    scans = tmp_path / "scans"
    scans.mkdir()
    write_page(scans / "101.png", _page(1))
    write_page(scans / "102.png", _page(2))
    return scans


@pytest.fixture
def asked(window, monkeypatch) -> list[str]:  # noqa: ANN001
    """What the window asked before exporting; every question answered "Cancel". (raising=False:
    a window without the question exports at once, which the tests then catch.)"""
    questions: list[str] = []
    monkeypatch.setattr(window, "confirm_export", lambda concern: questions.append(concern) or False, raising=False)
    return questions


def _export(start_export, window, out: Path, whole_folder: bool = False):  # noqa: ANN001, ANN202
    thread = start_export(window, out, whole_folder)
    assert thread is not None
    return thread.report


def _listed(window) -> list[str]:  # noqa: ANN001
    return [ref.title for ref in window.pages.refs()]


def test_a_failed_export_leaves_the_banner_with_the_next_export(qtbot, start_export, window, wait_result, folder,
                                                                tmp_path, open_listed) -> None:
    open_listed(window, [folder])
    wait_result(window)
    (tmp_path / "a-file").write_text("not a folder")
    assert start_export(window, tmp_path / "a-file").report.files == []  # the batch refused it
    qtbot.waitUntil(lambda: "a-file" in window.banner.text())
    report = _export(start_export, window, tmp_path / "out")
    assert report.counts()["cleaned"] == 2
    assert "a-file" not in window.banner.text() and not window.banner.isVisible()


def test_outputs_exported_into_the_opened_folder_are_not_listed_as_pages(qtbot, start_export, window, wait_result,
                                                                         folder, asked, open_listed, listed) -> None:
    open_listed(window, [folder])
    wait_result(window)
    report = _export(start_export, window, folder / "clean", whole_folder=True)
    assert report.counts()["cleaned"] == 2
    menus.reload(window)
    listed(window)
    assert _listed(window) == ["101.png", "102.png"]  # not clean/101.png, clean/102.png
    report = _export(start_export, window, folder / "clean", whole_folder=True)
    assert [f.source.name for f in report.files] == ["101.png", "102.png"] and not asked
    # Another export folder inside: the batch cleans the first one's outputs too, and the list says so.
    report = _export(start_export, window, folder / "again", whole_folder=True)
    assert sorted(str(f.source.relative_to(folder)) for f in report.files) == \
        ["101.png", "102.png", "clean/101.png", "clean/102.png"]
    assert _listed(window) == ["101.png", "102.png", "clean/101.png", "clean/102.png"]
    assert window.current.path == folder / "101.png"  # the page shown stays


def test_an_export_into_a_folder_of_other_files_is_confirmed_first(qtbot, start_export, window, wait_result, folder,
                                                                   tmp_path, asked, open_listed) -> None:
    open_listed(window, [folder])
    wait_result(window)
    documents = tmp_path / "documents"
    documents.mkdir()
    (documents / "thesis.odt").write_text("years of work")
    assert start_export(window, documents) is None  # answered Cancel: nothing written
    assert sorted(p.name for p in documents.iterdir()) == ["thesis.odt"]
    assert len(asked) == 1 and "thesis.odt" in asked[0]
    # A new folder, then the same folder again: at once, no question.
    _export(start_export, window, tmp_path / "out")
    window.panel.overwrite.setChecked(True)
    report = _export(start_export, window, tmp_path / "out")
    assert report.counts()["cleaned"] == 2 and len(asked) == 1


def test_the_root_the_home_folder_and_strangers_files_are_concerns(tmp_path, folder, monkeypatch) -> None:
    from gui.destination import export_concern

    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    (tmp_path / "home").mkdir()
    inputs = [folder]
    assert "root of the file system" in export_concern(inputs, Path("/"), None)
    assert "home folder" in export_concern(inputs, tmp_path / "home", None)
    assert export_concern(inputs, tmp_path / "new", None) is None
    out = tmp_path / "out"
    out.mkdir()
    assert export_concern(inputs, out, None) is None  # empty
    (out / "101.png").write_bytes(b"x")
    (out / ".docclean.lock").write_bytes(b"")  # the batch's own bookkeeping
    (out / ".101.png.docclean-123-0123abcd.part").write_bytes(b"")
    assert export_concern(inputs, out, None) is None  # an earlier export of these inputs
    (out / "102.tif").write_bytes(b"x")  # an earlier export as TIFF: ours too
    (out / "102-p002.tif").write_bytes(b"x")  # ... and a page file of one
    assert export_concern(inputs, out, None) is None
    (out / "101.txt").write_text("same name, not an image docclean writes")
    assert "101.txt" in export_concern(inputs, out, None)
    (out / "101.txt").unlink()
    (out / "notes.txt").write_text("mine")
    assert "notes.txt" in export_concern(inputs, out, None)
    assert export_concern(inputs, folder, None) is None  # the batch refuses an input folder itself


@pytest.fixture
def walks(monkeypatch) -> tuple[list[threading.Thread], threading.Event]:  # noqa: ANN001
    """The threads the input folders were walked on (planning the export: ``discover``; listing the
    pages: ``list_sources``), and a gate that, once cleared, holds each walk until set again (a
    slow network share)."""
    import gui.destination
    import gui.pages

    threads: list[threading.Thread] = []
    gate = threading.Event()
    gate.set()

    def held(walk):  # noqa: ANN001, ANN202
        def run(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
            threads.append(threading.current_thread())
            gate.wait(5)
            return walk(*args, **kwargs)
        return run

    monkeypatch.setattr(gui.destination, "discover", held(gui.destination.discover))
    monkeypatch.setattr(gui.pages, "list_sources", held(gui.pages.list_sources))
    yield threads, gate
    gate.set()


def test_the_check_before_an_export_walks_off_the_ui_thread(qtbot, window, wait_result, folder, tmp_path, asked, walks,
                                                            open_listed) -> None:
    open_listed(window, [folder])
    wait_result(window)
    threads, gate = walks
    threads.clear()  # opening walked too (on a thread of its own: gui.listing)
    gate.clear()
    documents = tmp_path / "documents"
    documents.mkdir()
    (documents / "notes.txt").write_text("mine")
    began = time.monotonic()
    window.export(documents)
    # Back at once, while the walk is held: the UI thread waited 5 s for it before.
    assert time.monotonic() - began < 2
    assert "Checking" in window.statusBar().currentMessage()
    qtbot.waitUntil(lambda: bool(threads), timeout=5_000)
    qtbot.wait(50)  # the window goes on (events, repaints) while the walk is held
    assert not asked and window.checking is not None
    gate.set()
    qtbot.waitUntil(lambda: bool(asked), timeout=10_000)  # the same question as before, once the check answers
    assert len(asked) == 1 and "notes.txt" in asked[0] and window.checking is None
    assert threads and threading.main_thread() not in threads
    assert window.exports == [] and sorted(p.name for p in documents.iterdir()) == ["notes.txt"]


def test_a_one_click_export_inside_the_folder_lists_the_pages_off_the_ui_thread(start_export, window, wait_result,
                                                                                folder, asked, walks,
                                                                                open_listed) -> None:
    threads, _ = walks
    (folder / "clean").mkdir()
    write_page(folder / "clean" / "101.png", _page(1))  # an earlier export: no question, but listed until
    open_listed(window, [folder])  # the export folder is chosen
    assert _listed(window) == ["101.png", "102.png", "clean/101.png"]
    threads.clear()  # opening walked too (on a thread of its own: gui.listing)
    report = _export(start_export, window, folder / "clean", whole_folder=True)
    assert not asked and [f.source.name for f in report.files] == ["101.png", "102.png"]
    assert _listed(window) == ["101.png", "102.png"]  # listed again for the new export folder ...
    assert threads and threading.main_thread() not in threads  # ... by the check, on its thread


def test_the_page_list_never_walks_into_the_export_folder(window, folder, monkeypatch, open_listed) -> None:
    from docclean import formats

    clean = folder / "clean"
    (clean / "deep").mkdir(parents=True)
    write_page(clean / "101.png", _page(1))
    write_page(clean / "deep" / "103.png", _page(3))
    from gui.folders import remember_export

    remember_export(window.store, clean, [folder])  # chosen for this folder, in an earlier session
    looked_at: list[Path] = []
    supported = formats.is_supported
    monkeypatch.setattr(formats, "is_supported", lambda path: looked_at.append(Path(path)) or supported(path))
    open_listed(window, [folder])
    assert _listed(window) == ["101.png", "102.png"]
    assert looked_at and not [p for p in looked_at if p.is_relative_to(clean)]  # not listed, then dropped
    # Only earlier outputs there: said, as the engine says it (not "no files in this folder" alone).
    remember_export(window.store, clean / "deep", [clean])
    (folder / "101.png").unlink()
    (folder / "102.png").unlink()
    (clean / "101.png").unlink()
    open_listed(window, [clean])
    assert window.pages.count() == 0 and "output folder" in window.banner.text() and "left out" in window.banner.text()


def test_closing_while_the_export_folder_is_checked_stops_its_walk(qtbot, window, tmp_path, monkeypatch) -> None:
    # The check walks the input folders (a 300,000-file archive, a slow share): closing the window
    # waited for the whole walk ("Closing: waiting for the check of the export folder").
    from docclean import formats

    scans = tmp_path / "huge"
    scans.mkdir()
    write_page(scans / "0.png", _page(0))
    for i in range(1, 300):
        (scans / f"{i}.png").hardlink_to(scans / "0.png")
    out = tmp_path / "documents"
    out.mkdir()
    (out / "notes.txt").write_text("mine")  # not empty: the check walks the inputs
    window.inputs = [scans]
    walking, supported = threading.Event(), formats.is_supported

    def slow(path) -> bool:  # noqa: ANN001 - 10 ms a file: 3 s for the folder
        if Path(path).parent == scans:
            walking.set()
            time.sleep(0.01)
        return supported(path)

    monkeypatch.setattr(formats, "is_supported", slow)
    check = window.export(out, whole_folder=True)
    assert check is not None
    qtbot.waitUntil(walking.is_set, timeout=5_000)
    began = time.monotonic()
    window.close()
    assert check.wait(1_000), "the check walked on after the window was closed"
    assert time.monotonic() - began < 1.0 and check.stopped and check.concern is None
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=5_000)
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]
