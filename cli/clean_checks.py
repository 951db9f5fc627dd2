"""What ``docclean clean`` checks and says about its command line before any work.

The engine (``docclean.batch``) refuses what cannot work for every face, and warns about
binarized pages into JPEG; these are the CLI's own words about its flags: a ``--report`` path the
run would make a folder, an ``-o`` name that looks like a file but is made a folder, and (after the
run) a ``--dpi`` that had no PDF to apply to. Paths only: nothing is listed beyond the input folders' own names, and
nothing is opened.
"""

from __future__ import annotations

import re
from pathlib import Path

from cli.errors import shown
from docclean import formats
from docclean.cluster import uses_storage
from docclean.discover import input_folder, path_key
from docclean.errors import UsageError
from docclean.places import user_path
from docclean.report import Report, check_report_path

#: What a file ending looks like: a few letters (``.txt``, ``.json``, ``.docx``). ``scans.v2`` and
#: ``backup.2024`` end in what reads as a version or a date, a folder's name.
_FILE_ENDING = re.compile(r"\.[A-Za-z]{1,5}")
_GIVE_A_FILE = "give a file name such as report.json"


def check_report_target(report: Path | None, output: str | Path, inputs: list[str]) -> None:
    """UsageError, before any work, for a ``--report`` path that cannot be a file, named as
    ``docclean.report.check_report_path`` names them, and one that does not exist yet but that the
    run will make a folder: the output folder itself, a folder on the way to it, or a folder it
    mirrors from an input folder (the report would be lost after the whole batch)."""
    check_report_path(report)
    if report is None or uses_storage(inputs, output):
        return
    key, out = path_key(user_path(report)), path_key(user_path(output))
    if key == out:
        raise UsageError(f"the report path is the output folder (-o); {_GIVE_A_FILE}", report, settings=("report",))
    if out.is_relative_to(key):
        raise UsageError(f"the report path is a folder the output goes in; {_GIVE_A_FILE}", report,
                         settings=("report",))
    if key.is_relative_to(out):
        inside = key.relative_to(out)
        for item in inputs:
            folder = input_folder(item)
            if folder is not None and (folder / inside).is_dir():
                raise UsageError(f"the report path is a folder the output will hold (it mirrors "
                                 f"{folder / inside}); {_GIVE_A_FILE}", report, settings=("report",))


def folder_note(inputs: list[str], output: str | Path, dry_run: bool = False) -> str | None:
    """A note when ``-o`` does not exist yet, one input file is given, and its name ends like a
    file, but in no format docclean writes (``-o clean.txt``): docclean makes it a folder and puts
    the output in it, where the user may have meant a file. ``.gif`` and other image endings are
    refused (``docclean.plan.check_output``); a name that ends in a version (``scans.v2``) is left
    alone. None when there is nothing to say."""
    out = user_path(output)
    suffix = out.suffix
    if (uses_storage(inputs, output) or not _FILE_ENDING.fullmatch(suffix) or formats.by_suffix(out) is not None
            or suffix.lower() in formats.OTHER_IMAGE_SUFFIXES or out.exists() or out.is_symlink()):
        return None
    if len(inputs) != 1 or not user_path(inputs[0]).is_file():
        return None
    endings = ", ".join(f.suffix for f in formats.FORMATS if f.writable)
    made = "would be made" if dry_run else "is made"
    return (f"note: {shown(out)} {made} as a folder with the output in it (docclean writes no {suffix} files); "
            f"to write one file, end the name with one of {endings}")


def dpi_note(report: Report, dpi: float | None) -> str | None:
    """A note when ``--dpi`` was given but no input of the run was a PDF: the option renders PDF
    pages and changes nothing else, so a user who meant it to resample scans (or to record a
    resolution) is told it did nothing. None when there is nothing to say (no ``--dpi``, a PDF among
    the inputs, or no input at all)."""
    pdf = formats.by_name("pdf")
    if dpi is None or not report.files or any(formats.by_suffix(f.source) is pdf for f in report.files):
        return None
    return (f"note: --dpi {dpi:g} changed nothing: it is the resolution PDF pages are rendered at, and no input "
            "was a PDF (images are cleaned at their own resolution)")
