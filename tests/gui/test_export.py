"""Exports from the window: the folder tree kept, re-exports with Overwrite, the dialog's Esc and
close, failures listed once, and a message when nothing is open."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from docclean.io import write_page


def _page(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    page = np.full((40, 50), 0.8, np.float32)
    page[rng.integers(2, 30):, rng.integers(2, 40):][:6, :3] = 0.1
    return page


def _export(start_export, window, out: Path):  # noqa: ANN001, ANN202 - returns the Report and the dialog
    thread = start_export(window, out)  # waits for the thread's end too: the window refuses two into one folder
    assert thread is not None
    return thread.report, window.exports[-1][1]


def test_export_open_pages_keeps_the_folder_tree(qtbot, start_export, window, wait_result, tmp_path,
                                                 open_listed) -> None:
    folder = tmp_path / "tree"
    for sub in ("a", "b"):
        (folder / sub).mkdir(parents=True)
        write_page(folder / sub / "page.png", _page(len(sub) + ord(sub)))
    write_page(folder / "top.png", _page(3))
    open_listed(window, [folder])
    # Two files share a name: the list shows their paths below the folder.
    assert [ref.title for ref in window.pages.refs()] == ["top.png", "a/page.png", "b/page.png"]
    wait_result(window)
    out = tmp_path / "out"
    report, dialog = _export(start_export, window, out)
    assert report.counts()["cleaned"] == 3 and report.counts()["failed"] == 0
    written = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.png"))
    assert written == ["a/page.png", "b/page.png", "top.png"]
    # The export is the command shown: the folder, as "Export whole folder" passes it.
    assert f"docclean clean {folder} -o {out}" in dialog.log.toPlainText()


def test_re_export_says_files_were_skipped_and_overwrite_writes_them(qtbot, start_export, window, wait_result, scans,
                                                                     tmp_path, open_listed) -> None:
    open_listed(window, [scans / "a.png"])
    wait_result(window)
    out = tmp_path / "out"
    report, _ = _export(start_export, window, out)
    assert report.counts()["cleaned"] == 1
    first = (out / "a.png").read_bytes()
    window.panel.binarize.setChecked(True)
    report, dialog = _export(start_export, window, out)
    assert report.counts()["skipped"] == 1 and (out / "a.png").read_bytes() == first
    assert "nothing written" in dialog.label.text()
    assert "already in" in dialog.result_text and "Overwrite existing files" in dialog.result_text
    assert "1 file was already in" in dialog.result_text and "left as it was" in dialog.result_text
    window.panel.overwrite.setChecked(True)
    assert "--overwrite" in window.command.line.text().split()
    report, dialog = _export(start_export, window, out)
    assert report.counts()["cleaned"] == 1 and dialog.label.text() == "Export finished"
    assert "— 1 page in" in dialog.result_text
    assert Image.open(out / "a.png").mode == "1"
    assert "--overwrite" in dialog.log.toPlainText()


def test_escape_or_closing_the_export_dialog_cancels_and_shows_the_summary(qtbot, start_export, window, wait_result,
                                                                           big_page, tmp_path, tiny_settings,
                                                                           monkeypatch, open_listed) -> None:
    window.panel.set_settings(tiny_settings.replace(tile_size=256))
    open_listed(window, [big_page])
    wait_result(window)
    from gui import export

    # Hold the batch after its first tiles, so Esc and close come while it runs.
    held, gate = threading.Event(), threading.Event()
    original = export._SignalProgress.on_tile_done

    def on_tile_done(self, *args) -> None:  # noqa: ANN001, ANN002
        original(self, *args)
        held.set()
        gate.wait(10)

    monkeypatch.setattr(export._SignalProgress, "on_tile_done", on_tile_done)
    thread = start_export(window, tmp_path / "out", until_done=False)
    dialog = window.exports[-1][1]
    assert held.wait(10)
    assert window.export(tmp_path / "out") is None and len(window.exports) == 1  # the same folder, while it runs
    assert "already running in this window" in window.errors[-1]
    dialog.activateWindow()  # Esc goes to the active window, as when the user presses it
    qtbot.waitUntil(lambda: QApplication.activeWindow() is dialog)
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert dialog.isVisible() and thread.stop_requested.is_set()
    assert "Cancelling" in dialog.label.text()
    dialog.close()  # the title bar's close button
    assert dialog.isVisible()
    with qtbot.waitSignal(thread.stopped, timeout=30_000):
        gate.set()
    assert dialog.isVisible() and "cancelled" in dialog.label.text()
    assert "0 cleaned" in dialog.log.toPlainText()
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)  # the export has ended: now Esc closes
    assert not dialog.isVisible()


def test_export_failures_are_listed_once(qtbot, start_export, window, wait_result, tmp_path, open_listed) -> None:
    folder = tmp_path / "two"
    folder.mkdir()
    write_page(folder / "a.png", _page(1))
    (folder / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n truncated")
    open_listed(window, [folder])
    wait_result(window)
    thread = start_export(window, tmp_path / "out", whole_folder=True)
    report, dialog = thread.report, window.exports[-1][1]
    assert report.counts()["failed"] == 1
    assert dialog.log.toPlainText().count("error:") == 1
    assert "broken.png" in dialog.result_text
    assert dialog.label.text() == "Export finished: 1 of 2 files failed (see below)"  # not a plain "finished"


def test_export_with_nothing_open_says_so(qtbot, window) -> None:
    window.actions_["export"].trigger()
    assert window.banner.isVisible() and "nothing to export" in window.banner.text()
    assert window.exports == []


def test_binarized_pages_exported_as_jpeg_are_warned_about(qtbot, start_export, window, wait_result, tmp_path,
                                                           open_listed) -> None:
    Image.fromarray((_page(7) * 255).astype(np.uint8)).save(tmp_path / "scan.jpg")
    open_listed(window, [tmp_path / "scan.jpg"])
    wait_result(window)
    window.panel.binarize.setChecked(True)
    report, dialog = _export(start_export, window, tmp_path / "out")
    assert report.counts()["cleaned"] == 1
    assert "warning: JPEG cannot hold 1-bit pages" in dialog.result_text  # the engine's words, said once
    assert dialog.result_text.count("JPEG cannot hold") == 1


def test_the_dialog_shows_the_files_being_checked_before_the_pages(qtbot, tmp_path) -> None:
    from docclean.settings import CleanSettings
    from gui.export import ExportDialog, ExportThread, _SignalProgress

    thread = ExportThread([tmp_path], tmp_path / "out", CleanSettings())
    dialog = ExportDialog(thread, "docclean clean", None)
    qtbot.addWidget(dialog)
    progress = _SignalProgress(thread)
    progress.on_plan(5, 20)  # the batch tells it while it plans a big folder
    assert dialog.bar.text() == "checking files: 5 of 20"
    progress.on_start(20, 31)
    assert dialog.bar.text() == "0 of 31 pages (20 files)"
