"""Menus, keyboard shortcuts and the About box of the main window.

Shortcuts: Ctrl+O open files, Ctrl+Shift+O open folder, Ctrl+R reload, Ctrl+S save the cleaned
page, Ctrl+E export; Page Down / N next page, Page Up / P previous page; + and - (or Ctrl++ and
Ctrl+-) zoom, F or Ctrl+0 fit to window, 1 or Ctrl+1 100%; V cycles the views, F2/F3/F4 pick one;
Esc stops the listing of a folder being opened, else cancels the page being cleaned; F5 (or Enter
on the page list) cleans it again. The menus list every key of an action, not only the first.

The single keys (N, P, V, F, 1, +, -, =) act everywhere but in a control that takes typed keys
itself: the page list's type-ahead (typing a page's name reaches it), a drop-down's letter search
(:class:`TypedKeysFirst`), and text and number fields (Qt lets those keep their keys already).
Elsewhere (the preview, a checkbox, a button) they are the window's shortcuts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QAction, QActionGroup, QKeyEvent, QKeySequence
from PySide6.QtWidgets import QComboBox, QFileDialog, QMessageBox, QWidget

from docclean import formats
from gui.views import VIEWS

if TYPE_CHECKING:
    from gui.window import MainWindow


def _action(window: MainWindow, menu: Any, text: str, slot: Any, *keys: str | QKeySequence.StandardKey) -> QAction:
    sequences = [QKeySequence(k) for k in keys]
    if len(sequences) > 1:
        # A menu shows only an action's first shortcut, unless its text names them after a tab:
        # "N" for the next page was found by no one.
        shown = ", ".join(k.toString(QKeySequence.SequenceFormat.NativeText) for k in sequences)
        text = f"{text}\t{shown}"
    action = QAction(text, window)
    action.setShortcuts(sequences)
    action.triggered.connect(slot)
    menu.addAction(action)
    return action


def _typed(event: QKeyEvent) -> bool:
    """Whether ``event`` types a character (a letter, a digit, "+"; Shift allowed), not a command key."""
    held = event.modifiers() & (Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier
                                | Qt.KeyboardModifier.MetaModifier)
    return not held and event.text().isprintable() and bool(event.text())


class TypedKeysFirst(QObject):
    """Lets the widgets it watches keep the characters typed into them: a single-key shortcut (N,
    P, V, F, 1, +, -) would otherwise take them from the page list's type-ahead ("101.png" could not
    be reached by typing) and from a drop-down's letter search (P in the Format box turned the page)."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.ShortcutOverride and isinstance(event, QKeyEvent) and _typed(event):
            event.accept()  # an accepted override: Qt delivers the key to the widget, no shortcut fires
            return True
        return False


def keep_typed_keys(window: MainWindow, widgets: list[QWidget]) -> TypedKeysFirst:
    """Watch ``widgets`` with one :class:`TypedKeysFirst` (kept by ``window``)."""
    keeper = TypedKeysFirst(window)
    for widget in widgets:
        widget.installEventFilter(keeper)
    return keeper


def build(window: MainWindow) -> dict[str, QAction]:
    """Create the menus; returns the actions by name (tests and the window enable them)."""
    bar = window.menuBar()
    acts: dict[str, QAction] = {}
    file = bar.addMenu("&File")
    acts["open"] = _action(window, file, "&Open files…", lambda: open_files(window), "Ctrl+O")
    acts["open_folder"] = _action(window, file, "Open &folder…", lambda: open_folder(window), "Ctrl+Shift+O")
    acts["reload"] = _action(window, file, "&Reload from disk", lambda: reload(window), "Ctrl+R")
    file.addSeparator()
    acts["save"] = _action(window, file, "&Save cleaned page…", lambda: window.save_cleaned(), "Ctrl+S")
    acts["export"] = _action(window, file, "&Export open pages…", lambda: window.export(), "Ctrl+E")
    acts["export_folder"] = _action(window, file, "Export whole f&older…",
                                    lambda: window.export(whole_folder=True), "Ctrl+Shift+E")
    acts["export_folder"].setEnabled(False)
    file.addSeparator()
    acts["quit"] = _action(window, file, "&Quit", window.close, "Ctrl+Q")

    view = bar.addMenu("&View")
    group = QActionGroup(window)
    for name, key in zip(VIEWS, ("F2", "F3", "F4"), strict=True):
        act = _action(window, view, name.capitalize(), lambda _=False, n=name: set_view(window, n), key)
        act.setCheckable(True)
        group.addAction(act)
        acts[f"view:{name}"] = act
    acts["cycle"] = _action(window, view, "Next view", lambda: set_view(window, _next(window)), "V")
    view.addSeparator()
    canvas = window.preview.current_canvas
    acts["zoom_in"] = _action(window, view, "Zoom &in", lambda: canvas().zoom_by(1.25), "+", "=", "Ctrl++")
    acts["zoom_out"] = _action(window, view, "Zoom &out", lambda: canvas().zoom_by(0.8), "-", "Ctrl+-")
    acts["fit"] = _action(window, view, "&Fit to window", lambda: window.preview.state.set_zoom(None), "F", "Ctrl+0")
    state = window.preview.state
    acts["actual"] = _action(window, view, "&100%", lambda: state.set_zoom(1.0, state.center), "1", "Ctrl+1")

    go = bar.addMenu("&Go")
    acts["next"] = _action(window, go, "&Next page", lambda: window.go(1), "PgDown", "N")
    acts["previous"] = _action(window, go, "&Previous page", lambda: window.go(-1), "PgUp", "P")
    acts["cancel"] = _action(window, go, "&Cancel cleaning or listing", window.cancel, "Esc")
    acts["again"] = _action(window, go, "Clean the page &again", window.clean_again, "F5")

    help_ = bar.addMenu("&Help")
    acts["about"] = _action(window, help_, "&About docclean", lambda: about(window))
    keep_typed_keys(window, [window.pages, *window.panel.findChildren(QComboBox)])
    return acts


def _next(window: MainWindow) -> str:
    return VIEWS[(VIEWS.index(window.preview.view) + 1) % len(VIEWS)]


def set_view(window: MainWindow, view: str) -> None:
    """Show ``view`` and tick its menu entry."""
    window.preview.set_view(view)
    action = window.actions_.get(f"view:{view}") if hasattr(window, "actions_") else None
    if action is not None:
        action.setChecked(True)


def reload(window: MainWindow) -> None:
    """Forget cached pages and previews and open the same inputs again (files changed on disk),
    the page shown kept (cleaned afresh) while it is still listed."""
    window.worker.clear_cache()
    if window.inputs:
        window.open_paths(list(window.inputs), keep=window.current)


def _filter() -> str:
    patterns = " ".join(f"*{s}" for s in sorted(formats.SUPPORTED_SUFFIXES))
    return f"Scans ({patterns} {patterns.upper()});;All files (*)"


def open_files(window: MainWindow) -> None:
    """Ask for files and open them."""
    paths, _ = QFileDialog.getOpenFileNames(window, "Open scans", str(window.store.value("lastFolder", "") or ""),
                                            _filter())
    if paths:
        window.open_paths(paths)


def open_folder(window: MainWindow) -> None:
    """Ask for a folder and open every supported file in it (recursively, like the batch)."""
    path = QFileDialog.getExistingDirectory(window, "Open a folder of scans",
                                            str(window.store.value("lastFolder", "") or ""))
    if path:
        window.open_paths([path])


def model_description(model: str) -> str:
    """What ``docclean models`` says about a model (or why its file cannot be read)."""
    from docclean.errors import DocCleanError
    from docclean.models import describe_lines, describe_model

    try:
        return "\n".join(describe_lines(describe_model(model)))
    except (DocCleanError, OSError, ValueError) as exc:
        return f"Model {model}: {exc}"


def about(window: MainWindow) -> None:
    """The About box: what docclean is, and the metadata of the model in use."""
    settings = window.settings()
    text = model_description(settings.model if settings else "default")
    box = QMessageBox(window)
    box.setWindowTitle("About docclean")
    box.setText(f"docclean {_version()}: scanned pages cleaned by a convolutional denoising autoencoder, offline, "
                "on your computer. The preview is exactly what 'docclean clean' writes.")
    box.setInformativeText("The model in use:\n" + text)
    box.show()
    window.about_box = box


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("docclean")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "(not installed)"
