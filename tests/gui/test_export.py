"""Exports from the window: the folder tree kept, re-exports with Overwrite, the dialog's Esc and
close, failures listed once, and a message when nothing is open."""

from __future__ import annotations

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
    assert "--overwrite" in window.command.text().split()
    report, dialog = _export(start_export, window, out)
    assert report.counts()["cleaned"] == 1 and dialog.label.text() == "Export finished"
    assert "— 1 page in" in dialog.result_text
    assert Image.open(out / "a.png").mode == "1"
    assert "--overwrite" in dialog.log.toPlainText()


def test_escape_or_closing_the_export_dialog_cancels_and_shows_the_summary(qtbot, start_export, window, wait_result,
                                                                           big_page, tmp_path, tiny_settings,
                                                                           export_gate, open_listed) -> None:
    window.panel.set_settings(tiny_settings.replace(tile_size=256))
    open_listed(window, [big_page])
    wait_result(window)
    held, gate = export_gate  # the batch holds after its first tiles, so Esc and close come while it runs
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


def _held_export(qtbot, start_export, window, big_page, tmp_path, tiny_settings, export_gate,  # noqa: ANN001, ANN202
                 open_listed):
    """An export of ``big_page`` held after its first tiles: (its thread, the gate that lets it go on)."""
    window.panel.set_settings(tiny_settings.replace(tile_size=256))
    open_listed(window, [big_page])
    held, gate = export_gate
    thread = start_export(window, tmp_path / "out", until_done=False)
    assert held.wait(10)
    qtbot.waitUntil(lambda: window.exports[-1][1].pages_total == 1)  # the thread's signals have come
    return thread, gate


def test_closing_the_window_during_an_export_asks_first(qtbot, start_export, window, big_page, tmp_path,
                                                         tiny_settings, export_gate, open_listed) -> None:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QMessageBox

    thread, gate = _held_export(qtbot, start_export, window, big_page, tmp_path, tiny_settings, export_gate,
                                open_listed)
    asked = []

    def answer(stop: bool) -> None:
        box = QApplication.activeModalWidget()
        asked.append(box.text() if isinstance(box, QMessageBox) else None)
        if isinstance(box, QMessageBox):
            assert box.defaultButton() is box.button(QMessageBox.StandardButton.Cancel)
            (next(b for b in box.buttons() if b.text() == "Stop and quit") if stop else box.defaultButton()).click()

    QTimer.singleShot(200, lambda: answer(False))
    window.close()
    qtbot.waitUntil(lambda: bool(asked), timeout=5_000)
    assert asked[0] is not None and asked[0].startswith("An export is running (0 of 1 pages). Stop it and quit?")
    assert "Pages written so far are kept; exporting again carries on." in asked[0]
    assert window.isVisible() and not thread.stop_requested.is_set()  # Cancel: the export goes on
    QTimer.singleShot(200, lambda: answer(True))
    window.close()
    assert thread.stop_requested.is_set() and len(asked) == 2
    gate.set()
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=30_000)


def test_an_export_a_full_disk_stopped_says_so_and_counts_only_pages_written(qtbot, window, tmp_path,
                                                                             tiny_settings) -> None:
    from docclean.report import CLEANED, DISK_FULL, FAILED, FileResult, PageResult, Report
    from gui.export import ExportDialog, ExportThread

    thread = ExportThread([tmp_path / "in"], tmp_path / "out", tiny_settings)
    dialog = ExportDialog(thread, "docclean clean in -o out", window)
    qtbot.addWidget(dialog)
    report = Report(output=str(tmp_path / "out"))
    thread.started_batch.emit(5, 5)
    for i in range(5):  # the pipeline cleans every page before the last writes fail
        thread.file_started.emit(str(tmp_path / "in" / f"{i}.png"), 1)
        thread.page_done.emit(str(tmp_path / "in" / f"{i}.png"), 0)
    for i in range(5):
        full = i == 4
        result = FileResult(tmp_path / "in" / f"{i}.png", status=FAILED if full else CLEANED,
                            pages=[PageResult(0, CLEANED)],
                            error=f"{i}.png: cannot write (No space left on device)" if full else None)
        report.files.append(result)
        thread.file_done.emit(result)
    report.stopped = "the disk is full ([Errno 28] No space left on device); stopped, outputs written so far are kept"
    report.stop_reason = DISK_FULL  # as filerun sets them both
    thread.done.emit(report)  # the batch returns: the runner does not raise on a full disk
    assert dialog.label.text().startswith("Export stopped: the disk is full")
    assert "Export finished" not in dialog.label.text()
    assert dialog.bar.value() == 4 and dialog.bar.text().startswith("4 of 5 pages")


def test_export_open_pages_exports_what_the_list_holds_as_the_command_row_says(qtbot, start_export, window,
                                                                               tmp_path, open_listed) -> None:
    """Opened by name: a file that is no image and one that is not there are left out of the list,
    and out of the export too (2 pages listed, 4 files exported, 3 failed); a listed file whose
    page cannot be cleaned (truncated) stays in both, and fails."""
    folder = tmp_path / "named"
    folder.mkdir()
    write_page(folder / "101.png", _page(1))
    (folder / "notreally.jpg").write_text("not a jpeg")
    whole = folder / "whole.png"
    write_page(whole, np.random.default_rng(2).random((400, 400), dtype=np.float32))  # 3,000 bytes: a sliver
    (folder / "broken.png").write_bytes(whole.read_bytes()[:3000])  # its header is whole: it is listed
    opened = [folder / "notreally.jpg", folder / "broken.png", folder / "nonexistent.png", folder / "101.png"]
    open_listed(window, opened)
    assert [ref.title for ref in window.pages.refs()] == ["broken.png", "101.png"]
    out = tmp_path / "out"
    shown = window.command.line.toolTip() or window.command.line.text()  # all of it, where the field shows its end
    assert shown.startswith(f"docclean clean {folder / 'broken.png'} {folder / '101.png'} -o ")
    thread = start_export(window, out)
    assert [result.source.name for result in thread.report.files] == ["broken.png", "101.png"]
    assert thread.report.counts()["cleaned"] == 1 and thread.report.counts()["failed"] == 1
    command = f"docclean clean {folder / 'broken.png'} {folder / '101.png'} -o {out}"
    assert command in window.exports[-1][1].log.toPlainText()


def test_files_already_there_are_worded_by_what_the_window_knows_of_their_settings(qtbot, start_export, window,
                                                                                   scans, tmp_path,
                                                                                   open_listed) -> None:
    """A cancelled export carried on said to rewrite the files already there with "Overwrite",
    though they were written with these very settings."""
    open_listed(window, [scans / "a.png"])
    out = tmp_path / "out"
    _export(start_export, window, out)
    _, dialog = _export(start_export, window, out)  # the same settings: it carries on
    assert "written by an earlier export with these settings" in dialog.result_text
    assert "Overwrite" not in dialog.result_text
    window.panel.binarize.setChecked(True)
    _, dialog = _export(start_export, window, out)
    assert "(from an earlier run, perhaps with other settings)" in dialog.result_text  # as the CLI says it
    assert "tick 'Overwrite existing files'" in dialog.result_text


def test_an_export_with_a_failed_file_says_why_the_bar_ends_short(qtbot, window, tmp_path, tiny_settings) -> None:
    from docclean.report import CLEANED, FAILED, FileResult, PageResult, Report
    from gui.export import ExportDialog, ExportThread

    thread = ExportThread([tmp_path / "in"], tmp_path / "out", tiny_settings)
    dialog = ExportDialog(thread, "docclean clean in -o out", window)
    qtbot.addWidget(dialog)
    report = Report(output=str(tmp_path / "out"))
    thread.started_batch.emit(3, 3)
    for i, status in enumerate((CLEANED, FAILED, CLEANED)):
        source = tmp_path / "in" / f"{i}.png"
        thread.file_started.emit(str(source), 1)
        thread.page_done.emit(str(source), 0)
        result = FileResult(source, status=status, pages=[PageResult(0, CLEANED)],
                            error=f"{i}.png: cannot write (Permission denied)" if status == FAILED else None)
        report.files.append(result)
        thread.file_done.emit(result)
    thread.done.emit(report)
    assert dialog.bar.value() == 2 and dialog.bar.text() == "2 of 3 pages written; 1 file failed"
