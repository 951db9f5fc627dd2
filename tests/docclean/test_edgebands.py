"""Tests for docclean.edgebands: thin dark bands along the scan's edge, found as surround and
painted white by the engine, and what is not one."""

import numpy as np
import pytest

from docclean import Denoiser
from docclean.surround import surround_areas
from tests.docclean.test_surround import Keeper, text_page


def with_band(page: np.ndarray, depth: int | np.ndarray, level: float = 0.1) -> np.ndarray:
    """``page`` with a dark band along its top edge, ``depth`` pixels deep (per column, for a
    band fed askew), a little grain in it."""
    page = page.copy()
    depths = np.broadcast_to(np.asarray(depth), (page.shape[1],))
    grain = np.random.default_rng(1).normal(0, 0.01, page.shape).astype(np.float32)
    rows = np.arange(page.shape[0])[:, None]
    band = rows < depths[None, :]
    page[band] = level + grain[band]
    return page


@pytest.mark.parametrize("turns", [0, 1, 2, 3])
def test_a_thin_dark_band_along_any_edge_is_surround_and_the_letters_beside_it_are_not(turns):
    page = with_band(text_page(), 9)  # the letters begin 12 pixels from the edge
    mask = surround_areas(np.ascontiguousarray(np.rot90(page, turns)))
    assert mask is not None
    mask = np.rot90(mask, -turns)
    assert mask[:9].all()
    assert not mask[11:].any()


def test_a_band_fed_askew_is_followed_along_its_slant():
    page = text_page()
    page[:20] = 0.9  # room for a wedge: no letter in the top 20 rows
    depth = np.linspace(3, 16, page.shape[1]).astype(int)
    mask = surround_areas(with_band(page, depth))
    assert mask is not None
    rows = np.arange(page.shape[0])[:, None]
    assert mask[rows < depth[None, :]].all()
    assert not mask[rows > depth[None, :] + 2].any()


def test_a_letter_touching_the_band_keeps_the_part_beyond_it():
    page = text_page()
    page[9:30, 200:204] = 0.15  # a stroke running into the band
    page = with_band(page, 9)
    mask = surround_areas(page)
    assert mask is not None and mask[:9, :195].all()
    assert not mask[11:30, 200:204].any()


def test_the_engine_paints_the_band_white_and_leaves_the_page():
    page = with_band(text_page(), 9)
    cleared = Denoiser(Keeper(), tile_size=256, overlap=16, clear_surround=True).clean(page)
    kept = Denoiser(Keeper(), tile_size=256, overlap=16, clear_surround=False).clean(page)
    assert (cleared[:9] == 1.0).all() and kept[:9].mean() < 0.2
    np.testing.assert_array_equal(cleared[11:], kept[11:])


def test_a_row_of_letters_at_the_edge_is_not_a_band():
    page = text_page()
    page[:12, 10:-10].reshape(12, -1, 10)[:, :, :6] = 0.1  # letters 6 wide, 4 apart, cut by the edge
    assert surround_areas(page) is None


def test_a_shadow_fading_in_along_the_edge_is_not_a_band():
    page = text_page()
    page[:12] = np.linspace(0.02, 0.5, 12, dtype=np.float32)[:, None]
    assert surround_areas(page) is None


def test_a_short_band_is_not_a_band():
    page = text_page()
    page[:9, :80] = 0.1  # a fifth of the side: a label or a stain reaching the edge
    assert surround_areas(page) is None
