"""The keyboard: single-key shortcuts leave typed keys to the controls that use them, the menus
list every key, the arrow keys pan the zoomed preview, and focus shows where it is."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtWidgets import QApplication

from docclean.io import write_page
from tests.gui.conftest import make_page


@pytest.fixture
def named(tmp_path: Path) -> Path:
    """Pages whose names start with shortcut letters: a.png, fig.png, notes.png, plan.png, v.png, 101.png."""
    folder = tmp_path / "named"
    folder.mkdir()
    for i, name in enumerate(("a", "fig", "notes", "plan", "v", "101")):
        write_page(folder / f"{name}.png", make_page(40, 50, i), (150.0, 150.0))
    return folder


def _active(qtbot, window) -> None:  # noqa: ANN001
    window.activateWindow()  # a shortcut goes to the active window, as when the user presses it
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)


def _title(window) -> str:  # noqa: ANN001
    return window.pages.current_ref().title


def test_typing_a_name_in_the_page_list_reaches_it_before_any_shortcut(qtbot, window, named, open_listed) -> None:
    open_listed(window, [named])
    assert [ref.title for ref in window.pages.refs()][:2] == ["101.png", "a.png"]
    _active(qtbot, window)
    window.pages.setFocus()
    view = window.preview.view
    for key, title in (("n", "notes.png"), ("p", "plan.png"), ("v", "v.png"), ("f", "fig.png"), ("1", "101.png")):
        qtbot.wait(QApplication.keyboardInputInterval() + 50)  # each key a new search
        qtbot.keyClick(window.pages, key)
        assert _title(window) == title, key  # N, P: not the next or previous page; 1: not 100%
    assert window.preview.view == view and window.preview.state.zoom is None  # V, F, 1 did nothing else


def test_a_letter_in_a_drop_down_picks_its_item_and_leaves_the_page(qtbot, window, named, open_listed) -> None:
    open_listed(window, [named])
    _active(qtbot, window)
    window.pages.setCurrentRow(2)
    fmt = window.panel.fmt
    fmt.setFocus()
    qtbot.keyClick(fmt, "p")
    assert fmt.currentText().startswith("p") and _title(window) == "fig.png"


def test_single_keys_still_act_from_the_preview_and_the_menus_list_them(qtbot, window, named, open_listed) -> None:
    open_listed(window, [named])
    _active(qtbot, window)
    canvas = window.preview.cleaned
    canvas.setFocus()
    qtbot.keyClick(canvas, "n")
    assert _title(window) == "a.png"
    qtbot.keyClick(canvas, "1")
    assert window.preview.state.zoom == 1.0
    texts = {name: action.text() for name, action in window.actions_.items()}
    assert texts["next"].endswith("\tPgDown, N") and texts["previous"].endswith("\tPgUp, P")
    assert texts["fit"].endswith("\tF, Ctrl+0") and texts["actual"].endswith("\t1, Ctrl+1")
    assert texts["zoom_in"].endswith("\t+, =, Ctrl++") and texts["zoom_out"].endswith("\t-, Ctrl+-")


def test_arrow_keys_pan_the_zoomed_preview(qtbot, window, wait_result, scans, open_listed) -> None:
    open_listed(window, [scans / "a.png"])
    wait_result(window)
    _active(qtbot, window)
    state, canvas = window.preview.state, window.preview.cleaned
    canvas.setFocus()
    qtbot.keyClick(canvas, Qt.Key.Key_Right)  # at "fit" the whole page shows: nothing to pan
    assert state.zoom is None and state.center == QPointF(0.5, 0.5)
    state.set_zoom(16.0, QPointF(0.5, 0.2))  # the 80x60 page 1280x960 pixels on screen
    qtbot.keyClick(canvas, Qt.Key.Key_Right)  # a tenth of the canvas
    assert (state.center.x() - 0.5) * 80 * 16 == pytest.approx(0.1 * canvas.width())
    assert state.center.y() == pytest.approx(0.2)
    qtbot.keyClick(canvas, Qt.Key.Key_Down, Qt.KeyboardModifier.ShiftModifier)  # Shift: nearly a screenful
    assert (state.center.y() - 0.2) * 60 * 16 == pytest.approx(0.9 * canvas.height())
    qtbot.keyClick(canvas, Qt.Key.Key_Left)
    assert state.center.x() == pytest.approx(0.5)


def test_the_focused_canvas_shows_a_frame_and_the_settings_area_takes_no_tab(qtbot, window, scans,
                                                                               open_listed) -> None:
    open_listed(window, [scans / "a.png"])
    _active(qtbot, window)
    canvas = window.preview.original
    canvas.setFocus()
    qtbot.waitUntil(canvas.hasFocus)
    highlight = canvas.palette().color(canvas.palette().ColorRole.Highlight)
    assert canvas.grab().toImage().pixelColor(1, canvas.height() // 2) == highlight
    window.pages.setFocus()
    qtbot.waitUntil(lambda: not canvas.hasFocus())
    assert canvas.grab().toImage().pixelColor(1, canvas.height() // 2) != highlight
    scroll = window.panel.parentWidget().parentWidget()
    assert scroll.focusPolicy() == Qt.FocusPolicy.NoFocus
