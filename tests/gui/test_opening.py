"""Opening and reloading list the folders and count their pages off the UI thread: the window
says how far it got, the newest open wins, Export waits for the list, closing waits for the walk,
and an error is shown in the banner."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt

from docclean.io import write_page
from gui import menus

#: Seconds a held walk waits at most: on a window that walks on the UI thread, it froze that long.
HOLD_S = 3


class Held:
    """Walks of the ``folders`` wait until ``gate`` is set (a slow network share); ``threads``:
    the thread each walk ran on."""

    def __init__(self) -> None:
        self.folders: set[Path] = set()
        self.gate = threading.Event()
        self.threads: list[threading.Thread] = []


@pytest.fixture
def held(window, monkeypatch) -> Held:  # noqa: ANN001 - after ``window``: released before it shuts down
    import gui.pages

    hold = Held()
    walk = gui.pages.list_sources

    def list_sources(inputs, output=None, found=None, stop=None):  # noqa: ANN001, ANN202
        hold.threads.append(threading.current_thread())
        if any(Path(item) in hold.folders for item in inputs):
            hold.gate.wait(HOLD_S)  # not stopped by ``stop``: a call hung on a dead network share
        return walk(inputs, output=output, found=found, stop=stop)

    monkeypatch.setattr(gui.pages, "list_sources", list_sources)
    yield hold
    hold.gate.set()


def _folder(root: Path, name: str, count: int) -> Path:
    folder = root / name
    folder.mkdir()
    for i in range(count):
        write_page(folder / f"{name}-{i}.png", np.full((20, 30), 0.8, np.float32))
    return folder


def _titles(window) -> list[str]:  # noqa: ANN001
    return [ref.title for ref in window.pages.refs()]


def _open_at_once(window, paths: list[Path]) -> None:  # noqa: ANN001
    began = time.monotonic()
    window.open_paths(paths)
    assert time.monotonic() - began < 1  # back at once while the walk is held: the UI thread is free


def test_opening_a_folder_lists_it_off_the_ui_thread_and_says_how_far_it_got(qtbot, window, held, tmp_path, listed,
                                                                               monkeypatch) -> None:
    from docclean import io as pageio

    folder = _folder(tmp_path, "archive", 2)
    held.folders.add(folder)
    _open_at_once(window, [folder])
    assert window.statusBar().currentMessage() == f"Listing {folder}…"
    assert window.preview.canvases[0].placeholder == f"Listing {folder}…"  # not "Open scans…"
    assert window.pages.count() == 0
    qtbot.wait(50)  # the window goes on (events, repaints) while the walk is held
    # Then the pages are counted, one header a file: the status bar says how many are done.
    from gui import listing

    monkeypatch.setattr(listing, "PROGRESS_EVERY_S", 0)
    counting, count_pages = threading.Event(), pageio.count_pages
    monkeypatch.setattr(pageio, "count_pages", lambda path, *a: counting.wait(HOLD_S) and count_pages(path, *a))
    held.gate.set()
    qtbot.waitUntil(lambda: window.statusBar().currentMessage() == f"Listing {folder}… 0 of 2 files", timeout=5_000)
    counting.set()
    listed(window)
    assert _titles(window) == ["archive-0.png", "archive-1.png"] and window.current.path.name == "archive-0.png"
    assert not window.statusBar().currentMessage().startswith("Listing")
    assert held.threads and threading.main_thread() not in held.threads


def test_reload_lists_again_off_the_ui_thread_and_keeps_the_pages_until_then(qtbot, window, held, tmp_path,
                                                                              open_listed, listed) -> None:
    folder = _folder(tmp_path, "archive", 1)
    open_listed(window, [folder])
    write_page(folder / "archive-new.png", np.full((20, 30), 0.5, np.float32))
    held.folders.add(folder)
    began = time.monotonic()
    menus.reload(window)
    assert time.monotonic() - began < 1
    assert _titles(window) == ["archive-0.png"] and "Listing" in window.statusBar().currentMessage()
    held.gate.set()
    listed(window)
    assert _titles(window) == ["archive-0.png", "archive-new.png"]


def test_reload_keeps_the_page_shown(qtbot, window, tmp_path, open_listed, listed) -> None:
    # Back to the first page at every Ctrl+R, a user deep in an archive lost their place.
    folder = _folder(tmp_path, "archive", 3)
    open_listed(window, [folder])
    window.pages.setCurrentRow(2)
    assert window.current.path.name == "archive-2.png"
    write_page(folder / "archive-1.png", np.full((20, 30), 0.5, np.float32))  # changed on disk
    menus.reload(window)
    listed(window)
    assert window.pages.currentRow() == 2 and window.current.path.name == "archive-2.png"
    (folder / "archive-2.png").unlink()  # no longer there: the first page
    menus.reload(window)
    listed(window)
    assert window.pages.currentRow() == 0 and window.current.path.name == "archive-0.png"


def test_listing_again_for_an_export_folder_counts_the_pages_off_the_ui_thread(qtbot, window, tmp_path, open_listed,
                                                                              listed, monkeypatch) -> None:
    # The export's check walks the folders with the new export folder (gui.destination); the pages
    # of what it found were then counted on the UI thread: a header a file, 25,000 of them.
    from docclean import io as pageio
    from gui.pages import listed_files

    folder = _folder(tmp_path, "archive", 3)
    open_listed(window, [folder])
    window.pages.setCurrentRow(1)
    write_page(folder / "archive-new.png", np.full((20, 30), 0.5, np.float32))
    listing = listed_files([folder], None)  # what the check answers: another list than the one shown
    counting, threads, count_pages = threading.Event(), [], pageio.count_pages

    def held_count(path, *args):  # noqa: ANN001, ANN202 - a slow network share
        threads.append(threading.current_thread())
        counting.wait(HOLD_S)
        return count_pages(path, *args)

    monkeypatch.setattr(pageio, "count_pages", held_count)
    began = time.monotonic()
    window.relist(listing)
    assert time.monotonic() - began < 1  # back at once while the count is held: the UI thread is free
    assert _titles(window) == ["archive-0.png", "archive-1.png", "archive-2.png"]  # until the count is done
    assert "Listing" in window.statusBar().currentMessage()
    counting.set()
    listed(window)
    assert _titles(window) == ["archive-0.png", "archive-1.png", "archive-2.png", "archive-new.png"]
    assert window.current.path.name == "archive-1.png"  # the page shown stays
    assert threads and threading.main_thread() not in threads


def test_a_listing_runs_with_the_garbage_collector_paused_and_restores_it(qtbot, window, tmp_path, listed,
                                                                         monkeypatch) -> None:
    # Listing 300,000 files set off six full collections of 0.2-0.5 s, each stopping the window too.
    import gc

    import gui.pages

    during: list[bool] = []
    walk = gui.pages.list_sources

    def list_sources(inputs, output=None, found=None, stop=None):  # noqa: ANN001, ANN202
        during.append(gc.isenabled())
        return walk(inputs, output=output, found=found, stop=stop)

    monkeypatch.setattr(gui.pages, "list_sources", list_sources)
    assert gc.isenabled()
    window.open_paths([_folder(tmp_path, "archive", 2)])
    listed(window)
    qtbot.waitUntil(lambda: not window.listings, timeout=10_000)
    assert during == [False] and gc.isenabled()


def test_the_newest_open_wins_and_an_older_listing_is_dropped(qtbot, window, held, tmp_path, listed) -> None:
    slow, quick = _folder(tmp_path, "slow", 2), _folder(tmp_path, "quick", 1)
    held.folders.add(slow)
    _open_at_once(window, [slow])
    window.open_paths([quick])  # opened while the first is still listed
    listed(window)
    assert _titles(window) == ["quick-0.png"]
    held.gate.set()  # the first walk ends: its answer comes, and is dropped
    qtbot.waitUntil(lambda: not window.listings, timeout=10_000)
    qtbot.wait(50)
    assert _titles(window) == ["quick-0.png"] and window.inputs == [quick]
    assert not window.statusBar().currentMessage().startswith("Listing")


def test_closing_while_a_folder_is_listed_waits_for_the_walk(qtbot, window, held, tmp_path, monkeypatch) -> None:
    from gui import closing

    monkeypatch.setattr(closing, "CLOSE_WAIT_MS", 50)
    folder = _folder(tmp_path, "archive", 1)
    held.folders.add(folder)
    _open_at_once(window, [folder])
    qtbot.waitUntil(lambda: bool(held.threads), timeout=5_000)
    began = time.monotonic()
    window.close()
    assert time.monotonic() - began < 1  # the window does not freeze ...
    # ... nor is the running thread destroyed: the window waits for it, disabled, and says so.
    assert window.isVisible() and not window.isEnabled() and window.listings[0].isRunning()
    assert "Closing: waiting for the listing" in window.statusBar().currentMessage()
    held.gate.set()
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=10_000)
    assert window.pages.count() == 0  # the answer came after closing began: dropped


def test_export_while_listing_is_refused_with_a_message(qtbot, window, held, tmp_path, open_listed, listed) -> None:
    first, second = _folder(tmp_path, "first", 1), _folder(tmp_path, "second", 1)
    open_listed(window, [first])
    held.folders.add(second)
    _open_at_once(window, [second])
    out = tmp_path / "out"
    assert window.export(out) is None and window.export(out, whole_folder=True) is None
    assert f"still listing {second}" in window.banner.text() and window.checking is None and not out.exists()
    held.gate.set()
    listed(window)
    assert _titles(window) == ["second-0.png"]


def test_an_error_while_listing_is_shown_and_what_was_open_stays(qtbot, window, tmp_path, open_listed,
                                                                 monkeypatch) -> None:
    import gui.pages

    first, share = _folder(tmp_path, "first", 1), _folder(tmp_path, "share", 1)
    open_listed(window, [first])

    def gone(inputs, output=None, found=None, stop=None):  # noqa: ANN001, ANN202
        raise PermissionError("the network share went away")

    monkeypatch.setattr(gui.pages, "list_sources", gone)
    open_listed(window, [share])
    assert "the network share went away" in window.banner.text() and str(share) in window.banner.text()
    assert _titles(window) == ["first-0.png"] and window.inputs == [first]
    assert not window.statusBar().currentMessage().startswith("Listing")


def test_an_export_check_answered_while_listing_leaves_the_newer_list(qtbot, window, held, tmp_path, open_listed,
                                                                       listed, monkeypatch) -> None:
    monkeypatch.setattr(window, "confirm_export", lambda concern: False)  # a question would hang the test
    first, second = _folder(tmp_path, "first", 1), _folder(tmp_path, "second", 1)
    (second / "clean").mkdir()  # holding an earlier export of first/: exported into without a question
    write_page(second / "clean" / "first-0.png", np.full((20, 30), 0.5, np.float32))
    open_listed(window, [first])
    check = window.export(second / "clean")  # checked on its thread; answers once the event loop runs
    assert check is not None
    held.folders.add(second)
    _open_at_once(window, [second])  # listed for the export folder as it was: clean/ would be listed
    qtbot.waitUntil(lambda: window.checking is None, timeout=10_000)  # the export of first/ starts
    held.gate.set()
    listed(window)
    # Listed again for the new export folder, which is left out, as the batch leaves it out.
    assert _titles(window) == ["second-0.png"] and window.inputs == [second]
    thread, dialog = window.exports[-1]
    qtbot.waitUntil(lambda: dialog.ended, timeout=30_000)
    assert [f.source.name for f in thread.report.files] == ["first-0.png"]


def test_the_walk_says_how_many_files_it_found_so_far(qtbot, window, tmp_path, monkeypatch) -> None:
    # An archive of 300,000 scans takes a while to walk: "Listing FOLDER…" alone looked stuck.
    import gui.pages
    from gui import listing

    monkeypatch.setattr(listing, "PROGRESS_EVERY_S", 0)
    folder = _folder(tmp_path, "archive", 2)
    gate = threading.Event()
    walk = gui.pages.list_sources

    def list_sources(inputs, output=None, found=None, stop=None):  # noqa: ANN001, ANN202 - half-way through a walk
        if found is not None:
            found(1234)
        gate.wait(HOLD_S)
        return walk(inputs, output=output, found=found, stop=stop)

    monkeypatch.setattr(gui.pages, "list_sources", list_sources)
    _open_at_once(window, [folder])
    try:
        qtbot.waitUntil(lambda: window.statusBar().currentMessage() == f"Listing {folder}… finding files: 1,234 so far",
                        timeout=5_000)
    finally:
        gate.set()
    qtbot.waitUntil(lambda: window.opening is None, timeout=10_000)
    assert _titles(window) == ["archive-0.png", "archive-1.png"]
    assert not window.statusBar().currentMessage().startswith("Listing")


def test_a_listing_reports_the_files_found_during_the_walk_then_the_files_counted(qtbot, tmp_path,
                                                                                 monkeypatch) -> None:
    from gui import listing

    monkeypatch.setattr(listing, "PROGRESS_EVERY_S", 0)
    folder = _folder(tmp_path, "archive", 3)
    thread = listing.FolderListing([folder], None)
    said: list[tuple] = []
    thread.found.connect(lambda found: said.append(("found", found)))
    thread.counted.connect(lambda done, total: said.append(("counted", done, total)))
    with qtbot.waitSignal(thread.answered, timeout=10_000):
        thread.start()
    thread.wait()
    qtbot.waitUntil(lambda: ("counted", 0, 3) in said)
    walked = [entry[1] for entry in said if entry[0] == "found"]
    assert walked[:3] == [1, 2, 3] and walked[-1] == 3  # as each file was found
    assert said.index(("counted", 0, 3)) > max(i for i, entry in enumerate(said) if entry[0] == "found")
    assert listing.listing_message([folder], found=12_345) == f"Listing {folder}… finding files: 12,345 so far"
    assert listing.listing_message([folder], 1_000, 300_000) == f"Listing {folder}… 1,000 of 300,000 files"


#: Seconds the walk takes over each file of a :class:`Slow` folder: 300 files take 3 s to walk.
SLOW_FILE_S = 0.01
#: Seconds within which a stopped walk must have ended: it ends at its next file (10 ms), and a
#: loaded machine gets room; a walk that cannot be stopped takes 3 s.
STOPPED_WITHIN_S = 1.0


class Slow:
    """A folder of 300 scans whose walk takes :data:`SLOW_FILE_S` a file (a slow network share):
    ``walking`` is set at its first file, ``ended`` once the walk returned or raised."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.walking = threading.Event()
        self.ended = threading.Event()

    def wait_walking(self, qtbot) -> None:  # noqa: ANN001
        qtbot.waitUntil(self.walking.is_set, timeout=5_000)

    def assert_stops(self) -> None:
        """The walk ends soon after the stop asked just now."""
        assert self.ended.wait(STOPPED_WITHIN_S), "the walk went on after it was stopped"


@pytest.fixture
def slow(tmp_path, monkeypatch) -> Slow:  # noqa: ANN001
    import gui.pages
    from docclean import formats

    folder = _folder(tmp_path, "huge", 1)
    for i in range(1, 300):  # one scan, many names: made in milliseconds
        (folder / f"huge-{i:03d}.png").hardlink_to(folder / "huge-0.png")
    hold = Slow(folder)
    supported, walk = formats.is_supported, gui.pages.list_sources

    def is_supported(path) -> bool:  # noqa: ANN001
        if Path(path).parent == folder:
            hold.walking.set()
            time.sleep(SLOW_FILE_S)
        return supported(path)

    def list_sources(inputs, output=None, found=None, **kwargs):  # noqa: ANN001, ANN003, ANN202
        try:
            return walk(inputs, output=output, found=found, **kwargs)
        finally:
            if any(Path(item) == folder for item in inputs):
                hold.ended.set()

    monkeypatch.setattr(formats, "is_supported", is_supported)
    monkeypatch.setattr(gui.pages, "list_sources", list_sources)
    return hold


def test_opening_another_folder_stops_the_walk_of_the_first(qtbot, window, slow, tmp_path, listed) -> None:
    # Dropped but walked on, a folder opened by mistake ate CPU and disk until its walk's end.
    quick = _folder(tmp_path, "quick", 1)
    _open_at_once(window, [slow.folder])
    slow.wait_walking(qtbot)
    window.open_paths([quick])
    slow.assert_stops()
    qtbot.waitUntil(lambda: len(window.listings) <= 1, timeout=int(STOPPED_WITHIN_S * 1000))  # its thread ended
    listed(window)
    qtbot.waitUntil(lambda: not window.listings, timeout=10_000)
    assert _titles(window) == ["quick-0.png"] and window.inputs == [quick]


def test_the_stop_button_stops_the_listing_and_what_was_open_stays(qtbot, window, slow, tmp_path,
                                                                   open_listed) -> None:
    first = _folder(tmp_path, "first", 1)
    open_listed(window, [first])
    button = window.stop_listing_button
    assert not button.isVisible()  # only while a folder is listed
    _open_at_once(window, [slow.folder])
    slow.wait_walking(qtbot)
    assert button.isVisible() and window.statusBar().isAncestorOf(button)
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    slow.assert_stops()
    assert window.statusBar().currentMessage().startswith(f"Stopped listing {slow.folder} (")
    assert window.statusBar().currentMessage().endswith("files found so far): what was open stays open")
    assert not button.isVisible() and window.opening is None
    qtbot.waitUntil(lambda: not window.listings, timeout=int(STOPPED_WITHIN_S * 1000))
    qtbot.wait(50)  # its answer, had it filled the list, has come
    assert _titles(window) == ["first-0.png"] and window.inputs == [first]


def test_escape_stops_the_listing_and_a_stopped_listing_fills_no_page_list(qtbot, window, slow) -> None:
    from PySide6.QtWidgets import QApplication

    from gui.opening import OPEN_HINT

    window.activateWindow()  # a shortcut goes to the active window, as when the user presses it
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    _open_at_once(window, [slow.folder])
    slow.wait_walking(qtbot)
    qtbot.keyClick(window, Qt.Key.Key_Escape)
    slow.assert_stops()
    assert window.statusBar().currentMessage().endswith("files found so far): nothing was opened")
    assert window.preview.canvases[0].placeholder == OPEN_HINT  # not "Listing…" any longer
    qtbot.waitUntil(lambda: not window.listings, timeout=int(STOPPED_WITHIN_S * 1000))
    qtbot.wait(50)
    assert window.pages.count() == 0 and window.inputs == [] and window.current is None


def test_closing_while_a_folder_is_walked_stops_the_walk_and_closes_at_once(qtbot, window, slow) -> None:
    _open_at_once(window, [slow.folder])
    slow.wait_walking(qtbot)
    began = time.monotonic()
    window.close()
    assert not window.isVisible() and time.monotonic() - began < STOPPED_WITHIN_S  # no "waiting for the listing"
    assert slow.ended.is_set() and not window.listings[0].isRunning()
