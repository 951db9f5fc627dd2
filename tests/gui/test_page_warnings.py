"""What the engine warns about a page it cleans (a damaged group 4 page, a PDF page without a size, a
PDF's text layer not kept) shown with its preview and said by Save, never printed on the terminal;
and a file that cannot be read marked in the page list with why."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor

from docclean.errors import InputError
from docclean.io import read_pages, write_page
from docclean.progress import InputWarning
from tests.gui.conftest import make_page


def said_reading(path: Path) -> list[str]:
    """The InputWarnings reading every page of ``path`` says (InputError if it cannot be read)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        list(read_pages(path))
    return [str(w.message) for w in caught if issubclass(w.category, InputWarning)]


def damaged_group4(path: Path, pages: int = 1, damaged: int = 0) -> tuple[Path, list[str]]:
    """A group 4 TIFF of ``pages`` random pages with one byte of page ``damaged``'s data flipped so
    that libtiff decodes it but reports damage, and what the reader warns of it."""
    rng = np.random.default_rng(3)
    frames = [Image.fromarray(((rng.random((48, 64)) > 0.5) * 255).astype(np.uint8)).convert("1")
              for _ in range(pages)]
    path.parent.mkdir(parents=True, exist_ok=True)
    frames[0].save(path, compression="group4", save_all=True, append_images=frames[1:], dpi=(150, 150))
    data = path.read_bytes()
    with Image.open(path) as im:
        im.seek(damaged)
        start, size = im.tag_v2[273][0], im.tag_v2[279][0]
    for at in range(start, start + size):
        flipped = bytearray(data)
        flipped[at] ^= 0xFF
        path.write_bytes(bytes(flipped))
        try:
            said = said_reading(path)
        except InputError:
            continue
        if said:
            return path, said
    raise AssertionError("no flipped byte made libtiff warn")


def boxless_pdf(path: Path) -> Path:
    """A one-page image PDF (Pillow's) whose page has no /MediaBox."""
    import pikepdf

    Image.fromarray((make_page(60, 80, 9) * 255).astype(np.uint8)).save(path.with_suffix(".tmp.pdf"))
    with pikepdf.open(path.with_suffix(".tmp.pdf")) as pdf:
        del pdf.pages[0].obj["/MediaBox"]
        pdf.save(path)
    return path


def test_a_warned_page_shows_the_cli_s_warning_under_its_preview_and_save_says_it(
        qtbot, window, tmp_path, tiny_model_path, open_listed, wait_result, save_and_wait, recwarn, capfd) -> None:
    """The preview showed the garbled page with only "Ink loss 1.0%", Ctrl+S said only "saved PATH",
    and the warning went to the terminal's stderr."""
    from typer.testing import CliRunner

    from cli.main import app

    bad, _ = damaged_group4(tmp_path / "scans" / "fax.tif")
    good = tmp_path / "scans" / "letter.png"
    write_page(good, make_page(60, 80, 1), (150.0, 150.0))
    cli = CliRunner().invoke(app, ["clean", str(bad), "-o", str(tmp_path / "out"), "--model", str(tiny_model_path),
                                   "--device", "cpu"])
    prefix = f"warning: {bad}: "
    cli_said = [line[len(prefix):] for line in cli.stderr.splitlines() if line.startswith(prefix)]
    assert len(cli_said) == 1 and "damaged image data, libtiff says: " in cli_said[0], cli.stderr
    capfd.readouterr()
    recwarn.clear()

    open_listed(window, [bad, good])
    rows = {window.pages.model().index(i, 0).data(Qt.ItemDataRole.UserRole).path: i for i in range(2)}
    window.pages.setCurrentRow(rows[bad])
    wait_result(window)
    assert window.result.request.path == bad and not window.errors
    assert window.page_warnings.isVisible() and window.page_warnings.warnings == tuple(cli_said)
    assert window.page_warnings.text() == f"⚠ Warning: {cli_said[0]}"
    assert "with 1 warning (under the preview)" in window.statusBar().currentMessage()
    saved = save_and_wait(window, tmp_path / "saved.png")
    assert window.statusBar().currentMessage() == f"saved {saved}; warning: {cli_said[0]}"

    window.pages.setCurrentRow(rows[good])  # a page with nothing to say: the line goes
    wait_result(window)
    assert window.result.request.path == good
    assert not window.page_warnings.isVisible() and window.page_warnings.text() == ""
    assert save_and_wait(window, tmp_path / "good.png") and window.statusBar().currentMessage() == \
        f"saved {tmp_path / 'good.png'}"
    window.pages.setCurrentRow(rows[bad])  # from the cache, with its warning
    wait_result(window)
    assert window.result.cached and window.page_warnings.warnings == tuple(cli_said)

    assert "damaged image data" not in capfd.readouterr().err  # nothing on the terminal
    assert not [w for w in recwarn if issubclass(w.category, InputWarning)]


def finished(qtbot, worker, recorder, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN201
    """The preview ``worker.request(*args, **kwargs)`` finishes with."""
    with qtbot.waitSignal(worker.finished, timeout=20_000):
        rid = worker.request(*args, **kwargs)
    assert not recorder.of("failed")
    done_id, result = recorder.of("finished")[-1]
    assert done_id == rid
    return result


def test_each_page_of_a_tiff_keeps_its_own_warning(qtbot, worker, recorder, tmp_path, tiny_settings) -> None:
    # Page 2 of 2 is damaged: page 1 says nothing, page 2 says what the batch says of it (cached too).
    path, said = damaged_group4(tmp_path / "two.tif", pages=2, damaged=1)
    assert said[0].startswith("page 2 damaged image data")
    assert finished(qtbot, worker, recorder, path, 1, tiny_settings, 2).warnings == tuple(said)
    assert finished(qtbot, worker, recorder, path, 0, tiny_settings, 2).warnings == ()
    again = finished(qtbot, worker, recorder, path, 1, tiny_settings, 2)
    assert again.cached and again.warnings == tuple(said)


def test_a_pdf_page_without_a_size_and_a_pdf_s_text_layer_are_said(qtbot, worker, recorder, tmp_path,
                                                                      tiny_settings) -> None:
    from tests.docclean.test_pdf_pages import text_pdf

    settings = tiny_settings.replace(dpi=12)  # a US Letter page at 12 dpi: small
    boxless = boxless_pdf(tmp_path / "boxless.pdf")
    result = finished(qtbot, worker, recorder, boxless, 0, settings, 1)
    assert result.warnings == tuple(said_reading(boxless)) and "US Letter" in result.warnings[0]
    # A reader says a PDF's text layer is not kept once it has read the file to its end: the preview
    # of its last page reads on to there.
    ocr = text_pdf(tmp_path / "ocr.pdf", [True])
    assert finished(qtbot, worker, recorder, ocr, 0, settings, 1).warnings == tuple(said_reading(ocr)) == (
        "its page has searchable text, which the cleaned page does not keep; OCR it again (README: OCRmyPDF)",)


@pytest.fixture
def cut_jpeg(tmp_path: Path) -> Path:
    """A JPEG cut in half, with an end marker: its header is whole (it is listed), its data is not."""
    whole = tmp_path / "whole.jpg"
    Image.fromarray((make_page(120, 160, 4) * 255).astype(np.uint8)).save(whole, quality=95)
    data = whole.read_bytes()
    cut = tmp_path / "list" / "cut.jpg"
    cut.parent.mkdir()
    cut.write_bytes(data[:len(data) // 2] + b"\xff\xd9")
    whole.rename(tmp_path / "list" / "whole.jpg")
    return cut


def test_a_file_that_cannot_be_read_is_marked_in_the_page_list_with_why(qtbot, cut_jpeg: Path) -> None:
    """It looked like any page (a grey placeholder) until selected: its thumbnail job's error was dropped."""
    from docclean.fileid import file_version
    from gui.pages import PageList, page_refs

    listing = PageList()
    qtbot.addWidget(listing)
    listing.resize(240, 600)
    listing.show()
    refs, problems = page_refs(sorted(cut_jpeg.parent.glob("*.jpg")))
    assert not problems
    listing.set_pages(refs)
    model = listing.model()
    cut, whole = (model.index(i, 0) for i in range(2))
    qtbot.waitUntil(lambda: cut.data().startswith("✕\u00a0"), timeout=10_000)
    assert cut.data() == "✕\u00a0cut.jpg"
    assert cut.data(Qt.ItemDataRole.ToolTipRole) == (
        f"{cut_jpeg}\n✕ cannot be read: truncated or incomplete image data (its JPEG data ends early)")
    image = cut.data(Qt.ItemDataRole.DecorationRole).pixmap(72, 96).toImage()
    assert any(QColor(image.pixel(x, y)).red() > 150 > QColor(image.pixel(x, y)).green()
               for x in range(image.width()) for y in range(image.height()))  # a red ✕ on it
    qtbot.waitUntil(lambda: whole.data(Qt.ItemDataRole.DecorationRole).availableSizes()[0].width() == 128,
                    timeout=10_000)
    assert whole.data() == "whole.jpg" and whole.data(Qt.ItemDataRole.ToolTipRole) == str(cut_jpeg.parent / "whole.jpg")
    # Replaced on disk by a whole file: tried again once the window learns of it, and no longer marked.
    (cut_jpeg.parent / "whole.jpg").replace(cut_jpeg)
    model.file_seen(cut_jpeg, file_version(cut_jpeg))
    listing.viewport().update()
    qtbot.waitUntil(lambda: cut.data() == "cut.jpg" and cut.data(Qt.ItemDataRole.DecorationRole).availableSizes()[0]
                    .width() == 128, timeout=10_000)
    assert cut.data(Qt.ItemDataRole.ToolTipRole) == str(cut_jpeg)
    listing.stop_thumbnails(wait_ms=-1)
