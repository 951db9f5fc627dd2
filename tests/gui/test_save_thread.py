"""Save writes off the UI thread: the window goes on working meanwhile and shows that it writes,
a second Save waits for the first, a failure says why, and closing waits for the page to be written
(or stays open, saying why it was not)."""

from __future__ import annotations

import errno
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from docclean import writer
from docclean.io import write_page
from docclean.metadata import read_metadata


@dataclass
class WriteGate:
    """Save's writes into ``folder``: whether each began on the UI thread (``on_ui_thread``), ``held``
    once one has begun; one begun off the UI thread waits there until ``gate`` is set."""

    folder: Path
    held: threading.Event = field(default_factory=threading.Event)
    gate: threading.Event = field(default_factory=threading.Event)
    on_ui_thread: list[bool] = field(default_factory=list)


@pytest.fixture
def write_gate(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> WriteGate:
    """Holds the engine's writer (``docclean.writer.PageWriter``) as it opens a file in
    ``tmp_path / "saves"``, off the UI thread, until the test sets ``gate``. A write on the UI
    thread is recorded and never held: nothing could let it go."""
    found = WriteGate(tmp_path / "saves")
    original = writer.PageWriter.__enter__

    def enter(self):  # noqa: ANN001, ANN202 - PageWriter.__enter__'s own signature
        if self.path.parent == found.folder:
            ui = threading.current_thread() is threading.main_thread()
            found.on_ui_thread.append(ui)
            found.held.set()
            if not ui:
                found.gate.wait(10)
        return original(self)

    monkeypatch.setattr(writer.PageWriter, "__enter__", enter)
    yield found
    found.gate.set()


def _page(window):  # noqa: ANN001, ANN202 - the page shown as Save writes it: (pixels, dpi, metadata)
    result = window.result
    return (result.output.pixels, result.page.page.dpi,
            read_metadata(result.request.path).only(result.request.index))


def _plain(tmp_path: Path, name: str, page) -> bytes:  # noqa: ANN001 - what Save wrote on the UI thread
    pixels, dpi, metadata = page
    write_page(tmp_path / name, pixels, dpi, metadata=metadata)
    return (tmp_path / name).read_bytes()


def test_save_calls_the_writer_off_the_ui_thread(qtbot, window, wait_result, scans, tmp_path, open_listed,
                                                 write_gate, save_and_wait) -> None:
    open_listed(window, [scans / "c.tif"])
    wait_result(window)
    write_gate.gate.set()  # not held: only which thread writes is looked at
    target = write_gate.folder / "page.tif"
    assert save_and_wait(window, target) == target
    assert write_gate.on_ui_thread == [False]  # written, once, and not on the UI thread
    assert target.read_bytes() == _plain(tmp_path, "plain.tif", _page(window))
    assert window.statusBar().currentMessage() == f"saved {target}" and not window.errors
    assert window.store.value("lastSave") == str(write_gate.folder.resolve())


def test_while_save_writes_the_window_works_and_a_second_save_writes_nothing(qtbot, window, wait_result, scans,
                                                                              tmp_path, open_listed,
                                                                              write_gate) -> None:
    open_listed(window, [scans])
    wait_result(window)
    first = _page(window)
    target, second = write_gate.folder / "a-clean.png", write_gate.folder / "second.png"
    assert window.save_cleaned(target) == target
    assert write_gate.held.wait(10)
    assert window.save_cleaned(second) is None  # refused: it would have been a second write
    assert len(write_gate.on_ui_thread) == 1
    assert f"still saving the page to {target}" in window.banner.text()
    # What the user sees meanwhile: the status bar's busy bar and the name, Save greyed out.
    assert window.save_busy.isVisible() and window.save_busy.label.text() == "Saving a-clean.png…"
    assert str(target) in window.save_busy.toolTip()
    assert not window.actions_["save"].isEnabled()
    # The window works on: another page is shown and cleaned while the write is held.
    window.go(1)
    qtbot.waitUntil(window.result_is_current, timeout=20_000)  # (wait_result: the banner holds a message)
    assert window.result.request.path == scans / "b.png" and window.saving is not None
    write_gate.gate.set()
    qtbot.waitUntil(lambda: window.saving is None, timeout=10_000)
    assert len(write_gate.on_ui_thread) == 1 and not second.exists()
    # The page written is the one shown when Save was pressed, not the one shown now.
    assert target.read_bytes() == _plain(tmp_path, "plain.png", first)
    assert window.save_busy.isHidden() and window.actions_["save"].isEnabled()
    assert window.statusBar().currentMessage() == f"saved {target}"
    assert "still saving" not in window.banner.text()  # that refusal no longer stands
    assert window.save_cleaned(second) == second  # Save works again
    qtbot.waitUntil(lambda: window.saving is None, timeout=10_000)
    assert second.is_file()


def _fail_fsync(monkeypatch: pytest.MonkeyPatch) -> None:
    def fsync(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", fsync)


def _fail_open(monkeypatch: pytest.MonkeyPatch, code: int) -> None:
    real_open = os.open

    def open_(path, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202 - os.open's own signature
        if str(path).endswith(".part"):  # the writer's temporary file, beside the target
            raise OSError(code, os.strerror(code), str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", open_)


@pytest.mark.parametrize("case", ["disk full", "permission denied", "folder gone", "a folder of that name"])
def test_a_failed_save_says_why(qtbot, window, wait_result, scans, open_listed, write_gate, save_and_wait,
                                monkeypatch, case: str) -> None:
    open_listed(window, [scans / "a.png"])
    wait_result(window)
    write_gate.gate.set()
    target = write_gate.folder / "page.png"
    if case == "disk full":
        _fail_fsync(monkeypatch)
        reason = "cannot write output file (No space left on device)"
    elif case == "permission denied":
        _fail_open(monkeypatch, errno.EACCES)
        reason = "cannot create output file (Permission denied)"
    elif case == "folder gone":  # a share unmounted after the dialog: the folder is no longer there
        _fail_open(monkeypatch, errno.ENOENT)
        reason = "cannot create output file (No such file or directory)"
    else:  # real, unpatched: a folder where the file would go
        target.mkdir(parents=True)
        reason = "cannot write output file (Is a directory)"
    assert save_and_wait(window, target) is None
    monkeypatch.undo()  # os.open and os.fsync as they were, for the rest of the test's teardown
    assert write_gate.on_ui_thread == [False]  # it failed on Save's own thread
    assert f"{target}: {reason}" in window.banner.text() and window.banner.isVisible()
    assert window.statusBar().currentMessage() == "not saved"
    assert window.save_busy.isHidden() and window.actions_["save"].isEnabled()


def test_closing_during_a_save_waits_for_the_page_then_closes(qtbot, window, wait_result, scans, tmp_path,
                                                              open_listed, write_gate) -> None:
    open_listed(window, [scans / "c.tif"])
    wait_result(window)
    page = _page(window)
    target = write_gate.folder / "page.pdf"
    assert window.save_cleaned(target) == target
    assert write_gate.held.wait(10)
    window.close()
    assert window.isVisible()  # not closed under the write, which cannot be stopped
    assert not window.isEnabled() and "Closing once the page is saved to" in window.statusBar().currentMessage()
    write_gate.gate.set()
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=10_000)
    assert target.read_bytes() == _plain(tmp_path, "plain.pdf", page)  # written whole, as on the UI thread


def test_closing_during_a_save_that_fails_stays_open_and_says_why(qtbot, window, wait_result, scans, open_listed,
                                                                  write_gate, monkeypatch) -> None:
    open_listed(window, [scans / "a.png"])
    wait_result(window)
    target = write_gate.folder / "page.png"
    _fail_fsync(monkeypatch)
    assert window.save_cleaned(target) == target
    assert write_gate.held.wait(10)
    window.close()
    write_gate.gate.set()
    qtbot.waitUntil(lambda: getattr(window, "saving", None) is None, timeout=10_000)
    monkeypatch.undo()
    qtbot.wait(50)  # a close would have come at once
    assert window.isVisible() and window.isEnabled()  # closed, it would have taken the reason with it
    assert f"{target}: cannot write output file (No space left on device)" in window.banner.text()
    assert window.statusBar().currentMessage() == "not saved (so the window stays open)"
    window.close()  # nothing runs now: it closes
    assert not window.isVisible()


def test_closing_during_a_save_and_an_export_asks_once(qtbot, window, wait_result, start_export, big_page, tmp_path,
                                                       tiny_settings, export_gate, open_listed, write_gate) -> None:
    window.panel.set_settings(tiny_settings.replace(tile_size=256))
    open_listed(window, [big_page])
    wait_result(window)
    held, gate = export_gate
    export = start_export(window, tmp_path / "out", until_done=False)
    assert held.wait(10)
    asked: list[str] = []

    def answer() -> None:  # "Stop and quit" the first time; a second question would be cancelled
        box = QApplication.activeModalWidget()
        if isinstance(box, QMessageBox):
            asked.append(box.text())
            stop = next(b for b in box.buttons() if b.text() == "Stop and quit")
            (stop if len(asked) == 1 else box.button(QMessageBox.StandardButton.Cancel)).click()

    answering = QTimer(window, interval=50)
    answering.timeout.connect(answer)
    answering.start()
    target = write_gate.folder / "page.png"
    assert window.save_cleaned(target) == target
    assert write_gate.held.wait(10)
    window.close()
    assert len(asked) == 1 and asked[0].startswith("An export is running")
    assert export.stop_requested.is_set() and window.isVisible()  # stopped, as answered; the page still writes
    assert "Closing once the page is saved to" in window.statusBar().currentMessage()
    write_gate.gate.set()
    gate.set()
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=30_000)
    answering.stop()
    assert len(asked) == 1 and target.is_file() and write_gate.on_ui_thread == [False]
