"""libtiff's error messages are told with the file they are about, never printed on stderr from C
(past ``docclean clean -q``, without a file name): ``docclean.tiffmessages``."""

from __future__ import annotations

import threading
import warnings
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from docclean import tiffmessages
from docclean.errors import InputError
from docclean.io import count_pages, read_pages
from docclean.progress import InputWarning

pytestmark = pytest.mark.skipif(not tiffmessages.installed(), reason="libtiff's errors are not collected here")


def damaged_group4(path: Path) -> Path:
    """A group 4 TIFF with 40 bytes of its strip flipped: Pillow decodes it without an error, while
    libtiff says "Bad code word" for row after row."""
    bits = np.random.default_rng(0).random((200, 200)) > 0.5
    Image.fromarray(bits).save(path, compression="group4")
    data = bytearray(path.read_bytes())
    for i in range(100, 140):
        data[i] ^= 0xFF
    path.write_bytes(bytes(data))
    return path


def corrupt_deflate(path: Path) -> Path:
    """A deflate TIFF whose compressed strip is scrambled: it cannot be decoded."""
    Image.fromarray(np.random.default_rng(1).integers(0, 256, (64, 64), dtype=np.uint8)).save(
        path, compression="tiff_adobe_deflate")
    data = bytearray(path.read_bytes())
    for i in range(20, 200):
        data[i] ^= 0x5A
    path.write_bytes(bytes(data))
    return path


def test_a_page_decoded_despite_libtiff_s_errors_is_a_warning_with_the_file(tmp_path: Path, capfd) -> None:
    path = damaged_group4(tmp_path / "fax.tif")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pages = list(read_pages(path))
    assert len(pages) == 1 and pages[0].gray.shape == (200, 200)
    said = [str(w.message) for w in caught if w.category is InputWarning]
    assert len(said) == 1 and said[0].startswith("damaged image data, libtiff says: Fax4Decode: ")
    assert said[0].endswith(" more messages); check this page")
    assert capfd.readouterr().err == ""  # it printed one line a damaged row on fd 2


def test_a_page_libtiff_cannot_decode_fails_with_libtiff_s_reason(tmp_path: Path, capfd) -> None:
    path = corrupt_deflate(tmp_path / "scan.tif")
    assert count_pages(path) == 1  # the header is sound
    with pytest.raises(InputError) as info:
        list(read_pages(path))
    # Was "corrupt or unreadable file (decoder error -2)", and libtiff's why on stderr alone.
    assert info.value.reason == "corrupt or unreadable file (libtiff: ZIPDecode: Decoding error at scanline 0, " \
                                "incorrect data check)"
    assert capfd.readouterr().err == ""


def test_each_thread_collects_only_its_own_messages(tmp_path: Path) -> None:
    fax, scan = damaged_group4(tmp_path / "fax.tif"), corrupt_deflate(tmp_path / "scan.tif")
    start = threading.Barrier(2)
    seen: dict[str, list[str]] = {"fax": [], "scan": []}

    def decode(name: str, path: Path) -> None:
        start.wait()
        for _ in range(20):
            with tiffmessages.collected() as said, Image.open(path) as im:
                try:
                    im.load()
                except OSError:
                    pass
            seen[name].extend(said.first)

    threads = [threading.Thread(target=decode, args=item) for item in (("fax", fax), ("scan", scan))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert seen["fax"] and all(m.startswith("Fax4Decode:") for m in seen["fax"])
    assert seen["scan"] and all(m.startswith("ZIPDecode:") for m in seen["scan"])


def test_a_thread_that_collects_nothing_gets_libtiff_s_own_handler(tmp_path: Path, capfd) -> None:
    path = corrupt_deflate(tmp_path / "scan.tif")
    with Image.open(path) as im, pytest.raises(OSError):
        im.load()  # Pillow itself, outside docclean's reading: libtiff prints, as it always did
    assert "ZIPDecode: Decoding error at scanline 0, incorrect data check." in capfd.readouterr().err
