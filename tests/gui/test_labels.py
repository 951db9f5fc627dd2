"""The words of the settings panel's 1-bit note (``gui.labels.one_bit_note``), taken from the one
table of formats (``docclean.formats``) as the engine's and the CLI's warnings are."""

from __future__ import annotations

from gui.labels import one_bit_note


def test_the_1_bit_note_names_the_formats_as_the_table_has_them() -> None:
    both = one_bit_note(True, None, ["jpeg", "webp", "png"])
    assert both.startswith("JPEG and WebP have no 1-bit pages")  # it said "JPEG and WEBP has"
    assert "choose PNG, TIFF, BMP or PDF (Export > Format)" in both  # every format that holds 1-bit pages
    webp = one_bit_note(True, "webp", [])
    assert webp.startswith("WebP has no 1-bit pages: the export writes 8-bit grey,") and "fringes" not in webp
    assert "8-bit grey with compression fringes" in one_bit_note(True, "jpeg", [])
    assert one_bit_note(True, "tiff", ["jpeg"]) == "" and one_bit_note(False, "jpeg", []) == ""
