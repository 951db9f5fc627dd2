"""Closing the main window and shutting its threads down.

``ClosingMixin`` is one of ``gui.window.MainWindow``'s bases and works on its threads: the preview
``worker``, the page list's thumbnails, the listings of what is being opened (``listings``), the
export folder's check (``checking``) and the running ``exports``. Closing saves the window's state,
cancels every thread and waits for them (a QThread destroyed while it runs aborts the process). A
cancelled page or export usually ends within ``CLOSE_WAIT_MS``, a walk (of a folder being opened,
of the export folder's check) at its next file; a step that cannot be cancelled (loading a model,
decoding one huge page, one read of a folder or a file's header on a share that hangs) runs to its
end, with the window disabled and saying what it waits for, and the window closes once it has
ended. ``shutdown`` (tests, scripts) stops and waits for everything without closing.

Closing while an export runs asks first (Cancel is the default): the export is the one job that
stopping loses work for; a preview or a listing under way is stopped without a question. Closing
while Save writes the cleaned page (``saving``, ``gui.savepage``) waits for it, the window disabled
and saying so, nothing else stopped yet: the writer cannot be stopped mid-page, and the page is
what the user asked for. Once it is written the window closes; if it could not be, the window
stays open with the reason in the banner (closed, it would have taken the page and the reason
with it).

A step on a share that hangs may never end, and the disabled window would stay for good. So once
closing has waited ``PATIENCE_S`` (for the Save, then for the threads), or at once when the window
is closed again meanwhile (the user has seen it wait and asks again: that is the answer the prompt
would wait for), a prompt beside the window (``gui.quitnow``, not modal, enabled while the window
is not) says what still runs, for how long closing has waited and what quitting loses. "Keep
waiting" (the default) waits on, and does not ask again unless the window is closed again; "Quit
now" saves the window's state (synced to the store) and ends the process at once with status 0
(``exit_now``: ``os._exit``, as destroying the threads would abort it). The prompt goes when the
wait ends, whether the window closes or, the page not saved, stays open.
"""

from __future__ import annotations

import os
import sys
import time

from PySide6.QtCore import QDeadlineTimer, QTimer
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QMessageBox

from gui import persist
from gui.quitnow import QuitNowPrompt

#: Milliseconds closing waits for cancelled threads before it shows that it is waiting.
CLOSE_WAIT_MS = 1_000
#: Seconds closing waits for a step before it offers to quit without waiting.
PATIENCE_S = 10.0
#: Milliseconds between two looks at how long closing has waited (and refreshes of the prompt).
PATIENCE_TICK_MS = 250
#: How ``_running`` names the Save writing (``format``: its file).
SAVING = "the page being saved to {}"


def exit_now() -> None:
    """End the process at once with status 0 (the user asked to quit), running neither the threads'
    ends nor Qt's teardown (a QThread destroyed while it runs would abort the process)."""
    os._exit(0)


class ClosingMixin:
    """Persistence on close and shutdown of ``MainWindow`` (a ``QMainWindow``); it polls with the
    window's ``_close_poll`` timer and sets ``_closing`` once closing has begun."""

    _waiting_since: float | None = None  # time.monotonic() when closing began to wait, while it waits
    _patience: QTimer | None = None  # ticks while closing waits
    _prompt: QuitNowPrompt | None = None  # "Quit without waiting?", once shown
    _offered = False  # the prompt was shown in this wait: not again by itself, only when closed again
    _closing_itself = False  # close() called by closing itself (the wait over), not the user

    def save_state(self) -> None:
        """Write geometry, view and settings to the store."""
        persist.save(self)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt override
        again = self._waiting_since is not None and not self._closing_itself  # closed again while waiting
        if not self._closing and not self._quit_after_save and not self._stop_exports_asked():
            event.ignore()
            return
        if not self._closing and self._wait_for_save():
            event.ignore()
            self._wait_on(again)
            return
        if not self._closing:
            self._closing = True
            self.save_state()
            self._stop_all()
            # A cancelled page or export usually ends within a batch of tiles: no message for those.
            deadline = QDeadlineTimer(CLOSE_WAIT_MS)
            for thread in (self.worker, *self._checks(), *self.listings, *(t for t, _ in self.exports),
                           *self._saves()):
                thread.wait(deadline)
        if self._waiting():
            # A step that cannot be cancelled (loading a model, decoding one huge page) goes on:
            # destroying its thread now would abort the app, so the window waits, disabled.
            event.ignore()
            self.setEnabled(False)
            self._close_poll.start()
            self._wait_on(again)
            return
        self._close_poll.stop()
        self._wait_over()
        super().closeEvent(event)

    def _wait_on(self, again: bool) -> None:
        """Closing waits (the window just disabled): start counting, or go on (from the Save to the
        threads); ``again``: the user closed the window again, so the prompt comes at once."""
        if self._waiting_since is None:
            self._waiting_since, self._offered = time.monotonic(), False
            if self._patience is None:
                self._patience = QTimer(self, interval=PATIENCE_TICK_MS)
                self._patience.timeout.connect(lambda: self._offer(False))
            self._patience.start()
        self._offer(again)

    def _offer(self, asked: bool) -> None:
        """Show or refresh the prompt: when ``asked``, once closing has waited ``PATIENCE_S`` (if
        not shown yet in this wait), and while it is shown; hide it when nothing is waited for."""
        if self._waiting_since is None:
            return
        seconds = time.monotonic() - self._waiting_since
        shown = self._prompt is not None and self._prompt.isVisible()
        if not (asked or shown or (seconds >= PATIENCE_S and not self._offered)):
            return
        parts = self._running_parts()
        if not self._closing:  # waiting for the Save only: the rest was not asked to stop yet
            parts = [(what, words) for what, words in parts if what in ("save", "export")]
        if not parts:  # ended: its answer or the poll closes the window (or it stays open) next
            if shown:
                self._prompt.hide()
            return
        if self._prompt is None:
            self._prompt = QuitNowPrompt(self, self._quit_now)
        self._offered = True
        saving = self.saving.path if any(what == "save" for what, _ in parts) else None
        self._prompt.offer(" and ".join(words for _, words in parts), seconds, saving,
                           any(what == "export" for what, _ in parts), front=not shown or asked)

    def _wait_over(self) -> None:
        """Closing waits no more (the window closes, or stays open): stop counting, hide the prompt."""
        self._waiting_since = None
        if self._patience is not None:
            self._patience.stop()
        if self._prompt is not None:
            self._prompt.hide()

    def _quit_now(self) -> None:
        """The prompt's "Quit now": store the window's state, flush, and end the process at once."""
        self.save_state()  # done when closing began, but not yet while it waited for a Save; synced
        for stream in (sys.stdout, sys.stderr):
            if stream is not None:
                stream.flush()
        exit_now()

    def _stop_exports_asked(self) -> bool:
        """Whether closing may go on: no export runs, or the user said to stop it (closing
        cancelled one without a word, and the user had to find out which pages were written)."""
        running = [(thread, dialog) for thread, dialog in self.exports if thread.isRunning()]
        if not running:
            return True
        done, total = sum(d.pages_done for _, d in running), sum(d.pages_total for _, d in running)
        where = f"{done:,} of {total:,} pages" if total else "checking its files"
        # Exporting again skips the files already written, unless Overwrite makes it write them again.
        again = ("exporting again writes them again ('Overwrite existing files' is ticked)"
                 if any(thread.settings.overwrite for thread, _ in running)
                 else "exporting again carries on")
        box = QMessageBox(QMessageBox.Icon.Question, "Stop the export?",
                          f"An export is running ({where}). Stop it and quit?\n\nPages written so far are "
                          f"kept; {again}.", QMessageBox.StandardButton.Cancel, self)
        stop = box.addButton("Stop and quit", QMessageBox.ButtonRole.DestructiveRole)
        cancel = box.button(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(cancel)
        box.setEscapeButton(cancel)
        box.exec()
        return box.clickedButton() is stop

    def _wait_for_save(self) -> bool:
        """Whether closing waits for a Save still writing (and so it does: the window disabled and
        saying so; the exports the user agreed to stop are stopped now). ``_save_ended`` goes on."""
        if self.saving is None:  # one that has ended but not answered yet counts: its answer says if it failed
            return False
        self._quit_after_save = True
        for thread, _ in self.exports:
            thread.cancel()  # asked and answered "Stop and quit": not asked again once saved
        self.setEnabled(False)
        self.statusBar().showMessage(f"Closing once the page is saved to {self.saving.path}…")
        return True

    def _save_ended(self, written: bool) -> None:
        """A Save has ended (``written``: the page is on disk). If closing waited for it, close now;
        else, the page not written, stay open so that the banner's reason is seen."""
        if not self._quit_after_save:
            return
        self.setEnabled(True)
        if written:
            self._close_itself()  # the flag still set: the question about the exports is not asked again
        else:
            self._wait_over()
        self._quit_after_save = False

    def _close_when_stopped(self) -> None:
        if not self._waiting():
            self._close_itself()

    def _close_itself(self) -> None:
        """Close, as closing's own next step: not the user closing again (which brings the prompt)."""
        self._closing_itself = True
        try:
            self.close()
        finally:
            self._closing_itself = False

    def _waiting(self) -> bool:
        """Whether closing must still wait for a thread; if so the status bar says for what. One
        look at the threads per check: looked at twice, one could end in between."""
        running = self._running()
        if running:
            self.statusBar().showMessage(f"Closing: waiting for {running} to finish…")
        return bool(running)

    def _stop_all(self) -> None:
        """Ask every worker to stop, without waiting."""
        self._debounce.stop()  # else a settings edit just made would start the preview thread again
        self.worker.stop(timeout_ms=0)
        self.pages.stop_thumbnails()
        for thread, _ in self.exports:
            thread.cancel()
        for check in self._checks():
            check.stop()  # its walks end at their next file; its answer starts no export
        for listing in self.listings:
            listing.stop()  # its walk or page count ends at its next file; its answer is dropped

    def _saves(self) -> list:
        """The Save writing, while one runs (``gui.savepage.SaveThread``)."""
        return [self.saving] if self.saving is not None else []

    def _checks(self) -> list:
        """The export folder's check, while one runs (``gui.destination.DestinationCheck``)."""
        return [self.checking] if self.checking is not None else []

    def _running(self) -> str:
        """What still runs in the background, in words ("" when nothing)."""
        return " and ".join(words for _, words in self._running_parts())

    def _running_parts(self) -> list[tuple[str, str]]:
        """What still runs in the background: (which thread, in words) for each."""
        running = []
        if self.worker.isRunning():
            running.append(("worker", "the page being read or the model being loaded"))
        if any(thread.isRunning() for thread, _ in self.exports):
            running.append(("export", "the export"))
        if any(check.isRunning() for check in self._checks()):
            running.append(("check", "the check of the export folder"))
        if any(listing.isRunning() for listing in self.listings):
            running.append(("listing", "the listing of the folder being opened"))
        if any(save.isRunning() for save in self._saves()):
            running.append(("save", SAVING.format(self.saving.path)))
        if self.pages.thumbnails_running():
            running.append(("thumbnail", "a thumbnail"))
        return running

    def shutdown(self) -> None:
        """Stop every worker (the preview thread, thumbnails, listings, running exports; a Save writing
        is let finish) and wait until each has ended, however long a step that cannot be cancelled
        takes: a QThread destroyed while it runs aborts the process."""
        self._stop_all()
        self.worker.wait()
        self.pages.stop_thumbnails(wait_ms=-1)
        for thread in (*self._checks(), *self.listings, *(thread for thread, _ in self.exports), *self._saves()):
            thread.wait()
