"""A scan that changes on disk while the window is open, and a preview overtaken by a settings edit:
what is shown, cached and saved must be of the file and the settings as they are now; and the
window learns what the file is from the preview worker, never by a stat on the UI thread (on a
network share that does not answer, one never returns and the window would freeze for good)."""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path

import numpy as np
from conftest import make_page
from PIL import Image
from PySide6.QtCore import Qt

from docclean.io import PageWriter, write_page


def _replace(path: Path, seed: int) -> None:
    """Write another page of the same size at ``path``, its times put back as they were (``cp -p``)."""
    before = path.stat()
    write_page(path, make_page(60, 80, seed), (150.0, 150.0))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))


def _patch_file_version(monkeypatch, replacement) -> None:  # noqa: ANN001
    """``docclean.fileid.file_version`` replaced wherever the app has it under that name."""
    from docclean import fileid

    original = fileid.file_version
    for name, module in list(sys.modules.items()):
        if (name == "docclean.fileid" or name.startswith("gui.")) and getattr(module, "file_version", None) is original:
            monkeypatch.setattr(module, "file_version", replacement)


def _thumbnail_shown(win, row: int):  # noqa: ANN001, ANN202
    icon = win.pages.model().data(win.pages.model().index(row, 0), Qt.ItemDataRole.DecorationRole)
    return icon.pixmap(icon.availableSizes()[0]).toImage()


def test_a_scan_replaced_on_disk_is_read_cleaned_thumbnailed_and_saved_again(
        qtbot, window, scans, tmp_path, open_listed, wait_result, save_and_wait) -> None:
    """The tester's case: going to another page and back showed the old file's cached preview, and a
    setting changed then cleaned (and Save wrote) the old decoded page; the thumbnail stayed old."""
    from docclean.batch import clean_batch
    from docclean.io import read_page
    from gui.images import thumbnail
    from gui.thumbs import THUMB_DPI, THUMB_HEIGHT

    open_listed(window, [scans])
    wait_result(window)
    old = window.result.page.page.gray.copy()
    expected_old = thumbnail(read_page(scans / "a.png", 0, dpi=THUMB_DPI).gray, THUMB_HEIGHT)
    qtbot.waitUntil(lambda: _thumbnail_shown(window, 0).convertToFormat(expected_old.format()) == expected_old,
                    timeout=20_000)
    _replace(scans / "a.png", 77)
    new = read_page(scans / "a.png", 0).gray
    assert not np.array_equal(old, new)
    window.pages.setCurrentRow(1)
    wait_result(window)
    window.pages.setCurrentRow(0)
    wait_result(window)
    assert not window.result.cached
    assert np.array_equal(window.result.page.page.gray, new)  # the original view shows the file now there
    expected = thumbnail(read_page(scans / "a.png", 0, dpi=THUMB_DPI).gray, THUMB_HEIGHT)
    qtbot.waitUntil(lambda: _thumbnail_shown(window, 0).convertToFormat(expected.format()) == expected,
                    timeout=20_000)

    window.panel.binarize.setChecked(True)
    qtbot.waitUntil(lambda: not window._debounce.isActive() and not window.busy
                    and window.result.request.settings.binarize, timeout=20_000)
    assert window.result_is_current() and window.preview.cleaned.note == ""
    saved = save_and_wait(window, tmp_path / "saved.png")
    assert saved is not None
    clean_batch([scans / "a.png"], tmp_path / "batch", window.panel.settings())
    assert np.array_equal(np.asarray(Image.open(saved)), np.asarray(Image.open(tmp_path / "batch" / "a.png")))


def test_save_refuses_a_preview_of_the_scan_as_it_was_and_cleans_it_again(
        qtbot, window, scans, tmp_path, open_listed, wait_result, save_and_wait) -> None:
    """Save's thread looks at the scan (not the UI thread: a share that hangs froze the window)."""
    from docclean.batch import clean_batch

    open_listed(window, [scans / "a.png"])
    wait_result(window)
    shown = window.result
    _replace(scans / "a.png", 78)
    assert window.result_is_current()  # as far as the window knows: it does not look at the file itself
    assert save_and_wait(window, tmp_path / "early.png") is None
    assert not (tmp_path / "early.png").exists()
    assert any("changed on disk since its preview was made" in m for m in window.banner.messages())
    qtbot.waitUntil(lambda: not window.busy and window.result is not shown, timeout=20_000)  # cleaned again
    assert window.result_is_current()
    saved = save_and_wait(window, tmp_path / "saved.png")
    clean_batch([scans / "a.png"], tmp_path / "batch", window.panel.settings())
    assert np.array_equal(np.asarray(Image.open(saved)), np.asarray(Image.open(tmp_path / "batch" / "a.png")))


def test_the_save_thread_refuses_a_scan_changed_since_its_preview(qtbot, scans, tmp_path) -> None:
    """The window looks before Save starts; the thread looks again before it reads the metadata."""
    from docclean.fileid import file_version
    from gui.pages import OpenScans
    from gui.savepage import CHANGED_SINCE, SaveThread

    version = file_version(scans / "a.png")
    _replace(scans / "a.png", 79)
    thread = SaveThread(tmp_path / "out.png", np.zeros((60, 80), np.uint8), (150.0, 150.0), scans / "a.png", 0,
                        OpenScans(), None, version)
    with qtbot.waitSignal(thread.answered, timeout=20_000):
        thread.start()
    thread.wait()
    assert thread.error is not None and CHANGED_SINCE in thread.error
    assert not (tmp_path / "out.png").exists()


def test_the_preview_is_marked_out_of_date_from_the_edit_on(qtbot, window, scans, open_listed, wait_result) -> None:
    """Not only once the edit delay is over; and a preview of an earlier edit that arrives within
    that delay is shown marked out of date, not as current."""
    from gui.window import OUT_OF_DATE

    open_listed(window, [scans / "a.png"])
    wait_result(window)
    window.panel.binarize.setChecked(True)  # no turn of the event loop: the delay has not begun to run
    assert window._debounce.isActive()
    assert window.preview.cleaned.note == OUT_OF_DATE
    window.panel.binarize.setChecked(False)  # edited back: the preview is current again
    assert window.preview.cleaned.note == ""
    window.panel.binarize.setChecked(True)
    qtbot.waitUntil(lambda: not window._debounce.isActive() and not window.busy, timeout=20_000)
    assert window.preview.cleaned.note == ""

    # Edit A is asked for; edit B comes before A's preview arrives, and B's delay is not over.
    window.panel.keep_solids.setChecked(not window.panel.keep_solids.isChecked())
    window._debounce.stop()
    window.refresh()
    asked = window.request_id
    window.panel.auto_levels.setChecked(not window.panel.auto_levels.isChecked())
    window._debounce.stop()  # held back: A's preview arrives while the panel shows B
    qtbot.waitUntil(lambda: not window.busy, timeout=20_000)
    assert window.result.request.id == asked
    assert window.preview.cleaned.note == OUT_OF_DATE
    assert "out of date" in window.statusBar().currentMessage()
    assert not window.result_is_current()
    window.refresh()  # what the delay's end does
    qtbot.waitUntil(lambda: not window.busy, timeout=20_000)
    assert window.result_is_current() and window.preview.cleaned.note == ""


def test_a_page_its_tiff_no_longer_has_says_so_and_f5_lists_the_file_again(
        qtbot, window, scans, open_listed, wait_result, listed) -> None:
    """A 2-page TIFF rewritten with one page: its page 2 is not "a file that cannot be read until it
    is replaced" (it was, and F5 failed the same way): the list is out of date, and F5 lists again."""
    open_listed(window, [scans])
    wait_result(window)
    with PageWriter(scans / "c.tif") as writer:
        writer.add(make_page(64, 72, 9), (150.0, 150.0))
    row = next(i for i, ref in enumerate(window.pages.refs()) if ref.path.name == "c.tif" and ref.index == 1)
    window.pages.setCurrentRow(row)
    qtbot.waitUntil(lambda: not window.busy, timeout=20_000)
    placeholder = window.preview.cleaned.placeholder
    assert "it has 1 page now" in placeholder and "Ctrl+R" in placeholder
    assert "replace it" not in placeholder
    window.clean_again()  # F5
    listed(window)
    assert (window.current.path.name, window.current.index, window.current.count) == ("c.tif", 0, 1)
    qtbot.waitUntil(lambda: not window.busy, timeout=20_000)  # the banner holds the failure: not wait_result
    assert window.result is not None and window.result.request.path.name == "c.tif"
    assert window.banner.messages() == []


def test_an_edit_that_cannot_change_the_page_and_f5_find_a_scan_replaced_on_disk(
        qtbot, window, scans, open_listed, wait_result) -> None:
    """No new request is needed for the worker to look: an edit that keeps the preview (the format)
    or F5 on a current preview has it look at the scan, and a scan replaced is cleaned again."""
    from docclean.io import read_page

    open_listed(window, [scans / "a.png"])
    wait_result(window)
    for seed, edit in ((80, lambda: window.panel.fmt.setCurrentIndex(window.panel.fmt.count() - 1)),
                       (81, window.clean_again)):
        shown = window.result
        _replace(scans / "a.png", seed)
        edit()
        qtbot.waitUntil(lambda: window.result is not shown and not window.busy, timeout=20_000)  # noqa: B023
        assert not window.result.cached and window.result_is_current() and window.preview.cleaned.note == ""
        assert np.array_equal(window.result.page.page.gray, read_page(scans / "a.png", 0).gray)


def test_a_scan_that_changed_while_it_was_read_is_shown_out_of_date(
        qtbot, window, scans, open_listed, wait_result, monkeypatch) -> None:
    """The worker looks again after the read: a page read while the file was rewritten is shown
    marked out of date, not kept, and F5 cleans it again from the file there now."""
    from gui import previews as previews_module  # the preview worker reads through it
    from gui.previewing import CHANGED_WHILE_READ
    from gui.thumbs import THUMB_DPI

    original, calls = previews_module.pageio.read_page_with_warnings, []

    def read_page(path, index, **kwargs):  # noqa: ANN001, ANN202 - the file is rewritten as it is read
        read = original(path, index, **kwargs)
        if kwargs.get("dpi") == THUMB_DPI:  # the page list's thumbnail, not the preview
            return read
        calls.append(path)
        if len(calls) == 1:
            _replace(Path(path), 82)
        return read

    monkeypatch.setattr(previews_module.pageio, "read_page_with_warnings", read_page)
    open_listed(window, [scans / "a.png"])
    wait_result(window)
    assert window.preview.cleaned.note == CHANGED_WHILE_READ and not window.result_is_current()
    assert "before it changed on disk" in window.statusBar().currentMessage()
    window.clean_again()  # F5
    qtbot.waitUntil(lambda: not window.busy and window.result_is_current(), timeout=20_000)
    assert len(calls) == 2 and not window.result.cached and window.preview.cleaned.note == ""


def test_page_switches_and_refreshes_look_at_no_scan_on_the_ui_thread(
        qtbot, window, scans, tmp_path, open_listed, wait_result, save_and_wait, monkeypatch) -> None:
    """The window stat'ed the scan on the UI thread at every page shown: the worker looks instead."""
    from docclean import fileid

    original, real_stat = fileid.file_version, os.stat
    looked: list[tuple[str, bool]] = []
    stats_on_ui: list[str] = []

    def recording(path):  # noqa: ANN001, ANN202 - file_version's own signature
        looked.append((Path(path).name, threading.current_thread() is threading.main_thread()))
        return original(path)

    def stat(path, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        if threading.current_thread() is threading.main_thread() and str(scans) in str(path):
            stats_on_ui.append(str(path))
        return real_stat(path, *args, **kwargs)

    open_listed(window, [scans])
    wait_result(window)
    _patch_file_version(monkeypatch, recording)
    monkeypatch.setattr(os, "stat", stat)
    for row in (2, 4, 0, 3, 2):  # pages of the TIFF, the PDF, and back to cached ones
        window.pages.setCurrentRow(row)
        wait_result(window)
    window.panel.binarize.setChecked(True)  # a new clean, after the edit delay
    qtbot.waitUntil(lambda: not window._debounce.isActive() and not window.busy
                    and window.result.request.settings.binarize, timeout=20_000)
    window.panel.fmt.setCurrentIndex(window.panel.fmt.count() - 1)  # none: the worker only looks
    qtbot.wait(400)
    window.clean_again()  # F5 on a current preview: a look too
    qtbot.waitUntil(lambda: ("c.tif", False) in looked[-1:], timeout=20_000)
    assert save_and_wait(window, tmp_path / "saved.png") is not None
    assert not window.busy and window.result_is_current()
    assert {"c.tif", "d.pdf", "a.png"} <= {name for name, _ in looked}
    assert [name for name, ui in looked if ui] == [] and stats_on_ui == []


def test_a_page_whose_scan_does_not_answer_a_stat_leaves_the_window_free(
        qtbot, window, scans, open_listed, wait_result, monkeypatch) -> None:
    """A stat that does not return (a share that hangs) holds the worker, not the window: pages
    can still be switched, and the newest one is shown once the stat returns."""
    from docclean import fileid

    original = fileid.file_version
    held, gate = threading.Event(), threading.Event()
    on_ui: list[str] = []

    def hanging(path):  # noqa: ANN001, ANN202 - file_version's own signature
        if threading.current_thread() is threading.main_thread():
            on_ui.append(Path(path).name)
        if Path(path).name == "c.tif":
            held.set()
            gate.wait(5)  # on the UI thread too: the window froze that long
        return original(path)

    open_listed(window, [scans])
    wait_result(window)
    _patch_file_version(monkeypatch, hanging)
    try:
        began = time.monotonic()
        window.pages.setCurrentRow(2)  # c.tif, page 1
        qtbot.wait(50)
        window.clean_again()  # F5 while it is held: nothing more, nothing stuck
        window.pages.setCurrentRow(3)  # c.tif, page 2
        assert held.wait(5)
        qtbot.wait(100)
        window.pages.setCurrentRow(0)  # a.png: waits for the worker, the window does not
        assert time.monotonic() - began < 2.5
        assert window.busy and window.current.path.name == "a.png"
        assert "cleaning" in window.preview.cleaned.placeholder
    finally:
        gate.set()
    wait_result(window)
    assert (window.result.request.path.name, window.result.request.index) == ("a.png", 0)
    assert on_ui == []
