"""One-line failure reasons of the batch plan (docclean.plan.describe)."""

from pathlib import Path

from docclean.errors import InputError
from docclean.plan import describe


def test_a_reason_is_one_line_and_the_file_keeps_its_real_name(tmp_path: Path) -> None:
    odd = tmp_path / "two  spaces\nand a newline.png"  # a name that is no other file's
    said = describe(odd, InputError("not an image\n(content not recognised)", odd))
    assert said == f"{odd}: not an image (content not recognised)"
    assert describe(odd, ValueError("bad\nthing")) == f"{odd}: unexpected error: ValueError: bad thing"
