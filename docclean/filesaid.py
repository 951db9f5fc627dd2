"""What a file's record says besides its status: the warnings of its pages (ink lost, a layer of
ink dropped) and those caught while it was read, cleaned and its metadata taken, each told to the
progress as it is added (the CLI prints it, the desktop app shows it, the report keeps it). Used
by ``docclean.filerun`` for the batch, by the hot folder's record (``docclean.watchscan``) and by
the desktop app (``gui.caught``), so all say the same words."""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from pathlib import Path

from docclean.metadata import Metadata, read_metadata
from docclean.postprocess import layer_warning
from docclean.progress import WARN_DECODER, WARN_INPUT, CleanProgress, InputWarning
from docclean.report import FileResult, PageResult, ink_loss_text, ink_warns
from docclean.settings import CleanSettings

#: At most this many warnings are recorded for one file (a damaged file can raise one per strip).
MAX_WARNINGS = 20


def page_warnings(page: PageResult, settings: CleanSettings) -> list[str]:
    """What to tell the user about a cleaned page, before anything else: cleaning removed more of
    its dark strokes than ``settings.ink_warning``, or ``--remove-show-through`` dropped a layer."""
    said = []
    if page.ink_loss is not None and ink_warns(page.ink_loss, settings.ink_warning):
        said.append(f"page {page.index + 1}: cleaning removed {ink_loss_text(page.ink_loss, settings.ink_warning)} of "
                    "the dark strokes; check this page")
    if layer_warning(page.show_through):
        said.append(f"page {page.index + 1}: --remove-show-through turned a lighter layer of ink "
                    f"({page.show_through:.1%} of it) to paper; check that it showed through from the other side")
    return said


def file_metadata(source: Path, progress: CleanProgress, result: FileResult) -> Metadata:
    """The source's metadata; a block of it that cannot be read is left out and told as a decoder
    warning (shown with --verbose): metadata never fails a file."""
    metadata = read_metadata(source)
    for problem in metadata.problems:
        warn(progress, result, problem, WARN_DECODER)
    return metadata


def warn(progress: CleanProgress, result: FileResult, message: str, kind: str = WARN_DECODER) -> None:
    result.warnings.append(message)
    progress.on_warning(str(result.source), message, kind)


def warning_texts(caught: Iterable[warnings.WarningMessage]) -> list[tuple[str, str]]:
    """What the record of a file says for the warnings ``caught`` while it was read and cleaned,
    as (text, kind), each once, in order: a reader's own :class:`InputWarning` (a PDF's text
    layer not kept, a damaged page) as it is, kind WARN_INPUT; a library's (Pillow, libtiff) named
    by its category, kind WARN_DECODER (the CLI shows those only with --verbose). The desktop app
    shows a page's WARN_INPUT ones with its preview."""
    said: dict[str, str] = {}
    for w in caught:
        own = issubclass(w.category, InputWarning)
        text = " ".join((str(w.message) if own else f"{w.category.__name__}: {w.message}").split())
        said.setdefault(text, WARN_INPUT if own else WARN_DECODER)
    return list(said.items())


def record_warnings(progress: CleanProgress, result: FileResult, caught: list[warnings.WarningMessage]) -> None:
    """Library warnings (Pillow, libtiff) become part of the file's record instead of output
    (:func:`warning_texts`), at most :data:`MAX_WARNINGS` a file."""
    for text, kind in warning_texts(caught):
        if len(result.warnings) >= MAX_WARNINGS:
            break
        warn(progress, result, text, kind)
