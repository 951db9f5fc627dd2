"""A walk of folders off the UI thread that answers once: the base of the window's background checks.

Walking an archive (tens of thousands of scans, a slow network share) takes seconds; on the UI
thread the window froze. :class:`Answering` runs :meth:`Answering.work` on a thread of its own,
keeps why it failed in ``error`` (shown in the banner, never a crash) and emits ``answered`` once,
whatever happened. A walk cannot be stopped: an answer the window no longer wants is ``dropped``.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QThread, Signal


class Answering(QThread):
    """Runs :meth:`work` off the UI thread; sets ``error`` when it raised; then emits ``answered``."""

    answered = Signal()

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.error: str | None = None
        self.dropped = False

    def work(self) -> None:
        """What the thread does; subclasses keep their results on ``self``."""
        raise NotImplementedError

    def failure(self, exc: Exception) -> str:
        """The banner's line when :meth:`work` raised ``exc``."""
        return f"{type(exc).__name__}: {exc}"

    def run(self) -> None:  # noqa: D102 - QThread entry point
        try:
            self.work()
        except Exception as exc:  # noqa: BLE001 - shown in the banner, never a crash
            self.error = self.failure(exc)
        self.answered.emit()
