"""How every ``docclean`` command reports failure: one line on stderr and the documented exit code.

The exit code comes from ``docclean.errors.exit_code`` (the one mapping); this module only turns
setting names into the flags that set them, so the engine can speak of settings and the user
reads flags.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer

from docclean.errors import DocCleanError, UsageError, exit_code

#: Settings whose flag is not simply ``--`` plus the name with dashes.
FLAG_NAMES = {"fmt": "--format", "color": "--keep-color", "output": "--output",
              "overlap": "--tile-size"}  # no flag sets the overlap; the tile size bounds it


def flag(setting: str) -> str:
    """The command-line flag that sets ``setting``."""
    return FLAG_NAMES.get(setting, "--" + setting.replace("_", "-"))


def error_line(exc: BaseException) -> str:
    """The one line printed for ``exc`` (``error: ...``), naming flags instead of settings."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    if isinstance(exc, UsageError) and exc.settings:
        text = f"{', '.join(flag(s) for s in exc.settings)}: {text}"
    return f"error: {text}"


@contextmanager
def reported_errors() -> Iterator[None]:
    """Run a command body, turning expected exceptions into one printed line and an exit code."""
    try:
        yield
    except (DocCleanError, FloatingPointError, OSError, ValueError, IndexError) as exc:
        typer.echo(error_line(exc), err=True)
        raise typer.Exit(exit_code(exc)) from None
