"""The CLI's progress view: the bar's total drops by the pages a failed file will never clean,
counted per file (a file can be settled after the next one started, and Ray interleaves files);
decoders' warnings are shown only with --verbose."""

from __future__ import annotations

import io
import json
import struct
import sys
import warnings
import zlib
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from PIL import Image
from rich.console import Console
from typer.testing import CliRunner

from cli.clean_view import RichCleanProgress
from docclean.report import CLEANED, FAILED, FileResult, PageResult


def _view() -> RichCleanProgress:
    console = Console(file=io.StringIO(), force_terminal=True, width=100)
    return RichCleanProgress(console, Console(file=io.StringIO()))


def _job(name: str) -> SimpleNamespace:
    return SimpleNamespace(source=Path(name))


def test_a_failed_file_takes_only_its_own_missing_pages_off_the_total() -> None:
    view = _view()
    view.on_start(3, 9)
    a, b = _job("a.tif"), _job("b.tif")
    view.on_file_start(a, 3)
    for i in range(3):
        view.on_page_done(a, PageResult(i, CLEANED))
    view.on_file_start(b, 4)  # a's writes still run: its result comes after b started
    view.on_page_done(b, PageResult(0, CLEANED))
    view.on_file_done(FileResult(Path("a.tif"), status=FAILED, error="a.tif: disk"))  # all its pages were cleaned
    assert view._progress.tasks[0].total == 9
    view.on_file_done(FileResult(Path("b.tif"), status=FAILED, error="b.tif: broken page 2"))
    assert view._progress.tasks[0].total == 6  # b's 3 pages that never came
    view._progress.stop()


def _png_with_corrupt_exif(path: Path) -> Path:
    """A good 56x40 grey PNG whose eXIf chunk announces five EXIF tags but holds a third of one:
    Pillow decodes the page and warns "Corrupt EXIF data"."""
    buf = io.BytesIO()
    Image.fromarray(np.random.default_rng(2).integers(0, 256, (56, 40), dtype=np.uint8)).save(buf, "PNG")
    data = buf.getvalue()
    exif = b"MM\x00\x2a\x00\x00\x00\x08" + b"\x00\x05" + b"\x01\x12\x00\x03"
    chunk = struct.pack(">I", len(exif)) + b"eXIf" + exif + struct.pack(">I", zlib.crc32(b"eXIf" + exif))
    ihdr_end = 8 + 8 + 13 + 4  # signature, IHDR length+type, IHDR data, CRC
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data[:ihdr_end] + chunk + data[ihdr_end:])
    return path


def _print_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """What Python does with a warning outside pytest (which records them instead): print it."""
    sys.stderr.write(warnings.formatwarning(message, category, filename, lineno, line))


@pytest.mark.parametrize("verbose", [False, True], ids=["quiet", "verbose"])
def test_decoder_warnings_are_shown_only_with_verbose(tmp_path: Path, tiny_model_path: Path, verbose: bool) -> None:
    from cli.main import app

    source = _png_with_corrupt_exif(tmp_path / "in" / "a.png")
    args = ["clean", str(tmp_path / "in"), "-o", str(tmp_path / "out"), "--model", str(tiny_model_path),
            "--device", "cpu", "--ink-warning", "1", "--report", str(tmp_path / "r.json"), *(["-v"] if verbose else [])]
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        warnings.showwarning = _print_warning  # a warning that escapes the batch would be output
        result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    kept = json.loads((tmp_path / "r.json").read_text())["files"][0]["warnings"]
    assert [w for w in kept if "Corrupt EXIF data" in w] == [kept[0]]  # kept per file in the report either way
    shown = [line for line in result.output.splitlines() if "Corrupt EXIF" in line]
    assert shown == ([f"warning: {source}: {kept[0]}"] if verbose else [])


def test_the_summary_rate_is_of_the_time_printed_beside_it() -> None:
    from cli.clean_view import summary
    from docclean.report import Report

    pages = [PageResult(i, CLEANED, seconds=0.1) for i in range(4)]  # 0.4 s of cleaning: 10 pages/s of work
    report = Report(files=[FileResult(Path("a.tif"), Path("o/a.tif"), CLEANED, pages=pages)], seconds=8.0)
    assert "4 pages in 8.0s (0.50 pages/s)" in summary(report)


def test_pages_kept_as_page_files_are_counted_in_the_skipped_note() -> None:
    from cli.clean_view import skipped_line
    from docclean.report import SKIPPED, Report

    def file(name: str, target: str, statuses: list[str], status: str = CLEANED) -> FileResult:
        pages = [PageResult(i, s) for i, s in enumerate(statuses)]
        return FileResult(Path(name), [Path(target)] if status != SKIPPED else [], status, pages)

    split = file("m.tif", "out/m-p002.png", [SKIPPED, CLEANED, SKIPPED])  # two page files were there
    resumed = file("r.pdf", "out/r.pdf", [SKIPPED, CLEANED])  # kept in its work folder: settings matched
    whole = file("a.png", "out/a.png", [SKIPPED], SKIPPED)
    assert skipped_line(Report(files=[split])) == (
        "note: 2 pages kept: their page files are already there (from an earlier run, perhaps with other "
        "settings); --overwrite cleans them again")
    assert skipped_line(Report(files=[split, whole, resumed])) == (
        "note: 1 skipped and 2 pages kept: their outputs are already there (from an earlier run, perhaps with "
        "other settings); --overwrite cleans them again")
    assert skipped_line(Report(files=[resumed])) is None
    assert skipped_line(Report(files=[whole])).startswith("note: 1 skipped: its output is already there")


def test_a_terminal_shows_the_files_being_found_then_checked_then_the_pages() -> None:
    view = _view()
    with view:
        assert [t.description for t in view._progress.tasks] == ["finding files"]
        view.on_plan(5, 10)
        checking = view._progress.tasks
        assert [(t.completed, t.total) for t in checking] == [(5, 10)]
        view.on_plan(9, 10)
        assert view._progress.tasks[0].completed == 9  # the same display moves on
        view.on_start(10, 12)
        assert [(t.description, t.total) for t in view._progress.tasks] == [("cleaning", 12)]
    assert view._progress is None
    quiet = RichCleanProgress(Console(file=io.StringIO(), force_terminal=True), Console(file=io.StringIO()),
                              quiet=True)
    with quiet:
        quiet.on_plan(1, 2)
        assert quiet._progress is None  # --quiet: nothing drawn
    piped = RichCleanProgress(Console(file=io.StringIO()), Console(file=io.StringIO()))
    with piped:
        piped.on_plan(1, 2)
        piped.on_start(2, 2)
        assert piped._progress is None  # stderr is no terminal: no live display to clutter a log



def test_an_input_folder_s_files_of_other_types_are_said_without_verbose(tmp_path: Path, tiny_model_path: Path) -> None:
    from cli.main import app

    folder = tmp_path / "in"
    folder.mkdir()
    Image.new("L", (40, 30), 200).save(folder / "a.png")
    (folder / "b.gif").write_bytes(b"GIF89a")
    result = CliRunner().invoke(app, ["clean", str(folder), "-o", str(tmp_path / "out"), "--model",
                                      str(tiny_model_path), "--device", "cpu", "-q"])
    assert result.exit_code == 0, result.output
    assert f"warning: {folder}: 1 file of another type (.gif) left out: docclean does not read them" \
        in result.output.splitlines()


def test_a_stopped_run_says_how_many_files_it_never_reached() -> None:
    from cli.clean_view import stopped_line
    from docclean.report import Report

    full = "the disk is full ([Errno 28] No space left on device); stopped, outputs written so far are kept"
    report = Report(files=[FileResult(Path("a.png"), status=CLEANED)], stopped=full,
                    not_reached=[Path("b.png"), Path("c.png")])
    assert stopped_line(report) == f"error: {full}; 2 files not reached"
    report.interrupted, report.stopped = True, "interrupted"
    assert stopped_line(report).startswith("interrupted after 1 cleaned file, 2 not reached; finished outputs are kept")
    report.not_reached = []  # the run stopped on its last file: nothing more to say
    assert stopped_line(report).startswith("interrupted after 1 cleaned file; finished outputs are kept")


def test_the_binarize_warning_is_worded_for_whichever_formats_the_engine_names() -> None:
    """The CLI worded only the engine's JPEG warning its own way (the flag, the --format to add)."""
    from itertools import combinations

    from cli.clean_view import settings_line
    from docclean import formats
    from docclean.progress import BinarizedWarning

    for n in range(1, len(formats.NO_ONE_BIT) + 1):
        for fmts in combinations(formats.NO_ONE_BIT, n):
            line = settings_line(BinarizedWarning(fmts))
            assert line.startswith(f"warning: --binarize: {formats.named(fmts)} cannot hold 1-bit pages"), line
            assert line.endswith("add --format png (or tiff, bmp, pdf) for 1-bit pages"), line
    webp = settings_line(BinarizedWarning((formats.by_name("webp"),)))
    assert "WebP" in webp and "JPEG" not in webp and "fringes" not in webp
    assert settings_line("some other word") == "warning: some other word"
