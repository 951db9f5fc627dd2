"""What the main window does with the preview worker's signals: the page read, tile progress,
status, the finished preview (with its ink-loss figure), a failure and a cancel.

``PreviewingMixin`` is one of ``gui.window.MainWindow``'s bases and works on its attributes
(``request_id``, ``current``, ``result``, ``busy``, ``failure``, ``blamed``, ``ink_figures``,
``preview``, ``tiles``, ``ink``, ``pages``, ``panel``, ``banner``) and ``show_errors``. A signal
of any request but the newest is ignored: the user has moved on. A preview that did not finish leaves the last one
on screen marked out of date, its ink-loss figure too, and says what to do: click the page (or
press F5) to clean it again, or, after a failure the settings caused (a model file that cannot be
read, a device that is not there), change that setting.

Every page whose ink-loss figure is known (it was previewed) has its ⚠ in the page list judged
against the current warning threshold, so changing the threshold re-judges them all.
"""

from __future__ import annotations

from gui.keys import FILE
from gui.labels import setting_label
from gui.notices import ink_warns
from gui.savepage import STILL_CLEANING
from gui.worker import PageImage, PreviewResult

#: How the user asks for a page's preview again (the window's "Clean the page again" action).
AGAIN = "click the page or press F5"


class PreviewingMixin:
    """The preview worker's signal handlers of ``MainWindow`` (a ``QMainWindow``)."""

    def _page_loaded(self, request_id: int, page: PageImage) -> None:
        if request_id == self.request_id:
            self.preview.set_original(page.original)

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
        self.banner.withdraw(STILL_CLEANING)  # Save pressed while it was cleaned: now it can
        self.tiles.hide()
        self.preview.set_cleaned(result.cleaned, result.difference)
        self.preview.set_note("")
        how = "from cache" if result.cached else f"in {result.seconds:.2f} s"
        page = result.page.page
        negative = ", as a negative (light writing on dark paper)" if result.output.inverted else ""
        self.statusBar().showMessage(f"{self.current.title if self.current else ''}: "
                                     f"{page.gray.shape[1]}×{page.gray.shape[0]} px, cleaned {how}{negative}")
        self._show_ink(result)

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
        if self.result is not None and self.result_is_current():
            self.ink.set_loss(self.result.output.ink_loss, self.ink_limit(), self.result.output.show_through)

    def _failed(self, request_id: int, message: str, blamed: tuple[str, ...] = (), reason: str = "") -> None:
        if request_id == self.request_id:
            self.busy = False
            self.tiles.hide()
            self.failure, self.blamed = message, tuple(blamed)  # Save says why there is nothing to save
            # Why the file cannot be read, whole, as the engine gives it (gui.keys.reason_of: what the
            # CLI prints after the file's name; the banner names the file); where a setting is at
            # fault, or none, the banner says it all.
            reason = reason if FILE in self.blamed else ""
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
