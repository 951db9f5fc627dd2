"""The main window: page list, preview, settings, equivalent command line, status.

It owns the preview worker and wires the pieces together; it never touches pixels itself. Every
error the engine raises (``DocCleanError``: a one-line message naming the file) is shown in the
red banner above the preview, never as a crash. Menus and shortcuts live in ``gui.menus``; what
the preview worker's signals do in ``gui.previewing``; Save and Export in ``gui.saving``; closing
and shutting the threads down in ``gui.closing``.

While a new preview is computed, the previous one stays on screen marked "out of date", and Save
refuses it. Closing waits for the background threads to end (a QThread destroyed while it runs
aborts the process), with the window disabled and saying what it waits for.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QLabel,
    QListWidgetItem,
    QMainWindow,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from docclean.discover import list_sources
from docclean.errors import DocCleanError
from docclean.settings import CleanSettings
from gui import menus, persist
from gui.closing import ClosingMixin
from gui.command import command_line
from gui.controls import SettingsPanel
from gui.export import ExportDialog, ExportThread
from gui.notices import Banner, CommandRow, InkLine, TileBar
from gui.pages import PageList, PageRef, page_refs
from gui.previewing import PreviewingMixin
from gui.saving import SavingMixin
from gui.views import PreviewArea
from gui.worker import PreviewResult, PreviewWorker, preview_key

#: Milliseconds a settings edit waits for the next one before a preview is asked for.
DEBOUNCE_MS = 250
#: What the canvases say while no page is open.
OPEN_HINT = "Open scans (Ctrl+O) or a folder (Ctrl+Shift+O), or drop them here"
#: What the canvases say over a preview made with other settings than the panel's.
OUT_OF_DATE = "out of date: cleaning with the new settings…"


class MainWindow(PreviewingMixin, SavingMixin, ClosingMixin, QMainWindow):
    """docclean's window. ``store`` is where geometry, last folder and settings persist (default:
    the user's QSettings for docclean)."""

    def __init__(self, store: QSettings | None = None) -> None:
        super().__init__()
        self.setWindowTitle("docclean")
        self.setAcceptDrops(True)
        self.store = store or QSettings("docclean", "docclean")
        self.inputs: list[Path] = []  # what was opened (files and folders), for export and the command
        self.current: PageRef | None = None
        self.result: PreviewResult | None = None
        self.request_id = 0
        self.busy = False  # the newest request is still being read or cleaned
        self.failure: str | None = None  # why the newest request failed
        self.exports: list[tuple[ExportThread, ExportDialog]] = []
        self._closing = False

        self.worker = PreviewWorker(self)
        self.worker.pageLoaded.connect(self._page_loaded)
        self.worker.progress.connect(self._progress)
        self.worker.finished.connect(self._finished)
        self.worker.failed.connect(self._failed)
        self.worker.cancelled.connect(self._cancelled)
        self.worker.status.connect(self._status)

        self.pages = PageList()
        self.pages.currentItemChanged.connect(lambda item, _: self._select(item))
        self.pages.itemClicked.connect(self._clicked)
        self.preview = PreviewArea()
        self.panel = SettingsPanel()
        self.banner = Banner()
        self.ink = InkLine()
        self.command = CommandRow()
        self.tiles = TileBar()
        self._layout()

        self._debounce = QTimer(self, singleShot=True, interval=DEBOUNCE_MS)
        self._debounce.timeout.connect(self.refresh)
        self._close_poll = QTimer(self, interval=100)
        self._close_poll.timeout.connect(self._close_when_stopped)
        self.panel.settingsChanged.connect(self._debounce.start)
        self.panel.settingsChanged.connect(self._update_command)
        self.actions_ = menus.build(self)
        persist.restore(self)
        self.preview.set_placeholder(OPEN_HINT)
        self._update_command()

    def _layout(self) -> None:
        center = QWidget()
        column = QVBoxLayout(center)
        column.setContentsMargins(4, 4, 4, 4)
        column.addWidget(self.banner)
        column.addWidget(self.preview, 1)
        column.addWidget(self.ink)
        column.addWidget(self.command)
        scroll = QScrollArea()
        scroll.setWidget(self.panel)
        scroll.setWidgetResizable(True)
        # Wide enough for the panel and its scroll bar, so no control is cut off (the widest
        # label and field decide, and they vary with the platform's font).
        panel_width = self.panel.minimumSizeHint().width() + scroll.verticalScrollBar().sizeHint().width() \
            + 2 * scroll.frameWidth()
        scroll.setMinimumWidth(panel_width)
        splitter = QSplitter()
        splitter.addWidget(self.pages)
        splitter.addWidget(center)
        splitter.addWidget(scroll)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([190, 900, panel_width])
        self.setCentralWidget(splitter)
        self.statusBar().addPermanentWidget(self.tiles)
        self.zoom_label = QLabel("zoom: fit")
        self.statusBar().addPermanentWidget(self.zoom_label)
        self.preview.state.changed.connect(lambda: self.zoom_label.setText(
            "zoom: fit" if self.preview.state.zoom is None else f"zoom: {self.preview.state.zoom:.0%}"))
        self.resize(1360, 820)

    # --- opening ------------------------------------------------------------------------------

    def open_paths(self, paths: list[str | Path]) -> None:
        """Open files and folders (replacing what was open); problems appear in the banner."""
        files, problems = list_sources(paths)
        refs, unreadable = page_refs(files)
        self.inputs = [Path(p) for p in paths]
        folders = [p for p in self.inputs if p.is_dir()]
        anchor = folders[0] if folders else (self.inputs[0].parent if self.inputs else None)
        if anchor is not None:
            self.store.setValue("lastFolder", str(anchor.resolve()))
        self.current = None  # so that the first page is shown afresh, even if it was shown before
        self.pages.set_pages(refs)
        self.show_errors(problems + unreadable, opening=True)
        if refs:
            self.pages.setCurrentRow(0)
        else:  # nothing to show: no page, and no late preview of the last one either
            self.worker.cancel()
            self.current, self.result, self.busy, self.request_id = None, None, False, -1
            self._blank()
            self.preview.set_placeholder(OPEN_HINT)
            self.tiles.hide()
            self.statusBar().clearMessage()
        self._update_command()
        self.actions_["export_folder"].setEnabled(bool(folders))

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 - Qt override
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 - Qt override
        paths = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if paths:
            self.open_paths(paths)
            event.acceptProposedAction()

    # --- preview ------------------------------------------------------------------------------

    def settings(self) -> CleanSettings | None:
        """The panel's settings, or None (and a message) when they cannot work together."""
        try:
            return self.panel.settings()
        except DocCleanError as exc:
            self.show_errors([str(exc)])
            return None

    def _select(self, item: object) -> None:
        ref = self.pages.current_ref() if item is not None else None
        if ref is not None and ref != self.current:
            self.current = ref
            self.result = None
            self._blank()
            self.refresh()

    def _blank(self) -> None:
        self.preview.set_original(None)
        self.preview.set_cleaned(None, None)
        self.preview.set_placeholder("")
        self.preview.set_note("")
        self.ink.clear()

    def _clicked(self, item: QListWidgetItem) -> None:
        # Clicking the page already selected does not change the current item: after a cancel or
        # an error, this is how the user asks for its preview again.
        ref = item.data(Qt.ItemDataRole.UserRole)
        if ref == self.current and not self.busy and not self.result_is_current():
            self.refresh()

    def go(self, step: int) -> None:
        """Show the page ``step`` places further in the list (stops at the ends)."""
        row = self.pages.currentRow() + step
        if 0 <= row < self.pages.count():
            self.pages.setCurrentRow(row)

    def refresh(self) -> None:
        """Ask for the preview of the current page with the current settings."""
        settings = self.settings()
        if self.current is None or settings is None:
            return
        self.show_errors([])
        self.preview.set_placeholder("cleaning…")
        self.busy, self.failure = True, None
        self.request_id = self.worker.request(self.current.path, self.current.index, settings)
        if self.result is not None:
            # The preview shown was made with other settings (or before a reload): say so until
            # the new one arrives; a cached one comes at the next turn of the event loop.
            self.preview.set_note(OUT_OF_DATE)
            self.ink.mark_stale()
            self.statusBar().showMessage(f"{self.current.title}: cleaning… (the preview shown is out of date)")

    def result_is_current(self) -> bool:
        """Whether the preview shown is that of the current page with the panel's settings (the
        newest request, which finished), so that Save writes what the settings would export."""
        if self.result is None or self.current is None:
            return False
        request = self.result.request
        if request.id != self.request_id or (request.path, request.index) != (self.current.path, self.current.index):
            return False
        try:
            settings = self.panel.settings()
        except DocCleanError:
            return False
        return preview_key(request.settings) == preview_key(settings)

    def cancel(self) -> None:
        """Stop cleaning the current page (Esc)."""
        self.worker.cancel()
        # At once, not when the worker's signal comes: a request still waiting to start is dropped
        # without one, and the canvas would go on saying "cleaning…".
        self._cancelled(self.request_id)

    def show_errors(self, messages: list[str], *, opening: bool = False) -> None:
        """Show messages in the banner. Problems found when opening (``opening``) stay until the
        next open; other messages last until the next preview. An empty list clears them."""
        self.banner.show_messages(messages, opening=opening)

    @property
    def errors(self) -> list[str]:
        """Every message shown, in order."""
        return self.banner.history

    # --- the equivalent command line ---------------------------------------------------------

    def _update_command(self) -> None:
        try:
            settings = self.panel.settings()
        except DocCleanError as exc:
            self.command.set_command(f"(settings cannot work together: {exc})")
            return
        inputs = self.inputs or [Path("SCANS")]
        self.command.set_command(command_line(inputs, self.store.value("lastExport", "") or "OUTPUT", settings))
