"""The desktop app's page list with a large folder: seconds to fill it with N pages and paint it,
and seconds for one type-ahead search to the far end of it (offscreen Qt; pages are never read).

    QT_QPA_PLATFORM=offscreen python bench/page_list.py [--pages 50000 300000]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--pages", type=int, nargs="+", default=[50_000, 300_000])
    a = p.parse_args()
    from PySide6.QtWidgets import QApplication

    from gui.pages import PageList, PageRef

    app = QApplication.instance() or QApplication([])
    print("| pages | fill and paint s | type-ahead to the last page s |")
    print("|---|---|---|")
    for n in a.pages:
        refs = [PageRef(Path(f"/nonexistent/scan-{i:06d}.png"), 0, 1, f"scan-{i:06d}.png") for i in range(n)]
        listing = PageList()
        listing.resize(200, 600)
        listing.show()
        app.processEvents()
        began = time.perf_counter()
        listing.set_pages(refs)
        listing.setCurrentRow(0)
        app.processEvents()
        filled = time.perf_counter() - began
        began = time.perf_counter()
        listing.keyboardSearch(f"scan-{n - 1:06d}")
        app.processEvents()
        searched = time.perf_counter() - began
        assert listing.currentRow() == n - 1
        listing.stop_thumbnails(wait_ms=-1)
        listing.close()
        print(f"| {n:,} | {filled:.3f} | {searched:.3f} |")


if __name__ == "__main__":
    main()
