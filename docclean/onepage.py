"""Clean one page: the model loaded once and kept (:func:`load_cleaner`), and :func:`clean_page`,
the network plus the batch's post-processing. The batch writes exactly what ``clean_page``
returns, and the GUI's preview shows it, so what you see is what gets written."""

from __future__ import annotations

import contextlib
import os
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from docclean import inkloss, postprocess
from docclean import io as pageio
from docclean.color import recolor
from docclean.colormarks import keep_colored_marks
from docclean.models import model_stamp
from docclean.polarity import clean_positive
from docclean.progress import TileProgress
from docclean.settings import CleanSettings

if TYPE_CHECKING:
    from docclean.engine import Denoiser

__all__ = ["PageOutput", "clean_page", "cleaner_key", "load_cleaner"]


@dataclass
class PageOutput:
    """One cleaned page: ``pixels`` as written (float grey, bool 1-bit or uint8 RGB), the cleaned
    grey page, and the share of the input's dark strokes that the written page turned into paper
    (with ``binarize``, the 1-bit page is judged; with ``keep_color``, the grey page). With
    ``remove_show_through``, ``show_through`` is the share of the page's ink it turned to paper
    (0 when the page had one layer); None without the option. ``inverted``: the page was cleaned
    as a negative (light writing on dark paper, :mod:`docclean.polarity`)."""

    pixels: np.ndarray
    cleaned: np.ndarray
    ink_loss: float
    show_through: float | None = None
    inverted: bool = False


_CLEANERS: OrderedDict[tuple, Denoiser] = OrderedDict()
_CLEANERS_LOCK = threading.Lock()
_LOAD_LOCK = threading.Lock()
_CLEANERS_KEPT = 2


_INHERITED: list[OrderedDict[tuple, Denoiser]] = []


def _forget_after_fork() -> None:
    """In a forked child: start a cache of its own (a runtime's threads do not survive a fork) and
    locks of its own (another thread may have held one at the fork). The parent's models are set
    aside, never freed here: freeing one runs its runtime's destructor, which waits for threads
    the fork did not copy (it hung Ray's start-up, whose subprocesses run these hooks)."""
    global _CLEANERS, _CLEANERS_LOCK, _LOAD_LOCK
    _INHERITED.append(_CLEANERS)
    _CLEANERS = OrderedDict()
    _CLEANERS_LOCK, _LOAD_LOCK = threading.Lock(), threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_after_fork)


def load_cleaner(settings: CleanSettings, *, cache: bool = True) -> Denoiser:
    """Load the model, backend and tiling that ``settings`` name. The last two loaded are kept, so
    a GUI or hot folder switching back and forth does not reload; a changed model file (size or
    modification time) is loaded afresh. Threads asking at once share one load and one model (the
    engine lets one network call through at a time: two runtimes inferring side by side in one
    process, OCRmyPDF's page threads, deadlocked OpenVINO now and then); a forked child loads its
    own. ``cache=False`` always loads."""
    from docclean.engine import Denoiser

    if not cache:
        return Denoiser.from_settings(settings)
    key = cleaner_key(settings)
    with _CLEANERS_LOCK:
        if key in _CLEANERS:
            _CLEANERS.move_to_end(key)
            return _CLEANERS[key]
    with _LOAD_LOCK:  # not the cache's lock: a model already loaded is handed out meanwhile
        with _CLEANERS_LOCK:
            if key in _CLEANERS:  # loaded by the thread this one waited for
                return _CLEANERS[key]
        cleaner = Denoiser.from_settings(settings)
        with _CLEANERS_LOCK:
            _CLEANERS[key] = cleaner
            while len(_CLEANERS) > _CLEANERS_KEPT:
                _CLEANERS.popitem(last=False)
    return cleaner


def cleaner_key(settings: CleanSettings) -> tuple[Any, ...]:
    """What a loaded model depends on: its file (:func:`model_stamp`) and the engine's settings.
    Caches of loaded models (here, the desktop app's) key on it."""
    return (*model_stamp(settings.model), *settings.engine_key())


def clean_page(page: pageio.Page | np.ndarray | Any, settings: CleanSettings, cleaner: Denoiser | None = None,
               progress: TileProgress | None = None) -> PageOutput:
    """Clean one page and apply the batch's post-processing: coloured marks kept
    (``keep_color_marks``, :mod:`docclean.colormarks`), then the adaptive or fixed binarization, or
    the original colour put back. The batch writes exactly ``PageOutput.pixels``. ``page``: a
    :class:`~docclean.io.Page` (``docclean.io.read_pages``), or a numpy array or PIL image as
    :func:`docclean.io.as_page` takes them."""
    from docclean.pixels import page_values

    page = pageio.as_page(page)
    cleaner = cleaner or load_cleaner(settings)
    gray = page_values(page.gray)  # as the engine reads it (NaN as paper), before polarity looks at it
    threads = getattr(cleaner, "page_threads", contextlib.nullcontext)  # a stand-in cleaner has none
    with threads():
        # A negative is turned once, here: the engine finds the positive page is not one, and the guard
        # judges the written page against what the network cleaned (light writing, as dark writing).
        positive, cleaned = clean_positive(gray, cleaner, progress)
        # A negative's colours are those of its dark paper and light writing: put back on the
        # positive page they tint the paper dark again and outline the letters. It stays grey, and
        # its coloured marks are not looked for.
        if settings.keep_color_marks and positive is gray:
            cleaned = keep_colored_marks(gray, cleaned, page.color)
        pixels, dropped = finish_page(cleaned, settings, page.color if positive is gray else None)
        # The guard judges what is written: a binarization can drop a stroke the grey page kept.
        written = pixels.astype(np.float32) if pixels.dtype == np.bool_ else cleaned
        loss = inkloss.ink_loss(positive, written, dpi=page.dpi)
    return PageOutput(pixels, cleaned, loss, dropped, positive is not gray)


def finish_page(cleaned: np.ndarray, settings: CleanSettings, color: np.ndarray | None = None
                ) -> tuple[np.ndarray, float | None]:
    """The pixels to write for a cleaned grey page: bool (True = white paper) when binarizing
    (adaptive, fixed ``threshold``, ``keep_faint``, ``remove_show_through``), the original
    ``color`` put back under ``keep_color``, else the grey page itself; and, with
    ``remove_show_through``, the share of the page's ink it turned to paper (else None)."""
    if settings.binarize and settings.remove_show_through:
        return postprocess.binarize_without_show_through(cleaned)
    if settings.binarize:
        return postprocess.binarize(cleaned, settings.threshold, settings.keep_faint), None
    if settings.keep_color and color is not None:
        return recolor(cleaned, color), None
    return cleaned, None
