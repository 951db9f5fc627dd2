"""A walk of folders off the UI thread that answers once: the base of the window's background checks.

Walking an archive (tens of thousands of scans, a slow network share) takes seconds; on the UI
thread the window froze. :class:`Answering` runs :meth:`Answering.work` on a thread of its own,
keeps why it failed in ``error`` (shown in the banner, never a crash) and emits ``answered`` once,
whatever happened. An answer the window no longer wants is ``dropped``; :meth:`Answering.stop`
drops it and asks the work to end early: work that asks :meth:`Answering.stop_asked` as it goes
(``gui.listing`` hands it to the walk, ``docclean.discover.list_sources(stop=...)``) raises
``docclean.errors.Cancelled``, and the thread answers with ``stopped`` set, soon, instead of
walking on to the end of a folder nobody wants listed.
"""

from __future__ import annotations

import threading
from typing import Any

from PySide6.QtCore import QThread, Signal

from docclean.errors import Cancelled


class Answering(QThread):
    """Runs :meth:`work` off the UI thread; sets ``error`` when it raised, ``stopped`` when it
    ended early because :meth:`stop` asked; then emits ``answered``."""

    answered = Signal()

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.error: str | None = None
        self.dropped = False
        self.stopped = False
        self._stop = threading.Event()

    def stop(self) -> None:
        """Drop the answer and ask the work to end at its next look at :meth:`stop_asked`."""
        self.dropped = True
        self._stop.set()

    def stop_asked(self) -> bool:
        """Whether :meth:`stop` was called: work that takes long asks it as it goes."""
        return self._stop.is_set()

    def work(self) -> None:
        """What the thread does; subclasses keep their results on ``self``."""
        raise NotImplementedError

    def failure(self, exc: Exception) -> str:
        """The banner's line when :meth:`work` raised ``exc``."""
        return f"{type(exc).__name__}: {exc}"

    def run(self) -> None:  # noqa: D102 - QThread entry point
        try:
            self.work()
        except Cancelled:  # stop() asked it: no error to show
            self.stopped = True
        except Exception as exc:  # noqa: BLE001 - shown in the banner, never a crash
            self.error = self.failure(exc)
        self.answered.emit()
