"""Fixtures for the desktop app's tests: small scans on disk, a tiny model, a window and a worker.

Everything runs offscreen (``QT_QPA_PLATFORM=offscreen``, set in tests/conftest.py) with a tiny
random model, so the whole module takes seconds on two cores.
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest

try:
    import pytestqt  # noqa: F401
    from PySide6.QtCore import QSettings
except ImportError:  # the test extra installs both; without them these tests are not collected
    collect_ignore_glob = ["test_*.py"]

from docclean.io import PageWriter, write_page  # noqa: E402
from docclean.settings import CleanSettings  # noqa: E402


def make_page(height: int, width: int, seed: int) -> np.ndarray:
    """A float grey page: dark strokes on stained, shaded paper."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    page = 0.85 - 0.15 * xx / width - 0.1 * np.exp(-((yy - height / 2) ** 2 + (xx - width / 3) ** 2) / (width * 8))
    for _ in range(max(4, height * width // 600)):
        y, x = rng.integers(2, height - 10), rng.integers(2, width - 6)
        page[y:y + 7, x:x + 2] = 0.12
    return np.clip(page + rng.normal(0, 0.02, page.shape), 0, 1).astype(np.float32)


@pytest.fixture
def scans(tmp_path: Path) -> Path:
    """A folder with a grey PNG, a colour PNG, a 2-page TIFF and a 2-page PDF."""
    folder = tmp_path / "scans"
    folder.mkdir()
    write_page(folder / "a.png", make_page(60, 80, 1), (150.0, 150.0))
    colour = (np.stack([make_page(60, 80, 2)] * 3, axis=-1) * 255).astype(np.uint8)
    colour[10:20, 10:40] = (30, 60, 200)  # blue ink
    write_page(folder / "b.png", colour, (150.0, 150.0))
    with PageWriter(folder / "c.tif") as writer:
        writer.add(make_page(64, 72, 3), (150.0, 150.0))
        writer.add(make_page(64, 72, 4), (150.0, 150.0))
    with PageWriter(folder / "d.pdf") as writer:
        writer.add(make_page(50, 70, 5), (72.0, 72.0))
        writer.add(make_page(50, 70, 6), (72.0, 72.0))
    return folder


@pytest.fixture
def big_page(tmp_path: Path) -> Path:
    """A page of many tiles at ``tile_size=256`` (for progress, cancel and stale requests)."""
    path = tmp_path / "big.png"
    write_page(path, make_page(900, 700, 7))
    return path


@pytest.fixture
def tiny_settings(tiny_model_path: Path) -> CleanSettings:
    """Settings that clean with the tiny random model on one thread."""
    return CleanSettings(model=str(tiny_model_path), threads=1, device="cpu")


@pytest.fixture
def store(tmp_path: Path) -> "QSettings":
    """A QSettings file of this test's own, never the user's."""
    return QSettings(str(tmp_path / "gui.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def window(qtbot, store: QSettings, tiny_settings: CleanSettings):  # noqa: ANN001 - pytest-qt fixture
    """The main window, shown, set to the tiny model; its workers are stopped afterwards."""
    from gui.window import MainWindow

    win = MainWindow(store)
    # Stopped before pytest-qt closes it: closing while an export runs asks first (gui.closing).
    qtbot.addWidget(win, before_close_func=lambda w: w.shutdown())
    win.panel.set_settings(tiny_settings)
    win.show()
    yield win
    win.shutdown()


@pytest.fixture
def start_export(qtbot):  # noqa: ANN001, ANN201 - pytest-qt fixture; returns a function
    """``start_export(window, out, whole_folder=False)`` exports as the menu does and waits for the
    export folder's check (on a thread of its own) to answer, then for the export it started to
    end (``until_done=False``: only to start); returns that export's thread, or None (refused, or
    answered Cancel). Its end is read from its dialog, not caught as a signal: the export starts
    while the test waits for the check, and a small one has signalled before the test could listen."""

    def start(win, out: Path, whole_folder: bool = False, until_done: bool = True):  # noqa: ANN001, ANN202
        count = len(win.exports)
        if win.export(out, whole_folder=whole_folder) is not None:
            # getattr: a window that checks on the UI thread has no ``checking`` (and has exported);
            # one that lists on the UI thread no ``opening`` (the pages listed again for the folder)
            qtbot.waitUntil(lambda: getattr(win, "checking", None) is None
                            and getattr(win, "opening", None) is None, timeout=30_000)
        if len(win.exports) == count:
            return None
        thread, dialog = win.exports[-1]
        if until_done:
            qtbot.waitUntil(lambda: dialog.ended, timeout=30_000)
            assert thread.wait(10_000)
        return thread

    return start


@pytest.fixture
def save_and_wait(qtbot):  # noqa: ANN001, ANN201 - pytest-qt fixture; returns a function
    """``save_and_wait(window, path=None)`` saves as Ctrl+S does (``window.save_cleaned``) and waits
    for the write, on a thread of its own (``window.saving``), to end: returns the path written, or
    None (refused, or the write failed). A window that writes on the UI thread has no ``saving``:
    it has written when ``save_cleaned`` returns."""

    def save(win, path=None, timeout: int = 30_000):  # noqa: ANN001, ANN202
        started = win.save_cleaned(path)
        thread = getattr(win, "saving", None)
        qtbot.waitUntil(lambda: getattr(win, "saving", None) is None, timeout=timeout)
        return None if started is None or (thread is not None and thread.error is not None) else started

    return save


@pytest.fixture
def listed(qtbot):  # noqa: ANN001, ANN201 - pytest-qt fixture; returns a function
    """``listed(window)`` waits until what the window is opening (listed on a thread of its own:
    ``gui.listing``) has answered and the page list is filled (at once for a window that lists on
    the UI thread, which has no ``opening``)."""

    def wait(win, timeout: int = 30_000) -> None:  # noqa: ANN001
        qtbot.waitUntil(lambda: getattr(win, "opening", None) is None, timeout=timeout)

    return wait


@pytest.fixture
def open_listed(listed):  # noqa: ANN001, ANN201 - returns a function
    """``open_listed(window, paths, **kwargs)`` opens ``paths`` as the menu, a drop or the command
    line does (``window.open_paths``) and waits for the page list to be filled."""

    def open_(win, paths: list, **kwargs) -> None:  # noqa: ANN001, ANN003
        win.open_paths(paths, **kwargs)
        listed(win)

    return open_


@pytest.fixture
def worker(qtbot):  # noqa: ANN001 - pytest-qt fixture
    """A preview worker on its own; stopped afterwards."""
    from gui.worker import PreviewWorker

    w = PreviewWorker()
    yield w
    w.stop()


@pytest.fixture
def tile_gate(monkeypatch: pytest.MonkeyPatch) -> threading.Event:
    """Holds the preview worker after each batch of tiles until the test sets the event, so
    cancel and replace happen mid-page deterministically instead of racing the tiny model."""
    from gui import worker as worker_module

    gate = threading.Event()
    original = worker_module._Token.tile_done

    def tile_done(self, done: int, total: int) -> None:  # noqa: ANN001
        original(self, done, total)
        if done < total:
            gate.wait(10)

    monkeypatch.setattr(worker_module._Token, "tile_done", tile_done)
    yield gate
    gate.set()


@pytest.fixture
def export_gate(monkeypatch: pytest.MonkeyPatch) -> tuple[threading.Event, threading.Event]:
    """Holds an export after each of its tiles: ``(held, gate)``, ``held`` set once it holds, and it
    goes on once the test sets ``gate`` (so Esc and close come while it runs)."""
    from gui import export

    held, gate = threading.Event(), threading.Event()
    original = export._SignalProgress.on_tile_done

    def on_tile_done(self, *args) -> None:  # noqa: ANN001, ANN002
        original(self, *args)
        held.set()
        gate.wait(10)

    monkeypatch.setattr(export._SignalProgress, "on_tile_done", on_tile_done)
    yield held, gate
    gate.set()


@pytest.fixture
def wait_result(qtbot):  # noqa: ANN001 - pytest-qt fixture
    """``wait_result(window)`` waits until the window shows a finished preview of its current page
    (or an error)."""

    def wait(win, timeout: int = 20_000) -> None:  # noqa: ANN001
        _wait_result(qtbot, win, timeout)

    return wait


def _wait_result(qtbot, win, timeout: int) -> None:  # noqa: ANN001
    qtbot.waitUntil(lambda: (win.result is not None and win.current is not None
                             and win.result.request.path == win.current.path
                             and win.result.request.index == win.current.index) or bool(win.errors),
                    timeout=timeout)


class Recorder:
    """Every signal of a worker, in the order received: ``events`` holds (name, args) pairs."""

    NAMES = ("pageLoaded", "progress", "finished", "failed", "cancelled")

    def __init__(self, obj: object) -> None:
        self.events: list[tuple[str, tuple]] = []
        for name in self.NAMES:
            getattr(obj, name).connect(lambda *args, n=name: self.events.append((n, args)))

    def of(self, name: str) -> list[tuple]:
        """The argument tuples of every ``name`` signal received."""
        return [args for n, args in self.events if n == name]

    def names(self) -> list[str]:
        """Signal names in order, progress left out."""
        return [n for n, _ in self.events if n != "progress"]


@pytest.fixture
def recorder(worker) -> Recorder:  # noqa: ANN001
    """Records the worker fixture's signals."""
    return Recorder(worker)
