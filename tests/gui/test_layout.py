"""No text the window shows widens it, and the error banner never takes over the preview."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QApplication

from gui.export import ExportDialog, ExportThread

#: A path with no space in it: word wrap alone cannot break it.
LONG_PATH = "/data/" + "scan_of_a_very_long_name_" * 12 + "p001.png"


def test_no_text_raises_the_window_minimum_width(qtbot, window, tiny_settings) -> None:
    window.resize(1000, 700)
    qtbot.wait(20)
    before = window.minimumSizeHint().width()
    # The show-through warning of a 1-bit page: one line of 180 characters.
    assert window.ink.set_loss(0.005, 0.10, 0.276)
    window.show_errors([f"{LONG_PATH}: not an image (content not recognised)"], opening=True)
    window.show_errors(["a model file: " + LONG_PATH])
    window.panel.set_settings(tiny_settings.replace(model=LONG_PATH.replace(".png", ".safetensors")))
    qtbot.wait(20)
    assert window.minimumSizeHint().width() <= before
    assert window.width() == 1000
    assert window.ink.height() > 2 * window.ink.fontMetrics().lineSpacing()  # wrapped: all of it shown
    scroll = window.panel.parentWidget().parentWidget()
    assert not scroll.horizontalScrollBar().isVisible()  # the panel is not cut off either


def test_a_long_path_does_not_widen_the_export_dialog(qtbot, window, tiny_settings) -> None:
    thread = ExportThread([Path("in")], Path(LONG_PATH).parent / LONG_PATH.strip("/"), tiny_settings)
    dialog = ExportDialog(thread, "docclean clean in -o out", window)
    qtbot.addWidget(dialog)
    dialog._file_started(LONG_PATH, 1)
    assert dialog.minimumSizeHint().width() <= 600
    assert dialog.label.toolTip() == f"Cleaning {LONG_PATH}"  # the whole path, where it is clipped


def test_thirty_broken_files_leave_the_preview_most_of_the_window(qtbot, window, tmp_path, open_listed) -> None:
    for i in range(30):
        (tmp_path / f"bad_file_with_a_rather_long_name_number_{i}.png").write_bytes(b"not a png")
    window.resize(1024, 700)
    open_listed(window, [tmp_path])
    qtbot.wait(50)
    assert window.banner.text().count("not an image") == 30  # every one, none summed up as "… and 22 more"
    assert window.banner.height() < 160 and window.preview.height() > 400
    window.banner.close_button.click()  # dismissed: the preview gets the whole height
    assert window.banner.isHidden()
    window.show_errors([])  # the next preview: the problems stand, the banner stays closed
    assert window.banner.isHidden() and window.banner.text().count("not an image") == 30


def test_an_800_pixel_window_leaves_the_preview_most_of_its_width(qtbot, window, scans, open_listed) -> None:
    """At 800x600 the canvases were 150 pixels each beside side panels at their full width."""
    open_listed(window, [scans])
    for width, height in ((800, 600), (1600, 1000)):
        window.resize(width, height)
        qtbot.waitUntil(lambda w=width: window.width() == w)
        qtbot.wait(20)
        pages, center, panel = window.centralWidget().sizes()
        assert center > pages + panel, (width, pages, center, panel)
        assert window.preview.original.width() >= 0.24 * width
    assert window.minimumSizeHint().width() <= 660
    row = window.command
    long_input = scans / ("a_folder_with_a_long_name_" * 4)
    window.exported = [long_input]
    window._update_command()
    assert row.line.text().startswith("…") and row.line.text().endswith("--threads 1")  # its end, marked as cut
    assert row.text().startswith("docclean clean ") and row.line.toolTip() == row.text()
    row.copy_button.click()
    assert QApplication.clipboard().text() == row.text()  # all of it, not what shows
    row.line.setFocus()
    qtbot.waitUntil(row.line.hasFocus)
    assert row.line.text() == row.text()  # focused: all of it, to select or scroll through
