"""The warnings the engine raises about a page, kept with the page on the app's own threads instead of
printed on the terminal.

The readers warn (``warnings.warn``) about a page they decode but that the user must check: a group 4
page whose data libtiff reports damaged, a PDF page without a size drawn on US Letter paper, a PDF's
text layer not kept (:class:`docclean.progress.InputWarning`). The batch keeps them in the file's
record (``docclean.overlap.WarningRouter``, ``docclean.filesaid.record_warnings``). The app reads a
page alone (``docclean.io.read_page_with_warnings``), and the engine hands back what was warned of
that page apart from what was warned of its file; :func:`read_warnings` words them for the preview
(``gui.previews``) and the page list (``gui.thumbs``) alike: the batch's words, those the CLI prints
without ``--verbose`` (:func:`input_warnings`), a multi-page file's own marked as the file's and said
with its first page only. What cleaning a page warns is kept by the preview thread
(:func:`collecting`, ``gui.worker``); on the terminal nobody looks.

Python's warning state is one per process, so no thread of the app enters a ``catch_warnings`` of
its own: :func:`install` puts ``docclean.warnroute``'s routing ``showwarning`` in place (on the UI
thread, before the threads start; again whenever a thread starts collecting and finds it gone, as
after a test's ``catch_warnings``), the one the batch's own threads use in an export; a thread that
collects gets its warnings in its own list, any other thread's are shown as before.
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from docclean import filesaid, warnroute
from docclean import io as pageio
from docclean.io import PageRead
from docclean.progress import WARN_INPUT, InputWarning

__all__ = ["MAX_WARNINGS", "OF_FILE", "collecting", "input_warnings", "install", "joined", "read_page",
           "read_warnings"]

#: Warnings kept per page at most, as the batch keeps them per file.
MAX_WARNINGS = filesaid.MAX_WARNINGS
#: Before a warning of a multi-page file's own (said with its first page): it is no more that page's
#: than any other's.
OF_FILE = "the whole file: "

_lock = threading.Lock()


def install() -> None:
    """Route warnings to the threads that collect them (``docclean.warnroute``), and an "always"
    filter for :class:`InputWarning`: by default Python shows a warning once per place in the code,
    so a page read again (after Reload) would have lost its warning."""
    warnroute.install()
    with _lock:
        if not any(action == "always" and category is InputWarning
                   for action, _, category, *_ in warnings.filters):
            warnings.filterwarnings("always", category=InputWarning)


@contextmanager
def collecting() -> Iterator[list[warnings.WarningMessage]]:
    """Every warning this thread raises meanwhile goes into the list yielded, none is printed."""
    install()
    with warnroute.collecting() as caught:
        yield caught


def input_warnings(caught: Iterable[warnings.WarningMessage]) -> tuple[str, ...]:
    """What of ``caught`` the batch reports about its file and the CLI prints without ``--verbose``:
    the engine's words for it (``docclean.filesaid.warning_texts``), its reader's own warnings only
    (a library's, Pillow's or libtiff's, the CLI shows only with ``--verbose``), at most
    :data:`MAX_WARNINGS`."""
    return tuple(text for text, kind in filesaid.warning_texts(caught) if kind == WARN_INPUT)[:MAX_WARNINGS]


def joined(*groups: Iterable[str]) -> tuple[str, ...]:
    """The warnings of ``groups``, each once, in order (the file's, then the page's)."""
    return tuple(dict.fromkeys(text for group in groups for text in group))[:MAX_WARNINGS]


def read_warnings(read: PageRead, pages: int | None) -> tuple[str, ...]:
    """What the app says of the page ``read`` (``docclean.io.read_page_with_warnings``, which hands
    back its file's warnings where asked: with page 1): the file's, marked :data:`OF_FILE` unless the
    file has the one page (``pages``: those it was listed with; None: not known), then the page's own,
    each in :func:`input_warnings`' words."""
    of_file = input_warnings(read.file_warnings)
    if pages != 1:
        of_file = tuple(OF_FILE + text for text in of_file)
    return joined(of_file, input_warnings(read.warnings))


def read_page(path: str | Path, index: int, pages: int | None, *, dpi: float | None = None,
              max_pixels: int = pageio.MAX_PIXELS) -> tuple[pageio.Page, tuple[str, ...]]:
    """Page ``index`` of ``path`` read alone, as the preview and the thumbnails read it, and what the
    app says of it (:func:`read_warnings`: its own warnings and, with page 1, its file's).
    ``pages``: the pages it was listed with. Every reader warning is heard (:func:`install`)."""
    install()
    read = pageio.read_page_with_warnings(path, index, dpi=dpi, max_pixels=max_pixels, of_file=index == 0)
    return read.page, read_warnings(read, pages)
