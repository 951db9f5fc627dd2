"""Entry point of the desktop app: ``docclean-gui [FILES or FOLDER]`` and ``docclean gui``."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path


def run(paths: Sequence[str | Path] = ()) -> int:
    """Start the app, open ``paths`` (files and folders) and run until the window closes;
    returns the exit status."""
    from PySide6.QtWidgets import QApplication

    from gui.window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("docclean")
    app.setOrganizationName("docclean")
    window = MainWindow()
    window.show()
    if paths:
        window.open_paths(list(paths))
    return app.exec()


def main(argv: Sequence[str] | None = None) -> int:
    """``docclean-gui``: the arguments are files or folders to open."""
    args = list(sys.argv[1:] if argv is None else argv)
    if any(a in ("-h", "--help") for a in args):
        print("usage: docclean-gui [FILES or FOLDER ...]\n\nOpen scans in docclean's desktop app: compare "
              "the original and cleaned pages, tune the settings, then export.")
        return 0
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
