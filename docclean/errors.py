"""The DocCleanError hierarchy, and the exit code each kind of failure means.

Every error the engine raises carries a one-line message that names the file (or the setting) it
concerns, so the CLI can print it as is and the GUI can show it in a dialog. The engine never
prints or exits; it speaks of settings (``keep_color``), the CLI of flags (``--keep-color``).
:func:`exit_code` is the one place an exception becomes a process exit code.

Exit codes: 0 done; 1 some input, output, model or data problem (the rest of a batch still ran);
2 a usage error (a setting that cannot work, nothing to clean, a model that cannot be loaded);
130 interrupted (Ctrl-C, or cancelled); 143 terminated (SIGTERM).
"""

from __future__ import annotations

import errno
from pathlib import Path

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED, EXIT_TERMINATED = 0, 1, 2, 130, 143


class DocCleanError(Exception):
    """Base class: ``path`` is the file concerned (or None), ``reason`` the plain explanation."""

    exit_code = EXIT_FAILED

    def __init__(self, reason: str, path: str | Path | None = None) -> None:
        self.reason = reason
        self.path = Path(path) if path is not None else None
        super().__init__(f"{self.path}: {reason}" if self.path is not None else reason)


class InputError(DocCleanError):
    """An input file cannot be read as a scan (empty, truncated, not an image, too large, ...)."""


class OutputError(DocCleanError):
    """An output cannot be written (folder not writable, would overwrite an input, ...)."""


class DiskFullError(OutputError):
    """The disk (or quota) is full: the batch stops, since every further page would fail too."""

    #: The scan a hot folder's watcher undid for it, left in the inbox (set by the watcher), else None.
    held_back: Path | None = None


def output_error(message: str, exc: OSError, path: str | Path | None) -> OutputError:
    """The error for a failed write, ``message (reason)`` naming ``path``: DiskFullError when the
    disk or quota is full (ENOSPC, EDQUOT), else OutputError. The one place that tells them apart."""
    full = exc.errno in (errno.ENOSPC, errno.EDQUOT)
    reason = exc.strerror or str(exc) or type(exc).__name__
    return (DiskFullError if full else OutputError)(f"{message} ({reason})", path)


class ModelError(DocCleanError):
    """A model file is missing, malformed, hostile or of an unknown architecture."""

    exit_code = EXIT_USAGE


class DataError(DocCleanError):
    """A training data set is missing, corrupt or inconsistent."""


class UsageError(DocCleanError):
    """A request that cannot work as asked (bad setting values, nothing to clean, an output path
    that is an input). ``settings`` names the settings at fault, so a front end can name its own
    controls (the CLI turns ``keep_color`` into ``--keep-color``)."""

    exit_code = EXIT_USAGE

    def __init__(self, reason: str, path: str | Path | None = None, settings: tuple[str, ...] = ()) -> None:
        super().__init__(reason, path)
        self.settings = settings


class Cancelled(Exception):
    """A batch or training run stopped because its caller asked (a Stop button, Ctrl-C)."""

    exit_code = EXIT_INTERRUPTED


class Terminated(Cancelled):
    """Stopped by SIGTERM (``timeout``, systemd, docker, Slurm): handled like Ctrl-C."""

    exit_code = EXIT_TERMINATED


def stop_word(exc: BaseException) -> str:
    """How a stop reads in messages and reports: "terminated" for SIGTERM, else "interrupted"."""
    return "terminated" if isinstance(exc, Terminated) else "interrupted"


def exit_code(exc: BaseException) -> int:
    """The documented exit code for an exception that ended a command."""
    if isinstance(exc, KeyboardInterrupt):
        return EXIT_INTERRUPTED
    code = getattr(exc, "exit_code", None)
    if isinstance(code, int):
        return code
    if isinstance(exc, (ValueError, IndexError)):
        return EXIT_USAGE
    return EXIT_FAILED
