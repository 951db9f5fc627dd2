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
"""

from __future__ import annotations

from PySide6.QtCore import QDeadlineTimer
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QMessageBox

from gui import persist

#: Milliseconds closing waits for cancelled threads before it shows that it is waiting.
CLOSE_WAIT_MS = 1_000


class ClosingMixin:
    """Persistence on close and shutdown of ``MainWindow`` (a ``QMainWindow``); it polls with the
    window's ``_close_poll`` timer and sets ``_closing`` once closing has begun."""

    def save_state(self) -> None:
        """Write geometry, view and settings to the store."""
        persist.save(self)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt override
        if not self._closing and not self._quit_after_save and not self._stop_exports_asked():
            event.ignore()
            return
        if not self._closing and self._wait_for_save():
            event.ignore()
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
            return
        self._close_poll.stop()
        super().closeEvent(event)

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
            self.close()  # the flag still set: the question about the exports is not asked again
        self._quit_after_save = False

    def _close_when_stopped(self) -> None:
        if not self._waiting():
            self.close()

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
        running = []
        if self.worker.isRunning():
            running.append("the page being read or the model being loaded")
        if any(thread.isRunning() for thread, _ in self.exports):
            running.append("the export")
        if any(check.isRunning() for check in self._checks()):
            running.append("the check of the export folder")
        if any(listing.isRunning() for listing in self.listings):
            running.append("the listing of the folder being opened")
        if any(save.isRunning() for save in self._saves()):
            running.append(f"the page being saved to {self.saving.path}")
        if self.pages.thumbnails_running():
            running.append("a thumbnail")
        return " and ".join(running)

    def shutdown(self) -> None:
        """Stop every worker (the preview thread, thumbnails, listings, running exports; a Save writing
        is let finish) and wait until each has ended, however long a step that cannot be cancelled
        takes: a QThread destroyed while it runs aborts the process."""
        self._stop_all()
        self.worker.wait()
        self.pages.stop_thumbnails(wait_ms=-1)
        for thread in (*self._checks(), *self.listings, *(thread for thread, _ in self.exports), *self._saves()):
            thread.wait()
