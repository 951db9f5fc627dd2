"""Save carries the source page's metadata as the batch does (``docclean.metadata``): a TIFF's or a
PNG's title and author reach a saved PDF, TIFF or PNG; a page of a TIFF whose pages differ gets its
own; a source that says nothing gives the very bytes it gave before."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PIL.PngImagePlugin import PngInfo

from docclean.io import PageWriter, write_page
from docclean.metadata import Fields, Metadata
from tests.gui.conftest import make_page

TITLE, AUTHOR = "Minutes of 1912", "Ann Clerk"


def saved_fields(path: Path) -> tuple[str | None, str | None]:
    """(title, author) of a saved file, read by Pillow or pdfium rather than by docclean."""
    if path.suffix == ".pdf":
        import pypdfium2 as pdfium

        doc = pdfium.PdfDocument(str(path))
        try:
            return doc.get_metadata_value("Title") or None, doc.get_metadata_value("Author") or None
        finally:
            doc.close()
    with Image.open(path) as im:
        if im.format == "PNG":
            return im.text.get("Title"), im.text.get("Author")
        return im.tag_v2.get(269), im.tag_v2.get(315)  # DocumentName, Artist


def grey_scan() -> Image.Image:
    return Image.fromarray((make_page(48, 64, 9) * 255).astype(np.uint8), "L")


@pytest.mark.parametrize("kind", ["tif", "png"])
def test_a_saved_page_keeps_its_source_s_title_and_author(qtbot, window, wait_result, tmp_path, open_listed,
                                                          save_and_wait, kind: str) -> None:
    source = tmp_path / f"scan.{kind}"
    if kind == "tif":
        grey_scan().save(source, dpi=(150, 150), tiffinfo={269: TITLE, 315: AUTHOR})
    else:
        text = PngInfo()
        text.add_text("Title", TITLE)
        text.add_text("Author", AUTHOR)
        grey_scan().save(source, pnginfo=text, dpi=(150, 150))
    open_listed(window, [source])
    wait_result(window)
    for suffix in (".pdf", ".tif", ".png"):
        target = tmp_path / "out" / f"clean{suffix}"
        assert save_and_wait(window, target) == target and not window.errors
        assert saved_fields(target) == (TITLE, AUTHOR), suffix


def test_a_saved_page_of_a_tiff_gets_that_page_s_own_title(qtbot, window, wait_result, tmp_path,
                                                           open_listed, save_and_wait) -> None:
    source = tmp_path / "two.tif"
    pages = (Fields(title="first page", author=AUTHOR), Fields(title="second page", author=AUTHOR))
    with PageWriter(source, metadata=Metadata(pages[0], pages)) as writer:
        writer.add(make_page(48, 64, 1), (150.0, 150.0))
        writer.add(make_page(48, 64, 2), (150.0, 150.0))
    open_listed(window, [source])
    wait_result(window)
    window.go(1)
    wait_result(window)
    assert window.current.index == 1
    target = tmp_path / "page2.png"
    assert save_and_wait(window, target) == target
    assert saved_fields(target) == ("second page", AUTHOR)


def test_a_source_without_metadata_saves_the_same_bytes_as_before(qtbot, window, wait_result, scans, tmp_path,
                                                                  open_listed, save_and_wait) -> None:
    open_listed(window, [scans / "c.tif"])  # written by docclean with no metadata
    wait_result(window)
    for suffix in (".pdf", ".tif", ".png"):
        target, plain = tmp_path / f"saved{suffix}", tmp_path / f"plain{suffix}"
        assert save_and_wait(window, target) == target
        write_page(plain, window.result.output.pixels, window.result.page.page.dpi)  # what Save wrote before
        assert target.read_bytes() == plain.read_bytes(), suffix
        assert saved_fields(target) == (None, None)


def test_save_reads_no_metadata_on_the_ui_thread(qtbot, window, wait_result, tmp_path, open_listed,
                                                 monkeypatch, save_and_wait) -> None:
    """Save read the page's metadata (the file's headers) on the UI thread: on a slow network share
    that froze the window. The preview worker reads it with the page instead."""
    import sys
    import threading

    from docclean import metadata

    original, readers = metadata.read_metadata, []

    def recording(path):  # noqa: ANN001, ANN202 - read_metadata's own signature
        readers.append(threading.current_thread() is threading.main_thread())
        return original(path)

    for name, module in list(sys.modules.items()):  # wherever the app has it under that name
        if (name == "docclean.metadata" or name.startswith("gui.")) and \
                getattr(module, "read_metadata", None) is original:
            monkeypatch.setattr(module, "read_metadata", recording)
    source = tmp_path / "scan.tif"
    grey_scan().save(source, dpi=(150, 150), tiffinfo={269: TITLE, 315: AUTHOR})
    open_listed(window, [source])
    wait_result(window)
    target = tmp_path / "saved.pdf"
    assert save_and_wait(window, target) == target and not window.errors
    assert saved_fields(target) == (TITLE, AUTHOR)
    assert readers and True not in readers  # read, and never on the UI thread
