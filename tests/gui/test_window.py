"""The main window: opening pages, previews equal to the batch, export, errors, settings kept."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QPointF, QSettings, Qt

from docclean.batch import clean_batch
from docclean.settings import CleanSettings
from gui.images import qimage_array
from gui.views import SPLIT


def test_open_folder_lists_every_page_of_multi_page_files(qtbot, window, wait_result, scans, open_listed) -> None:
    open_listed(window, [scans])
    titles = [ref.title for ref in window.pages.refs()]
    assert titles == ["a.png", "b.png", "c.tif — page 1/2", "c.tif — page 2/2", "d.pdf — page 1/2",
                      "d.pdf — page 2/2"]
    wait_result(window)
    assert window.current.path.name == "a.png" and not window.errors
    assert window.actions_["export_folder"].isEnabled()
    # Thumbnails arrive from the background pool (tif page 2 needs a full pass over the file).
    row = window.pages.model().index(3, 0)
    qtbot.waitUntil(lambda: row.data(Qt.ItemDataRole.DecorationRole).pixmap(64, 64).toImage().pixelColor(30, 30).name()
                    != "#d3d3d3", timeout=10_000)


def test_navigate_pages_of_a_tiff_and_a_pdf(qtbot, window, wait_result, scans, open_listed) -> None:
    open_listed(window, [scans / "c.tif", scans / "d.pdf"])
    wait_result(window)
    first = window.result.output.pixels
    window.go(1)
    wait_result(window)
    assert (window.current.path.name, window.current.index) == ("c.tif", 1)
    assert window.result.output.pixels.shape == (64, 72) and not np.array_equal(window.result.output.pixels, first)
    window.go(2)
    wait_result(window)
    assert (window.current.path.name, window.current.index) == ("d.pdf", 1)
    window.go(5)  # past the end: stays
    assert window.current.index == 1
    window.actions_["previous"].trigger()
    wait_result(window)
    assert (window.current.path.name, window.current.index) == ("d.pdf", 0)
    # Back to a page already seen: the cached preview is shown, the engine is not called again.
    cleans = window.worker.cleans
    window.pages.setCurrentRow(0)
    wait_result(window)
    assert window.result.cached and window.worker.cleans == cleans
    assert window.preview.cleaned.images[0] is window.result.cleaned


@pytest.mark.parametrize("change", [{}, {"binarize": True}, {"binarize": True, "threshold": 0.6},
                                    {"binarize": True, "keep_faint": True}, {"color": "keep"}])
def test_preview_pixels_equal_the_batch_output(qtbot, window, wait_result, scans, tmp_path, tiny_settings, change,
                                               open_listed, save_and_wait) -> None:
    settings = tiny_settings.replace(**change)
    window.panel.set_settings(settings)
    open_listed(window, [scans / "b.png"])  # the colour page: keep-colour has something to keep
    wait_result(window)
    assert window.result.request.settings == settings and not window.errors
    saved = save_and_wait(window, tmp_path / "preview.png")
    report = clean_batch([scans / "b.png"], tmp_path / "batch", settings)
    assert report.exit_code == 0
    batch = np.asarray(Image.open(tmp_path / "batch" / "b.png"))
    assert np.array_equal(np.asarray(Image.open(saved)), batch)
    # What the window shows is those same 8-bit pixels.
    shown = qimage_array(window.result.cleaned.full)
    assert np.array_equal(shown, batch.astype(np.uint8) * (255 if batch.dtype == bool else 1))


def test_export_open_pages_with_a_failure_summary(qtbot, start_export, window, wait_result, scans, tmp_path,
                                                  open_listed) -> None:
    (scans / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n truncated")
    open_listed(window, [scans])
    wait_result(window)
    # The unreadable file is named in the banner, and stays there once the first page is shown.
    assert window.banner.isVisible() and "broken.png" in window.banner.text()
    out = tmp_path / "out"
    report = start_export(window, out, whole_folder=True).report
    assert report.counts()["cleaned"] == 4 and report.counts()["failed"] == 1
    assert sorted(p.name for p in out.iterdir()) == ["a.png", "b.png", "c.tif", "d.pdf"]
    dialog = window.exports[-1][1]
    assert "4 cleaned" in dialog.result_text and "broken.png" in dialog.result_text
    assert "docclean clean" in dialog.log.toPlainText()


def test_export_can_be_cancelled(qtbot, start_export, window, wait_result, big_page, tmp_path, tiny_settings,
                                 monkeypatch, open_listed) -> None:
    window.panel.set_settings(tiny_settings.replace(tile_size=256))
    open_listed(window, [big_page])
    wait_result(window)
    from gui import export

    # Cancel as soon as the first tiles are done, from inside the batch: deterministic.
    original = export._SignalProgress.on_tile_done
    monkeypatch.setattr(export._SignalProgress, "on_tile_done",
                        lambda self, *a: (original(self, *a), self.thread.cancel()))
    thread = start_export(window, tmp_path / "out")
    assert thread.report.interrupted
    assert not (tmp_path / "out" / "big.png").exists()
    assert "cancelled" in window.exports[-1][1].label.text()


def test_unreadable_file_and_bad_model_are_messages(qtbot, window, wait_result, scans, tmp_path, tiny_settings,
                                                    open_listed) -> None:
    junk = tmp_path / "junk.jpg"
    junk.write_bytes(b"this is not a jpeg")
    open_listed(window, [junk])
    assert window.banner.isVisible() and "junk.jpg" in window.banner.text()
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"\x00" * 64)
    window.panel.set_settings(tiny_settings.replace(model=str(bad)))
    open_listed(window, [scans / "a.png"])
    qtbot.waitUntil(lambda: "bad.safetensors" in window.banner.text(), timeout=20_000)
    assert window.banner.isVisible() and window.result is None


def test_settings_view_and_geometry_are_restored(qtbot, store, tiny_settings, tmp_path, open_listed) -> None:
    from gui.window import MainWindow

    chosen = tiny_settings.replace(binarize=True, threshold=0.35, tile_size=512, dpi=200.0, ink_warning=0.2)
    first = MainWindow(store)
    qtbot.addWidget(first)
    first.panel.set_settings(chosen)
    first.actions_[f"view:{SPLIT}"].trigger()
    first.show()
    first.resize(740, 520)  # not the default size; within the offscreen screen (800x600)
    qtbot.waitUntil(lambda: first.size().width() == 740)
    open_listed(first, [tmp_path])
    first.close()
    second = MainWindow(QSettings(store.fileName(), QSettings.Format.IniFormat))
    qtbot.addWidget(second)
    second.show()
    assert second.panel.settings() == chosen
    assert second.preview.view == SPLIT and second.actions_[f"view:{SPLIT}"].isChecked()
    assert (second.width(), second.height()) == (740, 520)
    assert Path(second.store.value("lastFolder")) == tmp_path.resolve()
    second.panel.reset.click()
    assert second.panel.settings() == CleanSettings()
    second.shutdown()


def test_zoom_and_position_kept_across_pages_and_views(qtbot, window, wait_result, scans, open_listed) -> None:
    open_listed(window, [scans])
    wait_result(window)
    state = window.preview.state
    window.actions_["actual"].trigger()
    assert state.zoom == 1.0
    window.preview.cleaned.zoom_by(2.0, QPointF(10, 10))
    zoom, center = state.zoom, QPointF(state.center)
    assert zoom == 2.0 and center != QPointF(0.5, 0.5)
    assert window.zoom_label.text() == "zoom: 200%"  # the status bar says how far in it is
    window.go(1)
    wait_result(window)
    window.actions_["cycle"].trigger()
    assert window.preview.view == SPLIT
    assert state.zoom == zoom and state.center == center
    # Both side-by-side canvases draw the page at the same place: synchronized by construction.
    assert window.preview.original.origin() == window.preview.cleaned.origin()
    window.actions_["fit"].trigger()
    assert state.zoom is None and window.zoom_label.text() == "zoom: fit"


def test_split_divider_drags(qtbot, window, wait_result, scans, open_listed) -> None:
    open_listed(window, [scans / "a.png"])
    wait_result(window)
    window.actions_[f"view:{SPLIT}"].trigger()
    canvas = window.preview.split
    canvas.resize(400, 300)
    from PySide6.QtCore import QPoint, Qt

    qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=QPoint(200, 150))
    qtbot.mouseMove(canvas, QPoint(100, 150))
    qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=QPoint(100, 150))
    assert window.preview.state.split == pytest.approx(0.25, abs=0.01)


def test_window_stops_its_workers_on_close(qtbot, window, wait_result, scans, open_listed) -> None:
    open_listed(window, [scans])
    window.close()
    assert not window.worker.isRunning()


def test_drop_files_opens_them(qtbot, window, wait_result, scans, listed) -> None:
    from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
    from PySide6.QtGui import QDropEvent

    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(scans / "c.tif")), QUrl.fromLocalFile(str(scans / "a.png"))])
    event = QDropEvent(QPointF(20, 20), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier)
    window.dropEvent(event)
    listed(window)
    assert [r.title for r in window.pages.refs()] == ["c.tif — page 1/2", "c.tif — page 2/2", "a.png"]
    wait_result(window)
    assert window.current.path.name == "c.tif"


def test_about_box_shows_the_model_metadata(qtbot, window, tiny_settings) -> None:
    window.actions_["about"].trigger()
    text = window.about_box.informativeText()
    assert "tiny.safetensors" in text and "architecture  docunet" in text and "parameters" in text
    assert window.about_box.text().startswith("docclean ")
    window.about_box.close()


@pytest.mark.slow
def test_shipped_model_preview_equals_the_batch(qtbot, window, wait_result, tmp_path, open_listed) -> None:
    """The same check with the shipped default model on a real stained sample (a few seconds)."""
    sample = Path(__file__).resolve().parents[2] / "samples" / "scans" / "101.png"
    window.panel.set_settings(CleanSettings())
    open_listed(window, [sample])
    wait_result(window, timeout=120_000)
    assert not window.errors
    clean_batch([sample], tmp_path / "batch", CleanSettings())
    written = np.asarray(Image.open(tmp_path / "batch" / "101.png"))
    assert np.array_equal(qimage_array(window.result.cleaned.full), written)


def test_reload_cleans_again_after_the_file_changed(qtbot, window, wait_result, scans, open_listed) -> None:
    from docclean.io import write_page

    open_listed(window, [scans / "a.png"])
    wait_result(window)
    before = window.result.output.pixels.copy()
    write_page(scans / "a.png", np.full((60, 80), 0.2, np.float32))
    window.result = None
    window.actions_["reload"].trigger()
    wait_result(window)
    assert not window.result.cached and not np.array_equal(window.result.output.pixels, before)


def test_keep_faint_is_offered_only_with_the_adaptive_binarization(qtbot, window, tiny_settings) -> None:
    panel = window.panel
    panel.set_settings(tiny_settings)
    assert not panel.keep_faint.isEnabled()
    panel.binarize.setChecked(True)
    assert panel.keep_faint.isEnabled()
    panel.keep_faint.setChecked(True)
    assert panel.settings().keep_faint
    panel.fixed_threshold.setChecked(True)  # a fixed cut: the option no longer applies
    assert not panel.keep_faint.isEnabled() and not panel.settings().keep_faint


def test_remove_show_through_and_keep_faint_grey_each_other_out(qtbot, window, tiny_settings) -> None:
    panel = window.panel
    panel.set_settings(tiny_settings)
    assert not panel.remove_show_through.isEnabled()
    panel.binarize.setChecked(True)
    panel.remove_show_through.setChecked(True)
    assert panel.settings().remove_show_through and not panel.keep_faint.isEnabled()
    panel.remove_show_through.setChecked(False)
    panel.keep_faint.setChecked(True)
    assert not panel.remove_show_through.isEnabled() and not panel.settings().remove_show_through
    panel.set_settings(CleanSettings(binarize=True, remove_show_through=True))
    assert panel.remove_show_through.isChecked() and panel.settings().remove_show_through


def test_the_settings_panel_is_never_cut_off(qtbot, window) -> None:
    from PySide6.QtWidgets import QScrollArea

    scroll = window.panel.parentWidget().parentWidget()
    assert isinstance(scroll, QScrollArea)
    window.resize(760, 560)  # narrower than the default: the splitter gives the preview less
    qtbot.wait(50)
    assert scroll.width() >= window.panel.minimumSizeHint().width() + scroll.verticalScrollBar().sizeHint().width()
    assert not scroll.horizontalScrollBar().isVisible()


def test_side_by_side_canvases_are_equally_wide_at_any_width(qtbot, window) -> None:
    for width in (761, 762, 763, 764):
        window.resize(width, 560)
        qtbot.wait(20)
        assert window.preview.original.width() == window.preview.cleaned.width()


def test_the_status_bar_says_a_page_was_cleaned_as_a_negative(qtbot, window, wait_result, scans, tmp_path,
                                                              open_listed) -> None:
    from docclean.io import write_page
    from docclean.synth import render_page

    negative = tmp_path / "negative.png"
    write_page(negative, (1 - render_page(600, 400, dpi=150, font_pt=12) * 0.8 - 0.1).astype(np.float32))
    open_listed(window, [negative, scans / "a.png"])
    wait_result(window)
    assert window.result.output.inverted and "as a negative" in window.statusBar().currentMessage()
    window.go(1)
    wait_result(window)
    assert not window.result.output.inverted and "negative" not in window.statusBar().currentMessage()


def test_save_refuses_an_out_of_date_preview_and_the_canvas_says_so(qtbot, window, wait_result, big_page, tiny_settings,
                                                                    tile_gate, tmp_path, open_listed,
                                                                    save_and_wait) -> None:
    tile_gate.set()
    window.panel.set_settings(tiny_settings.replace(tile_size=256))
    open_listed(window, [big_page])
    wait_result(window)
    first = window.request_id
    tile_gate.clear()  # the next preview stops after its first tiles
    window.panel.binarize.setChecked(True)
    # Before the debounce asks for the new preview, the settings already differ from the one shown.
    assert window.save_cleaned(tmp_path / "early.png") is None
    with qtbot.waitSignal(window.worker.progress, timeout=20_000):
        qtbot.waitUntil(lambda: window.request_id != first)
    assert window.save_cleaned(tmp_path / "stale.png") is None and not (tmp_path / "stale.png").exists()
    assert "still being cleaned" in window.errors[-1]
    assert "out of date" in window.statusBar().currentMessage()
    assert "out of date" in getattr(window.preview.cleaned, "note", "")
    assert window.ink.text().startswith("(out of date)")  # the figure is the old preview's too
    tile_gate.set()
    qtbot.waitUntil(lambda: window.result.request.settings.binarize, timeout=20_000)
    assert not window.preview.cleaned.note
    saved = save_and_wait(window, tmp_path / "new.png")
    assert saved is not None and Image.open(saved).mode == "1"


def test_closing_while_a_model_loads_neither_freezes_nor_crashes(qtbot, window, scans, monkeypatch,
                                                                 open_listed) -> None:
    import threading
    import time

    from gui import closing as closing_module
    from gui import worker as worker_module

    monkeypatch.setattr(closing_module, "CLOSE_WAIT_MS", 50)
    loading, gate = threading.Event(), threading.Event()
    original = worker_module.load_cleaner

    def load_cleaner(settings):  # noqa: ANN001, ANN202 - a load that cannot be cancelled
        loading.set()
        gate.wait(6)
        return original(settings)

    monkeypatch.setattr(worker_module, "load_cleaner", load_cleaner)
    open_listed(window, [scans / "a.png"])
    assert loading.wait(10)
    start = time.monotonic()
    window.close()
    assert time.monotonic() - start < 3  # the window does not freeze
    assert window.isVisible() and window.worker.isRunning() and not window.isEnabled()
    assert "Closing: waiting" in window.statusBar().currentMessage()
    gate.set()
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=10_000)
    assert not window.worker.isRunning()


def test_escape_before_the_first_result_then_clicking_the_page_cleans_it(qtbot, window, wait_result, big_page,
                                                                         tiny_settings, tile_gate, open_listed) -> None:
    from PySide6.QtCore import Qt

    window.panel.set_settings(tiny_settings.replace(tile_size=256))
    with qtbot.waitSignal(window.worker.progress, timeout=20_000):
        open_listed(window, [big_page])
    with qtbot.waitSignal(window.worker.cancelled, timeout=20_000):
        window.actions_["cancel"].trigger()
        tile_gate.set()
    placeholder = window.preview.cleaned.placeholder
    assert "tiles" not in placeholder and "cancelled" in placeholder
    assert window.statusBar().currentMessage() == "cancelled" and not window.tiles.isVisible()
    qtbot.mouseClick(window.pages.viewport(), Qt.MouseButton.LeftButton,
                     pos=window.pages.visualRect(window.pages.model().index(0, 0)).center())
    wait_result(window, timeout=10_000)
    assert not window.errors and window.result.output.pixels.shape == (900, 700)


def test_a_failed_preview_does_not_leave_the_status_bar_loading(qtbot, window, scans, tmp_path, tiny_settings,
                                                                open_listed) -> None:
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"\x00" * 64)
    window.panel.set_settings(tiny_settings.replace(model=str(bad)))
    open_listed(window, [scans / "a.png"])
    qtbot.waitUntil(lambda: "bad.safetensors" in window.banner.text(), timeout=20_000)
    message = window.statusBar().currentMessage()
    assert "loading model" not in message and "failed" in message
    assert window.save_cleaned(tmp_path / "x.png") is None  # Save keeps the reason in view
    assert "bad.safetensors" in window.banner.text() and "did not finish" in window.banner.text()


def test_opening_only_a_broken_file_leaves_a_blank_idle_window(qtbot, window, wait_result, big_page, tmp_path,
                                                               tiny_settings, tile_gate, open_listed) -> None:
    window.panel.set_settings(tiny_settings.replace(tile_size=256))
    tile_gate.clear()  # the first page's preview is still being cleaned when the broken file is opened
    open_listed(window, [big_page])
    qtbot.waitUntil(lambda: window.busy)
    junk = tmp_path / "junk.png"
    junk.write_bytes(b"not a png at all")
    open_listed(window, [junk])
    tile_gate.set()
    qtbot.wait(300)  # a late preview of the first page must not come back
    assert window.current is None and window.result is None and not window.busy
    assert window.ink.text() == "" and window.statusBar().currentMessage() == ""
    assert "junk.png" in window.banner.text()
    assert window.preview.canvases[0].placeholder.startswith("Open scans")  # what to do next


def test_files_of_one_name_from_two_folders_are_both_opened(qtbot, window, wait_result, scans, tmp_path,
                                                            open_listed) -> None:
    other = tmp_path / "other"
    other.mkdir()
    (other / "a.png").write_bytes((scans / "b.png").read_bytes())
    open_listed(window, [scans / "a.png", other / "a.png"])
    assert [r.title for r in window.pages.refs()] == ["scans/a.png", "other/a.png"]
    assert not window.errors  # opening plans no output, so no "already the output of" either
    window.go(1)
    wait_result(window)
    assert window.current.path == window.result.request.path == other / "a.png"  # the second one cleans


def test_save_never_writes_over_an_open_scan_and_says_what_happened(qtbot, window, wait_result, scans, tmp_path,
                                                                    open_listed, save_and_wait) -> None:
    open_listed(window, [scans / "c.tif"])
    window.go(1)
    wait_result(window)
    before = (scans / "c.tif").read_bytes()
    assert save_and_wait(window, scans / "c.tif") is None  # page 2 alone would have replaced both pages
    assert (scans / "c.tif").read_bytes() == before
    assert "refusing to write over a scan that is open" in window.errors[-1]
    assert window.statusBar().currentMessage() == "not saved"
    assert save_and_wait(window, tmp_path / "page2.png") == tmp_path / "page2.png"
    assert window.statusBar().currentMessage() == f"saved {tmp_path / 'page2.png'}"
    assert not window.banner.isVisible()  # the refusal no longer stands
    assert window.store.value("lastSave") == str(tmp_path.resolve())
    # Another name of an open scan is that scan too: a link to it, and a hard link.
    os.symlink(scans / "c.tif", tmp_path / "link.tif")
    os.link(scans / "c.tif", tmp_path / "hard.tif")
    for name in ("link.tif", "hard.tif"):
        assert save_and_wait(window, tmp_path / name) is None
        assert "refusing to write over a scan that is open" in window.errors[-1]
    assert (scans / "c.tif").read_bytes() == before
