"""The run-wide warning about binarized pages going into a format without 1-bit pages
(``docclean.progress.warn_settings``): said for every such format (``formats.Format.one_bit``), not
JPEG alone, naming the formats the run writes, once a run and before any page."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from docclean import formats, progress
from docclean.batch import clean_batch
from docclean.progress import WARN_SETTINGS, CleanProgress
from docclean.settings import CleanSettings

JPEG, WEBP = formats.by_name("jpeg"), formats.by_name("webp")


def binarized_warning(*fmts: formats.Format) -> str:
    return progress.BinarizedWarning(fmts)


class Warnings(CleanProgress):
    """The settings warnings told, each with how many files had started before it."""

    def __init__(self) -> None:
        self.started = 0
        self.said: list[tuple[int, str, str]] = []

    def on_file_start(self, job, pages: int) -> None:  # noqa: ANN001 - a Job
        self.started += 1

    def on_warning(self, source: str, message: str, kind: str = "decoder") -> None:
        if kind == WARN_SETTINGS:
            self.said.append((self.started, source, message))


def scans(folder: Path, *names: str) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    page = Image.fromarray(np.random.default_rng(1).integers(0, 256, (48, 40), dtype=np.uint8))
    for name in names:
        page.save(folder / name)
    return [folder / name for name in names]


def run(inputs: list[Path], out: Path, model: Path, **settings: object) -> tuple[Warnings, list[str]]:
    told = Warnings()
    report = clean_batch([str(i) for i in inputs], out, CleanSettings(model=str(model), device="cpu", threads=1,
                                                                      **settings), told)
    return told, report.warnings


def test_every_writable_format_without_1_bit_pages_is_named_and_webp_is_one() -> None:
    assert formats.NO_ONE_BIT == (JPEG, WEBP)
    assert all(f.one_bit for f in formats.ONE_BIT) and formats.by_name("png") in formats.ONE_BIT
    assert binarized_warning(WEBP).startswith("WebP cannot hold 1-bit pages")
    assert "fringes" not in binarized_warning(WEBP)  # written lossless: black and white, in 8 bits
    assert binarized_warning(JPEG) == progress.BINARIZED_JPEG and "compression fringes" in binarized_warning(JPEG)
    both = binarized_warning(JPEG, WEBP)
    assert both.startswith("JPEG and WebP cannot hold") and "written as JPEG or WebP" in both
    assert "write PNG, TIFF, BMP or PDF for 1-bit pages" in both
    for fmts in ((JPEG,), (WEBP,), (JPEG, WEBP)):
        warning = binarized_warning(*fmts)
        assert warning.formats == fmts and isinstance(warning, str)
        again = pickle.loads(pickle.dumps(warning))  # a run's report crosses processes
        assert again == warning and again.formats == fmts
        assert json.loads(json.dumps([warning])) == [str(warning)]


def test_the_formats_warned_of_are_those_the_targets_are_written_in() -> None:
    assert progress.no_one_bit(["a.png", "b.tif", "c.pdf"]) == ()
    assert progress.no_one_bit(["a.png", "b.WEBP"]) == (WEBP,)
    assert progress.no_one_bit(["x.webp", "y.jpeg", "z.webp", "w.jpg"]) == (JPEG, WEBP)  # the table's order


def test_binarized_pages_into_webp_are_warned_once_before_any_page(tmp_path: Path, tiny_model_path: Path) -> None:
    """``--binarize --format webp`` wrote 8-bit pages and said nothing: the warning spoke of JPEG only."""
    inputs = scans(tmp_path / "in", "a.png", "b.png")
    told, warnings = run(inputs, tmp_path / "out", tiny_model_path, binarize=True, fmt="webp")
    assert len(warnings) == 1 and warnings[0].startswith("WebP cannot hold 1-bit pages")
    assert told.said == [(0, "", warnings[0])] and warnings == [binarized_warning(WEBP)]
    with Image.open(tmp_path / "out" / "a.webp") as im:
        assert im.mode != "1"  # what the warning says


def test_a_run_writing_jpeg_and_webp_names_both_in_one_warning(tmp_path: Path, tiny_model_path: Path) -> None:
    scans(tmp_path / "in", "a.jpg", "b.webp", "c.png", "d.webp")
    told, warnings = run([tmp_path / "in"], tmp_path / "out", tiny_model_path, binarize=True)
    assert len(warnings) == 1 and warnings[0].startswith("JPEG and WebP cannot hold 1-bit pages")
    assert told.said == [(0, "", warnings[0])] and warnings == [binarized_warning(JPEG, WEBP)]  # once, four files


@pytest.mark.parametrize("settings", [{"binarize": True, "fmt": "png"}, {"fmt": "webp"}, {"binarize": True}])
def test_no_warning_where_the_pages_keep_1_bit_or_are_grey(tmp_path: Path, tiny_model_path: Path,
                                                           settings: dict[str, object]) -> None:
    inputs = scans(tmp_path / "in", "a.png", "b.tif")
    told, warnings = run(inputs, tmp_path / "out", tiny_model_path, **settings)
    assert told.said == [] and warnings == []
