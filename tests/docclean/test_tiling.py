"""Tests for docclean.tiling: coverage, border shift, exact identity blend."""

import numpy as np
import pytest

from docclean.tiling import Blender, blend_weights, plan_tiles


@pytest.mark.parametrize("h,w,tile,overlap", [(100, 130, 32, 8), (32, 32, 32, 8), (10, 300, 64, 16), (257, 255, 64, 0)])
def test_tiles_cover_page_and_stay_inside(h, w, tile, overlap):
    tiles = plan_tiles(h, w, tile, overlap, multiple=4)
    covered = np.zeros((h, w), dtype=int)
    assert len({(t.h, t.w) for t in tiles}) == 1  # one shape: tiles batch together
    for t in tiles:
        assert t.y >= 0 and t.x >= 0 and t.y + t.h <= h and t.x + t.w <= w
        assert t.h <= tile and t.w <= tile
        covered[t.slices] += 1
    assert covered.min() >= 1
    for starts, size in ((sorted({t.y for t in tiles}), tiles[0].h), (sorted({t.x for t in tiles}), tiles[0].w)):
        assert all(b - a <= size - overlap for a, b in zip(starts, starts[1:]))  # neighbours overlap enough


def test_small_page_is_one_tile():
    assert len(plan_tiles(20, 30, 64, 8)) == 1


def test_tiles_shrink_to_waste_little_overlap():
    tiles = plan_tiles(3508, 2480, 1024, 64, multiple=16)  # an A4 page at 300 dpi
    assert len(tiles) == 12 and tiles[0].h % 16 == 0 and tiles[0].w % 16 == 0
    assert len(tiles) * tiles[0].h * tiles[0].w < 1.15 * 3508 * 2480


def test_identity_blend_returns_input():
    rng = np.random.default_rng(1)
    page = rng.random((97, 143), dtype=np.float32)
    tiles = plan_tiles(*page.shape, 32, 8)
    blender = Blender(*page.shape, 8, tiles)
    for t in tiles:
        blender.add(t, page[t.slices])
    out = blender.result()
    np.testing.assert_allclose(out, page, atol=1e-6)
    assert np.array_equal(np.round(out * 255), np.round(page * 255))


def test_blender_rejects_tiles_that_are_not_one_grid():
    tiles = plan_tiles(97, 143, 32, 8)
    with pytest.raises(ValueError, match="grid"):
        Blender(97, 143, 8, tiles[:-1])


def test_blend_is_a_weighted_mean_of_overlapping_tiles():
    tiles = plan_tiles(50, 90, 32, 8)
    blender = Blender(50, 90, 8, tiles)
    for i, t in enumerate(tiles):
        blender.add(t, np.full((t.h, t.w), float(i % 2), np.float32))
    out = blender.result()
    # a pixel inside one tile only keeps that tile's value; where tiles overlap, a value between
    assert out[0, 0] == 0.0 and out[0, -1] == 1.0
    assert 0.0 < out[5, 45] < 1.0


def test_weights_positive_and_peak_inside():
    wgt = blend_weights(32, 40, 8)
    assert wgt.min() > 0 and wgt[16, 20] == 1.0 and wgt[0, 0] < wgt[4, 4]


def test_bad_overlap_rejected():
    with pytest.raises(ValueError):
        plan_tiles(10, 10, 8, 8)
