"""The main window: page list, preview, settings, equivalent command line, status.

It owns the preview worker and wires the pieces together; it never touches pixels itself. Every
error the engine raises (``DocCleanError``: a one-line message naming the file) is shown in the
red banner above the preview, never as a crash; what it warns about a page it cleans (a damaged page,
a PDF page without a size) in an amber line under the preview (``gui.notices.PageWarnings``). Menus
and shortcuts live in ``gui.menus``; opening files (listed off the UI thread, ``gui.listing``) in
``gui.opening``; what the preview worker's signals do in ``gui.previewing``; Save (written off the
UI thread) in ``gui.savepage``; Export in ``gui.saving``; closing and shutting the threads down in
``gui.closing``.

While a new preview is computed, the previous one stays on screen marked "out of date" (from the
settings edit on, not once the edit delay is over), and Save refuses it. The worker looks at the
scan (one stat) for each request, and for a refresh whose preview is current, off the UI thread: a
scan replaced on disk is read again, its thumbnail too, and a preview of the file as it was is no
longer current (``gui.previewing``). A settings edit that cannot change
the page shown (the format, the ink warning, "PDF dpi" on a page that is no PDF's) keeps its preview
as it is. Closing waits for the background threads to end (a QThread destroyed while it runs aborts
the process), with the window disabled and saying what it waits for, and offers to quit without
waiting when that takes long (``gui.quitnow``).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtWidgets import (
    QLabel,
    QMainWindow,
    QPushButton,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from docclean.errors import DocCleanError
from docclean.fileid import FileVersion
from docclean.settings import CleanSettings
from gui import menus, persist
from gui.banner import OTHER, Banner
from gui.closing import ClosingMixin
from gui.command import command_line
from gui.controls import SettingsPanel
from gui.destination import DestinationCheck
from gui.export import ExportDialog, ExportThread
from gui.keys import LISTING
from gui.listing import FolderListing
from gui.notices import CommandRow, InkLine, PageWarnings, TileBar
from gui.opening import OPEN_HINT, OpeningMixin
from gui.pages import PageList, PageRef
from gui.previewing import CANNOT_CLEAN, FILE_CHANGED, OUT_OF_DATE, PreviewingMixin
from gui.previews import PreviewResult
from gui.savepage import SaveIndicator, SavePageMixin, SaveThread
from gui.saving import SavingMixin
from gui.views import PreviewArea
from gui.worker import PreviewWorker

#: Milliseconds a settings edit waits for the next one before a preview is asked for.
DEBOUNCE_MS = 250
#: How the page list, the preview and the settings share what the window gains or loses in width.
SPLITTER_STRETCH = (1, 16, 1)


class MainWindow(OpeningMixin, PreviewingMixin, SavePageMixin, SavingMixin, ClosingMixin, QMainWindow):
    """docclean's window. ``store`` is where geometry, last folder and settings persist (default:
    the user's QSettings for docclean)."""

    def __init__(self, store: QSettings | None = None) -> None:
        super().__init__()
        self.setWindowTitle("docclean")
        self.setAcceptDrops(True)
        self.store = store or QSettings("docclean", "docclean")
        self.inputs: list[Path] = []  # what was opened (files and folders)
        # What "Export open pages" and the command row pass the batch: the folders opened and the
        # files opened by name that the list holds (gui.listing.exported_inputs).
        self.exported: list[Path] = []
        self.folders: list[Path] = []  # the folders opened
        self.proposal: Path | None = None  # the export folder the command row shows (gui.folders)
        self.export_choice: Path | None = None  # the export folder chosen in this session
        self.exported_with: dict[str, CleanSettings] = {}  # the settings of the last export into each folder
        self.current: PageRef | None = None
        self.result: PreviewResult | None = None
        self.request_id = 0
        self.busy = False  # the newest request is still being read or cleaned
        self.failure: str | None = None  # why the newest request failed
        self.blamed: tuple[str, ...] = ()  # the settings that failure blames (gui.keys.fault_of)
        self.listed: list[Path] = []  # the files the page list was made from
        # Each previewed page's last ink-loss figure and show-through share, by (path, page index):
        # the page list's ⚠ are judged from them whenever the threshold changes.
        self.ink_figures: dict[tuple[str, int], tuple[float, float | None]] = {}
        # What the worker last found of each scan it looked at, by str(path) (gui.previewing._looked).
        self.file_versions: dict[str, FileVersion | None] = {}
        self.exports: list[tuple[ExportThread, ExportDialog]] = []
        self.checking: DestinationCheck | None = None  # the export folder being checked, off the UI thread
        self.opening: FolderListing | None = None  # what is being opened, listed off the UI thread
        self.listings: list[FolderListing] = []  # every listing still running, dropped ones too
        self.saving: SaveThread | None = None  # the cleaned page being written, off the UI thread
        self._quit_after_save = False  # closing was asked while a Save wrote: it closes once written
        self._closing = False

        self.worker = PreviewWorker(self)
        self.worker.pageLoaded.connect(self._page_loaded)
        self.worker.progress.connect(self._progress)
        self.worker.finished.connect(self._finished)
        self.worker.failed.connect(self._failed)
        self.worker.cancelled.connect(self._cancelled)
        self.worker.status.connect(self._status)
        self.worker.looked.connect(self._looked)

        self.pages = PageList()
        self.pages.currentPageChanged.connect(self._select)
        self.pages.pageClicked.connect(self._clicked)
        self.pages.activated.connect(lambda _: self.clean_again())  # Enter on the page list
        self.preview = PreviewArea()
        self.panel = SettingsPanel()
        self.banner = Banner()
        self.page_warnings = PageWarnings()  # what the engine warned about the page shown (gui.caught)
        self.ink = InkLine()
        self.command = CommandRow()
        self.tiles = TileBar()
        self._layout()

        self._debounce = QTimer(self, singleShot=True, interval=DEBOUNCE_MS)
        self._debounce.timeout.connect(self.refresh)
        self._close_poll = QTimer(self, interval=100)
        self._close_poll.timeout.connect(self._close_when_stopped)
        self.panel.settingsChanged.connect(self._debounce.start)
        self.panel.settingsChanged.connect(self._settings_edited)  # marked out of date at once (gui.previewing)
        self.panel.settingsChanged.connect(self._update_command)
        self.panel.ink_warning.valueChanged.connect(self._ink_limit_changed)
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
        column.addWidget(self.page_warnings)
        column.addWidget(self.ink)
        column.addWidget(self.command)
        scroll = QScrollArea()
        scroll.setWidget(self.panel)
        scroll.setWidgetResizable(True)
        # Its controls take focus; the area itself did nothing with it and showed no mark.
        scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        # Wide enough for the panel and its scroll bar, so no control is cut off (the widest
        # label and field decide, and they vary with the platform's font).
        panel_width = self.panel.minimumSizeHint().width() + scroll.verticalScrollBar().sizeHint().width() \
            + 2 * scroll.frameWidth()
        scroll.setMinimumWidth(panel_width)
        self.splitter = QSplitter()
        self.splitter.addWidget(self.pages)
        self.splitter.addWidget(center)
        self.splitter.addWidget(scroll)
        # The preview takes most of what the window gains, and the side panels give up what they
        # have beyond their minimum as it shrinks: with only the preview stretching, an 800-pixel
        # window left it two canvases of 150 pixels beside panels at their full width.
        for index, stretch in enumerate(SPLITTER_STRETCH):
            self.splitter.setStretchFactor(index, stretch)
        self.splitter.setSizes([self.pages.minimumWidth() + 24, 900, panel_width])
        self.setCentralWidget(self.splitter)
        # Shown while a folder is listed (gui.opening): a folder opened by mistake is stopped here or by Esc.
        self.stop_listing_button = QPushButton("Stop listing")
        self.stop_listing_button.setToolTip("Stop listing the folder being opened; what was open stays open (Esc)")
        self.stop_listing_button.clicked.connect(self.stop_listing)
        self.stop_listing_button.hide()
        self.statusBar().addPermanentWidget(self.stop_listing_button)
        self.save_busy = SaveIndicator()  # shown while Save writes (gui.savepage)
        self.statusBar().addPermanentWidget(self.save_busy)
        self.statusBar().addPermanentWidget(self.tiles)
        self.zoom_label = QLabel("zoom: fit")
        self.statusBar().addPermanentWidget(self.zoom_label)
        self.preview.state.changed.connect(lambda: self.zoom_label.setText(
            "zoom: fit" if self.preview.state.zoom is None else f"zoom: {self.preview.state.zoom:.0%}"))
        self.resize(1360, 820)

    # --- preview ------------------------------------------------------------------------------

    def settings(self) -> CleanSettings | None:
        """The panel's settings, or None (and a message) when they cannot work together."""
        try:
            return self.panel.settings()
        except DocCleanError as exc:
            self.show_errors([str(exc)])
            return None

    def _select(self, ref: PageRef | None) -> None:
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
        self.page_warnings.set_warnings(())
        self.ink.clear()

    def _clicked(self, ref: PageRef | None) -> None:
        # Clicking the page already selected does not change the current item: after a cancel or
        # an error, this is how the user asks for its preview again.
        if ref is not None and ref == self.current:
            self.clean_again()

    def clean_again(self) -> None:
        """Clean the current page again after a cancel or a failure (F5, Enter on the page list,
        a click on the page); nothing while it is being cleaned, and while its preview is current
        only a look at the scan by the worker (``refresh``). A page its file no longer has (rewritten
        with fewer pages) is not cleaned again but the files listed again (Reload), since the list
        is what is out of date."""
        if self.current is None or self.busy:
            return
        if self.failure is not None and LISTING in self.blamed:
            menus.reload(self)
        else:
            self.refresh()

    def go(self, step: int) -> None:
        """Show the page ``step`` places further in the list (stops at the ends)."""
        row = self.pages.currentRow() + step
        if 0 <= row < self.pages.count():
            self.pages.setCurrentRow(row)

    def refresh(self) -> None:
        """Ask for the preview of the current page with the current settings; when the one shown
        already is (an edit that cannot change this page's pixels), only ask the worker to look at
        the scan, which cleans it again if it changed on disk (``gui.previewing``). Never a stat
        here, on the UI thread: on a share that does not answer it would freeze the window."""
        settings = self.settings()
        if self.current is None:
            return
        if settings is None:
            if self.result is not None and not self.busy:
                self.preview.set_note(CANNOT_CLEAN)  # nothing is being cleaned: not "cleaning…"
            return
        if self.result_is_current():
            # The threshold, if that was the edit, is applied at once (_ink_limit_changed).
            self.worker.look(self.current.path)  # still the file on disk? (_looked cleans it again if not)
            return
        file_changed = self.shows_panel_settings()  # the same settings: the scan changed on disk
        self.show_errors([])
        self.preview.set_placeholder("cleaning…")
        self.busy, self.failure = True, None
        self.request_id = self.worker.request(self.current.path, self.current.index, settings, self.current.count)
        if self.result is not None:
            # The preview shown was made with other settings, of the file as it was (or before a
            # reload): say so until the new one arrives; a cached one comes as soon as the worker looked.
            self.preview.set_note(FILE_CHANGED if file_changed else OUT_OF_DATE)
            self.ink.mark_stale()
            self.statusBar().showMessage(f"{self.current.title}: cleaning… (the preview shown is out of date)")

    def cancel(self) -> None:
        """Esc: stop the listing of a folder being opened, if one runs (``gui.opening``); else stop
        cleaning the current page."""
        if self.stop_listing():
            return
        self.worker.cancel()
        # At once, not when the worker's signal comes: a request still waiting to start is dropped
        # without one, and the canvas would go on saying "cleaning…".
        self._cancelled(self.request_id)

    def show_errors(self, messages: list[str], *, opening: bool = False, kind: str = OTHER) -> None:
        """Show messages in the banner. Problems found when opening (``opening``) stay until the
        next open, an export's failure (``kind`` EXPORT) until the next export; other messages
        last until the next preview. An empty list clears those of its kind."""
        self.banner.show_messages(messages, opening=opening, kind=kind)

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
        inputs = self.exported or [Path("SCANS")]
        self.command.set_command(command_line(inputs, self.proposal or "OUTPUT", settings))
