"""The page list: every item is one grid cell wide, so no thumbnail is cropped by a short name."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QColor
from PySide6.QtTest import QTest

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
    rows = [listing.model().index(i, 0) for i in range(listing.count())]
    qtbot.waitUntil(lambda: all(row.data(Qt.ItemDataRole.DecorationRole).availableSizes()[0].width()
                                == expected[row.data()] for row in rows), timeout=10_000)
    listing.stop_thumbnails(wait_ms=-1)
    icon = listing.iconSize()
    grabbed = listing.viewport().grab().toImage()
    for row in rows:
        rect, title = listing.visualRect(row), row.data()
        assert rect.width() >= icon.width() and rect.height() >= icon.height() + listing.fontMetrics().height()
        # The thumbnail (scaled into the icon box, centred) lies wholly inside its item ...
        thumb = row.data(Qt.ItemDataRole.DecorationRole).availableSizes()[0].scaled(
            icon, Qt.AspectRatioMode.KeepAspectRatio)
        box = QRect(rect.center().x() - thumb.width() // 2, rect.top(), thumb.width(), thumb.height())
        assert rect.contains(box), (title, rect, box)
        # ... and its black right edge is drawn, not cut off.
        edge = [QColor(grabbed.pixel(x, rect.top() + 2 + thumb.height() // 2)).value()
                for x in range(box.right() - 8, min(box.right() + 8, grabbed.width()))]
        assert min(edge) < 60, (title, edge)
        # One size for all, whatever the title: the size hint set, not one Qt takes from the text.
        assert row.data(Qt.ItemDataRole.SizeHintRole) == rect.size() == listing.item_size


def shown_list(qtbot, height: int = 600) -> PageList:  # noqa: ANN001
    """An empty page list on screen, 200 pixels wide."""
    listing = PageList()
    qtbot.addWidget(listing)
    listing.resize(200, height)
    listing.show()
    qtbot.waitExposed(listing)
    return listing


def _fake_refs(root: Path, count: int) -> list:
    """``count`` one-page files that are never read (a list of them is what is tested)."""
    from gui.pages import PageRef

    return [PageRef(root / f"scan-{i:06d}.png", 0, 1, f"scan-{i:06d}.png") for i in range(count)]


#: Seconds filling (and painting) a list of 50,000 pages may take. One QListWidgetItem a page took
#: 0.7 s here (2 cores); rows made only when painted take about 0.01 s: bound generous for a loaded machine.
FILL_50000_S = 0.3


def test_a_list_of_50000_pages_fills_at_once_and_makes_only_the_rows_on_screen(qtbot, tmp_path: Path,
                                                                                monkeypatch) -> None:  # noqa: ANN001
    from PySide6.QtWidgets import QApplication

    import gui.pages

    refs = _fake_refs(tmp_path, 50_000)
    titled: list[int] = []  # one entry each time a page's title is made
    title = gui.pages.PageRef.title
    monkeypatch.setattr(gui.pages.PageRef, "title", property(lambda ref: titled.append(1) or title.fget(ref)))
    listing = shown_list(qtbot)
    began = time.perf_counter()
    listing.set_pages(refs)
    listing.setCurrentRow(0)
    QApplication.processEvents()  # laid out and painted
    took = time.perf_counter() - began
    listing.stop_thumbnails(wait_ms=-1)
    # The rows on screen were made (a few times each, for painting), not one for each of 50,000 pages.
    on_screen = listing.viewport().height() // listing.gridSize().height() + 2
    assert 0 < len(titled) <= 20 * on_screen, len(titled)
    assert took < FILL_50000_S, f"filling 50,000 pages took {took:.2f} s"
    assert listing.count() == 50_000 and listing.refs() == refs and listing.current_ref() == refs[0]
    # Every page is there: the keyboard reaches the last one, which is made when shown.
    titled.clear()
    listing.setFocus()
    qtbot.keyClick(listing, Qt.Key.Key_End)
    QApplication.processEvents()
    assert listing.current_ref() == refs[-1] and listing.currentRow() == 49_999
    last = listing.model().index(49_999, 0)
    assert last.data() == "scan-049999.png" and last.data(Qt.ItemDataRole.ToolTipRole) == str(refs[-1].path)
    assert len(titled) <= 20 * on_screen, len(titled)


def test_typing_a_name_finds_its_page_in_a_long_list_without_reading_every_row(qtbot, tmp_path: Path,
                                                                              monkeypatch) -> None:  # noqa: ANN001
    # Qt's own type-ahead asked the model for every row's title through Python: 4 s a key at
    # 300,000 pages, longer than the interval that joins keys into one name, so "s29" found a page
    # of "s2" and started again at "9". The list's titles are searched instead.
    from PySide6.QtWidgets import QApplication

    import gui.pagemodel

    asked: list[int] = []
    data = gui.pagemodel.PageModel.data
    # Patched before the model is made: PySide6 looks a Python override up once.
    def counted(self, index, role=Qt.ItemDataRole.DisplayRole):  # noqa: ANN001, ANN202
        asked.append(1)
        return data(self, index, role)

    monkeypatch.setattr(gui.pagemodel.PageModel, "data", counted)
    refs = _fake_refs(tmp_path, 50_000)
    listing = shown_list(qtbot)
    listing.set_pages(refs)
    listing.setCurrentRow(0)
    QApplication.processEvents()
    listing.stop_thumbnails(wait_ms=-1)
    asked.clear()
    listing.setFocus()
    listing.keyboardSearch("SCAN-0312")  # one name, case aside
    assert listing.currentRow() == 31_200
    assert len(asked) < 1_000, len(asked)  # the rows repainted, not 31,200 rows read
    QTest.qWait(QApplication.keyboardInputInterval() + 50)  # the interval passed: a new search
    listing.keyboardSearch("s")
    listing.keyboardSearch("s")  # the same key again: the next page starting with it
    assert listing.currentRow() == 31_202
    QTest.qWait(QApplication.keyboardInputInterval() + 50)
    listing.keyboardSearch("x")  # no page: the current one stays
    assert listing.currentRow() == 31_202


def test_thumbnails_long_out_of_view_are_let_go_and_rendered_again_when_shown(qtbot, tmp_path: Path,
                                                                              monkeypatch) -> None:  # noqa: ANN001
    # Every thumbnail was kept: scrolling through 25,000 pages took the window from 0.2 to 0.9 GB.
    from PySide6.QtWidgets import QApplication

    import gui.pagemodel
    from docclean import io as pageio

    read: list[str] = []

    def page(path, index, **k):  # noqa: ANN001, ANN202
        read.append(Path(path).name)
        return pageio.PageRead(pageio.Page(np.full((40, 30), 0.5, np.float32), None, None, index))

    monkeypatch.setattr(pageio, "read_page_with_warnings", page)
    monkeypatch.setattr(gui.pagemodel, "KEPT_THUMBNAILS", 8)
    listing = shown_list(qtbot)
    listing.set_pages(_fake_refs(tmp_path, 200))
    qtbot.waitUntil(lambda: "scan-000000.png" in read, timeout=5_000)
    for row in range(0, 200, 20):  # a screen at a time, down the list
        listing.scrollTo(listing.model().index(row, 0))
        QApplication.processEvents()
        qtbot.waitUntil(lambda r=row: f"scan-{r:06d}.png" in read, timeout=5_000)
    qtbot.wait(200)
    assert len(listing.model()._icons) <= 8
    read.clear()
    listing.scrollToTop()  # back to the first pages: rendered again, not left grey
    QApplication.processEvents()
    qtbot.waitUntil(lambda: "scan-000000.png" in read, timeout=5_000)
    qtbot.waitUntil(lambda: 0 in listing.model()._icons, timeout=5_000)
    listing.stop_thumbnails(wait_ms=-1)


def test_only_the_pages_on_screen_have_their_thumbnails_rendered(qtbot, tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    # Rendering (and keeping) a thumbnail of every page of a 300,000-page archive as it opened took
    # hours of a core and gigabytes: the rows painted ask for theirs, the others never.
    from PySide6.QtWidgets import QApplication

    from docclean import io as pageio

    read: list[str] = []
    def page(path, index, **k):  # noqa: ANN001, ANN202
        read.append(Path(path).name)
        raise pageio.InputError("not read in this test", path)

    monkeypatch.setattr(pageio, "read_page_with_warnings", page)
    refs = _fake_refs(tmp_path, 300)
    listing = shown_list(qtbot)
    listing.set_pages(refs)
    qtbot.waitUntil(lambda: "scan-000000.png" in read, timeout=5_000)
    qtbot.wait(300)  # time for any other thumbnail to be rendered
    on_screen = listing.viewport().height() // listing.gridSize().height() + 2
    assert 0 < len(read) <= on_screen and set(read) <= {f"scan-{i:06d}.png" for i in range(on_screen)}, read
    listing.scrollToBottom()
    QApplication.processEvents()
    qtbot.waitUntil(lambda: "scan-000299.png" in read, timeout=5_000)
    qtbot.wait(300)
    assert len(read) <= 2 * on_screen and len(set(read)) == len(read), read  # each file asked for once
    listing.stop_thumbnails(wait_ms=-1)


def test_a_click_that_selects_a_page_is_not_a_click_on_the_current_page(qtbot, tmp_path: Path) -> None:
    # The window cleans the current page again when it is clicked (after a cancel or a failure);
    # the click that selected a page whose preview failed at once, before the button was let go,
    # counted as one too: one click, two previews.
    refs = _fake_refs(tmp_path, 3)
    listing = shown_list(qtbot)
    listing.set_pages(refs)
    listing.setCurrentRow(0)
    clicked: list = []
    listing.pageClicked.connect(clicked.append)
    centre = listing.visualRect(listing.model().index(1, 0)).center()
    QTest.mouseClick(listing.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, centre)
    assert listing.currentRow() == 1 and clicked == []
    QTest.mouseClick(listing.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, centre)
    assert clicked == [refs[1]]
    listing.stop_thumbnails(wait_ms=-1)


def test_the_pages_of_a_long_file_at_the_end_of_the_list_get_their_own_thumbnails_first(qtbot, tmp_path: Path,
                                                                                      monkeypatch) -> None:  # noqa: ANN001
    # A file's pages were rendered in one pass, in page order: the last pages of a 60-page PDF, on
    # screen after End, waited 29 s for the 59 before them.
    from PySide6.QtWidgets import QApplication

    from docclean import io as pageio
    from docclean.io import PageWriter

    greys = np.linspace(0.1, 0.9, 40).astype(np.float32)
    with PageWriter(tmp_path / "long.tif") as writer:
        for grey in greys:
            writer.add(np.full((40, 30), grey, np.float32), None)
    read: list[int] = []
    real = pageio.read_page_with_warnings
    monkeypatch.setattr(pageio, "read_page_with_warnings",
                        lambda path, index, **k: read.append(index) or real(path, index, **k))
    refs, _ = page_refs([tmp_path / "long.tif"])
    listing = shown_list(qtbot, 400)
    listing.set_pages(refs)
    listing.setCurrentRow(39)  # the end, at once
    QApplication.processEvents()
    qtbot.waitUntil(lambda: 39 in listing.model()._icons, timeout=10_000)
    listing.stop_thumbnails(wait_ms=-1)
    on_screen = listing.viewport().height() // listing.gridSize().height() + 2
    assert 39 in read and read.index(39) < 2 * on_screen, read  # not after the pages before it
    icon = listing.model().index(39, 0).data(Qt.ItemDataRole.DecorationRole)
    image = icon.pixmap(icon.availableSizes()[0]).toImage()
    assert abs(QColor(image.pixel(image.width() // 2, image.height() // 2)).value() / 255 - greys[39]) < 0.05


def test_counting_pages_stops_at_the_next_file_once_stop_is_asked(tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    # A stopped listing (gui.listing) read every file's header to the end of an archive.
    from docclean import io as pageio
    from docclean.errors import Cancelled

    write_page(tmp_path / "a.png", np.full((20, 30), 0.8, np.float32))
    files = [tmp_path / "a.png"] * 50
    read: list[Path] = []
    count_pages = pageio.count_pages
    monkeypatch.setattr(pageio, "count_pages", lambda path, *a: read.append(path) or count_pages(path, *a))
    with pytest.raises(Cancelled):
        page_refs(files, stop=lambda: len(read) >= 3)
    assert len(read) == 3  # not one header more
    refs, problems = page_refs(files[:2], stop=lambda: False)
    assert len(refs) == 2 and not problems
