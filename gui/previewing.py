"""What the main window does with the preview worker's signals: the page read, tile progress,
status, the finished preview (with its ink-loss figure), a failure and a cancel.

``PreviewingMixin`` is one of ``gui.window.MainWindow``'s bases and works on its attributes
(``request_id``, ``current``, ``result``, ``busy``, ``failure``, ``preview``, ``tiles``, ``ink``,
``pages``, ``panel``) and ``show_errors``. A signal of any request but the newest is ignored: the
user has moved on. A preview that did not finish leaves the last one on screen marked out of date,
its ink-loss figure too.
"""

from __future__ import annotations

from gui.worker import PageImage, PreviewResult


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
        self.tiles.hide()
        self.preview.set_cleaned(result.cleaned, result.difference)
        self.preview.set_note("")
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
            self.busy = False
            self.tiles.hide()
            self.preview.set_placeholder("")
            self._stale_note("failed")
            self.failure = message  # Save says why there is nothing to save
            self.show_errors([message])
            # Else the status bar would go on saying "loading model…" (or "cleaning…").
            title = self.current.title if self.current else ""
            self.statusBar().showMessage(f"{title}: failed (see the message above the preview)")

    def _cancelled(self, request_id: int) -> None:
        if request_id == self.request_id and self.busy:
            self.busy = False
            self.tiles.hide()
            self.preview.set_placeholder("cancelled: click the page to clean it")
            self._stale_note("cancelled")
            self.statusBar().showMessage("cancelled")

    def _stale_note(self, why: str) -> None:
        # A preview with other settings stays on screen: it must not pass for the current one.
        if self.result is not None:
            self.preview.set_note(f"out of date ({why}): click the page to clean it with the new settings")
            self.ink.mark_stale()
