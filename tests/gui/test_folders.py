"""Where Export and Save propose to write: beside the scans, never among them; a new folder can be
chosen; the command row shows the export folder the next export proposes."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QDialog, QFileDialog

from gui.folders import remember_export


@pytest.fixture
def dialogs(monkeypatch) -> dict:  # noqa: ANN001
    """What the file dialogs were opened on; the folder dialog is answered with what it proposes
    (its Choose pressed), the Save dialog is cancelled."""
    seen: dict = {}

    def exec_(dialog: QFileDialog) -> int:
        seen["folder"] = Path(dialog.directory().absolutePath())
        seen["name"] = [Path(f).name for f in dialog.selectedFiles()]
        if dialog.fileMode() == QFileDialog.FileMode.Directory:
            dialog.accept()
            return dialog.result()
        return QDialog.DialogCode.Rejected

    def static(parent, caption, folder="", *args, **kwargs) -> str:  # noqa: ANN001, ANN002, ANN003 - Qt's own dialog
        seen["folder"], seen["name"] = Path(folder), []
        return ""

    monkeypatch.setattr(QFileDialog, "exec", exec_)
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", static)
    return seen


def _command(window) -> str:  # noqa: ANN001
    """The command row's whole command (its field may show only its end)."""
    return window.command.line.toolTip() or window.command.line.text()


def _export(qtbot, window):  # noqa: ANN001, ANN202 - asks for the folder, as File > Export does
    count = len(window.exports)
    window.export()
    qtbot.waitUntil(lambda: window.checking is None and window.opening is None, timeout=30_000)
    assert len(window.exports) == count + 1, window.banner.text()
    thread, dialog = window.exports[-1]
    qtbot.waitUntil(lambda: dialog.ended, timeout=30_000)
    assert thread.wait(10_000)
    return thread


def test_a_first_export_proposes_a_new_folder_beside_the_scans(qtbot, window, scans, tmp_path, dialogs,
                                                               open_listed) -> None:
    """The dialog opened in the scans folder (which the batch refuses as the output), and Qt's
    folder dialog took no folder that did not exist yet."""
    open_listed(window, [scans])
    proposal = tmp_path / "scans-cleaned"
    assert f" -o {proposal} " in _command(window)
    thread = _export(qtbot, window)
    assert dialogs["folder"] == tmp_path and dialogs["name"] == ["scans-cleaned"]
    assert thread.output == proposal and (proposal / "a.png").is_file()  # made by the export
    assert f" -o {proposal} " in _command(window)


def test_save_proposes_no_folder_among_the_scans(qtbot, window, wait_result, scans, tmp_path, dialogs,
                                                 open_listed) -> None:
    """Saved among the scans, the page was listed as a scan on the next Reload, and Save then
    refused its name."""
    open_listed(window, [scans])
    wait_result(window)
    assert window.save_cleaned() is None  # cancelled
    assert dialogs["folder"] == tmp_path and dialogs["name"] == ["a-clean.png"]
    (tmp_path / "scans-cleaned").mkdir()
    assert window.save_cleaned() is None
    assert dialogs["folder"] == tmp_path / "scans-cleaned"  # the export folder, once it is there


def test_the_command_row_shows_the_export_folder_the_next_export_proposes(qtbot, window, start_export, scans,
                                                                          tmp_path, open_listed) -> None:
    """It showed the export folder of other scans from an earlier session, or one whose export
    had just failed."""
    other = tmp_path / "elsewhere"
    remember_export(window.store, other, [tmp_path / "other-scans"])  # an earlier session, other scans
    open_listed(window, [scans])
    assert f" -o {tmp_path / 'scans-cleaned'} " in _command(window)
    (tmp_path / "a-file").write_text("not a folder")
    assert start_export(window, tmp_path / "a-file").report.files == []  # the batch refused it
    qtbot.waitUntil(lambda: "a-file" in window.banner.text())
    assert "a-file" not in _command(window)
    assert f" -o {tmp_path / 'scans-cleaned'} " in _command(window)
    out = tmp_path / "out"
    start_export(window, out)
    assert f" -o {out} " in _command(window)
    remember_export(window.store, out, [scans])
    window.export_choice = None  # a later session, these scans: where they went last
    open_listed(window, [scans])
    assert f" -o {out} " in _command(window)


def test_the_folder_dialog_takes_a_new_folder_s_name(qtbot, tmp_path) -> None:
    """Qt's folder dialog greyed out Choose for a folder not there yet; the export makes it."""
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QDialogButtonBox, QLineEdit

    from gui.folders import FolderDialog

    (tmp_path / "scans").mkdir()
    dialog = FolderDialog(None, "Export cleaned pages to", tmp_path / "scans-cleaned")
    qtbot.addWidget(dialog)
    dialog.show()
    name = dialog.findChild(QLineEdit, "fileNameEdit")
    choose = dialog.findChild(QDialogButtonBox, "buttonBox").button(QDialogButtonBox.StandardButton.Open)
    assert name.text() == "scans-cleaned" and choose.isEnabled()
    name.setText("no/such/place")
    assert not choose.isEnabled()  # its parent is not there either
    name.setText("new")
    assert choose.isEnabled()
    qtbot.keyClick(name, Qt.Key.Key_Return)
    assert dialog.result() == QDialog.DialogCode.Accepted and dialog.selectedFiles() == [str(tmp_path / "new")]
