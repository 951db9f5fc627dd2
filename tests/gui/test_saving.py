"""Save: the dialog's default suffix and formats, a name typed without a suffix."""

from __future__ import annotations

from PIL import Image
from PySide6.QtWidgets import QDialog, QFileDialog


def test_a_name_without_a_suffix_is_saved_as_png(qtbot, window, wait_result, scans, tmp_path, open_listed) -> None:
    open_listed(window, [scans / "a.png"])
    wait_result(window)
    assert window.save_cleaned(tmp_path / "cleaned") == tmp_path / "cleaned.png"
    assert Image.open(tmp_path / "cleaned.png").format == "PNG" and not window.errors


def test_the_save_dialog_defaults_to_png_and_offers_jpeg(qtbot, window, wait_result, scans, tmp_path, monkeypatch,
                                                         open_listed) -> None:
    open_listed(window, [scans / "a.png"])
    wait_result(window)
    seen = {}
    typed = str(tmp_path / "typed")

    def exec_(dialog: QFileDialog) -> int:  # the user types "typed" and presses Save
        seen.update(filters=dialog.nameFilters(), suffix=dialog.defaultSuffix(), mode=dialog.acceptMode())
        dialog.selectFile(typed)
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(QFileDialog, "exec", exec_)
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *args, **kwargs: (typed, ""))  # an older dialog
    assert window.save_cleaned() == tmp_path / "typed.png"
    assert Image.open(tmp_path / "typed.png").format == "PNG"
    assert seen["suffix"] == "png" and seen["mode"] == QFileDialog.AcceptMode.AcceptSave
    assert "*.jpeg" in seen["filters"][0] and "*.jpg" in seen["filters"][0]
