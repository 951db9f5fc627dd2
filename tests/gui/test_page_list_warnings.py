"""What a reader warns of a page marks that page in the page list (only the ink-loss figure's ⚠ did),
and what it warns of a whole multi-page file is said once, with its first page, as the file's (it
was shown with every page, and a TIFF's page 1 damage with page 2 too)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt

from gui.caught import OF_FILE
from tests.docclean.test_page_read import ATTACHED, attached_pdf
from tests.gui.test_page_warnings import damaged_group4, finished


def listed(qtbot, files: list[Path]):  # noqa: ANN001, ANN201 - pytest-qt fixture; a PageList
    """A shown page list of ``files``' pages, once every row's thumbnail job has answered."""
    from gui.pages import PageList, page_refs

    listing = PageList()
    qtbot.addWidget(listing)
    listing.resize(320, 900)
    listing.show()
    refs, problems = page_refs(files)
    assert not problems
    listing.set_pages(refs)
    model = listing.model()
    qtbot.waitUntil(lambda: len(model._icons) == len(refs), timeout=20_000)
    return listing


def rows(listing) -> dict[str, tuple[str, str]]:  # noqa: ANN001
    """Each row's title as listed, by its plain title: (what the list shows, its tooltip)."""
    model = listing.model()
    found = {}
    for row in range(model.rowCount()):
        index = model.index(row, 0)
        found[index.data(Qt.ItemDataRole.UserRole).title] = (index.data(), index.data(Qt.ItemDataRole.ToolTipRole))
    return found


def test_a_page_whose_reader_warned_is_marked_in_the_page_list_with_its_warnings(qtbot, tmp_path: Path) -> None:
    fax, said = damaged_group4(tmp_path / "fax.tif", pages=2, damaged=1)
    pdf = attached_pdf(tmp_path / "attached.pdf")
    listing = listed(qtbot, [fax, pdf])
    shown = rows(listing)
    assert shown["fax.tif — page 1/2"] == ("fax.tif — page 1/2", str(fax))
    title, tip = shown["fax.tif — page 2/2"]
    assert title == "⚠\u00a0fax.tif — page 2/2"
    assert tip.startswith(f"{fax}\n⚠ page 2 damaged image data") and " ".join(tip.split()[1:]) == f"⚠ {said[0]}"
    # The PDF's attached file is the file's: its first page says so, as the file's, and no other.
    title, tip = shown["attached.pdf — page 1/3"]
    assert title == "⚠\u00a0attached.pdf — page 1/3"
    assert " ".join(tip.split()[1:]) == f"⚠ {OF_FILE}{ATTACHED}"
    assert shown["attached.pdf — page 2/3"] == ("attached.pdf — page 2/3", str(pdf))
    assert shown["attached.pdf — page 3/3"] == ("attached.pdf — page 3/3", str(pdf))
    # An ink-loss ⚠ on a page whose reader said nothing: the tooltip says which it is.
    listing.set_warnings({(str(pdf), 1)})
    title, tip = rows(listing)["attached.pdf — page 2/3"]
    assert title == "⚠\u00a0attached.pdf — page 2/3" and "ink-loss figure" in tip
    listing.set_warnings(set())  # the reader's mark stays
    assert rows(listing)["fax.tif — page 2/2"][0] == "⚠\u00a0fax.tif — page 2/2"
    listing.stop_thumbnails(wait_ms=-1)


def test_a_file_s_own_warning_is_shown_with_its_first_page_only_as_the_file_s(qtbot, worker, recorder, tmp_path,
                                                                               tiny_settings) -> None:
    settings = tiny_settings.replace(dpi=12)
    pdf = attached_pdf(tmp_path / "attached.pdf")
    assert finished(qtbot, worker, recorder, pdf, 1, settings, 3).warnings == ()
    assert finished(qtbot, worker, recorder, pdf, 0, settings, 3).warnings == (f"{OF_FILE}{ATTACHED}",)
    assert finished(qtbot, worker, recorder, pdf, 2, settings, 3).warnings == ()


def test_a_tiff_s_first_page_damage_is_not_shown_with_its_second(qtbot, worker, recorder, tmp_path,
                                                                  tiny_settings) -> None:
    fax, said = damaged_group4(tmp_path / "fax.tif", pages=2, damaged=0)
    assert said[0].startswith("page 1 damaged image data")
    assert finished(qtbot, worker, recorder, fax, 1, tiny_settings, 2).warnings == ()
    assert finished(qtbot, worker, recorder, fax, 0, tiny_settings, 2).warnings == tuple(said)
