"""The ink guard's rule and figure, shared by the CLI's warnings, the report and the desktop app;
the JSON report's file names."""

from pathlib import Path

import pytest

from docclean.filesaid import page_warnings
from docclean.report import CLEANED, FileResult, PageResult, Report, ink_loss_text, ink_warns
from docclean.settings import CleanSettings


@pytest.mark.parametrize(("loss", "limit", "warns", "text"), [
    (0.23, 0.10, True, "23%"),
    (0.10004, 0.10, False, "10%"),  # the report's 4 decimals: 0.1000, not above
    (0.1004, 0.10, True, "10.04%"),  # "10%" would read as not above 10%
    (0.0004, 0.0, True, "0.04%"),
    (0.0, 0.0, False, "0%"),
    (0.0251, 0.025, True, "3%"),
    (0.024, 0.025, False, "2%"),
])
def test_the_ink_rule_and_its_figure_agree(loss: float, limit: float, warns: bool, text: str) -> None:
    assert ink_warns(loss, limit) is warns
    assert ink_loss_text(loss, limit) == text


def test_the_cli_warning_names_a_figure_above_the_limit() -> None:
    page = PageResult(0, CLEANED, 0.1, 0.1004)
    said = page_warnings(page, CleanSettings(ink_warning=0.10))
    assert said == ["page 1: cleaning removed 10.04% of the dark strokes; check this page"]
    assert page_warnings(PageResult(0, CLEANED, 0.1, 0.1), CleanSettings(ink_warning=0.10)) == []


def test_a_name_that_is_not_utf8_comes_back_byte_for_byte_from_the_json(tmp_path: Path) -> None:
    """docs/cleaning.md's promise: ``os.fsencode`` of the name read back from the report is the name's bytes."""
    import json
    import os

    name = os.fsdecode(b"caf\xe9.png")  # Latin-1 bytes on a UTF-8 system: a lone surrogate
    report = Report(files=[FileResult(Path("scans") / name)], not_reached=[Path("scans") / name])
    report.write_json(tmp_path / "r.json")
    written = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert os.fsencode(written["files"][0]["source"]) == b"scans/caf\xe9.png"
    assert os.fsencode(written["not_reached"][0]) == b"scans/caf\xe9.png"
