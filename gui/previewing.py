"""What the main window does with the preview worker's signals: the page read, tile progress,
status, the finished preview (with its ink-loss figure), a failure and a cancel.

``PreviewingMixin`` is one of ``gui.window.MainWindow``'s bases and works on its attributes
(``request_id``, ``current``, ``result``, ``busy``, ``failure``, ``blamed``, ``ink_figures``,
``file_versions``, ``preview``, ``tiles``, ``ink``, ``page_warnings``, ``pages``, ``panel``, ``banner``,
``worker``) and
``show_errors`` and ``refresh``. A signal
of any request but the newest is ignored: the user has moved on. A preview that did not finish leaves the last one
on screen marked out of date, its ink-loss figure too, and says what to do: click the page (or
press F5) to clean it again, or, after a failure the settings caused (a model file that cannot be
read, a device that is not there), change that setting.

A settings edit marks the preview shown out of date at once, not when the edit delay is over and
its request is made, and a preview that finishes after the panel changed again is shown marked out
of date too: a preview passes for current only while its settings are the panel's, and while it is
of the version of the scan the worker last found (``file_versions``). The window never looks at a
scan itself (a stat on a network share that does not answer never returns, and the window would
freeze for good): the worker does, when it takes a request or is asked to look (a refresh whose
preview is current, F5), and says what it found (``PreviewWorker.looked``, :meth:`_looked`); a
preview shown of the file as it was is then cleaned again, and its thumbnail rendered again. Save's
thread looks for itself.

What the engine warned about the page (``PreviewResult.warnings``, ``PageImage.warnings``: a damaged
page, a PDF page without a size) shows in the amber line under the preview from the moment the page
is read, and goes with the next page that has none.

Every page whose ink-loss figure is known (it was previewed) has its ⚠ in the page list judged
against the current warning threshold, so changing the threshold re-judges them all.
"""

from __future__ import annotations

from pathlib import Path

from docclean.errors import DocCleanError
from docclean.fileid import FileVersion
from docclean.settings import CleanSettings
from gui.keys import FILE, LISTING, preview_key
from gui.labels import setting_label
from gui.notices import ink_warns
from gui.previews import PageImage, PreviewResult
from gui.savepage import STILL_CLEANING

#: How the user asks for a page's preview again (the window's "Clean the page again" action).
AGAIN = "click the page or press F5"
#: What the canvases say over a preview made with other settings than the panel's.
OUT_OF_DATE = "out of date: cleaning with the new settings…"
#: What they say over a preview of the scan as it was before it changed on disk.
FILE_CHANGED = "out of date: the scan changed on disk; cleaning it again…"
#: What they say over a preview read from a scan that changed on disk while it was read.
CHANGED_WHILE_READ = f"out of date: the scan changed on disk while it was read; {AGAIN} to clean it again"
#: What they say over a preview made with other settings than the panel's, which cannot work together.
CANNOT_CLEAN = "out of date: these settings cannot work together (see the message above)"


class PreviewingMixin:
    """The preview worker's signal handlers of ``MainWindow`` (a ``QMainWindow``)."""

    def shows_panel_settings(self) -> bool:
        """Whether the preview shown is the newest request's, which finished, of the current page,
        made with the panel's settings (what the preview depends on: ``gui.keys.preview_key``); the
        file is not looked at (:meth:`result_is_current` does)."""
        if self.result is None or self.current is None:
            return False
        request = self.result.request
        if request.id != self.request_id or (request.path, request.index) != (self.current.path, self.current.index):
            return False
        return self._panel_made(request.settings, request.path)

    def _out_of_date(self) -> str:
        """The note over a preview the panel's settings would not make: they are being cleaned with
        (:data:`OUT_OF_DATE`), or cannot be (:data:`CANNOT_CLEAN`)."""
        try:
            self.panel.settings()
        except DocCleanError:
            return CANNOT_CLEAN
        return OUT_OF_DATE

    def _panel_made(self, settings: CleanSettings, path: Path) -> bool:
        """Whether ``settings`` make the same preview of ``path`` as the panel's settings."""
        try:
            panel = self.panel.settings()
        except DocCleanError:
            return False
        return preview_key(settings, path) == preview_key(panel, path)

    def result_is_current(self) -> bool:
        """Whether the preview shown is that of the current page with the panel's settings (the
        newest request, which finished: :meth:`shows_panel_settings`) and of the scan's version the
        worker last found (:meth:`_looked`; the disk is not looked at here), so that Save writes
        what the settings would export."""
        if not self.shows_panel_settings():
            return False
        assert self.result is not None
        return self._of_file_now(self.result)

    def _of_file_now(self, result: PreviewResult) -> bool:
        """Whether ``result`` was made from the version of its scan the worker last found."""
        version = result.request.version
        return version is not None and self.file_versions.get(str(result.request.path)) == version

    def _looked(self, path: str, version: FileVersion | None) -> None:
        """The worker (or Save's thread) looked at ``path`` and found ``version``: kept as what the
        file is now; its thumbnails of another version are rendered again; and a preview of it shown
        with the panel's settings, of another version, with nothing being cleaned, is cleaned again."""
        self.file_versions[path] = version
        self.pages.file_seen(Path(path), version)
        if (self.busy or self.current is None or str(self.current.path) != path
                or not self.shows_panel_settings() or self._of_file_now(self.result)):
            return
        self.refresh()  # the preview shown is of the file as it was: marked so (FILE_CHANGED) and cleaned again

    def _settings_edited(self) -> None:
        """A setting was edited: the preview shown, if no longer of the panel's settings, is marked
        out of date at once (its request waits for the edit delay, ``DEBOUNCE_MS``); an edit back
        to its settings unmarks it. While a page is cleaned the mark is there already."""
        if self.result is None or self.busy:
            return
        if self.shows_panel_settings():
            if self.preview.cleaned.note in (OUT_OF_DATE, CANNOT_CLEAN):  # marked by an edit since undone
                self.preview.set_note("" if self._of_file_now(self.result) else CHANGED_WHILE_READ)
                self._show_ink(self.result)
            return
        self.preview.set_note(self._out_of_date())
        self.ink.mark_stale()
        if self.current is not None:
            self.statusBar().showMessage(f"{self.current.title}: settings changed (the preview shown is out of date)")

    def _page_loaded(self, request_id: int, page: PageImage) -> None:
        if request_id == self.request_id:
            self.preview.set_original(page.original)
            self.page_warnings.set_warnings(page.warnings)  # what reading it said, while it is cleaned

    def _progress(self, request_id: int, done: int, total: int) -> None:
        # Not busy: cancelled from the window while the worker was still between two tiles.
        if request_id == self.request_id and self.busy:
            self.tiles.set_tiles(done, total)
            self.preview.set_placeholder(f"cleaning… {done}/{total} tiles")

    def _status(self, request_id: int, text: str) -> None:
        if request_id == self.request_id and self.current is not None:
            # self.result is the previous preview until this request finishes.
            stale = " (the preview shown is out of date)" if self.result is not None else ""
            self.statusBar().showMessage(f"{self.current.title}: {text}…{stale}")

    def _finished(self, request_id: int, result: PreviewResult) -> None:
        if request_id != self.request_id:
            return  # a stale preview: the user has moved on
        self.result, self.busy = result, False
        # Edited again since it was asked for (the edit delay not over yet): shown, but not as current;
        # nor one read while the scan changed on disk (the worker looked again after the read).
        current = self._panel_made(result.request.settings, result.request.path)
        of_file_now = self._of_file_now(result)
        if current:
            self.banner.withdraw(STILL_CLEANING)  # Save pressed while it was cleaned: now it can
        self.tiles.hide()
        self.preview.set_cleaned(result.cleaned, result.difference)
        self.page_warnings.set_warnings(result.warnings)
        self.preview.set_note(self._out_of_date() if not current else "" if of_file_now else CHANGED_WHILE_READ)
        stale = (" with the settings before the last edit (out of date)" if not current else
                 "" if of_file_now else " from the scan as it was before it changed on disk (out of date)")
        how = "from cache" if result.cached else f"in {result.seconds:.2f} s"
        page = result.page.page
        negative = ", as a negative (light writing on dark paper)" if result.output.inverted else ""
        count = len(result.warnings)
        warned = f", with {count} warning{'s' * (count > 1)} (under the preview)" if count else ""
        self.statusBar().showMessage(f"{self.current.title if self.current else ''}: "
                                     f"{page.gray.shape[1]}×{page.gray.shape[0]} px, cleaned {how}{stale}{negative}"
                                     f"{warned}")
        self._show_ink(result)
        if stale:
            self.ink.mark_stale()

    def ink_limit(self) -> float:
        """The warning threshold (0..1) as the settings hold it (rounded like ``panel.settings()``)."""
        return round(self.panel.ink_warning.value() / 100.0, 4)

    def _show_ink(self, result: PreviewResult) -> None:
        # The current threshold, not the request's: it is not part of the preview cache key.
        self.ink.set_loss(result.output.ink_loss, self.ink_limit(), result.output.show_through)
        request = result.request
        self.ink_figures[(str(request.path), request.index)] = (result.output.ink_loss, result.output.show_through)
        self.judge_pages()

    def judge_pages(self) -> None:
        """Mark ⚠ in the page list every page whose known ink-loss figure is a warning at the
        current threshold, and unmark the others."""
        limit = self.ink_limit()
        # Previewed pages only, not the whole list: the list marks them as it paints them.
        self.pages.set_warnings({key for key, (loss, show_through) in self.ink_figures.items()
                                 if ink_warns(loss, limit, show_through)})

    def _ink_limit_changed(self) -> None:
        # At once, for every page: the preview itself does not change with the threshold.
        self.judge_pages()
        if self.shows_panel_settings():  # no stat at each step of the threshold
            self.ink.set_loss(self.result.output.ink_loss, self.ink_limit(), self.result.output.show_through)

    def _failed(self, request_id: int, message: str, blamed: tuple[str, ...] = (), reason: str = "") -> None:
        if request_id == self.request_id:
            self.busy = False
            self.tiles.hide()
            self.failure, self.blamed = message, tuple(blamed)  # Save says why there is nothing to save
            # Why the file cannot be read, whole, as the engine gives it (gui.keys.reason_of: what the
            # CLI prints after the file's name; the banner names the file); where a setting is at
            # fault, or none, the banner says it all.
            reason = reason if FILE in self.blamed or LISTING in self.blamed else ""
            self.preview.set_placeholder(f"failed ({reason}): {self.what_now()}" if reason else
                                         f"failed: {self.what_now()}")
            self._stale_note("failed")
            self.show_errors([message])
            # Else the status bar would go on saying "loading model…" (or "cleaning…").
            title = self.current.title if self.current else ""
            self.statusBar().showMessage(f"{title}: failed (see the message above the preview)")

    def what_now(self) -> str:
        """What gets the current page cleaned after it failed or was cancelled: the file replaced
        (one that cannot be read fails again as it is), the settings that caused the failure
        changed (named as the panel labels them), else asking again."""
        if self.failure is not None and LISTING in self.blamed:
            return "the file changed on disk since it was listed: press Ctrl+R (or F5) to list its pages again"
        if self.failure is not None and FILE in self.blamed:
            return ("this file cannot be read, and cleaning it again fails the same way until the file changes: "
                    "replace it, then press F5")
        if self.failure is not None and self.blamed:
            names = " and ".join(dict.fromkeys(f'"{setting_label(name)}"' for name in self.blamed))
            return f"change the {names} setting{'s' * (' and ' in names)} to clean this page"
        return f"{AGAIN} to clean it"

    def _cancelled(self, request_id: int) -> None:
        if request_id == self.request_id and self.busy:
            self.busy = False
            self.banner.withdraw(STILL_CLEANING)  # no longer being cleaned: the canvas says what now
            self.tiles.hide()
            self.failure, self.blamed = None, ()
            self.preview.set_placeholder(f"cancelled: {self.what_now()}")
            self._stale_note("cancelled")
            self.statusBar().showMessage("cancelled")

    def _stale_note(self, why: str) -> None:
        # A preview with other settings stays on screen: it must not pass for the current one.
        if self.result is not None:
            again = self.what_now()
            self.preview.set_note(f"out of date ({why}): {again}" if self.blamed and self.failure else
                                  f"out of date ({why}): {again} with the new settings")
            self.ink.mark_stale()
