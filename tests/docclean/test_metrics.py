"""Tests for docclean.metrics against hand-computed values."""

import numpy as np
import pytest

from docclean.metrics import MAX_PSNR, binary_scores, pooled_rmse, psnr, rmse, ssim, strokes_lost, strokes_lost_share


def test_rmse_psnr_values():
    a, b = np.zeros((4, 4)), np.full((4, 4), 0.1)
    assert rmse(a, b) == pytest.approx(0.1)
    assert psnr(a, b) == pytest.approx(20.0)
    assert psnr(a, a) == MAX_PSNR == 100.0  # identical pages: capped, never inf (a mean stays finite)
    assert psnr(a, a + 1e-7) == MAX_PSNR and psnr(a, a + 1e-4) == pytest.approx(80.0)


def test_pooled_rmse_weights_pixels():
    pairs = [(np.zeros((1, 1)), np.ones((1, 1))), (np.zeros((1, 3)), np.zeros((1, 3)))]
    assert pooled_rmse(pairs) == pytest.approx(0.5)


def test_ssim_identity_and_drop():
    rng = np.random.default_rng(0)
    img = rng.random((32, 32))
    assert ssim(img, img) == pytest.approx(1.0)
    assert ssim(img, np.clip(img + rng.normal(0, 0.3, img.shape), 0, 1)) < 0.7


def test_shape_mismatch():
    with pytest.raises(ValueError, match="shapes differ"):
        rmse(np.zeros((2, 2)), np.zeros((2, 3)))


def test_strokes_lost_counts_an_erased_stroke_not_a_thinner_one_nor_a_speck():
    truth = np.zeros((40, 60), bool)
    truth[5:35, 5:10] = True  # a stroke drawn thinner below
    truth[5:35, 30:35] = True  # a stroke erased below
    truth[20, 50:53] = True  # a speck (3 pixels): not a stroke
    pred = np.zeros_like(truth)
    pred[5:35, 7] = True  # one pixel of the first stroke's five: within a pixel of most of it
    assert strokes_lost(pred, truth) == (1, 2)
    assert strokes_lost(truth, truth) == (0, 2)
    with pytest.raises(ValueError):
        strokes_lost(pred[:10], truth)


def test_binary_scores_of_a_half_found_stroke():
    truth = np.zeros((10, 10), bool)
    truth[2:8, 4:6] = True  # 12 ink pixels
    pred = np.zeros_like(truth)
    pred[2:5, 4:6] = True  # half of them, no false ink
    f, db, precision, recall = binary_scores(pred, truth)
    assert precision == 1.0 and recall == 0.5 and abs(f - 100 * 2 / 3) < 1e-9
    assert abs(db - 10 * np.log10(100 / 6)) < 1e-9
    assert binary_scores(truth, truth)[:2] == (100.0, 100.0)  # perfect: PSNR capped, not infinite
    assert binary_scores(np.zeros_like(truth), truth)[0] == 0.0


def test_strokes_lost_share_pools_pages_and_finds_the_worst():
    total, worst = strokes_lost_share([(1, 10), (0, 30), (2, 4)])
    assert abs(total - 3 / 44) < 1e-12 and worst == 0.5
    assert strokes_lost_share([]) == (0.0, 0.0)
    assert strokes_lost_share([(0, 0)]) == (0.0, 0.0)  # a page without strokes loses none
