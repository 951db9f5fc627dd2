"""The page list: every item is one grid cell wide, so no thumbnail is cropped by a short name."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QColor

from docclean.io import write_page
from gui.pages import THUMB_HEIGHT, PageList, page_refs


def test_thumbnails_are_never_cropped_by_a_short_name(qtbot, tmp_path: Path) -> None:  # noqa: ANN001
    # Landscape and square pages with short names: an item sized from "a.png" and the narrow grey
    # placeholder was 78 px wide and cut off the right of each thumbnail once it arrived.
    pages = {"a.png": (60, 90), "b.png": (70, 70), "a-much-longer-file-name.png": (90, 60)}
    for name, shape in pages.items():
        page = np.full(shape, 0.9, np.float32)
        page[:, -4:] = 0.0  # a black right edge: visible only if the thumbnail is drawn whole
        write_page(tmp_path / name, page)
    listing = PageList()
    qtbot.addWidget(listing)
    listing.resize(200, 600)
    listing.show()
    refs, problems = page_refs(sorted(tmp_path.glob("*.png")))
    assert not problems
    listing.set_pages(refs)
    expected = {ref.title: round(pages[ref.title][1] * THUMB_HEIGHT / pages[ref.title][0]) for ref in refs}
    qtbot.waitUntil(lambda: all(listing.item(i).icon().availableSizes()[0].width() == expected[listing.item(i).text()]
                                for i in range(listing.count())), timeout=10_000)
    listing.stop_thumbnails(wait_ms=-1)
    icon = listing.iconSize()
    grabbed = listing.viewport().grab().toImage()
    for i in range(listing.count()):
        item = listing.item(i)
        rect = listing.visualItemRect(item)
        assert rect.width() >= icon.width() and rect.height() >= icon.height() + listing.fontMetrics().height()
        # The thumbnail (scaled into the icon box, centred) lies wholly inside its item ...
        thumb = item.icon().availableSizes()[0].scaled(icon, Qt.AspectRatioMode.KeepAspectRatio)
        box = QRect(rect.center().x() - thumb.width() // 2, rect.top(), thumb.width(), thumb.height())
        assert rect.contains(box), (item.text(), rect, box)
        # ... and its black right edge is drawn, not cut off.
        edge = [QColor(grabbed.pixel(x, rect.top() + 2 + thumb.height() // 2)).value()
                for x in range(box.right() - 8, min(box.right() + 8, grabbed.width()))]
        assert min(edge) < 60, (item.text(), edge)
        # One size for all, whatever the title: the size hint set, not one Qt takes from the text.
        assert item.sizeHint() == rect.size() == listing.item_size
