"""Save: the cleaned page shown, written on a thread of its own.

``SavePageMixin`` is one of ``gui.window.MainWindow``'s bases and works on its attributes
(``result``, ``current``, ``busy``, ``failure``, ``inputs``, ``folders``, ``proposal``, ``store``,
``open_scans``, ``saving``, ``save_busy``, ``actions_``, ``banner``, ``_closing``,
``_quit_after_save``) and methods (``shows_panel_settings``, ``_looked``, ``show_errors``,
``what_now``, ``_save_ended``). Save writes the batch's exact pixels of the preview
shown, with the source page's metadata as the batch writes it into a one-page output
(``docclean.metadata``, read on the save's thread: every frame's tags of a 1000-page TIFF take
0.4 s, too much to read with every page shown), through the engine's own writer
(``docclean.io.write_page``), and refuses one made with other settings than the panel's, or of the
scan as it was before it changed on disk (the thread looks at the scan, one stat, before it reads
its metadata; the window then cleans the page again); a name without a suffix is saved as PNG.

The write runs on a :class:`SaveThread` (``saving``): a 600-dpi TIFF or PDF, a slow network
share or a disk that hangs froze the window while it wrote on the UI thread. Meanwhile the status
bar shows a busy bar and the file's name (:class:`SaveIndicator`), and Save is disabled. Nothing
else needs to be: the thread holds the page's pixels and resolution as they were when Save was
pressed (the preview's arrays are never written to once made), so another page, other
settings or a Reload cannot change what it writes. Its answer says "saved PATH" in the status bar
(with what the engine warned about the page: "saved PATH; warning: …"), or why not in the banner.
Closing the window meanwhile waits for it (``gui.closing``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QFileDialog, QHBoxLayout, QLabel, QProgressBar, QWidget

from docclean import io as pageio
from docclean.errors import DocCleanError, InputError, UsageError
from docclean.fileid import FileVersion, file_version
from docclean.metadata import read_metadata
from gui.answering import Answering
from gui.folders import save_folder
from gui.pages import OpenScans

#: What the Save dialog offers; a name typed without a suffix gets :data:`DEFAULT_SUFFIX`.
SAVE_FILTER = "Images (*.png *.tif *.tiff *.jpg *.jpeg *.webp *.bmp *.pdf)"
DEFAULT_SUFFIX = ".png"
#: What Save says while the page is being cleaned; withdrawn once it is (``gui.previewing``).
STILL_CLEANING = "nothing to save yet: the page is still being cleaned"
#: ``SaveThread``'s ``version`` when the scan is not to be looked at.
NOT_CHECKED: Any = object()
#: Why the save thread refuses a preview of a scan that changed on disk since it was made (looked at
#: there, not on the UI thread); the window then cleans the page again.
CHANGED_SINCE = ("not saved: the scan changed on disk since its preview was made; the page is cleaned again "
                 "from the file there now: save again once that is done")
#: What Save says while another Save still writes (``format``: the file it writes); withdrawn when it ends.
STILL_SAVING = "not saved: still saving the page to {}; save again once it is written"
#: Widest the status bar's "Saving NAME…" grows, in pixels: a long name is shortened in the middle.
LABEL_WIDTH = 320


def with_default_suffix(path: str | Path) -> Path:
    """``path``, with :data:`DEFAULT_SUFFIX` added when its name has no suffix (the writer takes the
    format from it, and "scan-clean" would otherwise fail)."""
    path = Path(path)
    return path if path.suffix else path.with_name(path.name + DEFAULT_SUFFIX)


def ask_save_path(parent: QWidget, start: str) -> Path | None:
    """The Save dialog: a file name (PNG when typed without a suffix), or None if cancelled. Not
    the static dialog: only an instance takes a default suffix, and confirms replacing a file
    under the name with the suffix added."""
    dialog = QFileDialog(parent, "Save cleaned page", start, SAVE_FILTER)
    dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
    dialog.setDefaultSuffix(DEFAULT_SUFFIX.lstrip("."))
    if dialog.exec() != QDialog.DialogCode.Accepted or not dialog.selectedFiles():
        return None
    return with_default_suffix(dialog.selectedFiles()[0])


class SaveThread(Answering):
    """Writes one cleaned page to ``path`` with ``docclean.io.write_page`` off the UI thread, unless
    ``path`` is one of the open scans (``scans``). When done it sets ``folder`` (the folder written
    into, resolved: where the next Save's dialog starts) or ``error`` (why not, as the engine says
    it) and emits ``answered``. It cannot be stopped: the writer has no place to stop at, and the
    page is what the user asked for."""

    def __init__(self, path: Path, pixels: np.ndarray, dpi: tuple[float, float] | None, source: Path, index: int,
                 scans: OpenScans, parent: Any = None, version: FileVersion | None = NOT_CHECKED) -> None:
        super().__init__(parent)
        self.path, self.pixels, self.dpi, self.scans = Path(path), pixels, dpi, scans
        self.source, self.index = source, index  # the scan and page whose metadata goes with it
        self.version = version  # the scan's version the pixels were cleaned from (None: it could not be looked at)
        self.changed = False  # refused: the scan is another version now (CHANGED_SINCE), ``found``
        self.found: FileVersion | None = None
        self.folder: Path | None = None

    def work(self) -> None:
        """Refuse an open scan, write the page, then find the folder's real name."""
        # The dialog's "replace?" does not say the file is a scan that is open (of a multi-page
        # file, Save would keep one page): refused, as `docclean clean` refuses its inputs. One stat
        # of the target (gui.pages.OpenScans), here: on a share that hangs it froze the window too.
        if self.scans.holds(self.path):
            raise UsageError("refusing to write over a scan that is open; choose another name", self.path)
        if self.version is not NOT_CHECKED:
            self.found = file_version(self.source)
            if self.found != self.version:
                self.changed = True  # its pixels are of the file as it was, and its metadata would be the new file's
                raise InputError(CHANGED_SINCE, self.source)
        metadata = read_metadata(self.source).only(self.index)  # headers only; as the batch writes it
        pageio.write_page(self.path, self.pixels, self.dpi, metadata=metadata)
        self.folder = self.path.resolve().parent  # resolve() reads the file system too

    def failure(self, exc: Exception) -> str:
        """The engine's one line (naming the file) for its own errors, as Save said them on the UI thread."""
        if isinstance(exc, (DocCleanError, ValueError)):
            return str(exc)
        return f"{self.path}: not saved: {type(exc).__name__}: {exc}"


class SaveIndicator(QWidget):
    """The status bar's sign that a Save is writing: a busy bar and "Saving NAME…", the whole path
    in its tooltip; hidden otherwise."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bar = QProgressBar()
        self.bar.setRange(0, 0)  # busy: a write has no steps to count
        self.bar.setTextVisible(False)
        self.bar.setFixedSize(64, 12)
        self.label = QLabel()
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 6, 0)
        layout.addWidget(self.bar)
        layout.addWidget(self.label)
        self.hide()

    def saving(self, path: Path) -> None:
        """Show that ``path`` is being written."""
        name = self.label.fontMetrics().elidedText(path.name, Qt.TextElideMode.ElideMiddle, LABEL_WIDTH)
        self.label.setText(f"Saving {name}…")
        self.setToolTip(f"Saving the cleaned page to {path}")
        self.show()


class SavePageMixin:
    """Save of ``MainWindow`` (a ``QMainWindow``)."""

    def save_cleaned(self, path: str | Path | None = None) -> Path | None:
        """Save the cleaned page shown (the batch's exact pixels) to ``path`` (asked if None). Returns
        at once, with the path it writes on its own thread (``saving``; the status bar says "saved
        PATH" when it is written, the banner why not), or None when refused: while the preview shown
        is not that of the current page and settings, or while another Save writes."""
        if self._closing:
            return None
        if self.saving is not None:
            self._still_saving()
            return None
        # The scan is looked at by the thread, not here (on a share that hangs, a stat on the UI
        # thread froze the window): it refuses a scan changed since its preview.
        if not self.shows_panel_settings():
            if self.busy or self.current is None:
                self.show_errors([STILL_CLEANING if self.busy else "nothing to save yet: open a page first"])
            else:  # failed or cancelled: keep the reason in view
                self.show_errors([*([self.failure] if self.failure else []), "nothing to save: this page's preview "
                                  f"with these settings did not finish; {self.what_now()}"])
            return None
        assert self.result is not None
        result = self.result  # what the dialog was asked about, whatever arrives while it is open
        if path is None:
            folder = save_folder(self.store, self.inputs, self.folders, self.proposal)  # never among the scans
            path = ask_save_path(self, str(folder / f"{result.request.path.stem}-clean.png"))
            if path is None or self._closing:
                return None
        path = with_default_suffix(path)
        self.show_errors([])  # an earlier Save's failure no longer stands; this one's answer will say
        page = result.page
        thread = SaveThread(path, result.output.pixels, page.page.dpi, result.request.path, result.request.index,
                            self.open_scans, self, result.request.version)
        thread.answered.connect(lambda: self._save_answered(thread, result.warnings))
        self.saving = thread
        self.actions_["save"].setEnabled(False)
        self.save_busy.saving(path)  # the status bar's permanent side: a preview's messages do not hide it
        if self.statusBar().currentMessage().startswith(("saved ", "not saved")):
            self.statusBar().clearMessage()  # an earlier Save's outcome, beside "Saving NAME…", would mislead
        thread.start()
        return path

    def _still_saving(self) -> None:
        """Say that Save waits for the one writing (Ctrl+S is disabled meanwhile; a script may call)."""
        assert self.saving is not None
        message = STILL_SAVING.format(self.saving.path)
        self.banner.withdraw(message)  # said once, however often asked
        self.banner.add([message])

    def _save_answered(self, thread: SaveThread, warned: tuple[str, ...] = ()) -> None:
        """``thread`` has written the page, or failed: say which, enable Save again, and close the
        window if that was asked meanwhile and the page is written (``gui.closing``)."""
        thread.wait()  # it has emitted its last signal; ended, it may be let go
        thread.deleteLater()  # a child of the window: else every Save would keep one until it closes
        if self.saving is thread:
            self.saving = None
        self.save_busy.hide()
        self.actions_["save"].setEnabled(True)
        self.banner.withdraw(STILL_SAVING.format(thread.path))
        if thread.changed:  # what the thread found: the page is cleaned again (gui.previewing._looked)
            self._looked(str(thread.source), thread.found)  # first: it clears the last preview's messages
        if thread.error is not None:
            # Added, not replacing: a preview's failure that came while it wrote stays in view.
            self.banner.add([thread.error])
            self.statusBar().showMessage("not saved" + (" (so the window stays open)" if self._quit_after_save else ""))
        else:
            self.store.setValue("lastSave", str(thread.folder))
            # The page's warnings with it: the page may be garbled (damaged data), and the one shown
            # by now may be another.
            said = [f"saved {thread.path}", *(f"warning: {w}" for w in warned)]
            self.statusBar().showMessage("; ".join(said))
        self._save_ended(thread.error is None)
