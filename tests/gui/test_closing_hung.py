"""Closing that waits for a step that cannot be stopped offers a way out (``gui.closing``,
``gui.quitnow``): after the patience period, or at once when the window is closed again, a prompt
beside the disabled window names what runs and what quitting costs; "Keep waiting" waits on and
the window closes when the step ends, "Quit now" saves the state and exits at once (the exit
function is replaced here: the test process never exits)."""

from __future__ import annotations

import errno
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication, QMessageBox

from docclean import writer
from gui import closing, menus
from gui import worker as worker_module
from gui.quitnow import TITLE
from gui.views import VIEWS


@dataclass
class Gate:
    """A step held off the UI thread: ``held`` once it has begun, it goes on once ``gate`` is set."""

    held: threading.Event = field(default_factory=threading.Event)
    gate: threading.Event = field(default_factory=threading.Event)


@pytest.fixture
def save_gate(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Gate:
    """Holds the writer (``PageWriter.__enter__``) of a file in ``tmp_path / "saves"`` off the UI
    thread, as a write to a share that does not answer would be, until the test lets it go."""
    found, folder, original = Gate(), tmp_path / "saves", writer.PageWriter.__enter__

    def enter(self):  # noqa: ANN001, ANN202 - PageWriter.__enter__'s own signature
        if self.path.parent == folder and threading.current_thread() is not threading.main_thread():
            found.held.set()
            found.gate.wait(20)
        return original(self)

    monkeypatch.setattr(writer.PageWriter, "__enter__", enter)
    yield found
    found.gate.set()


@pytest.fixture
def load_gate(monkeypatch: pytest.MonkeyPatch) -> Gate:
    """Holds the preview worker's model load (which cannot be cancelled) until the test lets it go."""
    found, original = Gate(), worker_module.load_cleaner

    def load_cleaner(settings):  # noqa: ANN001, ANN202
        found.held.set()
        found.gate.wait(20)
        return original(settings)

    monkeypatch.setattr(worker_module, "load_cleaner", load_cleaner)
    yield found
    found.gate.set()


@pytest.fixture
def exits(monkeypatch: pytest.MonkeyPatch, store: QSettings) -> list[dict]:
    """Each call of the exit function, as what the store file holds at that moment (read afresh:
    only what was synced to disk)."""
    calls: list[dict] = []

    def exit_now() -> None:
        on_disk = QSettings(store.fileName(), QSettings.Format.IniFormat)
        calls.append({key: on_disk.value(key) for key in ("geometry", "view")})

    monkeypatch.setattr(closing, "exit_now", exit_now)
    monkeypatch.setattr(closing, "CLOSE_WAIT_MS", 50)
    return calls


def _prompt() -> QMessageBox | None:
    """The "Quit without waiting?" prompt, while shown."""
    shown = [w for w in QApplication.topLevelWidgets()
             if isinstance(w, QMessageBox) and w.windowTitle() == TITLE and w.isVisible()]
    assert len(shown) <= 1
    return shown[0] if shown else None


def _click(box: QMessageBox, text: str) -> None:
    button = next(b for b in box.buttons() if b.text() == text)
    assert box.isEnabled() and button.isEnabled()  # usable while the window is disabled
    button.click()


def _start_save(window, open_listed, wait_result, scans: Path, save_gate: Gate, tmp_path: Path,  # noqa: ANN001
                name: str = "page.png") -> Path:
    open_listed(window, [scans / "c.tif"])
    wait_result(window)
    target = tmp_path / "saves" / name
    assert window.save_cleaned(target) == target
    assert save_gate.held.wait(10)
    return target


def test_a_hung_save_is_offered_a_way_out_after_the_patience_period_then_keep_waiting_closes(
        qtbot, window, wait_result, scans, tmp_path, open_listed, save_gate, exits, monkeypatch) -> None:
    monkeypatch.setattr(closing, "PATIENCE_S", 0.6)
    target = _start_save(window, open_listed, wait_result, scans, save_gate, tmp_path)
    began = time.monotonic()
    window.close()
    assert window.isVisible() and not window.isEnabled()
    qtbot.wait(100)
    assert _prompt() is None  # not before the patience period
    qtbot.waitUntil(lambda: _prompt() is not None, timeout=5_000)
    assert time.monotonic() - began >= 0.6
    box = _prompt()
    assert box.parent() is window and not window.isEnabled()
    assert f"for the page being saved to {target} to finish" in box.text()
    assert "The page may then not be saved. " + f"{target} is never left half-written" in box.informativeText()
    assert f".page.png.docclean-{os.getpid()}-….part" in box.informativeText()
    assert box.defaultButton().text() == "Keep waiting"
    _click(box, "Keep waiting")
    qtbot.wait(800)  # past the patience period again: not asked again by itself
    assert _prompt() is None and window.isVisible() and not window.isEnabled()
    save_gate.gate.set()
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=10_000)
    assert target.is_file() and exits == [] and _prompt() is None


def test_quit_now_during_a_hung_save_saves_the_state_then_exits(qtbot, window, wait_result, scans, tmp_path,
                                                                 open_listed, save_gate, exits, monkeypatch) -> None:
    monkeypatch.setattr(closing, "PATIENCE_S", 0.3)
    _start_save(window, open_listed, wait_result, scans, save_gate, tmp_path)
    menus.set_view(window, VIEWS[-1])  # not stored yet: closing stores it when it begins, after the Save
    window.close()
    qtbot.waitUntil(lambda: _prompt() is not None, timeout=5_000)
    assert exits == []
    _click(_prompt(), "Quit now")
    assert len(exits) == 1 and exits[0]["view"] == VIEWS[-1] and exits[0]["geometry"] is not None
    save_gate.gate.set()  # the test process goes on: let the window close as it would have


def test_a_model_load_that_hangs_names_it_and_quit_now_exits(qtbot, window, scans, open_listed, load_gate, exits,
                                                             monkeypatch) -> None:
    monkeypatch.setattr(closing, "PATIENCE_S", 0.3)
    open_listed(window, [scans / "a.png"])
    assert load_gate.held.wait(10)
    window.close()
    assert window.isVisible() and not window.isEnabled() and "Closing: waiting" in window.statusBar().currentMessage()
    qtbot.waitUntil(lambda: _prompt() is not None, timeout=5_000)
    box = _prompt()
    assert "for the page being read or the model being loaded to finish" in box.text()
    assert "Nothing of yours is lost: what still runs writes none of your files." in box.informativeText()
    _click(box, "Quit now")
    assert len(exits) == 1 and exits[0]["geometry"] is not None
    load_gate.gate.set()
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=10_000)


def test_closing_again_while_it_waits_brings_the_prompt_at_once(qtbot, window, scans, open_listed, load_gate,
                                                                exits, monkeypatch) -> None:
    monkeypatch.setattr(closing, "PATIENCE_S", 60.0)
    open_listed(window, [scans / "a.png"])
    assert load_gate.held.wait(10)
    window.close()
    qtbot.wait(300)
    assert _prompt() is None
    window.close()  # the title bar's close button again
    assert _prompt() is not None and window.isVisible() and not window.isEnabled()
    _click(_prompt(), "Keep waiting")
    assert _prompt() is None
    window.close()
    assert _prompt() is not None  # as often as asked
    load_gate.gate.set()  # the step ends: the window closes, and the prompt goes with it
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=10_000)
    assert _prompt() is None and exits == []


def test_no_prompt_when_the_save_ends_within_the_patience_period(qtbot, window, wait_result, scans, tmp_path,
                                                                 open_listed, save_gate, exits, monkeypatch) -> None:
    monkeypatch.setattr(closing, "PATIENCE_S", 1.0)
    target = _start_save(window, open_listed, wait_result, scans, save_gate, tmp_path)
    window.close()
    qtbot.wait(200)
    save_gate.gate.set()
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=10_000)
    qtbot.wait(1_300)  # past the patience period: the count stopped with the wait
    assert _prompt() is None and exits == [] and target.is_file()


def test_the_prompt_follows_the_save_to_a_hung_model_load_and_stays_usable(
        qtbot, window, wait_result, scans, tmp_path, open_listed, save_gate, load_gate, exits,
        monkeypatch) -> None:
    monkeypatch.setattr(closing, "PATIENCE_S", 60.0)
    load_gate.gate.set()  # the first page loads as usual
    target = _start_save(window, open_listed, wait_result, scans, save_gate, tmp_path)
    load_gate.gate.clear()
    load_gate.held.clear()
    window.go(1)  # the second page: its model load hangs
    assert load_gate.held.wait(10)
    window.close()
    window.close()
    box = _prompt()
    assert f"for the page being saved to {target} to finish" in box.text()
    assert "model being loaded" not in box.text()  # not waited for yet: closing waits for the Save first
    save_gate.gate.set()  # written: closing goes on, and waits for the model load, the window disabled again
    qtbot.waitUntil(lambda: "model being loaded" in box.text(), timeout=10_000)
    assert box is _prompt() and window.isVisible() and not window.isEnabled()
    assert "The page may then not be saved" not in box.informativeText()
    _click(box, "Quit now")
    assert len(exits) == 1
    load_gate.gate.set()
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=10_000)


def test_the_prompt_goes_when_a_failed_save_keeps_the_window_open(qtbot, window, wait_result, scans, tmp_path,
                                                                  open_listed, save_gate, exits,
                                                                  monkeypatch) -> None:
    monkeypatch.setattr(closing, "PATIENCE_S", 0.3)
    _start_save(window, open_listed, wait_result, scans, save_gate, tmp_path)

    def fsync(fd: int) -> None:  # a full disk
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    with monkeypatch.context() as failing:
        failing.setattr(os, "fsync", fsync)
        window.close()
        qtbot.waitUntil(lambda: _prompt() is not None, timeout=5_000)
        save_gate.gate.set()
        qtbot.waitUntil(lambda: getattr(window, "saving", None) is None, timeout=10_000)
    qtbot.wait(700)  # past the patience period again
    assert _prompt() is None and window.isVisible() and window.isEnabled() and exits == []
    assert window.statusBar().currentMessage() == "not saved (so the window stays open)"


def test_what_quitting_loses_is_said_for_a_save_an_export_and_neither(tmp_path: Path) -> None:
    from gui.quitnow import costs

    target = tmp_path / "letter-clean.pdf"
    save = costs(target, False)
    assert f"{target} is never left half-written" in save and ".letter-clean.pdf.docclean-" in save
    export = costs(None, True)
    assert "pages written are kept" in export and "next export into that folder removes" in export
    assert "Nothing of yours is lost" not in export and "may then not be saved" not in export
    assert costs(None, False) == "Nothing of yours is lost: what still runs writes none of your files."
    assert "The page may then not be saved" in costs(target, True) and "The export" in costs(target, True)
