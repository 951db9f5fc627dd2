"""docclean.metadata, metaraster, metawrite and metadates: reading a file's metadata, the forms of
its dates, and writing it into each format (the batch's behaviour: test_metadata_batch.py)."""

from __future__ import annotations

import io
import struct
import zlib
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, PngImagePlugin, TiffImagePlugin

from docclean.io import PageWriter, write_page
from docclean.metadata import MAX_TEXT, Fields, Metadata, read_metadata
from docclean.metadates import (
    exif_offset,
    parse_exif_date,
    parse_pdf_date,
    parse_text_date,
    pdf_date,
    png_date,
)
from docclean.metawrite import SOFTWARE, pdf_string

PAGE = np.full((20, 16), 0.75, np.float32)
PLUS_ONE = timezone(timedelta(hours=1))


# ---- dates ------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, when", [
    ("D:2024", datetime(2024, 1, 1)),
    ("D:20240131143000", datetime(2024, 1, 31, 14, 30)),
    ("D:20240131143000Z", datetime(2024, 1, 31, 14, 30, tzinfo=timezone.utc)),
    ("D:20240131143000+01'00'", datetime(2024, 1, 31, 14, 30, tzinfo=PLUS_ONE)),
    ("20240131143000-05'30", datetime(2024, 1, 31, 14, 30, tzinfo=timezone(-timedelta(hours=5, minutes=30)))),
    ("D:20241331", None), ("last Tuesday", None), ("", None), (None, None)])
def test_pdf_dates_are_read_in_every_form_the_specification_allows(text: str | None, when: datetime | None) -> None:
    assert parse_pdf_date(text) == when


@pytest.mark.parametrize("when", [datetime(1887, 5, 6, 7, 8, 9), datetime(2024, 1, 31, 14, 30, tzinfo=PLUS_ONE),
                                  datetime(2024, 1, 31, tzinfo=timezone(-timedelta(hours=3, minutes=30)))])
def test_pdf_and_png_dates_come_back_as_they_were_written(when: datetime) -> None:
    assert parse_pdf_date(pdf_date(when)) == when
    assert parse_text_date(png_date(when)) == when


def test_exif_dates_take_their_zone_from_the_offset_tag() -> None:
    assert parse_exif_date("2024:01:31 14:30:00", "+01:00") == datetime(2024, 1, 31, 14, 30, tzinfo=PLUS_ONE)
    assert parse_exif_date("2024:01:31 14:30:00") == datetime(2024, 1, 31, 14, 30)
    assert parse_exif_date("0000:00:00 00:00:00") is None and parse_exif_date("    :  :     :  :  ") is None
    assert parse_exif_date(20240131) is None
    assert exif_offset(datetime(2024, 1, 1, tzinfo=PLUS_ONE)) == "+01:00" and exif_offset(datetime(2024, 1, 1)) is None


@pytest.mark.parametrize("text", ["Wed, 31 Jan 2024 14:30:00 +0100", "2024-01-31T14:30:00+01:00",
                                  "D:20240131143000+01'00'"])
def test_a_png_creation_time_is_read_in_the_forms_software_writes(text: str) -> None:
    assert parse_text_date(text) == datetime(2024, 1, 31, 14, 30, tzinfo=PLUS_ONE)


def test_pdf_strings_escape_what_must_be_and_go_to_utf16_beyond_ascii() -> None:
    assert pdf_string(r"a (b) \c") == rb"(a \(b\) \\c)"
    assert pdf_string("Zoë") == b"<FEFF005A006F00EB>"
    assert pdf_string("line\nbreak").startswith(b"<FEFF")  # no raw control characters in a literal


# ---- reading ----------------------------------------------------------------------------------

def _tiff(path: Path, *pages: dict[int, tuple[object, int]]) -> Path:
    with open(path, "w+b") as fh, TiffImagePlugin.AppendingTiffWriter(fh) as tiff:
        for tags in pages:
            ifd = TiffImagePlugin.ImageFileDirectory_v2()
            for tag, (value, kind) in tags.items():
                ifd[tag], ifd.tagtype[tag] = value, kind
            Image.new("L", (16, 20), 200).save(tiff, "TIFF", tiffinfo=ifd, compression="tiff_adobe_deflate")
            tiff.newFrame()
    return path


def test_a_tiff_whose_pages_say_the_same_is_one_document(tmp_path: Path) -> None:
    same = {269: (b"Ledger", 2)}
    meta = read_metadata(_tiff(tmp_path / "a.tif", same, same, same))
    assert meta.pages == () and meta.document.title == "Ledger" and meta.page(2).title == "Ledger"
    meta = read_metadata(_tiff(tmp_path / "b.tif", {285: (b"one", 2)}, {285: (b"two", 2)}))
    assert [p.page_name for p in meta.pages] == ["one", "two"] and meta.only(1).document.page_name == "two"


def test_an_xmp_block_that_turns_the_page_is_not_carried(tmp_path: Path) -> None:
    turned = b'<x:xmpmeta><rdf:Description tiff:Orientation="6"/></x:xmpmeta>'
    upright = b"<x:xmpmeta><tiff:Orientation>1</tiff:Orientation></x:xmpmeta>"
    assert read_metadata(_tiff(tmp_path / "a.tif", {700: (turned, 1)})).document.xmp is None
    assert read_metadata(_tiff(tmp_path / "b.tif", {700: (upright, 1)})).document.xmp == upright


def test_an_iptc_block_typed_long_comes_back_byte_for_byte(tmp_path: Path) -> None:
    """Photoshop types it LONG (padded to whole LONGs), which Pillow decodes to its first number."""
    block = b"\x1c\x02\x00\x00\x02\x00\x04\x1c\x02\x05\x00\x04Test\0\0\0\0"
    data = _tiff(tmp_path / "a.tif", {33723: (block, 7)}).read_bytes()
    entry = struct.pack("<HHI", 33723, 7, len(block))  # the IFD entry: tag, type UNDEFINED, count
    assert data.count(entry) == 1
    (tmp_path / "a.tif").write_bytes(data.replace(entry, struct.pack("<HHI", 33723, 4, len(block) // 4)))
    assert read_metadata(tmp_path / "a.tif").document.iptc == block


def _png(path: Path, chunks: bytes = b"", after: bytes = b"", **texts: str) -> Path:
    buf = io.BytesIO()
    info = PngImagePlugin.PngInfo()
    for key, text in texts.items():
        info.add_text(key.replace("_", " "), text)
    Image.new("L", (16, 20), 200).save(buf, "PNG", pnginfo=info)
    data = buf.getvalue()
    path.write_bytes(data[:33] + chunks + data[33:-12] + after + data[-12:])
    return path


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def test_png_text_is_read_after_the_image_data_too_and_raw_profiles_are_left_out(tmp_path: Path) -> None:
    after = _chunk(b"tEXt", b"Author\0Ann") + _chunk(b"zTXt", b"Raw profile type exif\0\0" + zlib.compress(b"x"))
    meta = read_metadata(_png(tmp_path / "a.png", after=after, Title="T", Software="GIMP"))
    assert (meta.document.title, meta.document.author, meta.document.creator) == ("T", "Ann", "GIMP")
    assert meta.document.png_text == (("Title", "T"), ("Author", "Ann"))  # Software: docclean's, when written


def test_a_compressed_text_that_inflates_without_end_is_left_out(tmp_path: Path) -> None:
    bomb = _chunk(b"zTXt", b"Comment\0\0" + zlib.compress(b"a" * (8 * MAX_TEXT)))
    meta = read_metadata(_png(tmp_path / "a.png", chunks=bomb, Title="T"))
    assert meta.document.png_text == (("Title", "T"),)
    assert meta.problems == ("metadata: a PNG zTXt chunk left out (a text of more than 65,536 characters)",)


def test_a_text_chunk_with_a_wrong_checksum_is_left_out(tmp_path: Path) -> None:
    good = _chunk(b"tEXt", b"Author\0Ann")
    meta = read_metadata(_png(tmp_path / "a.png", after=good[:-1] + bytes([good[-1] ^ 1]), Title="T"))
    assert meta.document.author is None and "checksum" in meta.problems[0]


def test_an_unreadable_file_has_no_metadata_and_no_word_about_it(tmp_path: Path) -> None:
    (tmp_path / "a.png").write_bytes(b"not a png")
    (tmp_path / "b.pdf").write_bytes(b"%PDF-1.4 broken")
    for name in ("a.png", "b.pdf", "missing.tif"):
        assert read_metadata(tmp_path / name) == Metadata()


# ---- writing ----------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["pdf", "tiff", "png", "jpeg", "webp", "bmp"])
@pytest.mark.parametrize("pixels", [PAGE, PAGE >= 0.5], ids=["grey", "bilevel"])
def test_a_field_the_format_has_no_place_for_writes_the_same_bytes_as_none(tmp_path: Path, fmt: str,
                                                                         pixels: np.ndarray) -> None:
    """Nor does docclean name itself there: only an output that carries something says Software."""
    placeless = Fields(page_name="folio 1") if fmt == "pdf" else Fields(creator="Epson Scan 2")
    write_page(tmp_path / "a", pixels, (150.0, 150.0), fmt=fmt)
    write_page(tmp_path / "b", pixels, (150.0, 150.0), fmt=fmt, metadata=Metadata(placeless))
    assert (tmp_path / "a").read_bytes() == (tmp_path / "b").read_bytes()


@pytest.mark.parametrize("fmt", ["tiff", "png"])
def test_bilevel_pages_carry_metadata_too(tmp_path: Path, fmt: str) -> None:
    """1-bit pages go through other encoders (TIFF group 4, Pillow's PNG)."""
    write_page(tmp_path / "a", PAGE >= 0.5, None, fmt=fmt, metadata=Metadata(Fields(title="Zoë's ledger")))
    back = read_metadata(tmp_path / "a").document if fmt == "tiff" else None
    with Image.open(tmp_path / "a") as im:
        assert im.mode == "1"
        if fmt == "png":
            im.load()
            assert im.text == {"Title": "Zoë's ledger", "Software": SOFTWARE}
    assert back is None or (back.title, back.creator) == ("Zoë's ledger", SOFTWARE)


def test_a_writer_given_metadata_writes_it(tmp_path: Path) -> None:
    with PageWriter(tmp_path / "a.tif", metadata=Metadata(Fields(author="Ann"))) as writer:
        writer.add(PAGE, None)
    assert read_metadata(tmp_path / "a.tif").document.author == "Ann"
