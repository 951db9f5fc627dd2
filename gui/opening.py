"""Opening files and folders in the main window, by menu, drag and drop or Reload.

``OpeningMixin`` is one of ``gui.window.MainWindow``'s bases and works on its attributes
(``inputs``, ``current``, ``result``, ``busy``, ``request_id``, ``ink_figures``, ``pages``,
``store``, ``worker``, ``actions_``) and methods (``show_errors``, ``_blank``, ``_update_command``).
The page list holds what ``docclean clean INPUTS -o OUTPUT`` would clean with the export folder
the command row shows (``gui.pages.listed_files``): an export folder inside an opened folder is
left out, as the batch leaves it out, so earlier outputs are never listed as pages.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QDragEnterEvent, QDropEvent

from gui.pages import PageRef, listed_files, page_refs

#: What the canvases say while no page is open.
OPEN_HINT = "Open scans (Ctrl+O) or a folder (Ctrl+Shift+O), or drop them here"


class OpeningMixin:
    """Open, list again and drag and drop of ``MainWindow`` (a ``QMainWindow``)."""

    def export_folder(self) -> Path | None:
        """The export folder the command row shows (the last one chosen), if any."""
        value = self.store.value("lastExport", "")
        return Path(str(value)) if value else None

    def open_paths(self, paths: list[str | Path], keep: PageRef | None = None,
                   listing: tuple[list[Path], list[str]] | None = None) -> None:
        """Open files and folders (replacing what was open); problems appear in the banner. The
        page ``keep`` stays selected if it is still listed, else the first page is. ``listing``:
        ``listed_files``'s answer for these paths when the caller has just made it."""
        files, problems = listing or listed_files([Path(p) for p in paths], self.export_folder())
        refs, unreadable = page_refs(files)
        self.inputs = [Path(p) for p in paths]
        self.listed = files
        self.ink_figures.clear()  # the list is made anew: a marker would be of a file as it was
        folders = [p for p in self.inputs if p.is_dir()]
        anchor = folders[0] if folders else (self.inputs[0].parent if self.inputs else None)
        if anchor is not None:
            self.store.setValue("lastFolder", str(anchor.resolve()))
        self.current = None  # so that the first page is shown afresh, even if it was shown before
        self.pages.set_pages(refs)
        self.show_errors(problems + unreadable, opening=True)
        if refs:
            self.pages.setCurrentRow(refs.index(keep) if keep in refs else 0)
        else:  # nothing to show: no page, and no late preview of the last one either
            self.worker.cancel()
            self.current, self.result, self.busy, self.request_id = None, None, False, -1
            self._blank()
            self.preview.set_placeholder(OPEN_HINT)
            self.tiles.hide()
            self.statusBar().clearMessage()
        self._update_command()
        self.actions_["export_folder"].setEnabled(bool(folders))

    def relist(self, listing: tuple[list[Path], list[str]] | None = None) -> None:
        """List the open inputs again if the export folder changed what they name (an export into
        another folder inside an opened one), keeping the page shown. ``listing``: ``listed_files``'s
        answer for the open inputs and the export folder, made off the UI thread (``gui.saving``)."""
        if not self.inputs:
            return
        if listing is None:
            listing = listed_files(self.inputs, self.export_folder())
        if listing[0] != self.listed:  # the folders are walked once, not again to open them
            self.open_paths(list(self.inputs), keep=self.current, listing=listing)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 - Qt override
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 - Qt override
        paths = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if paths:
            self.open_paths(paths)
            event.acceptProposedAction()
