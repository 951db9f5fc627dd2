"""Save: the dialog's default suffix and formats, a name typed without a suffix; never over an open
scan, which it tells without a stat of each open file on the UI thread."""

from __future__ import annotations

import os
import threading
from pathlib import Path

from PIL import Image
from PySide6.QtWidgets import QDialog, QFileDialog


def test_a_name_without_a_suffix_is_saved_as_png(qtbot, window, wait_result, scans, tmp_path, open_listed,
                                                 save_and_wait) -> None:
    open_listed(window, [scans / "a.png"])
    wait_result(window)
    assert save_and_wait(window, tmp_path / "cleaned") == tmp_path / "cleaned.png"
    assert Image.open(tmp_path / "cleaned.png").format == "PNG" and not window.errors


def test_the_save_dialog_defaults_to_png_and_offers_jpeg(qtbot, window, wait_result, scans, tmp_path, monkeypatch,
                                                         open_listed, save_and_wait) -> None:
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
    assert save_and_wait(window) == tmp_path / "typed.png"
    assert Image.open(tmp_path / "typed.png").format == "PNG"
    assert seen["suffix"] == "png" and seen["mode"] == QFileDialog.AcceptMode.AcceptSave
    assert "*.jpeg" in seen["filters"][0] and "*.jpg" in seen["filters"][0]


def test_save_looks_at_no_open_file_to_tell_whether_its_target_is_one(qtbot, window, wait_result, scans, tmp_path,
                                                                      open_listed, monkeypatch, save_and_wait) -> None:
    # Save stat'ed every open file on the UI thread (25,000 on a network share froze the window):
    # who they are is gathered with their listing, off the UI thread (gui.pages.OpenScans).
    for i in range(200):
        (scans / f"copy-{i:03}.png").hardlink_to(scans / "a.png")
    open_listed(window, [scans])
    wait_result(window)
    existing = tmp_path / "existing.png"
    existing.write_bytes(b"an earlier save, replaced by this one")
    looked_at: list[Path] = []
    real_stat = os.stat

    def stat(path, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        if threading.current_thread() is threading.main_thread():
            looked_at.append(Path(path))
        return real_stat(path, *args, **kwargs)

    monkeypatch.setattr(os, "stat", stat)
    assert save_and_wait(window, existing) == existing
    monkeypatch.setattr(os, "stat", real_stat)
    assert not [p for p in looked_at if p.parent == scans], looked_at[:5]
    assert Image.open(existing).format == "PNG"


def test_save_refuses_an_open_scan_replaced_on_disk_since_it_was_listed(qtbot, window, wait_result, scans,
                                                                        open_listed, save_and_wait) -> None:
    # Its identity (device, inode) is that of the file listed; its name is still that of an open scan.
    open_listed(window, [scans / "a.png"])
    wait_result(window)
    replacement = scans / "new.tmp"
    replacement.write_bytes((scans / "b.png").read_bytes())
    os.replace(replacement, scans / "a.png")  # a new file under the old name, as a scanner rewrites one
    before = (scans / "a.png").read_bytes()
    assert save_and_wait(window, scans / "a.png") is None
    assert "refusing to write over a scan that is open" in window.errors[-1]
    assert (scans / "a.png").read_bytes() == before


def test_save_s_still_being_cleaned_notice_goes_when_the_page_is_cleaned(qtbot, window, wait_result, big_page,
                                                                          tmp_path, tiny_settings, tile_gate,
                                                                          open_listed) -> None:
    """Ctrl+S at once after a settings change said "nothing to save yet: the page is still being
    cleaned", and the banner kept saying it after the page was cleaned."""
    window.panel.set_settings(tiny_settings.replace(tile_size=256))
    tile_gate.set()
    open_listed(window, [big_page])
    wait_result(window)
    tile_gate.clear()  # the next preview waits after its first tiles
    window.panel.binarize.setChecked(True)
    qtbot.waitUntil(lambda: window.busy, timeout=5_000)
    assert window.save_cleaned(tmp_path / "x.png") is None
    assert window.banner.isVisible() and "still being cleaned" in window.banner.text()
    tile_gate.set()
    qtbot.waitUntil(lambda: not window.busy, timeout=20_000)
    assert window.result_is_current()
    assert "still being cleaned" not in window.banner.text() and window.banner.isHidden()
