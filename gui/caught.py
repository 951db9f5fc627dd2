"""The warnings the engine raises about a page, kept with the page on the app's own threads instead of
printed on the terminal.

The readers warn (``warnings.warn``) about a page they decode but that the user must check: a group 4
page whose data libtiff reports damaged, a PDF page without a size drawn on US Letter paper, a PDF's
text layer not kept (:class:`docclean.progress.InputWarning`). The batch keeps them in the file's
record (``docclean.overlap.WarningRouter``, ``docclean.filerun._record_warnings``); the preview
(``gui.worker``) and thumbnail (``gui.pagemodel``) threads keep them too (:func:`collecting`), so the
window can show them with the page (:func:`input_warnings`: the batch's words, those the CLI prints
without ``--verbose``); on the terminal nobody looks.

Python's warning state is global: ``warnings.catch_warnings`` on one thread changes it for every
thread, and two of them left in another order than entered leave a stale state behind. So no thread
of the app enters one of its own: :func:`install` puts one routing ``warnings.showwarning`` in place
(on the UI thread, before the threads start; again whenever a thread starts collecting and finds it
gone, as after a test's ``catch_warnings``); a thread that collects gets its warnings in its own
list, any other thread's are shown as before. A ``catch_warnings`` entered later (the batch's router
in an export, a reader's own) saves it and puts it back, and the batch's router hands it the
warnings of the threads it does not collect for.
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any, TextIO

from docclean.progress import InputWarning

__all__ = ["MAX_WARNINGS", "collecting", "input_warnings", "install", "joined"]

#: Warnings kept per page at most: the batch keeps 20 a file (``docclean.filerun``).
MAX_WARNINGS = 20

_local = threading.local()  # ``sink``: the list this thread's warnings go to, if it collects
_lock = threading.Lock()


class _Route:
    """A ``warnings.showwarning`` that puts a warning into the list of the thread that raised it,
    where that thread collects, else hands it to the one it replaced (each install its own: a
    router that ``catch_warnings`` put back still hands on to what it replaced, never to itself)."""

    def __init__(self, previous: Any) -> None:  # noqa: ANN401 - whatever showwarning was
        self.previous = previous

    def __call__(self, message: Warning | str, category: type[Warning], filename: str, lineno: int,
                 file: TextIO | None = None, line: str | None = None) -> None:
        sink = getattr(_local, "sink", None)
        if sink is None:
            self.previous(message, category, filename, lineno, file, line)
        else:
            sink.append(warnings.WarningMessage(message, category, filename, lineno, file, line))


def install() -> None:
    """Route warnings to the threads that collect them (:func:`collecting`), if that is not done
    already. An "always" filter for :class:`InputWarning`: by default Python shows a warning once
    per place in the code, so a page read again (after Reload) would have lost its warning."""
    with _lock:
        if not isinstance(warnings.showwarning, _Route):
            warnings.showwarning = _Route(warnings.showwarning)
        if not any(action == "always" and category is InputWarning
                   for action, _, category, *_ in warnings.filters):
            warnings.filterwarnings("always", category=InputWarning)


@contextmanager
def collecting() -> Iterator[list[warnings.WarningMessage]]:
    """Every warning this thread raises meanwhile goes into the list yielded, none is printed."""
    install()
    caught: list[warnings.WarningMessage] = []
    previous = getattr(_local, "sink", None)
    _local.sink = caught
    try:
        yield caught
    finally:
        _local.sink = previous


def input_warnings(caught: Iterable[warnings.WarningMessage]) -> tuple[str, ...]:
    """What of ``caught`` the batch reports about its file and the CLI prints without ``--verbose``
    (``docclean.filerun._record_warnings``): each :class:`InputWarning`'s message on one line, once,
    in order, at most :data:`MAX_WARNINGS`. A library's own warnings (Pillow's, libtiff's) stay out,
    as the CLI shows them only with ``--verbose``."""
    said = (" ".join(str(w.message).split()) for w in caught if issubclass(w.category, InputWarning))
    return tuple(dict.fromkeys(said))[:MAX_WARNINGS]


def joined(*groups: Iterable[str]) -> tuple[str, ...]:
    """The warnings of ``groups``, each once, in order (the file's, then the page's)."""
    return tuple(dict.fromkeys(text for group in groups for text in group))[:MAX_WARNINGS]
