"""Entry point of the desktop app: ``docclean-gui [FILES or FOLDER]`` and ``docclean gui``."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

NEEDS_QT = "the desktop app needs PySide6: pip install 'docclean[gui]'"


def qt_missing() -> bool:
    """Whether PySide6 cannot be imported (the gui extra is not installed)."""
    try:
        import PySide6.QtWidgets  # noqa: F401
    except ImportError:
        return True
    return False


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
    if qt_missing():
        print(f"error: {NEEDS_QT}", file=sys.stderr)
        return 2
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
