"""The main window: page list, preview, settings, equivalent command line, status.

It owns the preview worker and wires the pieces together; it never touches pixels itself. Every
error the engine raises (``DocCleanError``: a one-line message naming the file) is shown in the
red banner above the preview, never as a crash. Menus and shortcuts live in ``gui.menus``.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, QTimer
from PySide6.QtGui import QCloseEvent, QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QFileDialog, QMainWindow, QScrollArea, QSplitter, QVBoxLayout, QWidget

from docclean.errors import DocCleanError
from docclean.settings import CleanSettings
from gui import menus, persist
from gui.command import command_line
from gui.controls import SettingsPanel
from gui.export import ExportDialog, ExportThread
from gui.notices import Banner, CommandRow, InkLine, TileBar
from gui.pages import PageList, PageRef, find_files, page_refs
from gui.views import PreviewArea
from gui.worker import PageImage, PreviewResult, PreviewWorker

#: Milliseconds a settings edit waits for the next one before a preview is asked for.
DEBOUNCE_MS = 250


class MainWindow(QMainWindow):
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
        self.exports: list[tuple[ExportThread, ExportDialog]] = []

        self.worker = PreviewWorker(self)
        self.worker.pageLoaded.connect(self._page_loaded)
        self.worker.progress.connect(self._progress)
        self.worker.finished.connect(self._finished)
        self.worker.failed.connect(self._failed)
        self.worker.cancelled.connect(self._cancelled)
        self.worker.status.connect(self._status)

        self.pages = PageList()
        self.pages.currentItemChanged.connect(lambda item, _: self._select(item))
        self.preview = PreviewArea()
        self.panel = SettingsPanel()
        self.banner = Banner()
        self.ink = InkLine()
        self.command = CommandRow()
        self.tiles = TileBar()
        self._layout()

        self._debounce = QTimer(self, singleShot=True, interval=DEBOUNCE_MS)
        self._debounce.timeout.connect(self.refresh)
        self.panel.settingsChanged.connect(self._debounce.start)
        self.panel.settingsChanged.connect(self._update_command)
        self.actions_ = menus.build(self)
        persist.restore(self)
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
        self.resize(1360, 820)

    # --- opening ------------------------------------------------------------------------------

    def open_paths(self, paths: list[str | Path]) -> None:
        """Open files and folders (replacing what was open); problems appear in the banner."""
        files, problems = find_files(paths)
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
        else:
            self.current, self.result = None, None
            self.preview.set_original(None)
            self.preview.set_cleaned(None, None)
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
            self.preview.set_original(None)
            self.preview.set_cleaned(None, None)
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
        self.request_id = self.worker.request(self.current.path, self.current.index, settings)

    def _page_loaded(self, request_id: int, page: PageImage) -> None:
        if request_id == self.request_id:
            self.preview.set_original(page.original)

    def _progress(self, request_id: int, done: int, total: int) -> None:
        if request_id == self.request_id:
            self.tiles.set_tiles(done, total)
            self.preview.set_placeholder(f"cleaning… {done}/{total} tiles")

    def _status(self, request_id: int, text: str) -> None:
        if request_id == self.request_id and self.current is not None:
            self.statusBar().showMessage(f"{self.current.title}: {text}…")

    def _finished(self, request_id: int, result: PreviewResult) -> None:
        if request_id != self.request_id:
            return  # a stale preview: the user has moved on
        self.result = result
        self.tiles.hide()
        self.preview.set_cleaned(result.cleaned, result.difference)
        how = "from cache" if result.cached else f"in {result.seconds:.2f} s"
        page = result.page.page
        negative = ", as a negative (light writing on dark paper)" if result.output.inverted else ""
        self.statusBar().showMessage(f"{self.current.title if self.current else ''}: "
                                     f"{page.gray.shape[1]}×{page.gray.shape[0]} px, cleaned {how}{negative}")
        self._show_ink(result)

    def _show_ink(self, result: PreviewResult) -> None:
        # The current threshold, not the request's: it is not part of the preview cache key.
        warn = self.ink.set_loss(result.output.ink_loss, self.panel.ink_warning.value() / 100.0,
                                 result.output.show_through)
        item = self.pages.item_for(self.current) if self.current else None
        if item is not None:
            title = self.current.title if self.current else item.text()
            item.setText(f"⚠ {title}" if warn else title)

    def _failed(self, request_id: int, message: str) -> None:
        if request_id == self.request_id:
            self.tiles.hide()
            self.preview.set_placeholder("")
            self.show_errors([message])

    def _cancelled(self, request_id: int) -> None:
        if request_id == self.request_id:
            self.tiles.hide()
            self.statusBar().showMessage("cancelled")

    def cancel(self) -> None:
        """Stop cleaning the current page."""
        self.worker.cancel()

    def show_errors(self, messages: list[str], *, opening: bool = False) -> None:
        """Show messages in the banner. Problems found when opening (``opening``) stay until the
        next open; other messages last until the next preview. An empty list clears them."""
        self.banner.show_messages(messages, opening=opening)

    @property
    def errors(self) -> list[str]:
        """Every message shown, in order."""
        return self.banner.history

    # --- saving and export ------------------------------------------------------------------------

    def save_cleaned(self, path: str | Path | None = None) -> Path | None:
        """Write the cleaned page shown (the batch's exact pixels) to ``path`` (asked if None)."""
        if self.result is None:
            self.show_errors(["nothing to save yet: the page is still being cleaned"])
            return None
        if path is None:
            start = str(Path(self.store.value("lastFolder", "") or ".") / f"{self.result.request.path.stem}-clean.png")
            path, _ = QFileDialog.getSaveFileName(self, "Save cleaned page", start,
                                                  "Images (*.png *.tif *.tiff *.jpg *.webp *.bmp *.pdf)")
            if not path:
                return None
        from docclean.io import write_page

        try:
            write_page(path, self.result.output.pixels, self.result.page.page.dpi)
        except (DocCleanError, ValueError) as exc:
            self.show_errors([str(exc)])
            return None
        self.statusBar().showMessage(f"saved {path}")
        return Path(path)

    def export(self, output: str | Path | None = None, whole_folder: bool = False) -> ExportThread | None:
        """Clean the open files (or the opened folder) into ``output`` (asked if None) through the
        batch runner, with a progress dialog; returns the running thread."""
        settings = self.settings()
        inputs = self._export_inputs(whole_folder)
        if settings is None or not inputs:
            return None
        if output is None:
            output = QFileDialog.getExistingDirectory(self, "Export cleaned pages to",
                                                      str(self.store.value("lastExport", "") or ""))
            if not output:
                return None
        self.store.setValue("lastExport", str(output))
        self._update_command()
        thread = ExportThread(inputs, output, settings, self)
        dialog = ExportDialog(thread, command_line(inputs, output, settings), self)
        thread.failed.connect(lambda message: self.show_errors([message]))
        self.exports.append((thread, dialog))
        dialog.show()
        thread.start()
        return thread

    def _export_inputs(self, whole_folder: bool) -> list[Path]:
        if whole_folder:
            return [p for p in self.inputs if p.is_dir()]
        return list(dict.fromkeys(ref.path for ref in self.pages.refs()))

    def _update_command(self) -> None:
        try:
            settings = self.panel.settings()
        except DocCleanError as exc:
            self.command.set_command(f"(settings cannot work together: {exc})")
            return
        inputs = self.inputs or [Path("SCANS")]
        self.command.set_command(command_line(inputs, self.store.value("lastExport", "") or "OUTPUT", settings))

    # --- persistence and shutdown -----------------------------------------------------------------

    def save_state(self) -> None:
        """Write geometry, view and settings to the store."""
        persist.save(self)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt override
        self.save_state()
        self.shutdown()
        super().closeEvent(event)

    def shutdown(self) -> None:
        """Stop every worker: the preview thread, thumbnails and running exports."""
        self.worker.stop()
        self.pages.stop_thumbnails(wait_ms=10_000)
        for thread, _ in self.exports:
            thread.cancel()
            thread.wait(30_000)
