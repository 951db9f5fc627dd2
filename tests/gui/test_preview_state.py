"""What the window says and does about the preview after a settings edit, a cancel or a failure:
the page list's ink markers, edits that cannot change the page, cleaning again from the keyboard,
and which setting to change after a failure the settings caused."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from docclean.errors import ModelError, UsageError


def _marked(window) -> list[bool]:  # noqa: ANN001
    return [window.pages.model().index(i, 0).data().startswith("⚠") for i in range(window.pages.count())]


def test_changing_the_ink_threshold_re_judges_every_previewed_page(qtbot, window, wait_result, scans, monkeypatch,
                                                                   open_listed) -> None:
    from gui import worker as worker_module

    # Every page loses 5% of its ink (the tiny random model loses none worth a warning).
    original = worker_module.clean_page
    monkeypatch.setattr(worker_module, "clean_page", lambda *args: replace(original(*args), ink_loss=0.05))
    window.panel.ink_warning.setValue(1.0)
    open_listed(window, [scans / "a.png", scans / "b.png", scans / "c.tif"])
    wait_result(window)
    window.go(1)
    wait_result(window)
    assert _marked(window) == [True, True, False, False]  # the tif's pages were never previewed: no figure
    window.panel.ink_warning.setValue(10.0)
    assert _marked(window) == [False, False, False, False]  # at once, the page not shown too
    assert window.ink.text() == "Ink loss 5.0% of the dark strokes (warning above 10%)."
    window.panel.ink_warning.setValue(2.5)
    assert _marked(window) == [True, True, False, False]
    qtbot.wait(400)  # the debounced refresh changes none of it
    assert _marked(window) == [True, True, False, False] and "above 2.5%" in window.ink.text()


def test_a_setting_that_cannot_change_the_page_does_not_clean_it_again(qtbot, window, wait_result, scans,
                                                                       open_listed) -> None:
    open_listed(window, [scans / "a.png", scans / "d.pdf"])
    wait_result(window)
    cleans, request = window.worker.cleans, window.request_id
    window.panel.dpi.setValue(300)  # "PDF dpi" on a PNG page
    assert not window.preview.cleaned.note and window.result_is_current()
    qtbot.wait(400)  # past the debounce
    assert window.worker.cleans == cleans and window.request_id == request
    assert not window.preview.cleaned.note and "out of date" not in window.statusBar().currentMessage()
    assert window.result_is_current()  # Save writes it: the batch ignores the dpi of a PNG too
    window.go(1)  # the PDF page: there the dpi counts
    wait_result(window)
    cleans = window.worker.cleans
    window.panel.dpi.setValue(150)
    qtbot.waitUntil(lambda: window.worker.cleans == cleans + 1, timeout=20_000)


def _cancelled_page(qtbot, window, big_page, tiny_settings, tile_gate) -> None:  # noqa: ANN001
    window.panel.set_settings(tiny_settings.replace(tile_size=256))
    with qtbot.waitSignal(window.worker.progress, timeout=20_000):  # once listed (on a thread) and cleaning
        window.open_paths([big_page])
    with qtbot.waitSignal(window.worker.cancelled, timeout=20_000):
        window.cancel()
        tile_gate.set()
    assert window.result is None and not window.busy


@pytest.mark.parametrize("key, widget", [(Qt.Key.Key_F5, "window"), (Qt.Key.Key_Return, "pages"),
                                         (Qt.Key.Key_Enter, "pages")])
def test_a_cancelled_page_is_cleaned_again_from_the_keyboard(qtbot, window, wait_result, big_page, tiny_settings,
                                                              tile_gate, key, widget) -> None:
    _cancelled_page(qtbot, window, big_page, tiny_settings, tile_gate)
    assert "F5" in window.preview.cleaned.placeholder  # the canvas says how
    window.activateWindow()  # a shortcut goes to the active window, as when the user presses it
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    window.pages.setFocus()
    qtbot.keyClick(window.pages if widget == "pages" else window, key)
    assert window.busy
    wait_result(window, timeout=20_000)
    assert not window.errors and window.result.output.pixels.shape == (900, 700)


def test_a_failure_the_model_caused_says_to_change_the_model(qtbot, window, wait_result, scans, tmp_path, tiny_settings,
                                                             open_listed) -> None:
    open_listed(window, [scans / "a.png"])
    wait_result(window)
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"\x00" * 64)
    window.panel.set_settings(tiny_settings.replace(model=str(bad)), notify=True)
    qtbot.waitUntil(lambda: "bad.safetensors" in window.banner.text(), timeout=20_000)
    note = window.preview.cleaned.note
    assert note.startswith("out of date (failed)") and 'change the "Model" setting' in note
    assert "click the page" not in note and "new settings" not in note
    assert window.save_cleaned(tmp_path / "x.png") is None
    assert 'change the "Model" setting' in window.banner.text()  # Save says the same
    open_listed(window, [scans / "b.png"])  # no earlier preview: the canvas itself says it
    qtbot.waitUntil(lambda: "failed" in window.preview.cleaned.placeholder, timeout=20_000)
    assert 'change the "Model" setting' in window.preview.cleaned.placeholder


def test_a_failure_names_the_setting_the_engine_blames(qtbot, window) -> None:
    from gui.keys import fault_of

    assert fault_of(ModelError("not a safetensors file", "m.safetensors")) == ("model",)
    assert fault_of(UsageError("no CUDA GPU", settings=("device",))) == ("device",)
    assert fault_of(OSError("disk")) == ()
    window.failure, window.blamed = "no such backend", ("backend", "device")
    assert window.what_now() == 'change the "Backend" and "Device" settings to clean this page'
    window.blamed = ()
    assert window.what_now() == "click the page or press F5 to clean it"


def test_a_file_that_cannot_be_read_says_why_and_that_cleaning_again_needs_it_replaced(qtbot, window, tmp_path,
                                                                                        open_listed) -> None:
    """A truncated file's canvas said "failed: click the page or press F5 to clean it", which can
    only fail again."""
    from docclean.io import write_page

    whole = tmp_path / "whole.png"
    write_page(whole, np.random.default_rng(2).random((400, 400), dtype=np.float32))
    broken = tmp_path / "broken.png"
    broken.write_bytes(whole.read_bytes()[:3000])  # its header is whole: it is listed
    open_listed(window, [broken])
    qtbot.waitUntil(lambda: window.failure is not None, timeout=20_000)
    placeholder = window.preview.cleaned.placeholder
    assert "truncated" in placeholder and "until the file changes" in placeholder and "replace it" in placeholder
    assert "click the page" not in placeholder and str(broken) not in placeholder  # the banner names the file


@pytest.mark.parametrize("broken_bytes", [lambda whole: whole[:3000], lambda whole: whole[:-40]],
                         ids=["cut in its image data", "cut before its end"])
def test_a_file_that_cannot_be_read_says_the_cli_s_reason_whole(qtbot, window, tmp_path, tiny_model_path,
                                                                open_listed, broken_bytes) -> None:
    """The canvas showed the message with the file's name cut off by the window; it shows the
    engine's reason whole, the words ``docclean clean`` prints after the name of the same file."""
    from typer.testing import CliRunner

    from cli.main import app
    from docclean.io import write_page

    whole = tmp_path / "whole.png"
    write_page(whole, np.random.default_rng(2).random((400, 400), dtype=np.float32))
    broken = tmp_path / "broken.png"
    broken.write_bytes(broken_bytes(whole.read_bytes()))
    cli = CliRunner().invoke(app, ["clean", str(broken), "-o", str(tmp_path / "out"), "--model",
                                   str(tiny_model_path), "--device", "cpu"])
    prefix = f"error: {broken}: "
    said = next(line for line in cli.stderr.splitlines() if line.startswith(prefix))[len(prefix):]
    open_listed(window, [broken])
    qtbot.waitUntil(lambda: window.failure is not None, timeout=20_000)
    assert window.preview.cleaned.placeholder.startswith(f"failed ({said}): this file cannot be read")
    assert window.failure == f"{broken}: {said}"  # the banner: the CLI's line, less its "error: "
