"""Tests for docclean.whiten: near-white grey becomes white paper; darker grey stays as it is."""

from __future__ import annotations

import numpy as np

from docclean.whiten import KNEE, WHITE, whiten_paper


def test_grey_up_to_the_knee_is_untouched_and_near_white_becomes_white() -> None:
    grey = np.linspace(0, 1, 1001, dtype=np.float32)
    page = np.tile(grey, (600, 1))  # more rows than one block
    out = whiten_paper(page.copy())
    assert out.dtype == np.float32 and out.shape == page.shape
    dark, light = grey <= KNEE, grey >= WHITE
    np.testing.assert_array_equal(out[:, dark], page[:, dark])
    assert (out[:, light] >= 1 - 1e-6).all()  # white to the last float bit: 255 when written
    between = out[0, ~dark & ~light]
    assert (between > grey[~dark & ~light]).all() and (between < 1).all()
    assert (np.diff(out[0]) >= 0).all()  # monotone: no grey changes order
    assert np.abs(np.diff(out[0])).max() < 3 * (grey[1] - grey[0]) * (1 - KNEE) / (WHITE - KNEE)  # no step


def test_it_works_in_place_on_the_page_it_is_given() -> None:
    page = np.full((3, 4), 0.97, np.float32)
    assert whiten_paper(page) is page and (page == 1).all()
