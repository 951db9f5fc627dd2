"""Tests for docclean.onepage: the ink-loss figure judges the page that is written."""

import numpy as np

from docclean.onepage import clean_page
from docclean.pixels import Page
from docclean.settings import CleanSettings
from docclean.synth import render_page


class Lighten:
    """A stand-in cleaner: whitens the paper and draws every stroke mid-grey (0.5)."""

    def clean(self, gray: np.ndarray, progress: object = None) -> np.ndarray:
        return np.where(gray < 0.5, 0.5, 1.0).astype(np.float32)


def page() -> Page:
    return Page(render_page(300, 200, dpi=100, font_pt=12) * np.float32(0.9), None, None, 0)


def test_ink_loss_judges_the_written_page():
    grey = clean_page(page(), CleanSettings(), Lighten())
    assert grey.ink_loss < 0.05  # mid-grey strokes are kept strokes
    # A fixed cut at 0.5 turns the same mid-grey strokes into paper: the written page lost them.
    cut = clean_page(page(), CleanSettings(binarize=True, threshold=0.5), Lighten())
    assert cut.pixels.dtype == np.bool_ and cut.pixels.all()
    assert cut.ink_loss > 0.9
    adaptive = clean_page(page(), CleanSettings(binarize=True), Lighten())
    assert adaptive.ink_loss < 0.05
