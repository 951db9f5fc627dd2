"""What a preview depends on and what a failed one blames: pure functions of the settings.

``preview_key`` is the preview cache's key and the window's test of whether the preview shown is
still that of the panel's settings; ``fault_of`` names the settings a failure blames, so the
window can say which to change instead of "click the page" (which would fail again), and
``reason_of`` why a file failed, as the engine gives it. ``PagesChanged``: a page the list holds
that its file no longer has (rewritten with fewer pages since it was listed), blamed on the list
(:data:`LISTING`), which Reload makes again.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from docclean import formats
from docclean.errors import DocCleanError, InputError, ModelError
from docclean.plan import describe_reason
from docclean.settings import CleanSettings

__all__ = ["FILE", "LISTING", "PagesChanged", "fault_of", "preview_key", "reason_of", "renders_at_dpi"]


def renders_at_dpi(path: str | Path) -> bool:
    """Whether "PDF dpi" can change how ``path`` reads: PDF pages only (``docclean.io.read_pages``
    ignores it for raster images)."""
    return formats.by_suffix(path) is formats.by_name("pdf")


def preview_key(settings: CleanSettings, path: str | Path | None = None) -> tuple[Any, ...]:
    """What a preview's pixels depend on: :meth:`CleanSettings.pixel_key` (another export format
    keeps the previews) plus threads and batch size, which may change the rounding of
    reduced-precision kernels: a preview must equal the batch. With ``path``, a page that is no
    PDF's leaves out "PDF dpi": changing it must not clean a PNG again."""
    pixels = settings.pixel_key()
    if path is not None and not renders_at_dpi(path):
        pixels = tuple((name, None if name == "dpi" else value) for name, value in pixels)
    return (*pixels, settings.threads, settings.batch_size)


#: What :func:`fault_of` blames for a file that cannot be read: no setting, the file itself.
FILE = "<file>"
#: What :func:`fault_of` blames for a page its file no longer has: the page list, made before the
#: file changed (Reload lists it again).
LISTING = "<listing>"


class PagesChanged(InputError):
    """Page ``index`` (0-based) is not in the file, which has ``count`` pages now: fewer than when it
    was listed (rewritten on disk meanwhile)."""

    def __init__(self, index: int, count: int, path: str | Path) -> None:
        pages = f"{count} page{'s' * (count != 1)}"
        super().__init__(f"has no page {index + 1}: it has {pages} now", path)
        self.count = count


def fault_of(exc: BaseException) -> tuple[str, ...]:
    """The settings a failure blames (CleanSettings field names): the model for a model that
    cannot be loaded, those a UsageError names (a device or backend not there); :data:`FILE` for
    a file that cannot be read (truncated, not an image), which fails again until it changes;
    :data:`LISTING` for a page its file no longer has (:class:`PagesChanged`); () when another try
    with the same settings may work (out of memory)."""
    if isinstance(exc, ModelError):
        return ("model",)
    if isinstance(exc, PagesChanged):
        return (LISTING,)
    if isinstance(exc, InputError):
        return (FILE,)
    return tuple(getattr(exc, "settings", ()) or ())


def reason_of(exc: BaseException, path: str | Path) -> str:
    """Why a page of ``path`` failed, whole, as the engine gives it and ``docclean clean`` prints it
    after the file's name (``docclean.plan.describe``): a :class:`DocCleanError`'s own ``reason``
    when it is about ``path`` (or no file), else its whole message, on one line (a library's line
    breaks as spaces); "" for any other exception, which has no reason of the engine's."""
    return describe_reason(Path(path), exc) if isinstance(exc, DocCleanError) else ""
