"""Which way round a page is cleaned: dark writing on light paper, as the network expects.

A negative (light writing on dark paper: microfilm, a photostat) is found before cleaning by
:func:`docclean.levels.is_negative` and cleaned inverted. One it misses (little text, or stains
that became light blotches joining its letters: 8% of the inverted test pages) was cleaned as it
is, and the network drew its light letters outlined in black on white paper: most of its strokes
lost, and the ink-loss guard, which looks for dark strokes, saw nothing (0.0% on every such
historical page). So a mostly dark page that is not found a negative gets a second look
(:func:`clean_positive`): when its cleaned page is dark (:data:`DARK`), it is also cleaned inverted,
and the inverted result is kept when it holds far less dark (:data:`RATIO`), yet is no blank page
(:data:`KEPT`), and the guard finds it lost no strokes (:data:`LOST`). A page on a dark scanner lid
comes out of the network with the lid cleared and little of it dark, so it is cleaned once.
:data:`DARK` and :data:`RATIO` lie between the synthetic and Dirty Documents pages' cases
(bench/experiments/second_look_cases.py): laid on a dark platen they came out at most
0.043 dark; the synthetic negatives the first test missed, at least 0.159 dark where the second
look turns them, with 2.3 times or more the dark of their inverted cleaning. :data:`KEPT` and
:data:`LOST` are set by reasoning. The real scans only check them (bench/results/negatives.md).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from docclean.inkloss import ink_loss
from docclean.levels import NEGATIVE_LIGHT, as_positive, light_marks
from docclean.progress import TileProgress

if TYPE_CHECKING:
    from docclean.engine import Denoiser

#: A mostly dark page not found a negative is cleaned inverted too when more of its cleaned page
#: than this is darker than mid-grey ...
DARK = 0.1
#: ... and the inverted result is kept when the page cleaned as it is holds at least this many
#: times its dark share ...
RATIO = 2.0
#: ... when at least this much of it is dark (the network cleaned something, not a blank page) ...
KEPT = 0.02
#: ... and the ink-loss guard finds that it lost at most this share of the inverted page's strokes.
LOST = 0.05


def dark_share(cleaned: np.ndarray) -> float:
    """Share (0..1) of a cleaned float page darker than mid-grey."""
    return float(np.count_nonzero(cleaned < 0.5)) / max(cleaned.size, 1)


def mostly_dark(page: np.ndarray) -> bool:
    """Whether a grey float page's light part is under :data:`~docclean.levels.NEGATIVE_LIGHT` of it."""
    marks = light_marks(page)
    return marks is not None and marks[0] < NEGATIVE_LIGHT


def inverted_wins(cleaned: np.ndarray, inverted: np.ndarray, cleaned_inverted: np.ndarray) -> bool:
    """Whether ``cleaned_inverted`` (the network's result for ``inverted``, the page turned) is the
    right reading of a page whose own cleaning gave ``cleaned``: see the module's docstring."""
    dark, dark_inverted = dark_share(cleaned), dark_share(cleaned_inverted)
    return (dark > DARK and dark >= RATIO * dark_inverted and dark_inverted >= KEPT
            and ink_loss(inverted, cleaned_inverted) <= LOST)


class _CancelOnly(TileProgress):
    """The page's progress for a second pass: its cancel check, not its tile count."""

    def __init__(self, progress: TileProgress | None) -> None:
        self.progress = progress

    def cancelled(self) -> bool:
        return self.progress is not None and self.progress.cancelled()


def clean_positive(page: np.ndarray, cleaner: Denoiser, progress: TileProgress | None = None
                   ) -> tuple[np.ndarray, np.ndarray]:
    """``(positive, cleaned)``: the grey float32 page as the network cleaned it (inverted when it is
    a negative, found before cleaning by :func:`~docclean.levels.as_positive` or on the second
    look) and the network's result. ``positive`` is ``page`` itself when the page was not turned."""
    positive = as_positive(page)
    if positive is not page:
        return positive, cleaner.clean(positive, progress)
    cleaned = cleaner.clean(page, progress)
    if dark_share(cleaned) > DARK and mostly_dark(page):
        inverted = np.subtract(1, page, dtype=np.float32)
        other = cleaner.clean(inverted, _CancelOnly(progress))
        if inverted_wins(cleaned, inverted, other):
            return inverted, other
    return page, cleaned
