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
    try:
        from gui.app import run
        import PySide6  # noqa: F401 - checked here for a clear message instead of a traceback
    except ImportError:
        typer.echo('error: the desktop app needs PySide6: pip install -e ".[gui]"', err=True)
        raise typer.Exit(2) from None
    raise typer.Exit(run(paths or []))
