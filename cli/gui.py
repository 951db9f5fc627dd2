"""``docclean gui``: open the desktop app. PySide6 is imported only when the command runs, so
``docclean --help`` loads neither Qt nor torch."""

from __future__ import annotations

from typing import Annotated

import typer


def gui(
    paths: Annotated[list[str] | None, typer.Argument(
        metavar="FILES_OR_FOLDER", show_default=False, help="Scans or folders to open.")] = None,
) -> None:
    """Open the desktop app: original and cleaned pages side by side, settings, export.

    Needs PySide6, which the gui extra of the package installs.
    """
    from gui.app import NEEDS_QT, qt_missing, run

    if qt_missing():  # a clear message instead of a traceback
        typer.echo(f"error: {NEEDS_QT}", err=True)
        raise typer.Exit(2)
    raise typer.Exit(run(paths or []))
