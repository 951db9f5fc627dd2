"""The DocCleanError hierarchy: every error the engine raises carries a one-line message that names
the file it concerns, so the CLI can print it as is and the GUI can show it in a dialog.
The engine never prints or exits; callers map these to exit codes or dialogs."""

from __future__ import annotations

from pathlib import Path


class DocCleanError(Exception):
    """Base class: ``path`` is the file concerned (or None), ``reason`` the plain explanation."""

    def __init__(self, reason: str, path: str | Path | None = None) -> None:
        self.reason = reason
        self.path = Path(path) if path is not None else None
        super().__init__(f"{self.path}: {reason}" if self.path is not None else reason)


class InputError(DocCleanError):
    """An input file cannot be read as a scan (empty, truncated, not an image, too large, ...)."""


class OutputError(DocCleanError):
    """An output cannot be written (folder not writable, would overwrite an input, ...)."""


class ModelError(DocCleanError):
    """A model file is missing, malformed or of an unknown architecture."""


class DataError(DocCleanError):
    """A training data set is missing, corrupt or inconsistent."""
