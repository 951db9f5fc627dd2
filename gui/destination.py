"""Whether an export folder needs the user's word before the batch writes into it.

A file dialog's slip (``-o /``, the home folder, a folder of someone's documents) must not spray
cleaned pages among other files. An export into a new or empty folder, or again into the folder an
earlier export of these same inputs filled, goes ahead at once; one into the root or the home
folder, or into a folder holding anything else, is asked about first (:func:`export_concern`).

An earlier export is recognised by what ``docclean clean INPUTS -o OUTPUT`` writes there: the
outputs it plans for these inputs (``docclean.discover``), in any format docclean writes (an
export as TIFF after one as PNG), the page files of a multi-page source
in a one-page format (``NAME-p001.png``, ``docclean.plan.page_owner``), and its own bookkeeping:
the lock (``.docclean.lock``), half-written files (``.NAME.docclean-PID-HEX.part``), the finished
pages of an interrupted multi-page file (``.NAME.docclean-pages/``) and a cluster run's staging
folder. The batch writes no report here unless asked, so these are all it leaves.

Finding what an export plans walks the input folders (tens of thousands of scans, a slow network
share): :class:`DestinationCheck` asks on a thread of its own, with the page list for the new
export folder, and the window asks the user once it answers (``gui.saving``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from docclean import formats
from docclean.discover import discover, input_folder, path_key
from docclean.outputs import is_bookkeeping
from docclean.places import user_path
from docclean.plan import page_owner
from docclean.walk import Stop, check_stop
from gui.answering import Answering
from gui.pages import listed_files

#: Files named in the question, at most; the walk stops there (a big folder is not read through).
EXAMPLES = 3


def export_concern(inputs: list[Path], output: Path, fmt: str | None, stop: Stop | None = None) -> str | None:
    """Why exporting ``inputs`` into ``output`` (``fmt``: the export format) should be confirmed
    first, in a sentence; None when it can go ahead: ``output`` does not exist, is empty, or holds
    only what an earlier export of these inputs wrote. An output the batch refuses anyway (an
    input folder, a file) is left to it, with its own message. ``stop()``: asked as the folders
    are walked; True raises ``docclean.errors.Cancelled``."""
    folder = user_path(output)
    key = path_key(folder)
    if key == Path(key.anchor):
        return f"{folder} is the root of the file system"
    if key == path_key(Path.home()):
        return f"{folder} is your home folder"
    if not folder.is_dir() or any(_is_input_folder(item, key) for item in inputs):
        return None
    jobs = discover([str(i) for i in inputs], folder, fmt, stop=stop)
    planned = {_stem(job.target) for job in jobs if job.error is None}
    others = _foreign(folder, planned, stop)
    if not others:
        return None
    names = ", ".join(str(p.relative_to(folder)) for p in others[:EXAMPLES])
    return (f"{folder} already holds files that are not earlier exports of these pages "
            f"(such as {names})")


class DestinationCheck(Answering):
    """:func:`export_concern` for exporting ``inputs`` into ``output``, and the page list of the
    ``opened`` items with that export folder (``gui.pages.listed_files``), both off the UI thread.
    When done it sets ``concern``, ``listing`` or ``error`` (why it could not tell) and emits
    ``answered``. :meth:`stop` (closing the window) drops its answer and ends its walks at their
    next file."""

    def __init__(self, inputs: list[Path], output: Path, fmt: str | None, opened: list[Path],
                 parent: Any = None) -> None:
        super().__init__(parent)
        self.inputs, self.output, self.fmt, self.opened = list(inputs), Path(output), fmt, list(opened)
        self.concern: str | None = None
        self.listing: tuple[list[Path], list[str]] | None = None

    def work(self) -> None:
        """Whether the folder is a risky place, and the page list with it as the export folder."""
        self.concern = export_concern(self.inputs, self.output, self.fmt, self.stop_asked)
        self.listing = listed_files(self.opened, self.output, stop=self.stop_asked)

    def failure(self, exc: Exception) -> str:
        return f"{self.output}: could not check the export folder: {type(exc).__name__}: {exc}"


def _is_input_folder(item: Path, key: Path) -> bool:
    folder = input_folder(str(item))
    return folder is not None and path_key(folder) == key


def _foreign(folder: Path, planned: set[Path], stop: Stop | None = None) -> list[Path]:
    """Up to :data:`EXAMPLES` entries below ``folder`` that an export of the planned outputs would
    not have written (a link or an unreadable folder counts: it is not ours either)."""
    found: list[Path] = []
    pending = [folder]
    while pending and len(found) < EXAMPLES:
        check_stop(stop)
        current = pending.pop()
        try:
            entries = sorted(os.scandir(current), key=lambda e: e.name)
        except OSError:
            found.append(current)
            continue
        for entry in entries:
            path = Path(entry.path)
            if is_bookkeeping(entry.name):
                continue
            if entry.is_dir(follow_symlinks=False):
                pending.append(path)
            elif not _planned(path, planned):
                found.append(path)
            if len(found) >= EXAMPLES:
                break
    return found


def _stem(path: Path) -> Path:
    """A planned output's identity whatever the format: its resolved path without the suffix."""
    return path_key(path).with_suffix("")


def _planned(path: Path, planned: set[Path]) -> bool:
    """Whether ``path`` is a planned output (in a format docclean writes), or one page file of one."""
    kind = formats.by_suffix(path)
    if kind is None or not kind.writable:
        return False
    owner = page_owner(path.name)
    return _stem(path) in planned or (owner is not None and _stem(path.with_name(owner)) in planned)
