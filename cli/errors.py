"""How every ``docclean`` command reports failure: one line on stderr and an exit code.

1 for trouble with data, models or files (``DocCleanError``, an unreadable file, a diverging
loss), 2 for a value the user gave that cannot work (Typer's own usage errors exit 2 as well).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer

from docclean.errors import DocCleanError

EXIT_FAILED, EXIT_USAGE = 1, 2


@contextmanager
def reported_errors() -> Iterator[None]:
    """Run a command body, turning expected exceptions into one printed line and an exit code."""
    try:
        yield
    except (DocCleanError, FloatingPointError, OSError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(EXIT_FAILED) from None
    except (ValueError, IndexError) as exc:
        typer.echo(f"usage error: {exc}", err=True)
        raise typer.Exit(EXIT_USAGE) from None
