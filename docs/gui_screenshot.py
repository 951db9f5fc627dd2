"""Grab docs/gui-screenshot.png: the desktop app with the sample scans open, the first one cleaned
by the shipped default model, side by side at 50% zoom. Run it again when the window changes:

    QT_QPA_PLATFORM=offscreen python docs/gui_screenshot.py [OUT.png]

It renders the window itself (``QWidget.grab``: no window manager frame) with settings kept in a
throw-away file, so the user's own settings neither show nor change; the image is reduced to 16
colours to keep the repository small.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SIZE = (1500, 900)
PAGE = "letter-300dpi"
ZOOM, CENTRE = 0.5, (0.42, 0.38)  # the coffee ring and the crease of the letter


def main() -> int:
    from PIL import Image
    from PySide6.QtCore import QPointF, QSettings
    from PySide6.QtWidgets import QApplication

    from gui.window import MainWindow

    out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs/gui-screenshot.png"
    app = QApplication.instance() or QApplication(sys.argv[:1])
    with tempfile.TemporaryDirectory() as tmp:
        window = MainWindow(QSettings(str(Path(tmp) / "settings.ini"), QSettings.Format.IniFormat))
        window.resize(*SIZE)
        window.show()
        os.chdir(ROOT)  # so that the command row shows the folder as a user would type it
        window.open_paths([Path("samples/scans")])
        listed = time.monotonic() + 60
        while window.pages.count() == 0 and time.monotonic() < listed:  # listed off the UI thread
            app.processEvents()
            time.sleep(0.05)
        names = [ref.title for ref in window.pages.refs()]
        window.pages.setCurrentRow(next(i for i, n in enumerate(names) if n.startswith(PAGE)))
        deadline = time.monotonic() + 300
        while window.result is None and not window.errors and time.monotonic() < deadline:
            app.processEvents()
            time.sleep(0.05)
        if window.result is None:
            print(f"no cleaned preview: {window.errors or 'timed out'}", file=sys.stderr)
            return 1
        window.preview.current_canvas().state.set_zoom(ZOOM, QPointF(*CENTRE))
        for _ in range(20):  # let the views repaint at the new zoom
            app.processEvents()
            time.sleep(0.05)
        grabbed = window.grab()
        path = Path(tmp) / "grab.png"
        grabbed.save(str(path))
        Image.open(path).convert("RGB").quantize(16).save(out, optimize=True)
        window.shutdown()
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
