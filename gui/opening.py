"""Opening files and folders in the main window, by menu, drag and drop or Reload.

``OpeningMixin`` is one of ``gui.window.MainWindow``'s bases and works on its attributes
(``inputs``, ``current``, ``result``, ``busy``, ``request_id``, ``ink_figures``, ``pages``,
``store``, ``worker``, ``actions_``, ``opening``, ``listings``, ``stop_listing_button``,
``_closing``) and methods (``show_errors``, ``_blank``, ``_update_command``).
The page list holds what ``docclean clean INPUTS -o OUTPUT`` would clean with the export folder
the command row shows (``gui.pages.listed_files``; ``gui.folders.proposed_export``): an export
folder inside an opened folder is left out, as the batch leaves it out, so earlier outputs are
never listed as pages.

Walking an archive of tens of thousands of scans (or a slow network share) and counting their
pages takes seconds: it runs on a thread of its own (``gui.listing.FolderListing``, kept in
``opening``), the status bar says how far it got, and what was open stays open until the new list
fills in. The newest open wins: an older listing is stopped (its walk ends at its next file; it is
kept in ``listings`` until its thread has ended, which closing waits for, ``gui.closing``).

A folder opened by mistake (300,000 files, a slow network share) can be stopped: the status bar's
"Stop listing" button, shown while a listing runs, or Esc (:meth:`OpeningMixin.stop_listing`).
The window is then left as it was before the open, and the status bar says the listing was
stopped and how many files it had found. Not the files found so far: a list of part of a folder
would look like the whole of it, and "Export whole folder" would clean files the list never
showed.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QDragEnterEvent, QDropEvent

from gui.folders import proposed_export
from gui.listing import FolderListing, listing_message, stopped_message
from gui.pages import OpenScans, PageRef

#: What the canvases say while no page is open.
OPEN_HINT = "Open scans (Ctrl+O) or a folder (Ctrl+Shift+O), or drop them here"


class OpeningMixin:
    """Open, list again and drag and drop of ``MainWindow`` (a ``QMainWindow``)."""

    #: Who the open files are (Save never writes over one), gathered with their listing.
    open_scans: OpenScans = OpenScans()

    def export_folder(self, inputs: list[Path] | None = None) -> Path | None:
        """The export folder of ``inputs`` (default: those open) that the command row shows and
        Export proposes: the one chosen in this session (``export_choice``), else the last one
        chosen for them, else ``<folder>-cleaned`` beside them (``gui.folders.proposed_export``);
        None with nothing open."""
        return proposed_export(self.store, list(self.inputs if inputs is None else inputs), self.export_choice)

    def open_paths(self, paths: list[str | Path], keep: PageRef | None = None,
                   listing: tuple[list[Path], list[str]] | None = None) -> FolderListing:
        """Open files and folders (replacing what was open); problems appear in the banner. The
        page ``keep`` stays selected if it is still listed, else the first page is. The paths are
        listed on a thread of their own, returned: this returns at once and the list fills in when
        it answers (:meth:`_listing_answered`). ``listing``: ``listed_files``'s answer for these
        paths when the caller has just made it: the folders are not walked again, but the pages of
        its files are counted on that thread too (on the UI thread, 25,000 files froze the window)."""
        self._drop_listing()  # the newest open wins
        inputs = [Path(p) for p in paths]
        thread = FolderListing(inputs, self.export_folder(inputs), keep, self, listed=listing)
        thread.found.connect(lambda found: self._listing_progress(thread, found=found))
        thread.counted.connect(lambda done, total: self._listing_progress(thread, done, total))
        thread.answered.connect(lambda: self._listing_answered(thread))
        self.opening = thread
        self.listings.append(thread)
        self.stop_listing_button.show()
        self.statusBar().showMessage(listing_message(inputs))
        if self.current is None:  # an empty window says what it is doing, not "Open scans…"
            self.preview.set_placeholder(listing_message(inputs))
        thread.start()
        return thread

    def relist(self, listing: tuple[list[Path], list[str]] | None = None) -> None:
        """List the open inputs again if the export folder changed what they name (an export into
        another folder inside an opened one), keeping the page shown. ``listing``: ``listed_files``'s
        answer for the open inputs and the export folder, made off the UI thread (``gui.saving``):
        the folders are not walked again, their pages are counted on a thread of their own; without
        it they are listed there from the start."""
        if self.opening is not None:
            # Listed with the export folder as it was, it would list the new one's outputs as pages.
            self.open_paths(list(self.opening.paths), keep=self.opening.keep)
            return
        if not self.inputs:
            return
        if listing is None:
            self.open_paths(list(self.inputs), keep=self.current)
        elif listing[0] != self.listed:  # the folders are walked once, not again to open them
            self.open_paths(list(self.inputs), keep=self.current, listing=listing)

    def stop_listing(self) -> bool:
        """Stop the listing under way (the status bar's Stop, Esc): its walk ends at its next file,
        nothing of it is opened, what was open stays, and the status bar says so. False when no
        listing runs."""
        thread = self.opening
        if thread is None:
            return False
        self._drop_listing()
        self.statusBar().showMessage(stopped_message(thread.paths, thread.found_so_far, bool(self.inputs)))
        return True

    def _drop_listing(self) -> None:
        """Stop the listing under way, if any: its answer is no longer wanted, and its thread ends
        at the walk's (or the page count's) next file."""
        if self.opening is not None:
            self.opening.stop()
            self._clear_listing_message(self.opening)
            self.opening = None
            self.stop_listing_button.hide()

    def _clear_listing_message(self, thread: FolderListing) -> None:
        if self.statusBar().currentMessage().startswith(listing_message(thread.paths)):
            self.statusBar().clearMessage()
        if self.preview.canvases[0].placeholder == listing_message(thread.paths):
            self.preview.set_placeholder(OPEN_HINT if self.current is None else "")

    def _listing_progress(self, thread: FolderListing, done: int | None = None, total: int | None = None,
                          found: int | None = None) -> None:
        if thread is self.opening and not self._closing:
            self.statusBar().showMessage(listing_message(thread.paths, done, total, found))

    def _listing_answered(self, thread: FolderListing) -> None:
        """``thread`` answered: fill the page list, unless a newer open (or closing) dropped it."""
        thread.wait()  # it has emitted its last signal; ended, it may be let go
        thread.deleteLater()  # a child of the window: else every open would keep one until it closes
        if thread in self.listings:
            self.listings.remove(thread)
        if thread is not self.opening or thread.dropped or self._closing:
            return
        self.opening = None
        self.stop_listing_button.hide()
        self._clear_listing_message(thread)
        if thread.error is not None:  # what was open stays open
            self.show_errors([thread.error], opening=True)
            return
        self._fill(thread)

    def _fill(self, listing: FolderListing) -> None:
        """Show the paths ``listing`` listed as open: their files, pages (the page of its ``row``
        selected), problems, and who the open files are (for Save)."""
        self.inputs, self.listed, self.open_scans = listing.paths, listing.files, listing.scans
        self.exported = listing.exported
        self.panel.set_open_formats(listing.formats)  # "same as input" exports into them: 1-bit or not
        refs, row, problems, unreadable = listing.refs, listing.row, listing.problems, listing.unreadable
        self.ink_figures.clear()  # the list is made anew: a marker would be of a file as it was
        folders = [p for p in self.inputs if p.is_dir()]
        self.folders, self.proposal = folders, self.export_folder()
        anchor = folders[0] if folders else (self.inputs[0].parent if self.inputs else None)
        if anchor is not None:
            self.store.setValue("lastFolder", str(anchor.resolve()))
        self.current = None  # so that the first page is shown afresh, even if it was shown before
        self.pages.set_pages(refs)
        self.show_errors(problems + unreadable, opening=True)
        if refs:
            self.pages.setCurrentRow(row)
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
