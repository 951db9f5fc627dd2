"""The ``docclean`` console script: the Typer app, plus a Ctrl-C before a command began.

Importing the app (Typer, Rich, numpy) and building its commands take a few tenths of a second;
a Ctrl-C then would print Python's traceback of whichever line it hit, and one while Typer parses
the options would exit 130 without a word. This module imports nothing heavy itself, so the
interrupt is said in one line, with the documented exit code.
"""

from __future__ import annotations

import sys


def main() -> None:
    """Run ``docclean``; a Ctrl-C before a command began says so and exits 130."""
    try:
        from cli.main import app

        app()  # Typer handles a Ctrl-C in a command; one while it builds the commands reaches us
    except KeyboardInterrupt:
        sys.stderr.write("interrupted; nothing was written\n")
        sys.exit(130)  # docclean.errors.EXIT_INTERRUPTED, not imported: this must stay light
    except SystemExit as exc:
        # Typer turns a Ctrl-C that no command handled (one while it parses the options) into a
        # silent exit 130; a command that handles its own says how it stopped and exits itself.
        if exc.code == 130 and isinstance(getattr(exc.__context__, "__cause__", None), KeyboardInterrupt):
            sys.stderr.write("interrupted\n")
        raise


if __name__ == "__main__":
    main()
